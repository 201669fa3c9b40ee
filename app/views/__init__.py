"""The screens: thin Flet views over `FieldApp`, one module per kind of user.

`Ui` puts them together: `shell` (status line, sign-in, sync loop, GPS, camera),
`guard` and `cleaning` screens, and `home`, which picks the start screen by role.
"""

from __future__ import annotations

import flet as ft

from app.state import FieldApp
from app.views.cleaning import CleaningScreens
from app.views.guard import GuardScreens
from app.views.shell import FONT, GREY

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
                ft.TextButton(self.t("sync_now"), on_click=self.sync_now),
                ft.TextButton(self.t("language"), on_click=self.switch_language),
                ft.TextButton(self.t("sign_out"), on_click=self.sign_out),
            ],
            wrap=True,
        )
        who = f"{self.app.user.get('name', '')} · {self.app.site.get('name', '')}"
        return self.page_body(
            ft.Text(who, size=16, color=GREY), *self.site_picker(), *content, footer
        )


async def run_view(page: ft.Page, app: FieldApp, default_server: str) -> Ui:
    page.title = "Rounds"
    page.fonts = {FONT: "fonts/NotoSansSC-Regular.ttf"}
    page.theme = ft.Theme(font_family=FONT, color_scheme_seed=ft.Colors.BLUE)
    page.padding = 0
    ui = Ui(page, app, default_server)
    ui.show(ui.home)
    page.run_task(ui.sync_loop)
    page.run_task(ui.watch_position)
    return ui
