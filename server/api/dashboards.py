"""Dashboard data for charts: one site's period, and the company view across sites."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from server import access, dashboards
from server.api.appraisal import MONTH_PATTERN
from server.api.deps import CurrentCaller, Store, require_reports
from server.api.exports import period
from server.api.params import IsoDateTime

router = APIRouter(tags=["dashboards"])
Month = Annotated[str | None, Query(pattern=MONTH_PATTERN, description="YYYY-MM")]


@router.get(
    "/sites/{site_id}/dashboard",
    responses={403: {"description": "field staff do not read reports"}},
)
async def site_dashboard(
    site_id: str,
    caller: CurrentCaller,
    storage: Store,
    start: IsoDateTime | None = None,
    end: IsoDateTime | None = None,
    month: Month = None,
) -> dict[str, Any]:
    """Coverage and punctuality by route, person, day and hour; inspection pass rate by
    area, area type and item; rectifications open/overdue; anomalies by type. The period
    is `start`–`end` (at most a year) or a `month` (this month if neither is given)."""
    require_reports(caller, site_id)
    lo, hi = period(storage, site_id, start, end, month)
    return dashboards.site_dashboard(storage, site_id, lo, hi, datetime.now(UTC))


@router.get("/company/dashboard", responses={403: {"description": "not a company role"}})
async def company_dashboard(
    caller: CurrentCaller, storage: Store, month: Month = None
) -> dict[str, Any]:
    """The caller's sites side by side, site self-checks against the quality department's
    spot checks of the same areas, and the Pareto of failing items across the sites."""
    access.require_company(caller.user)
    sites = [
        s for s in storage.sites(caller.user.site_ids) if s["company_id"] == caller.user.company_id
    ]
    if not sites:
        return {"sites": [], "self_vs_company": [], "pareto": []}
    lo, hi = period(storage, sites[0]["id"], None, None, month)
    return dashboards.company_view(storage, [s["id"] for s in sites], lo, hi, datetime.now(UTC))
