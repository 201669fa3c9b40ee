"""Coverage and rectification reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from server import reports
from server.api.deps import CurrentCaller, Store, json_response, require_site
from server.api.params import IsoDateTime, SiteReportPeriod

router = APIRouter(prefix="/sites/{site_id}", tags=["reports"])


@router.get(
    "/coverage",
    response_class=Response,
    responses={
        200: {"content": {"application/json": {"schema": {"type": "object"}}}},
        403: {"description": "field staff do not read reports"},
    },
)
async def coverage(
    site_id: str, storage: Store, period: SiteReportPeriod, visits: bool = True
) -> Response:
    """Expected visits with their status, rounds with their state, and totals.

    Give either a `period` around `date` (site time), or an explicit `start` and `end`
    (with UTC offsets; at most 31 days).
    """
    report = reports.coverage_report(
        storage, site_id, period.start, period.end, period.now, include_visits=visits
    )
    return json_response(report)


@router.get("/rectifications")
async def rectifications(
    site_id: str,
    caller: CurrentCaller,
    storage: Store,
    include_closed: bool = False,
    days: Annotated[int, Query(ge=1, le=366)] = 60,
) -> dict[str, Any]:
    """Open rectifications (整改): field staff see those assigned to them or to no one."""
    require_site(caller, site_id)
    now = datetime.now(UTC)
    assignee = None if caller.role.sees_reports else caller.user.id
    items = reports.rectifications(
        storage, site_id, now, now - timedelta(days=days), assignee, include_closed
    )
    return {"data": items, "count": len(items)}


MY_RECORD_KINDS = ("scan", "round_start", "round_finish")


@router.get("/my-records")
async def my_records(
    site_id: str,
    caller: CurrentCaller,
    storage: Store,
    since: Annotated[IsoDateTime, Query(description="device time, with a UTC offset")],
) -> dict[str, Any]:
    """The caller's own scans and rounds since `since` (at most 3 days back), in the wire
    format, so that a phone shows work done on another device or before a reinstall."""
    require_site(caller, site_id)
    since = max(since, datetime.now(UTC) - timedelta(days=3))
    records = [
        {
            "id": r.id,
            "kind": r.kind,
            "site_id": r.site_id,
            "device_time": r.device_time.isoformat(),
            "point_id": r.point_id,
            **r.body,
        }
        | ({"round_id": r.refers_to} if r.kind == "round_finish" else {})
        for r in storage.records(site_id, MY_RECORD_KINDS, since, user_id=caller.user.id)
    ]
    return {"data": records, "count": len(records)}
