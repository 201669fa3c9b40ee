from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from server.main import create_app
from server.settings import Settings
from tests.factory import PASSWORD, build_company


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    settings: Settings

    def login(self, username: str, password: str = PASSWORD) -> httpx.Client:
        client = httpx.Client(base_url=self.url, timeout=30)
        response = client.post(
            "/api/v1/auth/login",
            json={"username": username, "password": password, "device_id": f"dev-{username}"},
        )
        response.raise_for_status()
        client.headers["Authorization"] = f"Bearer {response.json()['token']}"
        return client


class ServerThread:
    """A real uvicorn server on 127.0.0.1, in a background thread."""

    def __init__(self, settings: Settings, port: int | None = None) -> None:
        self.port = port or free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(
                create_app(settings), host="127.0.0.1", port=self.port, log_level="warning"
            )
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    settings = Settings(data_dir=tmp_path / "server")
    build_company(settings)
    return settings


@pytest.fixture
def live_server(settings: Settings) -> Iterator[LiveServer]:
    server = ServerThread(settings)
    server.start()
    yield LiveServer(f"http://127.0.0.1:{server.port}", settings)
    server.stop()


def new_id() -> str:
    return uuid.uuid4().hex


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def batch(*records: dict[str, Any], sent_at: str | None = None) -> dict[str, Any]:
    return {"sent_at": sent_at or now_iso(), "records": list(records)}
