"""The SQL of reports: per-company appraisal settings and the current label serial of
each point (a reprint revokes the labels printed before it).

A mixin of `server.storage.Storage` (import `Storage` from there), kept in its own module
so that storage.py stays readable in one sitting.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import orjson
import sqlite_utils

from server import storage as _storage

__all__ = ["ReportQueries", "m006_reports", "m008_label_issues"]


def m006_reports(db: sqlite_utils.Database) -> None:
    """Each company's appraisal scheme, and each point's current label serial (who is
    rostered to a schedule is m005_admin's)."""
    db.table("appraisal_settings").create(
        {"company_id": str, "data": str, "updated_by": str, "updated_at": str}, pk="company_id"
    )
    db.table("label_serials").create(
        {"site_id": str, "point_id": str, "serial": int, "issued_by": str, "issued_at": str},
        pk=("site_id", "point_id"),
    )


def m008_label_issues(db: sqlite_utils.Database) -> None:
    """Every print of a point's label (serial, who, when), append-only; it replaces
    m006's one-row-per-point label_serials, which nothing had written yet."""
    db.table("label_issues").create(
        {"site_id": str, "point_id": str, "serial": int, "issued_by": str, "issued_at": str},
        pk=("site_id", "point_id", "serial"),
    )
    if db.table("label_serials").exists():
        db.execute(
            "insert into label_issues select site_id, point_id, serial, issued_by, issued_at"
            " from label_serials"
        )
        db.table("label_serials").drop()


class ReportQueries:
    db: sqlite_utils.Database

    # -- appraisal settings ---------------------------------------------------------------

    def appraisal_settings(self, company_id: str) -> dict[str, Any] | None:
        """The company's stored scheme as saved (None: the defaults apply)."""
        row = self.db.execute(
            "select data from appraisal_settings where company_id = ?", [company_id]
        ).fetchone()
        if row is None:
            return None
        try:
            data = orjson.loads(row[0])
        except ValueError:
            return None  # an unreadable row never breaks the appraisal: defaults apply
        return data if isinstance(data, dict) else None

    def set_appraisal_settings(
        self, company_id: str, data: dict[str, Any], user_id: str, at: datetime
    ) -> None:
        self.db.table("appraisal_settings").upsert(
            {
                "company_id": company_id,
                "data": orjson.dumps(data).decode(),
                "updated_by": user_id,
                "updated_at": _storage.iso(at),
            },
            pk="company_id",
        )

    def flagged_count(self, site_id: str, start: datetime, end: datetime) -> int:
        """How many of the site's records in [start, end) carry any flag."""
        row = self.db.execute(
            "select count(*) from records indexed by records_flagged where site_id = ?"
            " and flags <> '[]' and device_time >= ? and device_time < ?",
            [site_id, _storage.iso(start), _storage.iso(end)],
        ).fetchone()
        return int(row[0])

    # -- label prints ----------------------------------------------------------------------

    def label_issues(self, site_id: str) -> dict[str, list[tuple[int, datetime]]]:
        """Each reprinted point's (serial, issued at), oldest first. A point never
        reprinted is absent: its first print, serial 0 (RND1), is current."""
        found: dict[str, list[tuple[int, datetime]]] = {}
        for point, serial, at in self.db.execute(
            "select point_id, serial, issued_at from label_issues where site_id = ?"
            " order by point_id, serial",
            [site_id],
        ):
            found.setdefault(point, []).append((serial, datetime.fromisoformat(at)))
        return found

    def label_serials(self, site_id: str) -> dict[str, int]:
        """Each reprinted point's current serial."""
        return {p: issued[-1][0] for p, issued in self.label_issues(site_id).items()}

    def issue_labels(
        self, site_id: str, point_ids: Iterable[str], user_id: str, at: datetime
    ) -> dict[str, int]:
        """Reprint: a new serial for each point, revoking the labels printed before it.
        Each print is a new row; none is changed or deleted."""
        with self.db.atomic():
            current = self.label_serials(site_id)
            issued = {p: current.get(p, 0) + 1 for p in dict.fromkeys(point_ids)}
            self.db.table("label_issues").insert_all(
                [
                    {
                        "site_id": site_id,
                        "point_id": p,
                        "serial": s,
                        "issued_by": user_id,
                        "issued_at": _storage.iso(at),
                    }
                    for p, s in issued.items()
                ]
            )
        return issued
