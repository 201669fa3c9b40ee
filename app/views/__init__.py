"""The screens: thin Flet views over `FieldApp`, one module per kind of user.

`Ui` puts them together: `shell` (status line, sign-in, sync loop, GPS, camera),
`guard` and `cleaning` screens, and `home`, which picks the start screen by role.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import flet as ft

from app.state import FieldApp
from app.views.cleaning import CleaningScreens
from app.views.guard import GuardScreens
from app.views.shell import FONT, GREY, TOUCH

__all__ = ["Ui", "run_view"]


class Ui(GuardScreens, CleaningScreens):
    """Every screen of the field app, on one page."""

    def home(self) -> ft.Control:
        role = self.app.role
        if role == "cleaner":
            content = self.cleaner_home()
        elif role == "cleaning_supervisor":
            content = self.supervisor_home()
        else:
            content = self.guard_home()
        footer = ft.Row(
            [
                ft.TextButton(self.t("language"), on_click=self.switch_language, height=TOUCH),
                ft.TextButton(self.t("sign_out"), on_click=self.sign_out, height=TOUCH),
            ],
            wrap=True,
        )
        who = f"{self.app.user.get('name', '')} · {self.app.site.get('name', '')}"
        return self.page_body(
            ft.Text(who, size=16, color=GREY), *self.site_picker(), *content, footer
        )

    def restore(self) -> Callable[[], ft.Control]:
        """The form that was open when the app was closed or the page refreshed."""
        form = self.app.open_form() or {}
        name = form.get("form")
        point = self.app.point(form.get("point_id") or "")
        scan_id = form.get("scan_id")
        if name == "round":
            return self.round_screen
        if name == "checks" and point is not None and scan_id:
            return partial(self.checks_screen, point, scan_id)
        if name == "anomaly":
            return partial(self.anomaly_screen, point, scan_id)
        if name in ("finish", "handover", "inspection"):
            return getattr(self, f"{name}_screen")
        if name in ("fix", "recheck") and (rect := self.rect_by_id(form.get("rect_id", ""))):
            return partial(getattr(self, f"{name}_screen"), rect)
        return self.home


async def run_view(page: ft.Page, app: FieldApp, default_server: str) -> Ui:
    page.title = "Rounds"
    page.fonts = {FONT: "fonts/NotoSansSC-Regular.ttf"}
    page.theme = ft.Theme(font_family=FONT, color_scheme_seed=ft.Colors.BLUE)
    page.padding = 0
    ui = Ui(page, app, default_server)
    ui.show(ui.restore())
    ui.syncer.start()
    page.on_close = lambda _: ui.syncer.unlisten(ui.on_synced)
    page.on_connect = lambda _: ui.on_synced()
    page.run_task(ui.watch_position)
    return ui
