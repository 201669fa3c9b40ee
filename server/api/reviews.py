"""The review queue: flagged records with their evidence, and reviewers' verdicts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query
from pydantic import BaseModel, Field

from domain.signals import Flag
from domain.trust import MAX_REASON_CHARS
from domain.wire import RecordKind
from server import review
from server.api.deps import CurrentCaller, Store, require_reviewer
from server.api.params import IsoDateTime

router = APIRouter(prefix="/sites/{site_id}/reviews", tags=["reviews"])

_ID = r"^[A-Za-z0-9_-]{1,64}$"
RecordId = Annotated[str, Path(pattern=_ID)]


class VerdictIn(BaseModel):
    verdict: Literal["accept", "reject"]
    reason: Annotated[str, Field(max_length=MAX_REASON_CHARS)] = ""


_REFUSED: dict[int | str, dict[str, Any]] = {
    403: {"description": "your role does not review records"}
}


@router.get("", responses=_REFUSED)
async def queue(
    site_id: str,
    caller: CurrentCaller,
    storage: Store,
    state: Literal["unreviewed", "reviewed", "all"] = "unreviewed",
    flag: Flag | None = None,
    kind: RecordKind | None = None,
    user_id: Annotated[str | None, Query(pattern=_ID)] = None,
    start: IsoDateTime | None = None,
    end: IsoDateTime | None = None,
    held_only: bool = False,
    limit: Annotated[int, Query(ge=1, le=review.MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> dict[str, Any]:
    """Flagged records, newest first, each with its evidence (point, fix and distance,
    photos, device and receive times, the person's scans within ±30 minutes, reviews).

    `state=unreviewed` (default) is the queue; `flag`, `kind`, `user_id`, `start`/`end`
    (device time, with UTC offsets) narrow it; `held_only` keeps the records held out of
    coverage until reviewed. `counts` tells how many are unreviewed, held and reviewed.
    """
    require_reviewer(caller, site_id)
    page = review.review_queue(
        storage,
        site_id,
        state=state,
        flag=flag.value if flag else None,
        kind=kind.value if kind else None,
        user_id=user_id,
        start=start,
        end=end,
        held_only=held_only,
        limit=limit,
        offset=offset,
    )
    return page | {"counts": review.queue_counts(storage, site_id)}


@router.get("/{record_id}", responses=_REFUSED)
async def item(
    site_id: str,
    record_id: RecordId,
    caller: CurrentCaller,
    storage: Store,
) -> dict[str, Any]:
    """One record with its evidence and its reviews."""
    require_reviewer(caller, site_id)
    found = review.review_item(storage, site_id, record_id)
    if found is None:
        raise HTTPException(404, "record not found")
    return found


@router.post("/{record_id}/verdict", status_code=201, responses=_REFUSED)
async def verdict(
    site_id: str, record_id: RecordId, body: VerdictIn, caller: CurrentCaller, storage: Store
) -> dict[str, Any]:
    """Accept or reject a flagged record (a rejection needs a reason). The verdict is a
    new record; reviewing again adds another, and the latest decides."""
    require_reviewer(caller, site_id)
    try:
        return review.record_review(
            storage,
            site_id,
            record_id,
            reviewer=caller.user,
            verdict=body.verdict,
            reason=body.reason,
            now=datetime.now(UTC),
            device_id=caller.device_id,
        )
    except KeyError as exc:
        raise HTTPException(404, "record not found") from exc
    except review.ReviewRefused as exc:
        raise HTTPException(422, str(exc)) from exc
