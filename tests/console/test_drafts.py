"""What an admin types into a set-up form survives a refused save: the console redraws
the screen after every action, and the form is built again from the kept draft."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import flet as ft

from server.bootstrap import create_admin
from server.console.models.session import ConsoleSession
from server.console.views.setup_places import first_site_form
from server.console.views.shell import Console
from server.settings import Settings
from server.storage import Storage


class _Page:
    """Just what the console asks of a page: no browser."""

    width = 1440
    drawer = None

    def __init__(self) -> None:
        self.controls: list[Any] = []
        self.toasts: list[str] = []

    def update(self) -> None:
        pass

    def show_dialog(self, dialog: Any) -> None:
        self.toasts.append(dialog.content.value)


def _fields(control: Any) -> dict[str, ft.TextField]:
    found: dict[str, ft.TextField] = {}

    def walk(node: Any) -> None:
        if isinstance(node, ft.TextField):
            found[str(node.label)] = node
        for child in getattr(node, "controls", None) or []:
            walk(child)
        if getattr(node, "content", None) is not None:
            walk(node.content)

    walk(control)
    return found


def _button(control: Any, text: str) -> Any:
    stack = [control]
    while stack:
        node = stack.pop()
        if getattr(node, "content", None) == text or getattr(node, "text", None) == text:
            return node
        stack.extend(getattr(node, "controls", None) or [])
        if getattr(node, "content", None) is not None and not isinstance(node.content, str):
            stack.append(node.content)
    raise AssertionError(f"no button {text!r}")


def _type(field: ft.TextField, text: str) -> None:
    field.value = text
    field.on_change(SimpleNamespace(control=field))  # type: ignore[misc]


def test_a_refused_first_site_keeps_what_was_typed(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    storage = Storage(settings.db_path)
    create_admin(storage, "boss", "Lake Property")
    boss = storage.user_by_name("boss")
    assert boss is not None
    page = _Page()
    state = SimpleNamespace(storage=storage, settings=settings, blobs=None)
    console = Console(page, state, [])  # type: ignore[arg-type]
    console.session = ConsoleSession(storage, settings, user_id=boss.id)

    form = first_site_form(console)
    fields = _fields(form)
    _type(fields["项目名称"], "湖滨小区")
    _type(fields["地址"], "湖滨路1号" * 41)  # over 200 characters: refused
    asyncio.run(_button(form, "创建项目").on_click(None))
    assert page.toasts and not storage.db.execute("select 1 from sites").fetchall()

    again = _fields(first_site_form(console))
    assert again["项目名称"].value == "湖滨小区" and again["地址"].value == "湖滨路1号" * 41
    _type(again["地址"], "湖滨路1号")
    asyncio.run(_button(first_site_form(console), "创建项目").on_click(None))
    assert storage.db.execute("select name from sites").fetchall() == [("湖滨小区",)]
    assert _fields(first_site_form(console))["项目名称"].value == ""  # saved: a new draft
    storage.close()
