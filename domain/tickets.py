"""Anomaly tickets and the follow-up of rectifications: pure rules.

An anomaly (异常) a guard reports from the field is a **ticket** that a lead follows up
until closed. Nothing about the anomaly record ever changes: each step is an append-only
*ticket event* (who, when, what) and the ticket's state is the replay of its events.

Rules:
- A ticket is **open** when reported. *Assign* names who handles it and moves an open
  ticket **in progress**; assigning again hands it to someone else. *Comment* adds a note
  in any state. *Close* (from open or in progress) needs a note or a closing photo and
  ends the ticket; *reopen* (only a closed ticket, with a reason) sends it back — in
  progress when someone is assigned, else open — and counts as a reopening.
- Events replay in time order (then in the order stored); an event that does not apply to
  the state it meets (closing a closed ticket, say) is kept but changes nothing, so a read
  is total over whatever is stored. `event_refusal` says why a new event is refused.
- **Time to close** is from the report (device time) to the last close, never negative.
- **Response target**: a ticket is due `response_hours` after it was reported (the seeds'
  post KPI: feedback within 24 hours, so 24 h by default, per site). An open ticket past
  it is *overdue*; a ticket closed after it was *closed late*.
- **Escalation** of a rectification (整改): overdue for longer than the site's escalation
  delay (24 h by default) it escalates from the supervisor to the supervisor's supervisor,
  the site's manager. A closed rectification is never escalated.
- **Void**: when a reviewer rejects the anomaly record itself (`domain.trust.
  voids_follow_up`), its ticket is *void*: kept with its history as evidence, never
  overdue, in no open list and no figure; only comments may be added. Should a later
  review accept the record, the ticket stands again as its events leave it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

__all__ = [
    "DEFAULT_ESCALATE_HOURS",
    "DEFAULT_RESPONSE_HOURS",
    "MAX_HOURS",
    "MAX_TICKET_NOTE_CHARS",
    "Ticket",
    "TicketAction",
    "TicketEvent",
    "TicketStatus",
    "escalate_after",
    "escalated",
    "event_refusal",
    "response_target",
    "ticket_state",
]

DEFAULT_RESPONSE_HOURS = 24
DEFAULT_ESCALATE_HOURS = 24
MAX_HOURS = 720  # a setting outside 1..720 hours is ignored (the default applies)
MAX_TICKET_NOTE_CHARS = 1000


class TicketStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"
    VOID = "void"  # the anomaly was rejected on review


class TicketAction(StrEnum):
    ASSIGN = "assign"
    COMMENT = "comment"
    CLOSE = "close"
    REOPEN = "reopen"


@dataclass(frozen=True, slots=True)
class TicketEvent:
    """One step of a ticket's follow-up, as stored (never changed afterwards)."""

    action: TicketAction
    actor_id: str
    at: datetime
    assignee_id: str | None = None  # for ASSIGN
    note: str = ""
    photo: str | None = None  # SHA-256 of the closing photo, for CLOSE


@dataclass(frozen=True, slots=True)
class Ticket:
    """A ticket as its events leave it, judged at `now`."""

    status: TicketStatus
    assignee_id: str | None
    reported_at: datetime
    due: datetime
    closed_at: datetime | None
    closed_by: str | None
    closing_photo: str | None
    reopened: int
    comments: int
    overdue: bool  # open past `due`, or closed after it

    @property
    def time_to_close(self) -> timedelta | None:
        """From the report to the (last) close; None while not closed; never negative."""
        if self.closed_at is None:
            return None
        return max(self.closed_at - self.reported_at, timedelta(0))

    @property
    def hours_to_close(self) -> float | None:
        spent = self.time_to_close
        return None if spent is None else round(spent.total_seconds() / 3600, 2)


def _applies(status: TicketStatus, event: TicketEvent) -> bool:
    if event.action is TicketAction.ASSIGN:
        return status is not TicketStatus.CLOSED and bool(event.assignee_id)
    if event.action is TicketAction.COMMENT:
        return bool(event.note)
    if event.action is TicketAction.CLOSE:
        return status is not TicketStatus.CLOSED and bool(event.note or event.photo)
    return status is TicketStatus.CLOSED and bool(event.note)  # REOPEN


def ticket_state(
    reported_at: datetime,
    events: Sequence[TicketEvent],
    response: timedelta,
    now: datetime,
    *,
    void: bool = False,
) -> Ticket:
    """Replay a ticket's events (see the module's rules) and judge it at `now`; a `void`
    ticket (its anomaly rejected on review) keeps its history but is VOID, never overdue."""
    status, assignee, reopened, comments = TicketStatus.OPEN, None, 0, 0
    closed_at: datetime | None = None
    closed_by: str | None = None
    photo: str | None = None
    ordered = sorted(enumerate(events), key=lambda pair: (pair[1].at, pair[0]))
    for _, event in ordered:
        if not _applies(status, event):
            continue
        if event.action is TicketAction.ASSIGN:
            assignee, status = event.assignee_id, TicketStatus.IN_PROGRESS
        elif event.action is TicketAction.COMMENT:
            comments += 1
        elif event.action is TicketAction.CLOSE:
            status, closed_at, closed_by, photo = (
                TicketStatus.CLOSED,
                event.at,
                event.actor_id,
                event.photo,
            )
        else:
            status = TicketStatus.IN_PROGRESS if assignee else TicketStatus.OPEN
            reopened += 1
            closed_at, closed_by, photo = None, None, None
    due = reported_at + response
    overdue = (closed_at or now) > due
    if void:
        status, overdue = TicketStatus.VOID, False
    return Ticket(
        status, assignee, reported_at, due, closed_at, closed_by, photo, reopened, comments, overdue
    )


def event_refusal(current: Ticket, event: TicketEvent) -> str | None:
    """Why `event` cannot be added to a ticket in state `current`, or None when it can."""
    if len(event.note) > MAX_TICKET_NOTE_CHARS:
        return f"the note is longer than {MAX_TICKET_NOTE_CHARS} characters"
    closed = current.status is TicketStatus.CLOSED
    if current.status is TicketStatus.VOID and event.action is not TicketAction.COMMENT:
        return "the anomaly was rejected on review: its ticket is void"
    if event.action is TicketAction.ASSIGN:
        if closed:
            return "the ticket is closed: reopen it first"
        if not event.assignee_id:
            return "say who the ticket is assigned to"
        if event.assignee_id == current.assignee_id:
            return "the ticket is already assigned to that person"
    elif event.action is TicketAction.COMMENT:
        if not event.note:
            return "a comment needs some text"
    elif event.action is TicketAction.CLOSE:
        if closed:
            return "the ticket is already closed"
        if not (event.note or event.photo):
            return "closing a ticket needs a note or a photo of the result"
    elif event.action is TicketAction.REOPEN:
        if not closed:
            return "only a closed ticket can be reopened"
        if not event.note:
            return "say why the ticket is reopened"
    return None


def _hours(settings: Mapping[str, Any], key: str, default: int) -> timedelta:
    value = settings.get(key, default) if isinstance(settings, Mapping) else default
    if isinstance(value, bool) or not isinstance(value, int | float) or not 1 <= value <= MAX_HOURS:
        value = default
    return timedelta(hours=value)


def response_target(settings: Mapping[str, Any]) -> timedelta:
    """How long after its report a ticket is due: the site setting
    `anomaly_response_hours` (1..720) if set, else 24 h."""
    return _hours(settings, "anomaly_response_hours", DEFAULT_RESPONSE_HOURS)


def escalate_after(settings: Mapping[str, Any]) -> timedelta:
    """How long a rectification may be overdue before it escalates to the manager: the
    site setting `rectification_escalate_hours` (1..720) if set, else 24 h."""
    return _hours(settings, "rectification_escalate_hours", DEFAULT_ESCALATE_HOURS)


def escalated(deadline: datetime, closed: bool, now: datetime, delay: timedelta) -> bool:
    """A rectification not closed `delay` or more past its deadline escalates."""
    return not closed and now >= deadline + delay
