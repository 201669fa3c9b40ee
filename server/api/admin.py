"""Site set-up over HTTP: sites, settings, the plan, points, routes, schedules, templates
and the audit log. Thin: each route calls `server.admin`, which checks the caller (another
site → 404, a role that does not administer → 403), validates, writes and audits.

Bodies are bounded here (lengths, list sizes); the rules live in `domain.admin`, whose
answer for anything invalid is a 422 naming every problem.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from server import admin
from server.access import require_admin
from server.api.deps import Blobs, CurrentCaller, Store, read_body

router = APIRouter(tags=["admin"])

Text = Annotated[str, Field(max_length=200)]
Id = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,40}$")]
HHMM = Annotated[str, Field(pattern=r"^\d{2}:\d{2}$")]
_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "only managers and admins set sites up"},
    409: {"description": "conflicts with what is stored"},
}


def _now() -> datetime:
    return datetime.now(UTC)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)  # true is not a number

    def given(self) -> dict[str, Any]:
        """Only the fields the caller sent (a field left out keeps its value)."""
        return self.model_dump(exclude_unset=True)


class SiteIn(_Body):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,30}$")] | None = None
    name: Annotated[str, Field(max_length=60)]
    tz: Annotated[str, Field(max_length=64)] = "Asia/Shanghai"
    address: Text = ""


class SiteEdit(_Body):
    name: Annotated[str, Field(max_length=60)] | None = None
    tz: Annotated[str, Field(max_length=64)] | None = None
    address: Text | None = None


class SettingsIn(_Body):
    grace_minutes: int | None = None
    early_minutes: int | None = None
    gps_radius_m: float | None = None
    completion_threshold: float | None = None
    rectification_deadline_hours: int | None = None
    anomaly_response_hours: int | None = None
    rectification_escalate_hours: int | None = None
    appraisal_weights: dict[str, int] | None = None
    alert_webhook_url: Annotated[str, Field(max_length=500)] | None = None

    def given(self) -> dict[str, Any]:
        return {k: v for k, v in super().given().items() if v is not None}


class PointIn(_Body):
    kind: Annotated[str, Field(max_length=20)] | None = None
    name: Annotated[str, Field(max_length=60)] | None = None
    zone: Annotated[str, Field(max_length=40)] | None = None
    plan_x: float | None = None
    plan_y: float | None = None
    lat: float | None = None
    lon: float | None = None
    radius_m: float | None = None
    checks: Annotated[list[Annotated[str, Field(max_length=60)]], Field(max_length=20)] | None = (
        None
    )
    template_id: Id | None = None
    requires_photo: bool | None = None
    short_code: Annotated[str, Field(max_length=20)] | None = None


class RouteIn(_Body):
    name: Annotated[str, Field(max_length=60)] | None = None
    checkpoint_ids: Annotated[list[Id], Field(max_length=200)] | None = None
    ordered: bool | None = None
    not_before: Annotated[dict[str, int], Field(max_length=200)] | None = None

    def given(self) -> dict[str, Any]:
        return {k: v for k, v in super().given().items() if v is not None}


class ScheduleIn(_Body):
    name: Annotated[str, Field(max_length=60)] | None = None
    target_kind: Annotated[str, Field(max_length=10)] | None = None
    target_id: Id | None = None
    fixed_times: Annotated[list[HHMM], Field(max_length=48)] | None = None
    every_minutes: int | None = None
    start: HHMM | None = None
    end: HHMM | None = None
    weekdays: Annotated[list[int], Field(max_length=7)] | None = None
    window_minutes: int | None = None
    grace_minutes: int | None = None
    early_minutes: int | None = None
    responsible_user_id: Id | None = None
    responsible_team: Annotated[str, Field(max_length=40)] | None = None


class TemplateItemIn(_Body):
    key: Id
    group: Annotated[str, Field(max_length=20)] = ""
    label_zh: Annotated[str, Field(max_length=60)]
    label_en: Annotated[str, Field(max_length=80)] = ""


class TemplateIn(_Body):
    id: Id | None = None
    name_zh: Annotated[str, Field(max_length=40)]
    name_en: Annotated[str, Field(max_length=60)] = ""
    items: Annotated[list[TemplateItemIn], Field(max_length=40)]


# -- sites -----------------------------------------------------------------------------------


@router.get("/sites")
async def list_sites(caller: CurrentCaller, storage: Store) -> list[dict[str, Any]]:
    """The caller's sites (empty on a new server: create the first one)."""
    return admin.list_sites(storage, caller.user)


@router.post("/sites", status_code=201, responses=_ERRORS)
async def create_site(body: SiteIn, caller: CurrentCaller, storage: Store) -> dict[str, Any]:
    """A new site with its own QR label key; the caller is put on it."""
    return admin.create_site(storage, caller.user, body.given(), _now())


@router.patch("/sites/{site_id}", responses=_ERRORS)
async def update_site(
    site_id: str, body: SiteEdit, caller: CurrentCaller, storage: Store
) -> dict[str, Any]:
    return admin.update_site(
        storage,
        caller.user,
        site_id,
        {k: v for k, v in body.given().items() if v is not None},
        _now(),
    )


@router.get("/sites/{site_id}/settings", responses=_ERRORS)
async def get_settings(site_id: str, caller: CurrentCaller, storage: Store) -> dict[str, Any]:
    """Grace and early allowances, GPS radius, completion threshold, rectification
    deadline and appraisal weights (defaults where never set)."""
    return admin.site_settings(storage, caller.user, site_id)


@router.put("/sites/{site_id}/settings", responses=_ERRORS)
async def put_settings(
    site_id: str, body: SettingsIn, caller: CurrentCaller, storage: Store
) -> dict[str, Any]:
    return admin.update_settings(storage, caller.user, site_id, body.given(), _now())


@router.put(
    "/sites/{site_id}/plan",
    responses=_ERRORS
    | {
        413: {"description": "over 15 MB"},
        415: {"description": "not a PNG or JPEG"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "image/png": {"schema": {"type": "string", "format": "binary"}},
                "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
)
async def put_plan(
    site_id: str, request: Request, caller: CurrentCaller, storage: Store, blobs: Blobs
) -> dict[str, Any]:
    """Upload the site plan (PNG or JPEG as the raw body, at most 15 MB and 40 MP); it is
    re-encoded and scaled to 2400 px on its long side."""
    require_admin(caller.user, site_id)
    data = await read_body(request, admin.PLAN_MAX_BYTES)
    return admin.upload_plan(storage, blobs, caller.user, site_id, data, _now())


# -- points ----------------------------------------------------------------------------------


@router.get("/sites/{site_id}/points", responses=_ERRORS)
async def list_points(
    site_id: str, caller: CurrentCaller, storage: Store, include_retired: bool = False
) -> list[dict[str, Any]]:
    return admin.list_points(storage, caller.user, site_id, include_retired)


@router.post("/sites/{site_id}/points", status_code=201, responses=_ERRORS)
async def create_point(
    site_id: str, body: PointIn, caller: CurrentCaller, storage: Store
) -> dict[str, Any]:
    """A checkpoint or cleaning area (short code made when left out)."""
    return admin.save_point(storage, caller.user, site_id, None, body.given(), _now())


@router.patch("/sites/{site_id}/points/{point_id}", responses=_ERRORS)
async def update_point(
    site_id: str, point_id: str, body: PointIn, caller: CurrentCaller, storage: Store
) -> dict[str, Any]:
    """The point's next version (history kept; past reports keep the old name)."""
    return admin.save_point(storage, caller.user, site_id, point_id, body.given(), _now())


@router.post("/sites/{site_id}/points/{point_id}/retire", responses=_ERRORS)
async def retire_point(
    site_id: str, point_id: str, caller: CurrentCaller, storage: Store
) -> dict[str, Any]:
    """Retire a point (deleted instead when nothing ever referred to it)."""
    return admin.retire_point(storage, caller.user, site_id, point_id, _now())


@router.get("/sites/{site_id}/points/{point_id}/history", responses=_ERRORS)
async def point_history(
    site_id: str, point_id: str, caller: CurrentCaller, storage: Store
) -> list[dict[str, Any]]:
    return admin.point_history(storage, caller.user, site_id, point_id)


# -- routes ----------------------------------------------------------------------------------


@router.get("/sites/{site_id}/routes", responses=_ERRORS)
async def list_routes(site_id: str, caller: CurrentCaller, storage: Store) -> list[dict[str, Any]]:
    return admin.list_routes(storage, caller.user, site_id)


@router.post("/sites/{site_id}/routes", status_code=201, responses=_ERRORS)
async def create_route(
    site_id: str, body: RouteIn, caller: CurrentCaller, storage: Store
) -> dict[str, Any]:
    return admin.save_route(storage, caller.user, site_id, None, body.given(), _now())


@router.put("/sites/{site_id}/routes/{route_id}", responses=_ERRORS)
async def update_route(
    site_id: str, route_id: str, body: RouteIn, caller: CurrentCaller, storage: Store
) -> dict[str, Any]:
    """The route's next version, in force from now; past rounds keep theirs."""
    return admin.save_route(storage, caller.user, site_id, route_id, body.given(), _now())


# -- schedules -------------------------------------------------------------------------------


@router.get("/sites/{site_id}/schedules", responses=_ERRORS)
async def list_schedules(
    site_id: str, caller: CurrentCaller, storage: Store
) -> list[dict[str, Any]]:
    return admin.list_schedules(storage, caller.user, site_id, _now())


@router.post("/sites/{site_id}/schedule-preview", responses=_ERRORS)
async def preview_new_schedule(
    site_id: str,
    body: ScheduleIn,
    caller: CurrentCaller,
    storage: Store,
    days: Annotated[int, Query(ge=1, le=31)] = 7,
) -> dict[str, Any]:
    """The visits this schedule would produce in the next `days` days, per day, with
    warnings (no visits, windows overlapping, the responsible person's other schedules
    overlapping). Nothing is stored."""
    return admin.preview_schedule(storage, caller.user, site_id, None, body.given(), days, _now())


@router.post("/sites/{site_id}/schedules/{schedule_id}/preview", responses=_ERRORS)
async def preview_schedule_change(
    site_id: str,
    schedule_id: str,
    body: ScheduleIn,
    caller: CurrentCaller,
    storage: Store,
    days: Annotated[int, Query(ge=1, le=31)] = 7,
) -> dict[str, Any]:
    return admin.preview_schedule(
        storage, caller.user, site_id, schedule_id, body.given(), days, _now()
    )


@router.post("/sites/{site_id}/schedules", status_code=201, responses=_ERRORS)
async def create_schedule(
    site_id: str, body: ScheduleIn, caller: CurrentCaller, storage: Store
) -> dict[str, Any]:
    return admin.save_schedule(storage, caller.user, site_id, None, body.given(), _now())


@router.put("/sites/{site_id}/schedules/{schedule_id}", responses=_ERRORS)
async def update_schedule(
    site_id: str, schedule_id: str, body: ScheduleIn, caller: CurrentCaller, storage: Store
) -> dict[str, Any]:
    """The schedule's next version from now; visits already due keep the old rules."""
    return admin.save_schedule(storage, caller.user, site_id, schedule_id, body.given(), _now())


@router.post("/sites/{site_id}/schedules/{schedule_id}/end", responses=_ERRORS)
async def end_schedule(
    site_id: str, schedule_id: str, caller: CurrentCaller, storage: Store
) -> dict[str, Any]:
    return admin.end_schedule(storage, caller.user, site_id, schedule_id, _now())


# -- templates -------------------------------------------------------------------------------


@router.get("/sites/{site_id}/templates", responses=_ERRORS)
async def list_templates(
    site_id: str, caller: CurrentCaller, storage: Store
) -> list[dict[str, Any]]:
    return admin.list_templates(storage, caller.user, site_id)


@router.post("/sites/{site_id}/templates", status_code=201, responses=_ERRORS)
async def create_template(
    site_id: str, body: TemplateIn, caller: CurrentCaller, storage: Store
) -> dict[str, Any]:
    return admin.publish_template(storage, caller.user, site_id, None, body.given(), _now())


@router.post(
    "/sites/{site_id}/templates/{template_id}/versions", status_code=201, responses=_ERRORS
)
async def publish_template(
    site_id: str, template_id: str, body: TemplateIn, caller: CurrentCaller, storage: Store
) -> dict[str, Any]:
    """A new version of a template; inspections already made keep theirs. A company
    template answers 403: copy it to change it here."""
    return admin.publish_template(storage, caller.user, site_id, template_id, body.given(), _now())


_COMPANY_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {
        "description": "company templates are read by quality, managers and admins, and"
        " kept (published) by the quality department only"
    },
    404: {"description": "no such company template"},
    409: {"description": "the id is taken (or is a built-in default's)"},
    422: {"description": "invalid template: every problem is named"},
}


@router.post(
    "/sites/{site_id}/templates/{template_id}/copy",
    status_code=201,
    responses=_ERRORS | {404: {"description": "no such template on this site"}},
)
async def copy_template(
    site_id: str, template_id: str, caller: CurrentCaller, storage: Store
) -> dict[str, Any]:
    """A new site template with the items of one the site can use (a company template is
    copied to be adapted here: editing it is 403)."""
    return admin.copy_template(storage, caller.user, site_id, template_id, _now())


@router.get("/company/templates", responses=_COMPANY_ERRORS)
async def list_company_templates(caller: CurrentCaller, storage: Store) -> list[dict[str, Any]]:
    """The newest version of each of the caller's company's own templates."""
    return admin.list_company_templates(storage, caller.user)


@router.post("/company/templates", status_code=201, responses=_COMPANY_ERRORS)
async def create_company_template(
    body: TemplateIn, caller: CurrentCaller, storage: Store
) -> dict[str, Any]:
    """A new company template, usable by every site of the company (quality only)."""
    return admin.publish_company_template(storage, caller.user, None, body.given(), _now())


@router.post(
    "/company/templates/{template_id}/versions", status_code=201, responses=_COMPANY_ERRORS
)
async def publish_company_template(
    template_id: str, body: TemplateIn, caller: CurrentCaller, storage: Store
) -> dict[str, Any]:
    """The next version of a company template (quality only); inspections already made
    keep theirs."""
    return admin.publish_company_template(storage, caller.user, template_id, body.given(), _now())


# -- audit -----------------------------------------------------------------------------------


@router.get("/sites/{site_id}/audit", responses=_ERRORS)
async def audit_log(
    site_id: str,
    caller: CurrentCaller,
    storage: Store,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    before_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> list[dict[str, Any]]:
    """Every set-up change on the site, newest first: who, when, what, before → after."""
    return admin.audit_log(storage, caller.user, site_id, limit, before_id)
