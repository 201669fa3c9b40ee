"""Rectification (整改) follow-up for leads and managers: the list with overdue and
escalated ones first, one rectification's history, and follow-up steps (reassign,
comment, re-check)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query
from pydantic import BaseModel, Field

from domain.tickets import MAX_TICKET_NOTE_CHARS
from server import rectification_followup as followup
from server.api.deps import CurrentCaller, Store, require_reports, require_reviewer

router = APIRouter(prefix="/sites/{site_id}/rectification-follow-up", tags=["rectifications"])

_ID = r"^[A-Za-z0-9_-]{1,64}$"
InspectionId = Annotated[str, Path(pattern=_ID)]
Item = Annotated[str, Path(pattern=r"^[^/]{1,64}$")]


class FollowUpIn(BaseModel):
    """`assign` (with `assignee_id`), `comment` (with `note`), or `recheck` (with `passed`;
    sending a fix back needs a `note` saying why; `photo`, optional, is the SHA-256 of a
    photo uploaded to the site with POST /sites/{site_id}/photos)."""

    action: Literal["assign", "comment", "recheck"]
    note: Annotated[str, Field(max_length=MAX_TICKET_NOTE_CHARS)] = ""
    assignee_id: Annotated[str | None, Field(pattern=_ID)] = None
    passed: bool | None = None
    photo: Annotated[str | None, Field(pattern=r"^[0-9a-f]{64}$")] = None


_REFUSED: dict[int | str, dict[str, Any]] = {
    403: {"description": "your role cannot do this"},
    404: {"description": "no such site or rectification"},
}
_STEP_REFUSED: dict[int | str, dict[str, Any]] = _REFUSED | {
    409: {"description": "the rectification's state refuses this step (e.g. closing it twice)"},
}


@router.get("", responses=_REFUSED)
async def followup_list(
    site_id: str,
    caller: CurrentCaller,
    storage: Store,
    state: Literal[
        "active", "open", "fixed", "overdue", "escalated", "closed", "void", "all"
    ] = "active",
    assignee_id: Annotated[str | None, Query(pattern=_ID)] = None,
    days: Annotated[int, Query(ge=1, le=366)] = 60,
) -> dict[str, Any]:
    """Rectifications opened in the last `days` days, escalated and overdue first. One
    overdue longer than the site's escalation delay (`rectification_escalate_hours`,
    default 24) is `escalated` to the manager; `counts.escalated` is the managers' count."""
    require_reports(caller, site_id)
    return followup.followup_list(
        storage, site_id, datetime.now(UTC), days=days, state=state, assignee_id=assignee_id
    )


@router.get("/{inspection_id}/{item}", responses=_REFUSED)
async def followup_detail(
    site_id: str, inspection_id: InspectionId, item: Item, caller: CurrentCaller, storage: Store
) -> dict[str, Any]:
    """One rectification with its history: opened (before photos), reassignments and
    comments, fixes (after photos), re-checks (comments) and escalation."""
    require_reports(caller, site_id)
    found = followup.followup_detail(storage, site_id, f"{inspection_id}/{item}", datetime.now(UTC))
    if found is None:
        raise HTTPException(404, "rectification not found")
    return found


@router.post("/{inspection_id}/{item}/events", status_code=201, responses=_STEP_REFUSED)
async def followup_event(
    site_id: str,
    inspection_id: InspectionId,
    item: Item,
    body: FollowUpIn,
    caller: CurrentCaller,
    storage: Store,
) -> dict[str, Any]:
    """Add a follow-up step (always a new row or record; nothing is changed). Leads,
    supervisors, managers and admins; a re-check only by a cleaning supervisor, manager
    or admin other than who fixed it. 409 when the state refuses the step, 422 when the
    step is incomplete."""
    require_reviewer(caller, site_id)
    try:
        return followup.follow_up(
            storage,
            site_id,
            f"{inspection_id}/{item}",
            actor=caller.user,
            action=body.action,
            now=datetime.now(UTC),
            note=body.note,
            assignee_id=body.assignee_id,
            passed=body.passed,
            device_id=caller.device_id,
            photo=body.photo,
        )
    except KeyError as exc:
        raise HTTPException(404, "rectification not found") from exc
    except followup.FollowUpRefused as exc:
        raise HTTPException(exc.status, str(exc)) from exc
