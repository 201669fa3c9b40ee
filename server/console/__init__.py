"""The manager console: a Flet web app mounted into the server at `/console`.

Each browser session signs in on its own (the API's login path: `server.login`), reads
through the same permission checks as the API (`server.access`) and calls the same read
functions; it never makes HTTP requests to itself. View-models are in `models/`, thin
Flet screens in `views/` (see `views/base.py` for how to add one).
"""

from __future__ import annotations

from pathlib import Path

import flet as ft
import flet.fastapi as flet_fastapi
from fastapi import FastAPI

__all__ = ["CONSOLE_PATH", "mount_console"]

CONSOLE_PATH = "/console"
ASSETS = Path(__file__).resolve().parents[2] / "app" / "assets"  # the bundled CJK font


def mount_console(app: FastAPI) -> None:
    """Serve the console at /console; the app's lifespan must start Flet's session
    manager (`flet.fastapi.app_manager`)."""
    from server.console.views import SCREENS
    from server.console.views.shell import run_console

    async def main(page: ft.Page) -> None:
        await run_console(page, app.state, SCREENS)

    app.mount(
        CONSOLE_PATH,
        flet_fastapi.app(main, no_cdn=True, assets_dir=str(ASSETS), app_name="Rounds console"),
    )
