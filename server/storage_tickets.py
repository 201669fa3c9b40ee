"""The SQL of tickets: the append-only follow-up events of anomaly tickets and of
rectifications (assign, comment, close, reopen), and the names the screens show.

A mixin of `server.storage.Storage` (import `Storage` from there). The table
`ticket_events` refuses updates and deletes (triggers): a step is only ever added.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import sqlite_utils

from server import storage as _storage

__all__ = ["TargetKind", "TicketEventRow", "TicketQueries", "m009_tickets"]

TargetKind = Literal["anomaly", "rectification"]
_CHUNK = 500


def m009_tickets(db: sqlite_utils.Database) -> None:
    """Follow-up events of anomaly tickets (target: the anomaly record's id) and of
    rectifications (target: '<inspection id>/<item>'), append-only."""
    db.execute(
        "create table ticket_events (id integer primary key autoincrement,"
        " site_id text not null, target_kind text not null, target_id text not null,"
        " action text not null, actor_id text not null, at text not null,"
        " assignee_id text, note text not null default '', photo text)"
    )
    db.execute(
        "create index ticket_events_target on ticket_events (site_id, target_kind, target_id, id)"
    )
    _storage.append_only(db, "ticket_events", "ticket events are append-only")


@dataclass(frozen=True, slots=True)
class TicketEventRow:
    """One stored step, exactly as stored (the domain decides what it means)."""

    id: int
    target_id: str
    action: str
    actor_id: str
    at: datetime
    assignee_id: str | None
    note: str
    photo: str | None


class TicketQueries:
    db: sqlite_utils.Database

    def add_ticket_event(
        self,
        *,
        site_id: str,
        target_kind: TargetKind,
        target_id: str,
        action: str,
        actor_id: str,
        at: datetime,
        assignee_id: str | None = None,
        note: str = "",
        photo: str | None = None,
    ) -> int:
        """Append one step; returns its id."""
        cursor = self.db.execute(
            "insert into ticket_events (site_id, target_kind, target_id, action, actor_id, at,"
            " assignee_id, note, photo) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                site_id,
                target_kind,
                target_id,
                action,
                actor_id,
                _storage.iso(at),
                assignee_id,
                note,
                photo,
            ],
        )
        return int(cursor.lastrowid or 0)

    def ticket_events(
        self, site_id: str, target_kind: TargetKind, target_ids: Sequence[str] | None = None
    ) -> dict[str, list[TicketEventRow]]:
        """The steps of each target (all of the site's targets of that kind when
        `target_ids` is None), in the order stored. A row whose time cannot be read is
        left out, so one bad row never breaks a list."""
        found: dict[str, list[TicketEventRow]] = {}
        base = (
            "select id, target_id, action, actor_id, at, assignee_id, note, photo"
            " from ticket_events where site_id = ? and target_kind = ?"
        )
        if target_ids is None:
            batches: list[tuple[str, list[str]]] = [(base + " order by id", [])]
        else:
            wanted = list(dict.fromkeys(target_ids))
            batches = []
            for i in range(0, len(wanted), _CHUNK):
                chunk = wanted[i : i + _CHUNK]
                marks = ",".join("?" * len(chunk))
                batches.append((base + f" and target_id in ({marks}) order by id", chunk))
        for sql, args in batches:
            for row_id, target, action, actor, at, assignee, note, photo in self.db.execute(
                sql, [site_id, target_kind, *args]
            ):
                try:
                    when = datetime.fromisoformat(at)
                except (TypeError, ValueError):
                    continue
                found.setdefault(target, []).append(
                    TicketEventRow(row_id, target, action, actor, when, assignee, note or "", photo)
                )
        return found

    def rectification_assignees(self, site_id: str) -> dict[str, str]:
        """Who each reassigned rectification of the site is assigned to now (the latest
        'assign' step); rectifications never reassigned are not in it."""
        return {
            target: assignee
            for target, assignee in self.db.execute(
                "select target_id, assignee_id from ticket_events where site_id = ?"
                " and target_kind = 'rectification' and action = 'assign'"
                " and assignee_id is not null order by id",
                [site_id],
            )
        }

    def rectification_assignee(self, site_id: str, rect_id: str) -> str | None:
        """Who one rectification was last reassigned to, or None if never reassigned."""
        row = self.db.execute(
            "select assignee_id from ticket_events where site_id = ?"
            " and target_kind = 'rectification' and target_id = ? and action = 'assign'"
            " and assignee_id is not null order by id desc limit 1",
            [site_id, rect_id],
        ).fetchone()
        return row[0] if row else None

    def user_names(self, site_id: str) -> dict[str, str]:
        """Names of everyone who is or was on the site (deactivated people included, so
        old tickets still show who did what)."""
        return dict(
            self.db.execute(
                "select u.id, u.name from users u join user_sites s on s.user_id = u.id"
                " where s.site_id = ?",
                [site_id],
            ).fetchall()
        )
