"""The Rounds field app: `python -m app.main --web --port 8550` runs it in the browser.

On a phone (`flet build apk`) the same file is the entry point; its local store lives in
the app's private storage. Here one process is one "phone": one local store and outbox.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script by `flet build` / `flet run`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import flet as ft

from app.late_results import survive_late_method_results
from app.state import FieldApp
from app.store import LocalStore
from app.views import run_view

ASSETS = Path(__file__).resolve().parent / "assets"


def data_dir() -> Path:
    configured = os.environ.get("ROUNDS_APP_DATA") or os.environ.get("FLET_APP_STORAGE_DATA")
    return Path(configured or "var/app")


def make_main(field_app: FieldApp, default_server: str):
    survive_late_method_results()

    async def main(page: ft.Page) -> None:
        await run_view(page, field_app, default_server)

    return main


def main() -> None:
    parser = argparse.ArgumentParser(description="Rounds field app")
    parser.add_argument("--web", action="store_true", help="serve in the browser (Flet web)")
    parser.add_argument("--host", default=os.environ.get("ROUNDS_APP_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("ROUNDS_APP_PORT", 8550)))
    parser.add_argument(
        "--server", default=os.environ.get("ROUNDS_SERVER", "http://127.0.0.1:8000")
    )
    args = parser.parse_args()
    store = LocalStore(data_dir())
    field_app = FieldApp(store)
    view = ft.AppView.WEB_BROWSER if args.web else ft.AppView.FLET_APP
    ft.run(
        make_main(field_app, args.server),
        host=args.host if args.web else None,
        port=args.port if args.web else 0,
        view=view,
        assets_dir=str(ASSETS),
        no_cdn=True,
    )


if __name__ == "__main__":
    main()
