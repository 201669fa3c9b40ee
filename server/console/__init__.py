"""The manager console: a Flet web app mounted into the server at `/console`.

Each browser session signs in on its own (the API's login path: `server.login`), reads
through the same permission checks as the API (`server.access`) and calls the same read
functions; it never makes HTTP requests to itself. View-models are in `models/`, thin
Flet screens in `views/` (see `views/base.py` for how to add one).
"""

from __future__ import annotations

from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import flet as ft
import flet.fastapi as flet_fastapi
from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send
from websockets.exceptions import ConnectionClosed, InvalidState

__all__ = ["CONSOLE_PATH", "DropSendsToClosedSockets", "mount_console"]

CONSOLE_PATH = "/console"
ASSETS = Path(__file__).resolve().parents[2] / "app" / "assets"  # the bundled CJK font


def mount_console(app: FastAPI) -> None:
    """Serve the console at /console; the app's lifespan must start Flet's session
    manager (`flet.fastapi.app_manager`)."""
    from server.console.views import SCREENS
    from server.console.views.shell import run_console

    async def main(page: ft.Page) -> None:
        await run_console(page, app.state, SCREENS)

    flet_app = flet_fastapi.app(
        main, no_cdn=True, assets_dir=str(ASSETS), app_name="Rounds console"
    )
    app.mount(CONSOLE_PATH, DropSendsToClosedSockets(flet_app))


class DropSendsToClosedSockets:
    """Flet's web handler lets a failed send escape its send loop when a browser goes away
    mid-send (a page reload): the error skips Flet's own step that disconnects the session
    (so it would never expire) and is logged as a crash. A send to a socket that is
    closing is dropped instead; the receive side sees the disconnect and Flet ends the
    session as usual."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return

        async def send_or_drop(message: MutableMapping[str, Any]) -> None:
            try:
                await send(message)
            except (OSError, ConnectionClosed, InvalidState):  # OSError: ClientDisconnected
                if message["type"] != "websocket.send":
                    raise

        await self.app(scope, receive, send_or_drop)
