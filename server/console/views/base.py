"""What a console screen is, and the few things every screen may ask of the console.

A screen is a `ScreenView` subclass registered as a `Screen` in `server/console/views/
__init__.py` (`SCREENS`). The shell makes one instance per browser session the first time
the screen is opened and keeps it, so a screen's own filters survive a refresh or a trip
to another screen. `build()` returns the screen's controls from its view-model; event
handlers are `async def` (they then run on the server's event loop, like API routes,
which is how the one SQLite connection is shared safely) and end with `self.c.refresh()`
or `self.c.render()`.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

import flet as ft

from domain.models import Role
from server.console.models.coverage import photo_thumbnail

if TYPE_CHECKING:
    from server.console.views.shell import Console

__all__ = [
    "BIG",
    "FONT",
    "GREEN",
    "GREY",
    "RED",
    "TALL_SEGMENTS",
    "Screen",
    "ScreenView",
    "big_button",
    "message",
    "toggle",
    "two_panes",
]

FONT = "NotoSansSC"  # bundled (app/assets/fonts): offline, the web client has no CJK font
BIG = 48  # smallest touch target, px
# Segmented buttons are 32 px tall at the web's compact density; this padding makes them 48.
TALL_SEGMENTS = ft.ButtonStyle(padding=ft.Padding.symmetric(vertical=16, horizontal=12))
RED, GREEN, GREY = ft.Colors.RED_700, ft.Colors.GREEN_700, ft.Colors.GREY_700


class ScreenView:
    """One screen of one session. `self.c` is the console (session, words, site, period)."""

    # Auto-refresh every this many seconds while the screen is shown (None: never).
    refresh_seconds: ClassVar[float | None] = None

    def __init__(self, console: Console) -> None:
        self.c = console

    def build(self) -> ft.Control:
        raise NotImplementedError

    def local_time(self, text: str | None) -> str:
        """A stored UTC time as "MM-DD HH:MM" in the site's time zone ("" for none)."""
        if not text:
            return ""
        return f"{datetime.fromisoformat(text).astimezone(self.c.session.tz()):%m-%d %H:%M}"

    def thumbnails(self, shas: Sequence[str], size: int, limit: int = 6) -> ft.Control | None:
        """A wrapping row of photo thumbnails (through the session's permission check), or
        None when none of the photos can be shown."""
        images: list[ft.Control] = [
            ft.Image(src=b, width=size, height=size, fit=ft.BoxFit.COVER)
            for b in (photo_thumbnail(self.c.session, sha) for sha in shas[:limit])
            if b
        ]
        return ft.Row(images, wrap=True) if images else None


@dataclass(frozen=True, slots=True)
class Screen:
    """A registered screen: where it sits in the navigation and who sees it."""

    key: str  # stable id, also the test's handle, e.g. "coverage"
    title: str  # i18n key of its name in the navigation
    icon: ft.IconData
    view: type[ScreenView]
    allowed: Callable[[Role], bool] = lambda role: role.sees_reports
    uses_period: bool = True  # show the period picker above it
    uses_site: bool = True  # show the site picker above it


def big_button(
    text: str,
    on_click: Callable[[Any], Awaitable[None] | None],
    *,
    icon: ft.IconData | None = None,
    colour: str | None = None,
    filled: bool = True,
    key: str | None = None,
    text_colour: str | None = None,
) -> ft.Control:
    """A button at least 48 px high with readable text."""
    style = ft.ButtonStyle(
        text_style=ft.TextStyle(size=16, font_family=FONT),
        color=text_colour,
        icon_color=text_colour,
        shape=ft.RoundedRectangleBorder(radius=8),
        bgcolor=colour if filled else None,
        padding=ft.Padding.symmetric(horizontal=16),
    )
    kind = ft.FilledButton if filled else ft.OutlinedButton
    return kind(content=text, icon=icon, on_click=on_click, height=BIG, style=style, key=key)


def message(text: str, *, error: bool = False, icon: ft.IconData | None = None) -> ft.Control:
    """A clear message in place of a screen's content (empty period, no plan, refused)."""
    return ft.Container(
        ft.Row(
            [
                ft.Icon(
                    icon or (ft.Icons.ERROR_OUTLINE if error else ft.Icons.INFO_OUTLINE),
                    color=RED if error else GREY,
                    size=32,
                ),
                ft.Text(text, size=18, color=RED if error else None, expand=True),
            ],
            spacing=12,
        ),
        padding=24,
    )


def two_panes(
    wide: bool,
    first: ft.Control,
    second: ft.Control,
    *,
    first_width: float,
    key: str | None = None,
) -> ft.Control:
    """Two parts of a screen (a list and its detail, a plan and its form): side by side on
    a wide screen, each scrolling on its own, `first` at `first_width`; on a phone one
    under the other in one scrolling column, so neither is squeezed to nothing. The
    parts must not `expand` themselves (a phone's column has no height to share)."""
    if wide:
        return ft.Row(
            [
                ft.Column([first], width=first_width, scroll=ft.ScrollMode.AUTO),
                ft.VerticalDivider(width=1),
                ft.Column([second], expand=True, scroll=ft.ScrollMode.AUTO),
            ],
            expand=True,
            vertical_alignment=ft.CrossAxisAlignment.START,
            key=key,
        )
    return ft.Column([first, ft.Divider(), second], scroll=ft.ScrollMode.AUTO, expand=True, key=key)


def toggle(
    label: str,
    value: bool,
    on_change: Callable[[bool], Awaitable[None] | None],
    *,
    width: float | None = None,
) -> ft.Control:
    """An on/off choice 48 px high, its state in a check-box icon. Flet's Checkbox and
    Switch are 40 px in a desktop browser (Flutter shrink-wraps them there and Flet has no
    tap-target setting), too small for a finger on a tablet."""

    def box(on: bool) -> ft.IconData:
        return ft.Icons.CHECK_BOX if on else ft.Icons.CHECK_BOX_OUTLINE_BLANK

    async def flip(_: Any) -> None:
        button.data = not button.data
        button.icon = box(button.data)
        button.update()
        result = on_change(button.data)
        if inspect.isawaitable(result):
            await result

    button = ft.TextButton(
        content=label,
        icon=box(value),
        data=value,
        on_click=flip,
        height=BIG,
        width=width,
        style=ft.ButtonStyle(text_style=ft.TextStyle(size=15, font_family=FONT)),
    )
    return button
