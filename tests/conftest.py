from __future__ import annotations

import fcntl
import os
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.serve import ServerThread
from server.settings import Settings
from tests.factory import PASSWORD, build_company


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


_SERVERS = {"live_server", "server", "slow_login_server"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under mutmut (scripts/mutation.sh), which names the tests to run in no set order:
    put them back in file order (some share a module-wide server and build on each other;
    `scripts/test.sh` keeps each file in one xdist worker for the same reason), with the
    modules whose tests start no server first, since a mutant is killed by its first
    failing test and the cheap ones are the quickest to fail."""
    if "MUTANT_UNDER_TEST" in os.environ:
        serving = {
            item.module.__name__
            for item in items
            if isinstance(item, pytest.Function) and _SERVERS & set(item.fixturenames)
        }

        def place(item: pytest.Item) -> tuple[bool, str, int]:
            module = item.module.__name__ if isinstance(item, pytest.Function) else ""
            return module in serving, str(item.path), item.location[1] or 0

        items.sort(key=place)


BROWSER_LOCK = Path(tempfile.gettempdir()) / "rounds-browser-tests.lock"


@pytest.fixture(autouse=True)
def _one_browser_at_a_time(request: pytest.FixtureRequest) -> Iterator[None]:
    """Browser tests take turns across the xdist workers: two chromiums at once on two
    cores starve each other's waits. Other tests run beside them as before."""
    if request.node.get_closest_marker("browser") is None:
        yield
        return
    with BROWSER_LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    settings = Settings(data_dir=tmp_path / "server")
    build_company(settings)
    return settings


@pytest.fixture
def live_server(settings: Settings) -> Iterator[LiveServer]:
    server = ServerThread(settings).start()
    yield LiveServer(server.url, settings)
    server.stop()


def new_id() -> str:
    return uuid.uuid4().hex


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def batch(*records: dict[str, Any], sent_at: str | None = None) -> dict[str, Any]:
    return {"sent_at": sent_at or now_iso(), "records": list(records)}


def inspection(results: dict[str, str], photos: dict[str, list[str]], **kw: Any) -> dict[str, Any]:
    """An inspection record of the test site's lobby against the default 六清三无."""
    return {
        "id": new_id(),
        "kind": "inspection",
        "site_id": "alpha",
        "device_time": now_iso(),
        "point_id": "a01",
        "template_id": "six-clean-three-none",
        "template_version": 1,
        "results": results,
        "item_photos": photos,
        **kw,
    }


ALL_PASS = dict.fromkeys(
    (
        "floor",
        "walls",
        "glass",
        "handrails",
        "fixtures",
        "bins",
        "no_clutter",
        "no_flyers",
        "no_cobwebs",
    ),
    "pass",
)
