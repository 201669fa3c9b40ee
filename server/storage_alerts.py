"""The SQL of the live view's alerts: acknowledgements (append-only) and which sites exist.

A mixin of `server.storage.Storage` (import `Storage` from there).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlite_utils

from server import storage as _storage

__all__ = ["AckRow", "AlertQueries"]


@dataclass(frozen=True, slots=True)
class AckRow:
    alert_key: str
    user_id: str
    at: datetime
    comment: str


class AlertQueries:
    db: sqlite_utils.Database

    def add_alert_ack(
        self, *, site_id: str, alert_key: str, user_id: str, at: datetime, comment: str
    ) -> None:
        self.db.execute(
            "insert into alert_acks (site_id, alert_key, user_id, at, comment)"
            " values (?, ?, ?, ?, ?)",
            [site_id, alert_key, user_id, _storage.iso(at), comment],
        )

    def alert_acks(self, site_id: str, keys: Sequence[str]) -> dict[str, AckRow]:
        """The latest acknowledgement of each of `keys` that has one."""
        found: dict[str, AckRow] = {}
        wanted = list(dict.fromkeys(keys))
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for key, user, at, comment in self.db.execute(
                "select alert_key, user_id, at, comment from alert_acks"
                f" where site_id = ? and alert_key in ({marks}) order by id",
                [site_id, *chunk],
            ):
                found[key] = AckRow(key, user, datetime.fromisoformat(at), comment)
        return found

    def all_site_ids(self) -> list[str]:
        return [r[0] for r in self.db.execute("select id from sites order by id")]
