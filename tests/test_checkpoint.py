"""WAL checkpoints run in the server's own thread, not inside a request's commit: the
records still reach the database file, and every accepted record survives."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import httpx

from server.checkpoint import WalCheckpointer
from server.ingest import ingest_batch
from server.serve import ServerThread
from server.settings import Settings
from server.storage import Storage
from tests.conftest import batch
from tests.factory import PASSWORD
from tests.test_sync import scan


def _records_in_main_file(db_path: Path, tmp_path: Path) -> int:
    """Records in the database file alone, as if its WAL were lost."""
    copy = tmp_path / "copy.db"
    shutil.copyfile(db_path, copy)
    with sqlite3.connect(copy) as db:
        return db.execute("select count(*) from records").fetchone()[0]


def _sync(storage: Storage, n: int) -> None:
    guard = storage.user_by_name("guard")
    assert guard is not None
    for _ in range(n):
        results = ingest_batch(
            storage, guard, "d", batch(scan("c01"), scan("c02")), datetime.now(UTC)
        )
        assert [r["status"] for r in results] == ["accepted", "accepted"]


def test_deferred_checkpoints_leave_commits_in_the_wal_until_the_thread_copies_them(
    settings: Settings, tmp_path: Path
) -> None:
    storage = Storage(settings.db_path)
    storage.defer_checkpoints()
    before = _records_in_main_file(settings.db_path, tmp_path)
    _sync(storage, 30)
    # Committed (another connection sees them) but not yet in the database file.
    with sqlite3.connect(settings.db_path) as other:
        assert other.execute("select count(*) from records").fetchone()[0] == before + 60
    assert _records_in_main_file(settings.db_path, tmp_path) == before
    checkpointer = WalCheckpointer(settings.db_path, interval=3600).start()
    checkpointer.stop()  # the last round runs on stop
    assert checkpointer.checkpoints == 1
    assert _records_in_main_file(settings.db_path, tmp_path) == before + 60
    storage.close()


def test_the_server_leaves_checkpoints_to_its_thread(settings: Settings, tmp_path: Path) -> None:
    server = ServerThread(settings).start()
    try:
        storage = server.server.config.app.state.storage
        (pages,) = storage.db.conn.execute("PRAGMA wal_autocheckpoint").fetchone()
        assert pages == 20_000  # only a backstop
        with httpx.Client(base_url=server.url) as client:
            body = {"username": "guard", "password": PASSWORD, "device_id": "d"}
            token = client.post("/api/v1/auth/login", json=body).json()["token"]
            client.headers["Authorization"] = f"Bearer {token}"
            for _ in range(5):
                client.post("/api/v1/sync", json=batch(scan("c01"))).raise_for_status()
    finally:
        server.stop()  # the thread's last round, then the connection closes
    assert _records_in_main_file(settings.db_path, tmp_path) == 5
    with sqlite3.connect(settings.db_path) as db:  # a tool's connection: SQLite's default
        assert db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000
