"""Following rectifications (整改) up: who has each, what is overdue, what escalated, and
each one's history with before/after photos and re-check comments.

Built on `server.reports.rectifications` (the one read of rectifications' states). The
follow-up steps are append-only: a reassignment or a comment is a `ticket_events` row
(which `rectifications` honours for the assignee, and ingest for who may fix it); a
re-check from the console is a new `rectification` record, under the same rules as one
sent from the phone (`domain.scoring.recheck_refusal`, inspectors only). Callers check
permissions first (`server.access`).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, Literal

from domain.models import Role
from domain.scoring import recheck_refusal, rectification_state
from domain.tickets import MAX_TICKET_NOTE_CHARS, escalate_after, escalated
from domain.wire import RecordKind
from server import reports
from server.access import AccessDenied
from server.ingest import INSPECTORS, rectification_events
from server.names import site_names
from server.storage import Storage, StoredRecord, UserRow

_SHA256 = re.compile(r"^[0-9a-f]{64}$")

__all__ = [
    "FOLLOW_UP_ACTIONS",
    "FollowUpRefused",
    "StateFilter",
    "follow_up",
    "followup_detail",
    "followup_list",
    "may_recheck",
    "recheck_check",
    "split_id",
]

StateFilter = Literal["active", "open", "fixed", "overdue", "escalated", "closed", "void", "all"]
FOLLOW_UP_ACTIONS = ("assign", "comment", "recheck")
ESCALATED_TO = Role.MANAGER.value  # the supervisor's supervisor


class FollowUpRefused(ValueError):
    """A follow-up step that cannot be recorded as given; the message says why.
    `status` is 409 when the rectification's state refuses it, 422 when it is incomplete."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


def split_id(rect_id: str) -> tuple[str, str]:
    """'<inspection id>/<item>' → (inspection id, item); ValueError if malformed."""
    inspection_id, sep, item = rect_id.partition("/")
    if not (sep and inspection_id and item):
        raise ValueError(rect_id)
    return inspection_id, item


def _decorate(
    items: Iterable[dict[str, Any]], storage: Storage, site_id: str, now: datetime
) -> list[dict[str, Any]]:
    delay = escalate_after(storage.site_settings_json(site_id))
    site = site_names(storage, site_id)
    names = site.people
    out = []
    for item in items:
        deadline = datetime.fromisoformat(item["deadline"])
        up = escalated(deadline, item["state"] in ("closed", reports.VOID), now, delay)
        zh, en = site.item_pair(item["template_id"], item.get("template_version"), item["item"])
        out.append(
            item
            | {
                "item_zh": zh,
                "item_en": en,
                "escalated": up,
                "escalates_at": (deadline + delay).isoformat(),
                "escalated_to": ESCALATED_TO if up else None,
                "assignee_name": names.get(item["assignee_id"] or "", item["assignee_id"]),
                "opened_by_name": names.get(item["opened_by"], item["opened_by"]),
                "fixed_by_name": names.get(item["fixed_by"] or "", item["fixed_by"]),
            }
        )
    return out


def _keep(item: dict[str, Any], state: StateFilter, assignee_id: str | None) -> bool:
    if assignee_id is not None and item["assignee_id"] != assignee_id:
        return False
    closed = item["state"] == "closed"
    void = item["state"] == reports.VOID
    return {
        "active": not closed and not void,
        "open": item["state"] == "open",
        "fixed": item["state"] == "fixed",
        "overdue": item["overdue"] and not closed,
        "escalated": item["escalated"],
        "closed": closed,
        "void": void,
        "all": True,
    }[state]


def followup_list(
    storage: Storage,
    site_id: str,
    now: datetime,
    *,
    days: int = 60,
    state: StateFilter = "active",
    assignee_id: str | None = None,
) -> dict[str, Any]:
    """Rectifications opened in the last `days` days, escalated then overdue first, then
    newest; `counts` tallies them all (open, fixed, overdue, escalated, closed) for the
    screen's tabs and the managers' escalation count."""
    since = now - timedelta(days=days)
    rects = reports.rectifications(
        storage, site_id, now, since, include_closed=True, include_void=True
    )
    items = _decorate(rects, storage, site_id, now)
    counts = {
        "open": sum(1 for i in items if i["state"] == "open"),
        "fixed": sum(1 for i in items if i["state"] == "fixed"),
        "overdue": sum(1 for i in items if i["overdue"] and i["state"] != "closed"),
        "escalated": sum(1 for i in items if i["escalated"]),
        "closed": sum(1 for i in items if i["state"] == "closed"),
        "void": sum(1 for i in items if i["state"] == reports.VOID),
    }
    chosen = [i for i in items if _keep(i, state, assignee_id)]
    chosen.sort(key=lambda i: i["opened_at"], reverse=True)
    chosen.sort(key=lambda i: (not i["escalated"], not (i["overdue"] and i["state"] != "closed")))
    delay = escalate_after(storage.site_settings_json(site_id))
    return {
        "data": chosen,
        "count": len(chosen),
        "counts": counts,
        "escalate_after_hours": delay.total_seconds() / 3600,
    }


def _inspection(storage: Storage, site_id: str, rect_id: str) -> tuple[StoredRecord, str]:
    try:
        inspection_id, item = split_id(rect_id)
    except ValueError:
        raise KeyError(rect_id) from None
    record = storage.site_record(site_id, inspection_id)
    if (
        record is None
        or record.kind != RecordKind.INSPECTION
        or record.body["results"].get(item) != "fail"
    ):
        raise KeyError(rect_id)
    return record, item


def followup_detail(
    storage: Storage, site_id: str, rect_id: str, now: datetime
) -> dict[str, Any] | None:
    """One rectification as listed, with its history oldest first: opened (before
    photos), reassignments and comments, fixes (after photos), re-checks (comments) and
    when it escalated. None when the site has no such rectification."""
    try:
        inspection, item = _inspection(storage, site_id, rect_id)
    except KeyError:
        return None
    since = inspection.device_time - timedelta(seconds=1)
    found = [
        r
        for r in reports.rectifications(
            storage, site_id, now, since, include_closed=True, include_void=True
        )
        if r["id"] == rect_id
    ]
    if not found:
        return None
    detail = _decorate(found, storage, site_id, now)[0]
    names = storage.user_names(site_id)
    body = inspection.body
    history: list[dict[str, Any]] = [
        {
            "kind": "opened",
            "at": inspection.device_time.isoformat(),
            "by": inspection.user_id,
            "by_name": names.get(inspection.user_id, inspection.user_id),
            "note": body["item_notes"].get(item, ""),
            "photos": body["item_photos"].get(item, []),
            "assignee_id": body["assignee_id"],
            "assignee_name": names.get(body["assignee_id"] or "", body["assignee_id"]),
        }
    ]
    for row in storage.ticket_events(site_id, "rectification", [rect_id]).get(rect_id, []):
        history.append(
            {
                "kind": row.action,  # assign or comment
                "at": row.at.isoformat(),
                "by": row.actor_id,
                "by_name": names.get(row.actor_id, row.actor_id),
                "note": row.note,
                "photos": [],
                "assignee_id": row.assignee_id,
                "assignee_name": names.get(row.assignee_id or "", row.assignee_id),
            }
        )
    for r in storage.records_referring_to([inspection.id]):
        if r.kind != RecordKind.RECTIFICATION or r.body.get("item") != item:
            continue
        action = r.body.get("action")
        kind = "fixed" if action == "fixed" else ("passed" if r.body.get("passed") else "sent_back")
        history.append(
            {
                "kind": kind,
                "at": r.device_time.isoformat(),
                "by": r.user_id,
                "by_name": names.get(r.user_id, r.user_id),
                "note": str(r.body.get("note") or ""),
                "photos": list(r.photos),
            }
        )
    passes = sorted(h["at"] for h in history if h["kind"] == "passed")
    closed_at = passes[-1] if passes and detail["state"] == "closed" else None
    escalates_at = datetime.fromisoformat(detail["escalates_at"])
    ended = datetime.fromisoformat(closed_at) if closed_at else now
    if ended >= escalates_at:
        history.append(
            {
                "kind": "escalated",
                "at": escalates_at.isoformat(),
                "by": "",
                "by_name": "",
                "note": "",
                "photos": [],
                "escalated_to": ESCALATED_TO,
            }
        )
    history.sort(key=lambda h: h["at"])
    detail["history"] = history
    return detail


def follow_up(
    storage: Storage,
    site_id: str,
    rect_id: str,
    *,
    actor: UserRow,
    action: str,
    now: datetime,
    note: str = "",
    assignee_id: str | None = None,
    passed: bool | None = None,
    device_id: str = "console",
    photo: str | None = None,
) -> dict[str, Any]:
    """Record one follow-up step and return the rectification as it now stands.

    - `assign`: hand it to `assignee_id` (an active member of the site), not when closed.
    - `comment`: a note on its history.
    - `recheck`: the re-check (复检) of a fix, `passed` or sent back (with a note saying
      why), by a cleaning supervisor, manager or admin other than who fixed it; stored as
      a new `rectification` record, with `photo` (the SHA-256 of a photo already uploaded
      to the site: the area as the re-check found it) if given.

    Raises KeyError when the site has no such rectification, AccessDenied(403) for a
    re-check by a role that may not, FollowUpRefused (the message says why) when the step
    cannot be recorded.
    """
    inspection, item = _inspection(storage, site_id, rect_id)
    note = (note or "").strip()
    if len(note) > MAX_TICKET_NOTE_CHARS:
        raise FollowUpRefused(f"the note is longer than {MAX_TICKET_NOTE_CHARS} characters")
    deadline = inspection.device_time + timedelta(hours=inspection.body["deadline_hours"])
    history = storage.records_referring_to([inspection.id])
    current = rectification_state(rect_id, deadline, rectification_events(history, item), now)
    if action != "comment" and inspection.id in reports.rejected_ids(
        storage, site_id, [inspection]
    ):
        raise FollowUpRefused(
            "the inspection was rejected on review: this rectification is void", 409
        )
    if photo is not None and action != "recheck":
        raise FollowUpRefused("only a re-check takes a photo")
    if action == "assign":
        if current.state == "closed":
            raise FollowUpRefused("the rectification is closed", 409)
        if assignee_id not in {u["id"] for u in storage.site_users(site_id)}:
            raise FollowUpRefused("assign it to an active member of this site")
        now_assigned = (
            storage.rectification_assignee(site_id, rect_id) or (inspection.body["assignee_id"])
        )
        if assignee_id == now_assigned:
            raise FollowUpRefused("it is already assigned to that person", 409)
        storage.add_ticket_event(
            site_id=site_id,
            target_kind="rectification",
            target_id=rect_id,
            action="assign",
            actor_id=actor.id,
            at=now,
            assignee_id=assignee_id,
            note=note,
        )
    elif action == "comment":
        if not note:
            raise FollowUpRefused("a comment needs some text")
        storage.add_ticket_event(
            site_id=site_id,
            target_kind="rectification",
            target_id=rect_id,
            action="comment",
            actor_id=actor.id,
            at=now,
            note=note,
        )
    elif action == "recheck":
        _require_inspector(actor)
        if not isinstance(passed, bool):
            raise FollowUpRefused("a re-check needs passed: true or false")
        if not passed and not note:
            raise FollowUpRefused("say why the fix is sent back")
        recheck_check(actor, current)
        if photo is not None and (
            not _SHA256.match(photo) or not storage.photos_on_site(site_id, [photo])
        ):
            raise FollowUpRefused("upload the re-check photo to this site first")
        storage.insert_records(
            [
                StoredRecord(
                    uuid.uuid4().hex,
                    RecordKind.RECTIFICATION.value,
                    site_id,
                    actor.id,
                    device_id,
                    now,
                    now,
                    None,
                    inspection.id,
                    {"action": "rechecked", "item": item, "passed": passed, "note": note},
                    [photo] if photo else [],
                    [],
                )
            ]
        )
    else:
        raise FollowUpRefused("action must be assign, comment or recheck")
    detail = followup_detail(storage, site_id, rect_id, now)
    assert detail is not None
    return detail


def _require_inspector(actor: UserRow) -> None:
    try:
        role = Role(actor.role)
    except ValueError:
        role = None
    if role not in INSPECTORS:
        raise AccessDenied(403, "only a cleaning supervisor or manager can re-check")


def recheck_check(actor: UserRow, current: Any) -> None:
    """May `actor` re-check this rectification (`current`: its state) now? Only a
    cleaning supervisor, manager or admin (AccessDenied 403), only a fixed one, and not
    who fixed it (FollowUpRefused 409)."""
    _require_inspector(actor)
    refusal = recheck_refusal(current, "rechecked", actor.id)
    if refusal:
        raise FollowUpRefused(refusal, 409)


def may_recheck(
    storage: Storage, site_id: str, rect_id: str, actor: UserRow, now: datetime
) -> None:
    """The re-check's permission rule alone (as `follow_up` applies it), checked before
    a re-check photo is kept. KeyError for no such rectification on the site."""
    inspection, item = _inspection(storage, site_id, rect_id)
    deadline = inspection.device_time + timedelta(hours=inspection.body["deadline_hours"])
    history = storage.records_referring_to([inspection.id])
    current = rectification_state(rect_id, deadline, rectification_events(history, item), now)
    if inspection.id in reports.rejected_ids(storage, site_id, [inspection]):
        raise FollowUpRefused(
            "the inspection was rejected on review: this rectification is void", 409
        )
    recheck_check(actor, current)
