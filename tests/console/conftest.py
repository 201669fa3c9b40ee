from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from server.serve import ServerThread
from server.settings import Settings
from tests.console.scenario import PASSWORD, Scenario, build


@pytest.fixture
def scenario(tmp_path: Path) -> Scenario:
    return build(Settings(data_dir=tmp_path / "server"))


class Live:
    def __init__(self, url: str, scenario: Scenario) -> None:
        self.url, self.scenario = url, scenario

    def login(self, username: str) -> httpx.Client:
        client = httpx.Client(base_url=self.url, timeout=30)
        r = client.post(
            "/api/v1/auth/login",
            json={"username": username, "password": PASSWORD, "device_id": f"d-{username}"},
        )
        r.raise_for_status()
        client.headers["Authorization"] = f"Bearer {r.json()['token']}"
        return client


@pytest.fixture
def live(scenario: Scenario) -> Iterator[Live]:
    server = ServerThread(scenario.settings).start()
    yield Live(server.url, scenario)
    server.stop()
