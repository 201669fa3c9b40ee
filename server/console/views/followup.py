"""The one layout of the follow-up screens (anomaly tickets, rectifications): state tabs
with the counts, a list of items (late ones in red, escalated ones highlighted), and the
chosen item's detail with its history and the steps one may take, each step a new
record. A screen says what to load and how to word it; this class lays it out, keeps
the chosen item, the note being typed and a photo picked in the browser across
re-renders, and turns a refused step into a red toast."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import flet as ft

from server.console.i18n import register
from server.console.models.followup import ListRow
from server.console.refusals import refusal_text
from server.console.views.base import GREY, RED, ScreenView, big_button, message, two_panes
from server.photos import PhotoRejected

__all__ = ["FollowUpScreen"]

register(
    {
        "fu_photo_bad": ("照片未保存：{why}", "Photo not kept: {why}"),
        "fu_photo_too_big": ("文件过大", "the file is too big"),
    }
)


class FollowUpScreen(ScreenView):
    """Subclasses set the class attributes and the hooks below."""

    states: ClassVar[tuple[str, ...]]  # tab keys, the first is shown first
    key: ClassVar[str]  # prefix of the controls' keys: "<key>-<id>", "<key>-detail"
    # Prefix of the screen's words: "<words><state>" names a tab, "<words>counts" the
    # counts line, "<words>empty" an empty list, "<words>pick" the detail before a choice.
    words: ClassVar[str]
    list_width: ClassVar[int] = 420
    # What a step may raise to say "not now" (shown in the console's language).
    refused: ClassVar[tuple[type[Exception], ...]] = ()

    def __init__(self, console: Any) -> None:
        super().__init__(console)
        self.state = self.states[0]
        self.selected: str | None = None
        self.photo: str | None = None  # uploaded, waiting for the step that records it
        self.draft = ""  # the note being typed
        self.picker = ft.FilePicker()

    # -- hooks ---------------------------------------------------------------------------

    def load(self) -> dict[str, Any]:
        """The list page for `self.state`: {"data": [...], "counts": {...}}."""
        raise NotImplementedError

    def row(self, item: dict[str, Any]) -> ListRow:
        raise NotImplementedError

    def detail(self, item_id: str) -> list[ft.Control] | None:
        """The chosen item's header, history and form; None if it is not on the site."""
        raise NotImplementedError

    def head(self, page: dict[str, Any]) -> list[ft.Control]:
        """Anything above the tabs (e.g. what was escalated to this manager)."""
        return []

    # -- layout --------------------------------------------------------------------------

    def build(self) -> ft.Control:
        page = self.load()
        tabs = ft.Row(
            [
                big_button(
                    self.c.t(f"{self.words}{s}"),
                    self.c.act(lambda _, s=s: self._set_state(s)),
                    filled=self.state == s,
                )
                for s in self.states
            ]
            + [ft.Text(self.c.t(f"{self.words}counts", **page["counts"]), size=16)],
            wrap=True,
        )
        rows: list[ft.Control] = [self._row(self.row(i)) for i in page["data"]]
        if not rows:
            rows.append(message(self.c.t(f"{self.words}empty"), icon=ft.Icons.CHECK_CIRCLE_OUTLINE))
        body = two_panes(
            self.c.wide,
            ft.Column(rows, spacing=4),
            self._detail(),
            first_width=self.list_width,
        )
        return ft.Column([*self.head(page), tabs, body], expand=True, spacing=8)

    def _set_state(self, state: str) -> None:
        self.state, self.selected, self.photo, self.draft = state, None, None, ""

    def _select(self, item_id: str) -> None:
        if item_id != self.selected:
            self.photo, self.draft = None, ""
        self.selected = item_id

    def _row(self, row: ListRow) -> ft.Control:
        colour: str | None = None
        if row.escalated:
            colour = ft.Colors.RED_50
        elif row.id == self.selected:
            colour = ft.Colors.BLUE_50
        return ft.Container(
            ft.Column(
                [
                    ft.Text(row.title, weight=ft.FontWeight.BOLD),
                    ft.Text(row.status, color=RED if row.late else GREY),
                ],
                spacing=2,
            ),
            key=f"{self.key}-{row.id}",
            padding=10,  # two lines and this: over 48 px, and it grows with wrapped text
            border_radius=8,
            bgcolor=colour,
            on_click=self.c.act(lambda _, i=row.id: self._select(i)),
        )

    def _detail(self) -> ft.Control:
        if self.selected is None:
            pick = self.c.t(f"{self.words}pick")
            return ft.Container(ft.Text(pick, color=GREY, size=16), padding=16)
        rows = self.detail(self.selected)
        if rows is None:
            self.selected = None
            return message(self.c.t("not_found"), error=True)
        return ft.Column(rows, spacing=6, key=f"{self.key}-detail")

    # -- for the detail's form -----------------------------------------------------------

    def history_photos(self, shas: list[str], key: str | None = None) -> ft.Control | None:
        """Photos of one history line (those the session may see), or None."""
        thumbs = self.thumbnails(shas, 150)
        return None if thumbs is None else ft.Container(thumbs, key=key)

    def note_field(self, label: str) -> ft.TextField:
        """The note of the next step; what is typed survives a re-render (picking a
        photo re-renders the screen)."""
        return ft.TextField(
            label=label,
            max_length=1000,
            multiline=True,
            key=f"{self.key}-note",
            value=self.draft,
            on_change=lambda e: setattr(self, "draft", e.control.value or ""),
        )

    def assignee_field(self, label: str, people: list[dict[str, str]]) -> ft.Dropdown:
        return ft.Dropdown(
            label=label,
            options=[ft.DropdownOption(key=p["id"], text=p["name"]) for p in people],
            width=220,
        )

    def step(self, run: Callable[[], Any], saved: str) -> Callable[[Any], Any]:
        """A step's click handler: `run()` records it; a refusal of the rule (one of
        `refused`) or an item gone from the site is a red toast, success a green one."""

        def handler(_: Any) -> None:
            try:
                run()
            except self.refused as refused:
                self.c.toast(refusal_text(refused, self.c.session.lang), error=True)
                return
            except KeyError:
                self.c.toast(self.c.t("not_found"), error=True)
                return
            self.draft = ""
            self.c.toast(saved)

        return self.c.act(handler)

    def photo_button(
        self, label: str, upload: Callable[[bytes | None], str], ready: str
    ) -> ft.Control:
        """Pick a photo in the browser; `upload` keeps it (the API's checks) and returns
        its SHA-256, held in `self.photo` until the step that records it (`ready` says
        so)."""

        async def pick(_: Any) -> None:
            t = self.c.t
            if self.picker not in self.c.page.services:
                self.c.page.services.append(self.picker)
            files = await self.picker.pick_files(
                file_type=ft.FilePickerFileType.CUSTOM,
                allowed_extensions=["jpg", "jpeg", "png", "webp"],
                with_data=True,
            )
            if not files:
                return
            if files[0].size > self.c.session.settings.max_photo_bytes:
                self.c.toast(t("fu_photo_bad", why=t("fu_photo_too_big")), error=True)
                return
            caught: tuple[type[Exception], ...] = (PhotoRejected, *self.refused)
            try:
                self.photo = upload(files[0].bytes)
            except caught as rejected:
                why = refusal_text(rejected, self.c.session.lang)
                self.c.toast(t("fu_photo_bad", why=why), error=True)
                return
            except KeyError:
                self.c.toast(self.c.t("not_found"), error=True)
                return
            self.c.toast(ready)

        return big_button(
            label,
            self.c.act(pick),
            icon=ft.Icons.ADD_A_PHOTO,
            filled=False,
            key=f"{self.key}-photo",
        )

    def pending_photo(self, label: str) -> list[ft.Control]:
        """The picked photo, shown above the buttons until its step records it."""
        thumbs = self.thumbnails([self.photo], 120) if self.photo else None
        if thumbs is None:
            return []
        return [ft.Text(label, color=GREY), ft.Container(thumbs, key=f"{self.key}-pending-photo")]
