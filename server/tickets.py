"""Anomaly tickets: every anomaly a guard reports, followed up until closed.

The read model behind the API (`server/api/tickets.py`) and the console's tickets screen.
A ticket is an anomaly record (never changed) plus its append-only follow-up events
(`ticket_events`); `domain.tickets` replays them. Callers check permissions first
(`server.access`); everything here is scoped to one site.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Literal

from domain.tickets import (
    MAX_TICKET_NOTE_CHARS,
    Ticket,
    TicketAction,
    TicketEvent,
    TicketStatus,
    event_refusal,
    response_target,
    ticket_state,
)
from domain.trust import voids_follow_up
from domain.wire import RecordKind
from server.storage import Storage, StoredRecord, UserRow
from server.storage_tickets import TicketEventRow

__all__ = [
    "StatusFilter",
    "TicketRefused",
    "add_ticket_event",
    "domain_events",
    "ticket_detail",
    "ticket_list",
    "ticket_states",
]

StatusFilter = Literal["open", "in_progress", "closed", "void", "active", "all"]
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class TicketRefused(ValueError):
    """A follow-up step that cannot be recorded as given; the message says why.
    `status` is 409 when the ticket's state refuses it, 422 when the step is incomplete."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


def domain_events(rows: Iterable[TicketEventRow]) -> list[TicketEvent]:
    """Stored steps as domain events; a step with an unknown action is left out."""
    out = []
    for row in rows:
        try:
            action = TicketAction(row.action)
        except ValueError:
            continue
        out.append(TicketEvent(action, row.actor_id, row.at, row.assignee_id, row.note, row.photo))
    return out


def _anomalies(
    storage: Storage, site_id: str, since: datetime | None, until: datetime | None
) -> list[StoredRecord]:
    return list(storage.records(site_id, [RecordKind.ANOMALY], since, until))


def ticket_states(
    storage: Storage, site_id: str, anomalies: list[StoredRecord], now: datetime
) -> dict[str, Ticket]:
    """Each anomaly's ticket as its events leave it, judged at `now` (for lists and for
    figures such as the appraisal's anomalies closed and the dashboards' time to close)."""
    response = response_target(storage.site_settings_json(site_id))
    events = storage.ticket_events(site_id, "anomaly", [a.id for a in anomalies])
    void = _void(storage, site_id, anomalies)
    return {
        a.id: ticket_state(
            a.device_time,
            domain_events(events.get(a.id, [])),
            response,
            now,
            void=a.id in void,
        )
        for a in anomalies
    }


def _void(storage: Storage, site_id: str, anomalies: list[StoredRecord]) -> set[str]:
    """The anomalies a reviewer rejected: their tickets are void (domain.trust)."""
    flagged = [a for a in anomalies if a.flags]
    if not flagged:
        return set()
    reviews = storage.latest_reviews(site_id, [a.id for a in flagged])
    return {a.id for a in flagged if voids_follow_up(a.flags, reviews.get(a.id))}


def _ticket_json(
    record: StoredRecord, ticket: Ticket, names: Mapping[str, str], points: Mapping[str, str]
) -> dict[str, Any]:
    body = record.body
    return {
        "id": record.id,
        "reported_at": record.device_time.isoformat(),
        "received_at": record.received_at.isoformat(),
        "reporter_id": record.user_id,
        "reporter_name": names.get(record.user_id, record.user_id),
        "point_id": record.point_id,
        "point_name": points.get(record.point_id or "", record.point_id or ""),
        "category": str(body.get("category") or ""),
        "note": str(body.get("note") or ""),
        "photos": list(record.photos),
        "scan_id": record.refers_to,
        "flags": list(record.flags),
        "status": ticket.status.value,
        "assignee_id": ticket.assignee_id,
        "assignee_name": names.get(ticket.assignee_id, ticket.assignee_id)
        if ticket.assignee_id
        else None,
        "due": ticket.due.isoformat(),
        "overdue": ticket.overdue,
        "closed_at": ticket.closed_at.isoformat() if ticket.closed_at else None,
        "closed_by": ticket.closed_by,
        "closing_photo": ticket.closing_photo,
        "hours_to_close": ticket.hours_to_close,
        "reopened": ticket.reopened,
        "comments": ticket.comments,
    }


def _matches(
    item: dict[str, Any],
    status: StatusFilter,
    assignee_id: str | None,
    overdue: bool | None,
    category: str | None,
    mine: str | None,
) -> bool:
    if status == "active" and item["status"] in (TicketStatus.CLOSED, TicketStatus.VOID):
        return False
    if status not in ("active", "all") and item["status"] != status:
        return False
    if assignee_id is not None and item["assignee_id"] != assignee_id:
        return False
    if overdue is not None and item["overdue"] != overdue:
        return False
    if category is not None and item["category"] != category:
        return False
    return mine is None or mine in (item["reporter_id"], item["assignee_id"])


def ticket_list(
    storage: Storage,
    site_id: str,
    now: datetime,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    status: StatusFilter = "active",
    assignee_id: str | None = None,
    overdue: bool | None = None,
    category: str | None = None,
    mine: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> dict[str, Any]:
    """The site's tickets reported in [since, until), filtered, not closed and overdue
    first then newest first; `mine` keeps those a person reported or is assigned.

    `counts` tallies the period's tickets by status (and overdue among the not closed)
    before the status, assignee and overdue filters, for the screen's tabs.
    """
    anomalies = _anomalies(storage, site_id, since, until)
    states = ticket_states(storage, site_id, anomalies, now)
    names = storage.user_names(site_id)
    points = {p.id: p.name for p in storage.points(site_id)}
    items = [_ticket_json(a, states[a.id], names, points) for a in anomalies]
    counts = {s.value: 0 for s in TicketStatus} | {"overdue": 0}
    for item in items:
        if mine is None or mine in (item["reporter_id"], item["assignee_id"]):
            counts[item["status"]] += 1
            counts["overdue"] += item["overdue"] and item["status"] != TicketStatus.CLOSED
    chosen = [i for i in items if _matches(i, status, assignee_id, overdue, category, mine)]
    chosen.sort(key=lambda i: i["reported_at"], reverse=True)
    done = (TicketStatus.CLOSED, TicketStatus.VOID)
    chosen.sort(
        key=lambda i: (i["status"] in done, i["status"] == TicketStatus.VOID, not i["overdue"])
    )
    page = chosen[offset : offset + limit]
    return {"data": page, "count": len(page), "total": len(chosen), "counts": counts}


def ticket_detail(
    storage: Storage, site_id: str, ticket_id: str, now: datetime
) -> dict[str, Any] | None:
    """One ticket with its follow-up history, oldest step first; None when the site has
    no such anomaly (another site's answers exactly like a missing one)."""
    record = storage.site_record(site_id, ticket_id)
    if record is None or record.kind != RecordKind.ANOMALY:
        return None
    rows = storage.ticket_events(site_id, "anomaly", [record.id]).get(record.id, [])
    response = response_target(storage.site_settings_json(site_id))
    void = record.id in _void(storage, site_id, [record])
    ticket = ticket_state(record.device_time, domain_events(rows), response, now, void=void)
    names = storage.user_names(site_id)
    points = {p.id: p.name for p in storage.points(site_id)}
    item = _ticket_json(record, ticket, names, points)
    item["closed_by_name"] = names.get(ticket.closed_by or "", ticket.closed_by)
    item["gps"] = record.body.get("gps")
    item["events"] = [
        {
            "id": row.id,
            "action": row.action,
            "actor_id": row.actor_id,
            "actor_name": names.get(row.actor_id, row.actor_id),
            "at": row.at.isoformat(),
            "assignee_id": row.assignee_id,
            "assignee_name": names.get(row.assignee_id, row.assignee_id)
            if row.assignee_id
            else None,
            "note": row.note,
            "photo": row.photo,
        }
        for row in sorted(rows, key=lambda r: (r.at, r.id))
    ]
    return item


def add_ticket_event(
    storage: Storage,
    site_id: str,
    ticket_id: str,
    *,
    actor: UserRow,
    action: str,
    now: datetime,
    note: str = "",
    assignee_id: str | None = None,
    photo: str | None = None,
) -> dict[str, Any]:
    """Record one follow-up step of a ticket as a new event row; returns the ticket as it
    now stands.

    Raises KeyError when the site has no such anomaly, TicketRefused when the step cannot
    be recorded (unknown action, a note over 1000 characters, an assignee who is not an
    active member of the site, a photo not uploaded to the site, or a step the ticket's
    state refuses: see `domain.tickets.event_refusal`).
    """
    record = storage.site_record(site_id, ticket_id)
    if record is None or record.kind != RecordKind.ANOMALY:
        raise KeyError(ticket_id)
    try:
        kind = TicketAction(action)
    except ValueError as exc:
        raise TicketRefused("action must be assign, comment, close or reopen") from exc
    note = (note or "").strip()
    if len(note) > MAX_TICKET_NOTE_CHARS:
        raise TicketRefused(f"the note is longer than {MAX_TICKET_NOTE_CHARS} characters")
    if kind is not TicketAction.ASSIGN:
        assignee_id = None
    elif assignee_id not in {u["id"] for u in storage.site_users(site_id)}:
        raise TicketRefused("assign the ticket to an active member of this site")
    if kind is not TicketAction.CLOSE:
        photo = None
    elif photo is not None and (
        not _SHA256.match(photo) or not storage.photos_on_site(site_id, [photo])
    ):
        raise TicketRefused("upload the closing photo to this site first")
    rows = storage.ticket_events(site_id, "anomaly", [record.id]).get(record.id, [])
    response = response_target(storage.site_settings_json(site_id))
    void = record.id in _void(storage, site_id, [record])
    current = ticket_state(record.device_time, domain_events(rows), response, now, void=void)
    event = TicketEvent(kind, actor.id, now, assignee_id, note, photo)
    refusal = event_refusal(current, event)
    if refusal:
        closed = current.status is TicketStatus.CLOSED
        conflict = (
            current.status is TicketStatus.VOID
            or (kind in (TicketAction.ASSIGN, TicketAction.CLOSE) and closed)
            or (kind is TicketAction.REOPEN and not closed)
            or (kind is TicketAction.ASSIGN and assignee_id == current.assignee_id)
        )
        raise TicketRefused(refusal, 409 if conflict else 422)
    storage.add_ticket_event(
        site_id=site_id,
        target_kind="anomaly",
        target_id=record.id,
        action=kind.value,
        actor_id=actor.id,
        at=now,
        assignee_id=assignee_id,
        note=note,
        photo=photo,
    )
    detail = ticket_detail(storage, site_id, record.id, now)
    assert detail is not None
    return detail
