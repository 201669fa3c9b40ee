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

__all__ = ["ReportQueries", "m006_reports"]


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

    # -- label serials ----------------------------------------------------------------------

    def label_serials(self, site_id: str) -> dict[str, int]:
        """Each point's current label serial (points never reprinted are absent: serial 0,
        the original RND1 label, is current)."""
        return {
            p: s
            for p, s in self.db.execute(
                "select point_id, serial from label_serials where site_id = ?", [site_id]
            )
        }

    def bump_label_serials(
        self, site_id: str, point_ids: Iterable[str], user_id: str, at: datetime
    ) -> dict[str, int]:
        """Issue a new serial for each point (revoking the labels printed before)."""
        current = self.label_serials(site_id)
        issued = {p: current.get(p, 0) + 1 for p in dict.fromkeys(point_ids)}
        with self.db.atomic():
            self.db.table("label_serials").upsert_all(
                [
                    {
                        "site_id": site_id,
                        "point_id": p,
                        "serial": s,
                        "issued_by": user_id,
                        "issued_at": _storage.iso(at),
                    }
                    for p, s in issued.items()
                ],
                pk=("site_id", "point_id"),
            )
        return issued
