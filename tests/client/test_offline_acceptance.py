"""Acceptance: a 20-checkpoint round with photos, walked entirely offline, the app killed
halfway; then the server comes back and sync runs twice."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import httpx

from domain.coverage import round_key
from server.serve import ServerThread
from tests.client.helpers import field_app, round_due
from tests.factory import PASSWORD

ROOT = Path(__file__).resolve().parents[2]


def walk(
    data_dir: Path, due: datetime, first: int, last: int, die: bool
) -> subprocess.CompletedProcess:
    args = [
        sys.executable,
        "-m",
        "tests.client.walker",
        str(data_dir),
        due.isoformat(),
        str(first),
        str(last),
    ] + (["--die"] if die else [])
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_offline_round_survives_a_kill_and_syncs_exactly_once(settings, tmp_path):
    phone = tmp_path / "phone"
    server = ServerThread(settings).start()
    app = field_app(phone)
    asyncio.run(app.login(server.url, "guard", PASSWORD))
    server.stop()  # the guard walks into the basement: no network from here on

    due = round_due(hours_back=4)  # walked on the phone's own (offline) clock
    first_half = walk(phone, due, 1, 10, die=True)
    assert first_half.returncode == -9, first_half.stderr  # killed, not finished
    assert first_half.stdout.count("saved") == 10
    second_half = walk(phone, due, 11, 20, die=False)
    assert second_half.returncode == 0, second_half.stderr
    assert "finished" in second_half.stdout

    status = app.status()
    assert status.pending == 1 + 20 * 2 + 1 and status.photos_waiting == 20

    server = ServerThread(settings, port=server.port).start()  # back in signal
    try:
        first, second = asyncio.run(app.sync()), asyncio.run(app.sync())
        assert first.sent == 42 and first.rejected == [] and second.sent == 0
        with sqlite3.connect(settings.db_path) as db:
            scans = db.execute("select point_id from records where kind = 'scan'").fetchall()
            photos = db.execute("select count(*) from photos").fetchone()[0]
            ids = db.execute("select count(*), count(distinct id) from records").fetchone()
        assert sorted(p for (p,) in scans) == [f"c{i:02d}" for i in range(1, 21)]
        assert photos == 20 and ids == (42, 42)
        assert (
            all((settings.blob_dir).rglob("*"))
            and len([p for p in settings.blob_dir.rglob("*") if p.is_file()]) == 20
        )

        manager = httpx.Client(base_url=server.url)
        token = manager.post(
            "/api/v1/auth/login",
            json={"username": "manager", "password": PASSWORD, "device_id": "m"},
        ).json()["token"]
        report = manager.get(
            "/api/v1/sites/alpha/coverage",
            headers={"Authorization": f"Bearer {token}"},
            params={
                "start": (due - timedelta(minutes=1)).isoformat(),
                "end": (due + timedelta(minutes=1)).isoformat(),
            },
        ).json()
        [summary] = [r for r in report["rounds"] if r["key"] == round_key("s1", due)]
        assert (summary["state"], summary["done"]) == ("completed", 20)
        assert {v["status"] for v in report["visits"]} == {"on_time"}
    finally:
        server.stop()
