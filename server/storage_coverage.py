"""The SQL of the coverage cache: per-day change marks of the records coverage reads.

A mixin of `server.storage.Storage` (import `Storage` from there). Migration m012 adds
`coverage_marks`, a (site, UTC day) counter bumped whenever a record that coverage reads
(scan, round start/finish, review) is inserted or deleted, for the day of its device
time and, for a review or a round's finish, also for the day of the record it refers to.
Inserts bump it in `Storage.insert_records`' transaction (the only way records are
added; once per site-day of a batch, cheaper than a trigger per row), deletes (records
set aside) through triggers. The counters live in the database, so a server process sees
every change any other connection makes: `server.coverage_days` keys its in-process
cache on them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import sqlite_utils

__all__ = ["CoverageQueries", "m012_coverage_marks"]

_KINDS = "('scan', 'round_start', 'round_finish', 'review')"
_KIND_SET = frozenset(("scan", "round_start", "round_finish", "review"))


def _bump_own(row: str) -> str:
    return (
        "insert into coverage_marks (site_id, day, seq)"
        f" values ({row}.site_id, substr({row}.device_time, 1, 10), 1)"
        " on conflict (site_id, day) do update set seq = seq + 1;"
    )


def _bump_referred(row: str) -> str:
    return (
        "insert into coverage_marks (site_id, day, seq)"
        " select site_id, substr(device_time, 1, 10), 1 from records"
        f" where id = {row}.refers_to and true"
        " on conflict (site_id, day) do update set seq = seq + 1;"
    )


def m012_coverage_marks(db: sqlite_utils.Database) -> None:
    db.execute(
        "create table if not exists coverage_marks (site_id text not null, day text not null,"
        " seq integer not null, primary key (site_id, day)) without rowid"
    )
    db.execute(
        "insert or replace into coverage_marks (site_id, day, seq)"
        " select site_id, substr(device_time, 1, 10), count(*) from records"
        f" where kind in {_KINDS} group by 1, 2"
    )
    db.execute(
        "create trigger if not exists coverage_marks_delete after delete on records"
        f" when old.kind in {_KINDS} begin {_bump_own('old')} end"
    )
    # a review or a round's finish changes the day of the record it refers to
    db.execute(
        "create trigger if not exists coverage_marks_delete_referred after delete on records"
        " when old.kind in ('review', 'round_finish') and old.refers_to is not null"
        f" begin {_bump_referred('old')} end"
    )


class CoverageQueries:
    db: sqlite_utils.Database

    def _mark_coverage_days(self, rows: Sequence[Sequence[Any]]) -> None:
        """Bump the marks of the days these just-inserted record rows touch: (id, kind,
        site id, user, device, device time ISO, received, point, refers_to, ...)."""
        days: Counter[tuple[str, str]] = Counter()
        referred: list[str] = []
        for row in rows:
            kind = row[1]
            if kind in _KIND_SET:
                days[(row[2], row[5][:10])] += 1
                if row[8] and kind in ("review", "round_finish"):
                    referred.append(row[8])
        for i in range(0, len(referred), 500):
            chunk = referred[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for site_id, day in self.db.execute(
                f"select site_id, substr(device_time, 1, 10) from records where id in ({marks})",
                chunk,
            ):
                days[(site_id, day)] += 1
        if days:
            self.db.conn.executemany(
                "insert into coverage_marks (site_id, day, seq) values (?, ?, ?)"
                " on conflict (site_id, day) do update set seq = seq + excluded.seq",
                [(site, day, n) for (site, day), n in days.items()],
            )

    def coverage_marks(self, site_id: str, start: datetime, end: datetime) -> dict[str, int]:
        """UTC day (YYYY-MM-DD) → change counter of the site's coverage records of that day,
        for the days from `start`'s to `end`'s (inclusive). A day with no such record is
        absent; any insert or delete of one moves its counter."""
        lo: date = start.astimezone(UTC).date()
        hi: date = end.astimezone(UTC).date()
        return dict(
            self.db.execute(
                "select day, seq from coverage_marks where site_id = ? and day >= ? and day <= ?",
                [site_id, lo.isoformat(), hi.isoformat()],
            ).fetchall()
        )
