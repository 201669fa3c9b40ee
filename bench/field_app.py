"""The phone's hot paths: scan → saved locally, and processing a 12 MP camera photo.

    .venv/bin/python -m bench.field_app

Targets: scan saved ≤ 200 ms; photo processed ≤ 300 ms. Baselines measured in the same run:
one raw sqlite3 insert + commit with synchronous=FULL (what "saved" costs at the least),
and a bare Pillow open → thumbnail(1600) → save of the same 12 MP JPEG (goal: ratio ≤ 1.2).
"""

from __future__ import annotations

import io
import json
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PIL import Image

from app.photos import process_photo
from app.state import FieldApp
from app.store import LocalStore
from server.api.config import device_config
from server.settings import Settings
from server.storage import Storage
from tests.client.helpers import Clock, camera_photo
from tests.factory import build_company, label


def offline_app(data_dir: Path) -> FieldApp:
    """A phone that signed in once: config stored, no network needed from here."""

    settings = Settings(data_dir=data_dir / "server")
    build_company(settings, checkpoints=200)
    storage = Storage(settings.db_path)
    config = device_config(storage, storage.user_by_name("guard"), datetime.now(UTC))
    storage.close()
    store = LocalStore(data_dir / "phone")
    store.put(token="t", user=config["user"], config=config, server_url="http://127.0.0.1:9")
    return FieldApp(store, clock=Clock(datetime.now(UTC) - timedelta(hours=1)))


def bench_scans(tmp: Path) -> tuple[list[float], list[float]]:
    app = offline_app(tmp)
    app.start_round("r1")
    payloads = [label("alpha", f"c{i:02d}") for i in range(1, 200)]
    scan_ms = []
    for payload in payloads:
        started = time.perf_counter()
        app.scan_checkpoint(payload)
        scan_ms.append((time.perf_counter() - started) * 1000)
    db = sqlite3.connect(tmp / "raw.db", isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = FULL")
    db.execute("create table outbox (id text primary key, record text)")
    raw_ms = []
    for i in range(len(payloads)):
        record = json.dumps({"id": str(i), "kind": "scan", "payload": payloads[i]})
        started = time.perf_counter()
        db.execute("insert into outbox values (?, ?)", [str(i), record])
        raw_ms.append((time.perf_counter() - started) * 1000)
    return scan_ms, raw_ms


def bench_photos() -> tuple[list[float], list[float]]:
    raw = camera_photo(1, size=(4000, 3000))  # 12 MP
    process_ms, decode_ms = [], []
    for _ in range(8):
        started = time.perf_counter()
        photo = process_photo(raw, ["2026-11-25 21:03:11 湖畔花园", "车库B区 · 张伟"])
        process_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        bare = Image.open(io.BytesIO(raw))
        bare.thumbnail((1600, 1600))
        bare.save(io.BytesIO(), "JPEG", quality=82)
        decode_ms.append((time.perf_counter() - started) * 1000)
    print(
        f"12 MP camera JPEG of {len(raw) // 1024} KB → {photo.width}×{photo.height}, "
        f"{len(photo.jpeg) // 1024} KB, thumbnail {len(photo.thumbnail) // 1024} KB"
    )
    return process_ms, decode_ms


def report(name: str, measured: list[float], baseline: list[float], target: float) -> None:
    median, p95 = statistics.median(measured), sorted(measured)[int(len(measured) * 0.95) - 1]
    base = statistics.median(baseline)
    print(
        f"{name}: median {median:.1f} ms, p95 {p95:.1f} ms (target <= {target:.0f} ms); "
        f"baseline median {base:.1f} ms; ratio {median / base:.2f}"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        scan_ms, raw_ms = bench_scans(Path(tmp))
    report("scan -> saved locally", scan_ms, raw_ms, 200)
    process_ms, decode_ms = bench_photos()
    report("12 MP photo processing", process_ms, decode_ms, 300)


if __name__ == "__main__":
    main()
