"""Sync ingest over loopback HTTP, against raw sqlite3 executemany of the same rows.

    .venv/bin/python -m bench.sync_ingest [--batches 20]

Prints records/s for both and their ratio (issue 9's goal: ingest ≥ 0.5 × raw). The
server runs in its own process as deployed (WAL checkpoints in its own thread); raw
executemany is timed twice, with SQLite's automatic checkpoint (a checkpoint inside every
~7th batch's commit, as the server had until it moved them to a thread) and without.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from server.serve import ServerProcess
from server.settings import Settings
from server.storage import Storage, iso
from tests.factory import PASSWORD, build_company, label

BATCH = 500


def make_batch(start: datetime, n: int = BATCH) -> list[dict]:
    return [
        {
            "id": uuid.uuid4().hex,
            "kind": "scan",
            "site_id": "alpha",
            "point_id": f"c{i % 40 + 1:02d}",
            "payload": label("alpha", f"c{i % 40 + 1:02d}"),
            "device_time": (start + timedelta(seconds=30 * i)).isoformat(),
            "method": "qr",
            "gps": {"lat": 31.2 + (i % 40 + 1) * 0.0002, "lon": 121.4, "accuracy": 8.0},
        }
        for i in range(n)
    ]


def raw_rows(records: list[dict], now: datetime) -> list[tuple]:
    """The rows the server stores for these records, as raw executemany takes them."""
    return [
        (
            r["id"],
            "scan",
            "alpha",
            "u-guard",
            "bench",
            iso(datetime.fromisoformat(r["device_time"])),
            iso(now),
            r["point_id"],
            None,
            json.dumps(
                {"method": "qr", "payload": r["payload"], "gps": r["gps"], "round_id": None}
            ),
            "[]",
            "[]",
        )
        for r in records
    ]


def raw_baseline(path: Path, batches: list[list[dict]], checkpoints: bool = True) -> float:
    """Seconds for plain executemany of the same rows into the same schema, one commit a batch."""
    Storage(path).close()  # same tables and indexes as the server's
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA synchronous = NORMAL")
    if not checkpoints:
        db.execute("PRAGMA wal_autocheckpoint = 0")
    now = datetime.now(UTC)
    rows = [raw_rows(b, now) for b in batches]
    started = time.perf_counter()
    for chunk in rows:
        db.execute("begin")
        db.executemany(
            "insert into records (id, kind, site_id, user_id, device_id, device_time,"
            " received_at, point_id, refers_to, body, photos, flags)"
            " values (?,?,?,?,?,?,?,?,?,?,?,?)",
            chunk,
        )
        db.execute("commit")
    elapsed = time.perf_counter() - started
    db.close()
    return elapsed


def http_ingest(settings: Settings, batches: list[list[dict]]) -> float:
    server = ServerProcess(settings.data_dir).start()
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            token = client.post(
                "/api/v1/auth/login",
                json={"username": "guard", "password": PASSWORD, "device_id": "bench"},
            ).json()["token"]
            client.headers["Authorization"] = f"Bearer {token}"
            bodies = [
                json.dumps({"sent_at": datetime.now(UTC).isoformat(), "records": b})
                for b in batches
            ]
            client.post("/api/v1/sync", content=bodies[0])  # warm-up, stored once
            started = time.perf_counter()
            for body in bodies[1:]:
                response = client.post(
                    "/api/v1/sync", content=body, headers={"Content-Type": "application/json"}
                )
                results = response.json()["results"]
                assert all(r["status"] == "accepted" for r in results), results[:3]
            return time.perf_counter() - started
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batches", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "server")
        build_company(settings, checkpoints=40)
        start = datetime.now(UTC) - timedelta(days=30)
        batches = [make_batch(start + timedelta(hours=5 * i)) for i in range(args.batches + 1)]
        ingest = http_ingest(settings, batches)
        raw = raw_baseline(Path(tmp) / "raw.db", batches[1:])
        raw_quiet = raw_baseline(Path(tmp) / "raw2.db", batches[1:], checkpoints=False)
    n = BATCH * args.batches
    print(f"batches of {BATCH} records, {args.batches} batches")
    for name, seconds in (
        ("raw sqlite3 executemany", raw),
        ("  the same, no checkpoints", raw_quiet),
        ("HTTP sync ingest", ingest),
    ):
        per_batch = seconds * 1000 / args.batches
        print(f"{name:26} {n / seconds:10.0f} records/s ({per_batch:.1f} ms/batch)")
    print(f"ratio ingest/raw: {raw / ingest:.2f} (goal >= 0.5)")
    print(f"ratio ingest/raw without checkpoints: {raw_quiet / ingest:.2f}")


if __name__ == "__main__":
    main()
