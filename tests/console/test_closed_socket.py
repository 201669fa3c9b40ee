"""A browser that goes away mid-send (a reload) must not crash Flet's session handler."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from uvicorn.protocols.utils import ClientDisconnected

from server.console import DropSendsToClosedSockets


def _closed_socket_send(sent: list[str]):
    async def send(message: dict[str, Any]) -> None:
        sent.append(message["type"])
        if message["type"] == "websocket.send":
            raise ClientDisconnected

    return send


async def _receive() -> dict[str, Any]:
    return {"type": "websocket.disconnect", "code": 1006}


def test_a_send_to_a_closed_socket_is_dropped_and_the_handler_goes_on() -> None:
    finished: list[bool] = []

    async def flet_handler(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "bytes": b"patch"})  # the browser is gone
        finished.append(True)  # Flet's own clean-up after its loops

    sent: list[str] = []
    app = DropSendsToClosedSockets(flet_handler)
    asyncio.run(app({"type": "websocket"}, _receive, _closed_socket_send(sent)))
    assert finished == [True] and sent == ["websocket.accept", "websocket.send"]


def test_other_failures_and_plain_http_are_not_hidden() -> None:
    async def accept_then_fail(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "websocket.close"})

    async def failing_close(message: dict[str, Any]) -> None:
        raise ClientDisconnected

    app = DropSendsToClosedSockets(accept_then_fail)
    with pytest.raises(ClientDisconnected):
        asyncio.run(app({"type": "websocket"}, _receive, failing_close))

    async def http(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200})

    with pytest.raises(ClientDisconnected):
        asyncio.run(DropSendsToClosedSockets(http)({"type": "http"}, _receive, failing_close))
