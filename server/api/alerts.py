"""The live view and its alerts: rounds in progress, next due, alerts to acknowledge."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from server import live
from server.api.deps import CurrentCaller, Store, require_reports

router = APIRouter(prefix="/sites/{site_id}", tags=["live"])


class AckRequest(BaseModel):
    key: str = Field(min_length=1, max_length=200, description="the alert's key, from /live")
    comment: str = Field(default="", max_length=live.MAX_COMMENT)


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json(v) for v in value]
    return value


@router.get("/live", responses={403: {"description": "field staff do not read reports"}})
async def live_view(site_id: str, caller: CurrentCaller, storage: Store) -> dict[str, Any]:
    """Rounds in progress and next due, and the alerts (not started, completion below the
    site's threshold, overdue rectifications) with their latest acknowledgement."""
    require_reports(caller, site_id)
    view = live.live_view(storage, site_id, datetime.now(UTC))
    return _json(asdict(view))


@router.post(
    "/alerts/ack",
    status_code=201,
    responses={
        403: {"description": "field staff do not acknowledge alerts"},
        404: {"description": "no such alert now"},
    },
)
async def acknowledge(
    site_id: str, body: AckRequest, caller: CurrentCaller, storage: Store
) -> dict[str, Any]:
    """Record that the caller saw an alert (who, when, comment); append-only."""
    require_reports(caller, site_id)
    try:
        alert = live.acknowledge(
            storage, site_id, caller.user.id, body.key, body.comment, datetime.now(UTC)
        )
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from exc
    except live.AlertRefused as exc:
        raise HTTPException(422, str(exc)) from exc
    return {"key": alert.key, "kind": alert.kind.value, "acknowledged_by": caller.user.name}
