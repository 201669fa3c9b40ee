"""The SQL of the coverage cache: per-day change marks of the records coverage reads.

A mixin of `server.storage.Storage` (import `Storage` from there). Migration m012 adds
`coverage_marks` and triggers that bump a (site, UTC day) counter whenever a record that
coverage reads (scan, round start/finish, review) is inserted or deleted, for the day of
its device time and, for a review or a round's finish, also for the day of the record it
refers to. The counters live in the database, so a server process sees every change any
other connection makes: `server.coverage_days` keys its in-process cache on them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlite_utils

__all__ = ["CoverageQueries", "m012_coverage_marks"]

_KINDS = "('scan', 'round_start', 'round_finish', 'review')"


def _bump(row: str) -> str:
    return (
        "insert into coverage_marks (site_id, day, seq)"
        f" values ({row}.site_id, substr({row}.device_time, 1, 10), 1)"
        " on conflict (site_id, day) do update set seq = seq + 1;"
        " insert into coverage_marks (site_id, day, seq)"
        " select site_id, substr(device_time, 1, 10), 1 from records"
        f" where id = {row}.refers_to and {row}.refers_to is not null and true"
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
        "create trigger if not exists coverage_marks_insert after insert on records"
        f" when new.kind in {_KINDS} begin {_bump('new')} end"
    )
    db.execute(
        "create trigger if not exists coverage_marks_delete after delete on records"
        f" when old.kind in {_KINDS} begin {_bump('old')} end"
    )


class CoverageQueries:
    db: sqlite_utils.Database

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
