"""Monthly appraisal (考核): figures and scores per person and team, the facts behind
each figure, and the company's scheme (weights, targets, deductions)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Path, Query

from domain.appraisal import FIGURES, settings_from_dict, settings_to_dict
from server import access, appraisal
from server.api.deps import CurrentCaller, Store, require_reports

router = APIRouter(prefix="/sites/{site_id}/appraisal", tags=["appraisal"])

MONTH_PATTERN = r"^20[2-9][0-9]-(0[1-9]|1[0-2])$"
Month = Annotated[
    str | None, Query(pattern=MONTH_PATTERN, description="YYYY-MM; this month if left out")
]
Who = Annotated[str, Path(pattern=r"^(team:[\w-]{1,40}|[A-Za-z0-9_-]{1,64})$")]


def _month(storage: Store, site_id: str, month: str | None) -> appraisal.Month:
    site = storage.site(site_id)
    assert site is not None
    tz = ZoneInfo(site["tz"])
    text = month or datetime.now(UTC).astimezone(tz).strftime("%Y-%m")
    try:
        return appraisal.parse_month(text, tz)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc


@router.get("", responses={403: {"description": "field staff do not read reports"}})
async def month_appraisal(
    site_id: str, caller: CurrentCaller, storage: Store, month: Month = None
) -> dict[str, Any]:
    """Each person's and team's month: coverage and punctuality of the visits they answer
    for, inspection pass rate of their areas, rectifications, anomalies, confirmed fraud
    flags, and the weighted score with its parts and deductions."""
    require_reports(caller, site_id)
    return appraisal.month_appraisal(
        storage, site_id, _month(storage, site_id, month), datetime.now(UTC)
    )


@router.get("/settings", responses={403: {"description": "field staff do not read reports"}})
async def get_settings(site_id: str, caller: CurrentCaller, storage: Store) -> dict[str, Any]:
    """The company's appraisal scheme (the defaults until someone saves one)."""
    require_reports(caller, site_id)
    return settings_to_dict(appraisal.company_settings(storage, caller.user.company_id))


@router.put(
    "/settings", responses={403: {"description": "only the company's admin or quality dept"}}
)
async def put_settings(
    site_id: str, caller: CurrentCaller, storage: Store, body: dict[str, Any]
) -> dict[str, Any]:
    """Save the company's scheme: any of weights (adding up to 100), targets (0–1),
    points_per_percent, fraud_deduction, reopen_deduction; the rest keep their values.
    Company-level roles only (admin, quality); a site's own KPI weights are a site setting."""
    access.require_company_scheme(caller.user, site_id)
    current = appraisal.company_settings(storage, caller.user.company_id)
    try:
        settings = settings_from_dict(body, current)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
    data = settings_to_dict(settings)
    storage.set_appraisal_settings(caller.user.company_id, data, caller.user.id, datetime.now(UTC))
    return data


@router.get("/{who}/details", responses={403: {"description": "field staff do not read reports"}})
async def details(
    site_id: str,
    who: Who,
    caller: CurrentCaller,
    storage: Store,
    figure: Annotated[
        str, Query(description=", ".join(FIGURES), pattern=f"^({'|'.join(FIGURES)})$")
    ] = "coverage",
    month: Month = None,
) -> dict[str, Any]:
    """The visits, inspections, rectifications, anomalies or reviews behind one figure of a
    person (user id), a team (`team:patrol`, `team:cleaning`) or `unassigned`."""
    require_reports(caller, site_id)
    if not appraisal.is_known_subject(storage, site_id, who):
        raise HTTPException(404, "no such person or team on this site")
    if figure not in FIGURES:
        raise HTTPException(422, f"figure must be one of {', '.join(FIGURES)}")
    rows = appraisal.appraisal_details(
        storage, site_id, _month(storage, site_id, month), datetime.now(UTC), who, figure
    )
    return {"who": who, "figure": figure, "data": rows, "count": len(rows)}
