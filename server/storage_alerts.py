"""The SQL of the live view's alerts: acknowledgements (append-only) and which sites exist.

A mixin of `server.storage.Storage` (import `Storage` from there).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlite_utils

from server import storage as _storage

__all__ = ["AckRow", "AlertQueries", "m010_alert_pushes"]


def m010_alert_pushes(db: sqlite_utils.Database) -> None:
    """One row per alert a robot answered 2xx for (append-only: a push cannot be unsent)."""
    db.execute(
        "create table alert_pushes (site_id text not null, alert_key text not null,"
        " pushed_at text not null, primary key (site_id, alert_key))"
    )
    _storage.append_only(db, "alert_pushes", "pushed alerts are append-only")


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

    def add_alert_pushes(self, site_id: str, keys: Sequence[str], at: datetime) -> None:
        """Remember that `keys` reached the site's robot (a key pushed before is kept)."""
        self.db.conn.executemany(
            "insert or ignore into alert_pushes (site_id, alert_key, pushed_at) values (?, ?, ?)",
            [(site_id, key, _storage.iso(at)) for key in dict.fromkeys(keys)],
        )

    def pushed_alert_keys(self, site_id: str, keys: Sequence[str]) -> set[str]:
        """Those of `keys` already pushed to the site's robot."""
        wanted = list(dict.fromkeys(keys))
        found: set[str] = set()
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            marks = ",".join("?" * len(chunk))
            found.update(
                r[0]
                for r in self.db.execute(
                    "select alert_key from alert_pushes"
                    f" where site_id = ? and alert_key in ({marks})",
                    [site_id, *chunk],
                )
            )
        return found
