"""Anomaly tickets: list, one ticket with its history, and follow-up steps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query
from pydantic import BaseModel, Field

from domain.tickets import MAX_TICKET_NOTE_CHARS
from server import access, tickets
from server.api.deps import CurrentCaller, Store, require_reviewer, require_site

router = APIRouter(prefix="/sites/{site_id}/tickets", tags=["tickets"])

_ID = r"^[A-Za-z0-9_-]{1,64}$"
TicketId = Annotated[str, Path(pattern=_ID)]


class TicketEventIn(BaseModel):
    """One follow-up step: `assign` (with `assignee_id`), `comment` (with `note`), `close`
    (with a `note` or the SHA-256 of a `photo` uploaded to the site) or `reopen` (with a
    `note` saying why)."""

    action: Literal["assign", "comment", "close", "reopen"]
    note: Annotated[str, Field(max_length=MAX_TICKET_NOTE_CHARS)] = ""
    assignee_id: Annotated[str | None, Field(pattern=_ID)] = None
    photo: Annotated[str | None, Field(pattern=r"^[0-9a-f]{64}$")] = None


_REFUSED: dict[int | str, dict[str, Any]] = {
    403: {"description": "your role cannot do this"},
    404: {"description": "no such site or ticket"},
}
_STEP_REFUSED: dict[int | str, dict[str, Any]] = _REFUSED | {
    409: {"description": "the ticket's state refuses this step (e.g. closing it twice)"},
}


def _field_role(caller: Any) -> bool:
    role = access.role_of(caller.user)
    return role is None or not role.sees_reports


@router.get("", responses=_REFUSED)
async def ticket_list(
    site_id: str,
    caller: CurrentCaller,
    storage: Store,
    status: Literal["open", "in_progress", "closed", "void", "active", "all"] = "active",
    assignee_id: Annotated[str | None, Query(pattern=_ID)] = None,
    overdue: bool | None = None,
    category: Annotated[str | None, Query(max_length=100)] = None,
    days: Annotated[int, Query(ge=1, le=366)] = 60,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> dict[str, Any]:
    """Tickets of anomalies reported in the last `days` days: not closed and overdue
    first, then newest. `status=active` (default) is all not closed. Field staff see only
    the tickets they reported or are assigned. `counts` tallies the period by status."""
    require_site(caller, site_id)
    now = datetime.now(UTC)
    return tickets.ticket_list(
        storage,
        site_id,
        now,
        since=now - timedelta(days=days),
        status=status,
        assignee_id=assignee_id,
        overdue=overdue,
        category=category,
        mine=caller.user.id if _field_role(caller) else None,
        limit=limit,
        offset=offset,
    )


@router.get("/{ticket_id}", responses=_REFUSED)
async def ticket_detail(
    site_id: str, ticket_id: TicketId, caller: CurrentCaller, storage: Store
) -> dict[str, Any]:
    """One ticket: the anomaly (photos, note, point, reporter), its status, assignee, due
    time, time to close, and every follow-up step oldest first. Field staff read only
    the tickets they reported or are assigned (403 for others)."""
    require_site(caller, site_id)
    found = tickets.ticket_detail(storage, site_id, ticket_id, datetime.now(UTC))
    if found is None:
        raise HTTPException(404, "ticket not found")
    if _field_role(caller) and caller.user.id not in (found["reporter_id"], found["assignee_id"]):
        raise HTTPException(403, "field staff read only their own tickets")
    return found


@router.post("/{ticket_id}/events", status_code=201, responses=_STEP_REFUSED)
async def ticket_event(
    site_id: str, ticket_id: TicketId, body: TicketEventIn, caller: CurrentCaller, storage: Store
) -> dict[str, Any]:
    """Add a follow-up step (a new event; nothing is changed or removed). Leads,
    supervisors, managers and admins only. 409 when the ticket's state refuses the step
    (closing a closed ticket), 422 when the step is incomplete (no note, an assignee who
    is not on the site, a photo not uploaded to it)."""
    require_reviewer(caller, site_id)
    try:
        return tickets.add_ticket_event(
            storage,
            site_id,
            ticket_id,
            actor=caller.user,
            action=body.action,
            now=datetime.now(UTC),
            note=body.note,
            assignee_id=body.assignee_id,
            photo=body.photo,
        )
    except KeyError as exc:
        raise HTTPException(404, "ticket not found") from exc
    except tickets.TicketRefused as exc:
        raise HTTPException(exc.status, str(exc)) from exc
