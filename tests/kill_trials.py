"""kill -9 trials: the server killed mid-sync, the phone killed mid-write.

    .venv/bin/python -m tests.kill_trials [--trials 100] [--seed 1]

Server trials: a phone (the real app's outbox and sync) pushes a few hundred records
while the server process gets SIGKILL at a random moment; the server is started again
and the phone syncs until its outbox is empty. Afterwards every record the phone made is
stored exactly once and every site's hash chain is intact.

Phone trials: a phone process commits records with photos to its local store and is
killed with SIGKILL at a random moment; every record it reported saved must be in the
outbox, with its photo whole, and the store must pass SQLite's integrity check.

The test suite runs a few of each (tests/test_kill.py); this command runs many.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import random
import sqlite3
import subprocess
import sys
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.store import LocalStore
from server.integrity import verify
from server.serve import ServerProcess
from server.settings import Settings
from server.storage import Storage
from tests.client.helpers import field_app
from tests.factory import PASSWORD, build_company, label

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class TrialReport:
    trials: int = 0
    kills: int = 0
    interrupted: int = 0  # kills that landed while a sync or a write was under way
    records: int = 0
    lost: int = 0
    doubled: int = 0
    broken_chains: int = 0

    def line(self, what: str) -> str:
        return (
            f"{what}: {self.trials} trials, {self.kills} kills ({self.interrupted} mid-way),"
            f" {self.records} records, {self.lost} lost, {self.doubled} doubled,"
            f" {self.broken_chains} broken chains"
        )


def _scan(rng: random.Random, at: datetime) -> dict[str, object]:
    point = f"c{rng.randrange(1, 21):02d}"
    return {
        "id": uuid.uuid4().hex,
        "kind": "scan",
        "site_id": "alpha",
        "device_time": at.isoformat(),
        "point_id": point,
        "payload": label("alpha", point),
        "method": "qr",
    }


def server_kill_trials(workdir: Path, trials: int, seed: int = 1) -> TrialReport:
    rng, report = random.Random(seed), TrialReport()
    settings = Settings(data_dir=workdir / "server")
    build_company(settings)
    server = ServerProcess(settings.data_dir).start()
    app = field_app(workdir / "phone")
    made: list[str] = []
    try:
        asyncio.run(app.login(server.url, "guard", PASSWORD))
        for _ in range(trials):
            start = datetime.now(UTC) - timedelta(hours=2)
            for i in range(rng.randrange(50, 400)):
                record = _scan(rng, start + timedelta(seconds=10 * i))
                app.store.add_record(record)
                made.append(str(record["id"]))
            killer = threading.Timer(rng.uniform(0.0, 0.25), server.kill)
            killer.start()
            first = asyncio.run(app.sync())
            killer.join()
            report.trials += 1
            report.kills += 1
            report.interrupted += first is None
            for _attempt in range(20):
                if app.store.count("pending") == 0:
                    break
                if not server.alive():
                    server.start()
                asyncio.run(app.sync())
            if not server.alive():
                server.start()
        server.stop()
        storage = Storage(settings.db_path)
        try:
            rows = storage.db.execute("select id, count(*) from records group by id").fetchall()
            stored = {i: n for i, n in rows}
            report.records = len(made)
            report.lost = sum(1 for i in made if i not in stored)
            report.doubled = sum(n - 1 for n in stored.values()) + len(set(stored) - set(made))
            report.broken_chains = sum(1 for c in verify(storage) if c.broken)
        finally:
            storage.close()
    finally:
        server.stop()
        app.store.close()
    return report


def write_records(data_dir: Path, count: int) -> None:
    """The phone side of a phone trial: commit records with photos, say each one saved."""
    store = LocalStore(data_dir)
    rng = random.Random()
    at = datetime.now(UTC)
    for i in range(count):
        jpeg = rng.randbytes(20_000)
        sha = hashlib.sha256(jpeg).hexdigest()
        store.save_photo(sha, jpeg, jpeg[:2000], "alpha", at)
        record = _scan(rng, at + timedelta(seconds=i)) | {"photos": [sha]}
        store.add_record(record, [sha])
        print(record["id"], sha, flush=True)


def phone_kill_trials(workdir: Path, trials: int, seed: int = 1) -> TrialReport:
    rng, report = random.Random(seed), TrialReport()
    for trial in range(trials):
        data_dir = workdir / f"phone-{trial}"
        data_dir.mkdir(parents=True)
        LocalStore(data_dir).close()  # migrations done before the clock starts
        command = [sys.executable, "-m", "tests.kill_trials", "--write", str(data_dir)]
        child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        assert child.stdout is not None
        saved: list[tuple[str, str]] = []
        stop_after = rng.randrange(1, 60)
        for line in child.stdout:
            saved.append(tuple(line.split()))  # type: ignore[arg-type]
            if len(saved) >= stop_after:
                break
        child.kill()
        finished = child.wait(10) == 0
        report.trials += 1
        report.kills += 1
        report.interrupted += not finished
        report.records += len(saved)
        with sqlite3.connect(data_dir / "rounds-app.db") as db:
            if db.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                report.lost += len(saved)
                continue
            outbox = dict(db.execute("select id, photos from outbox").fetchall())
        for record_id, sha in saved:
            photo = data_dir / "photos" / f"{sha}.jpg"
            whole = photo.exists() and hashlib.sha256(photo.read_bytes()).hexdigest() == sha
            if record_id not in outbox or not whole:
                report.lost += 1
    return report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--write", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.write:
        write_records(args.write, 100_000)
        return
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        server = server_kill_trials(Path(tmp) / "s", args.trials, args.seed)
        print(server.line("server kill -9 mid-sync"), flush=True)
        phone = phone_kill_trials(Path(tmp) / "p", args.trials, args.seed)
        print(phone.line("phone kill -9 mid-write"))
    bad = server.lost + server.doubled + server.broken_chains + phone.lost + phone.doubled
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
