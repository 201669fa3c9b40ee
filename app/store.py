"""The phone's local store: session, config, the outbox of records, and photos.

Everything the user sees as "saved" is in this SQLite file (WAL, synchronous=FULL, so a
commit survives the app being killed) or in a photo file written and fsynced before its
record. Records stay after they are sent (marked sent) so today's progress can be shown
from them; `prune` drops sent records after a few days.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlite_utils
from sqlite_utils.migrations import Migrations

__all__ = ["PENDING", "REJECTED", "SENT", "LocalStore", "OutboxRecord"]

PENDING, SENT, REJECTED = "pending", "sent", "rejected"
migrations = Migrations("rounds-app")


@migrations()
def m001_initial(db: sqlite_utils.Database) -> None:
    db.table("settings").create({"key": str, "value": str}, pk="key")
    db.table("outbox").create(
        {
            "seq": int,
            "id": str,
            "kind": str,
            "site_id": str,
            "device_time": str,
            "record": str,
            "photos": str,
            "status": str,
            "reason": str,
            "sent_at": str,
        },
        pk="seq",
    )
    db.table("outbox").create_index(["id"], unique=True)
    db.table("outbox").create_index(["status", "seq"])
    db.table("photos").create(
        {"sha": str, "site_id": str, "taken_at": str, "uploaded": int}, pk="sha"
    )


@dataclass(frozen=True, slots=True)
class OutboxRecord:
    seq: int
    id: str
    kind: str
    site_id: str
    device_time: datetime
    record: dict[str, Any]
    photos: list[str]
    status: str
    reason: str


class LocalStore:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.photo_dir = data_dir / "photos"
        self.photo_dir.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(
            data_dir / "rounds-app.db", isolation_level=None, check_same_thread=False
        )
        conn.execute("PRAGMA busy_timeout = 5000")
        self.db = sqlite_utils.Database(conn)
        self.db.enable_wal()
        conn.execute("PRAGMA synchronous = FULL")
        migrations.apply(self.db)

    def close(self) -> None:
        self.db.close()

    # -- settings (session, config, sync status) ---------------------------------------

    def get(self, key: str, default: Any = None) -> Any:
        rows = list(self.db.execute("select value from settings where key = ?", [key]))
        return json.loads(rows[0][0]) if rows else default

    def put(self, **values: Any) -> None:
        with self.db.atomic():
            for key, value in values.items():
                self.db.execute(
                    "insert or replace into settings (key, value) values (?, ?)",
                    [key, json.dumps(value, ensure_ascii=False)],
                )

    def forget(self, *keys: str) -> None:
        marks = ",".join("?" * len(keys))
        self.db.execute(f"delete from settings where key in ({marks})", list(keys))

    # -- outbox ---------------------------------------------------------------------------

    def add_record(self, record: dict[str, Any], photos: Iterable[str] = ()) -> None:
        """Commit one record made on this device; its photos must be saved already."""
        self.db.execute(
            "insert into outbox (id, kind, site_id, device_time, record, photos, status)"
            " values (?, ?, ?, ?, ?, ?, ?)",
            [
                record["id"],
                record["kind"],
                record["site_id"],
                record["device_time"],
                json.dumps(record, ensure_ascii=False),
                json.dumps(list(photos)),
                PENDING,
            ],
        )

    def pending(self, limit: int = 200) -> list[OutboxRecord]:
        return self._records("status = ? order by seq limit ?", [PENDING, limit])

    def count(self, status: str) -> int:
        return self.db.execute("select count(*) from outbox where status = ?", [status]).fetchone()[
            0
        ]

    def records(
        self, site_id: str, since: datetime, kinds: Iterable[str] = ()
    ) -> list[OutboxRecord]:
        """Records made here since `since`, sent or not, oldest first."""
        kinds = list(kinds)
        where = "site_id = ? and device_time >= ? and status != ?"
        args: list[Any] = [site_id, since.astimezone(UTC).isoformat(), REJECTED]
        if kinds:
            where += f" and kind in ({','.join('?' * len(kinds))})"
            args += kinds
        return self._records(where + " order by device_time, seq", args)

    def rejected(self) -> list[OutboxRecord]:
        return self._records("status = ? order by seq", [REJECTED])

    def mark(self, results: list[dict[str, Any]], at: datetime) -> None:
        """Apply the server's per-record results: accepted and duplicate are both sent."""
        with self.db.atomic():
            for result in results:
                status = REJECTED if result["status"] == "rejected" else SENT
                self.db.execute(
                    "update outbox set status = ?, reason = ?, sent_at = ? where id = ?",
                    [status, result.get("reason", ""), at.isoformat(), result["id"]],
                )

    def prune(self, older_than: timedelta, now: datetime) -> int:
        cutoff = (now - older_than).isoformat()
        cursor = self.db.execute(
            "delete from outbox where status = ? and sent_at < ?", [SENT, cutoff]
        )
        return cursor.rowcount

    def _records(self, where: str, args: list[Any]) -> list[OutboxRecord]:
        return [
            OutboxRecord(
                r[0],
                r[1],
                r[2],
                r[3],
                datetime.fromisoformat(r[4]),
                json.loads(r[5]),
                json.loads(r[6]),
                r[7],
                r[8] or "",
            )
            for r in self.db.execute(
                "select seq, id, kind, site_id, device_time, record, photos, status, reason"
                f" from outbox where {where}",
                args,
            )
        ]

    # -- photos ---------------------------------------------------------------------------

    def photo_path(self, sha: str, thumb: bool = False) -> Path:
        return self.photo_dir / (f"{sha}.thumb.jpg" if thumb else f"{sha}.jpg")

    def save_photo(self, sha: str, jpeg: bytes, thumb: bytes, site_id: str, at: datetime) -> None:
        """Write both files durably, then note the photo; a crash leaves no half photo."""
        for path, data in ((self.photo_path(sha), jpeg), (self.photo_path(sha, True), thumb)):
            if not path.exists():
                _write_durably(path, data)
        self.db.execute(
            "insert or ignore into photos (sha, site_id, taken_at, uploaded) values (?, ?, ?, 0)",
            [sha, site_id, at.isoformat()],
        )

    def photos_to_upload(self, shas: Iterable[str]) -> list[tuple[str, str]]:
        """(sha, site id) of the given photos that the server has not confirmed yet."""
        wanted = list(set(shas))
        if not wanted:
            return []
        marks = ",".join("?" * len(wanted))
        return [
            (r[0], r[1])
            for r in self.db.execute(
                f"select sha, site_id from photos where uploaded = 0 and sha in ({marks})", wanted
            )
        ]

    def mark_uploaded(self, sha: str) -> None:
        self.db.execute("update photos set uploaded = 1 where sha = ?", [sha])

    def count_photos_waiting(self) -> int:
        return self.db.execute("select count(*) from photos where uploaded = 0").fetchone()[0]


def _write_durably(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
