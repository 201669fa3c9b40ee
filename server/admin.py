"""Site set-up: sites, settings, the plan, points, routes, schedules and templates.

Every function here is what both the HTTP API (`server/api/admin.py`) and the console's
admin screens call: it checks the caller first (`server.access`: another site → 404, a
role that does not administer → 403), validates with the rules in `domain.admin`, writes,
and appends an audit entry (who, when, what, before → after) in the same transaction.

Nothing is rewritten in the past: a point edit is a new version (history kept, past
reports show the old name), a point with records is retired rather than deleted, a route
or schedule change is a new version effective now, a template edit is a new version.
"""

from __future__ import annotations

import io
import re
import secrets
import warnings
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import HTTPException
from PIL import Image

from domain.admin import (
    SetupError,
    SiteSettings,
    check_point,
    check_schedule,
    check_template,
    printable,
    settings_from_dict,
    settings_to_dict,
    tz_problem,
)
from domain.config import point_to_dict, route_to_dict, schedule_to_dict
from domain.labels import new_site_key, public_key_of
from domain.models import PointKind, RouteVersion, Schedule
from domain.schedules import preview
from domain.templates import load_templates, template_to_dict
from server.access import AccessDenied, require_admin, role_of
from server.blobs import BlobStore
from server.images import ImageRejected, inspect_image
from server.storage import Storage, UserRow

__all__ = [
    "PLAN_MAX_BYTES",
    "PLAN_MAX_PIXELS",
    "PLAN_MAX_SIDE",
    "AdminError",
    "audit",
    "audit_log",
    "create_site",
    "end_schedule",
    "list_points",
    "list_routes",
    "list_schedules",
    "list_sites",
    "list_templates",
    "point_history",
    "preview_schedule",
    "publish_template",
    "retire_point",
    "save_point",
    "save_route",
    "save_schedule",
    "settings_of",
    "site_settings",
    "update_settings",
    "update_site",
    "upload_plan",
]

PLAN_MAX_BYTES = 15 * 1024 * 1024
PLAN_MAX_PIXELS = 40_000_000  # a 8000×5000 scan at most; more is refused before decoding
PLAN_MAX_SIDE = 2400  # stored plans are resized to this long side
MAX_PREVIEW_DAYS = 31
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,30}$")


class AdminError(HTTPException):
    """A refused change: 404, 409 (conflicts with what is stored), 413, 415 or 422
    (invalid: `detail` names every problem, separated by "; ")."""


def _invalid(problems: list[str]) -> AdminError:
    return AdminError(422, "; ".join(problems))


def audit(
    storage: Storage,
    user: UserRow,
    site_id: str,
    action: str,
    target: str,
    before: Any,
    after: Any,
    now: datetime,
) -> None:
    storage.add_audit(
        site_id=site_id,
        at=now,
        user_id=user.id,
        action=action,
        target=target,
        before=before,
        after=after,
    )


def _site_json(site: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": site["id"],
        "name": site["name"],
        "tz": site["tz"],
        "address": site.get("address") or "",
        "has_plan": bool(site.get("plan_sha")),
    }


# -- sites ---------------------------------------------------------------------------------


def list_sites(storage: Storage, user: UserRow) -> list[dict[str, Any]]:
    """The caller's own sites."""
    return [_site_json(s) for s in storage.sites(user.site_ids)]


def create_site(
    storage: Storage, user: UserRow, data: Mapping[str, Any], now: datetime
) -> dict[str, Any]:
    """A new site of the caller's company, with its own label key; the caller is put on it.

    Managers and admins only (403). The id is a short slug (made from nothing if left out).
    """
    role = role_of(user)
    if role is None or not role.administers:
        raise AccessDenied(403, "only a manager or admin can create a site")
    problems = []
    site_id = str(data.get("id") or f"site-{secrets.token_hex(3)}").strip().lower()
    if not _SLUG.match(site_id):
        problems.append("site id must be 2-31 lower-case letters, digits or '-'")
    elif storage.site(site_id) is not None:
        problems.append(f"site id {site_id!r} is taken")
    name = str(data.get("name") or "").strip()
    if not 1 <= len(name) <= 60 or not printable(name):
        problems.append("name is required, at most 60 printable characters")
    tz = str(data.get("tz") or "Asia/Shanghai").strip()
    if (tz_error := tz_problem(tz)) is not None:
        problems.append(tz_error)
    address = str(data.get("address") or "").strip()
    if len(address) > 200 or not printable(address):
        problems.append("address is at most 200 printable characters")
    if problems:
        raise _invalid(problems)
    key = new_site_key()
    with storage.transaction():
        storage.create_site(
            site_id=site_id,
            company_id=user.company_id,
            name=name,
            tz=tz,
            address=address,
            settings=settings_to_dict(SiteSettings()),
            label_key=key,
            label_public_key=public_key_of(key),
            at=now,
            member_ids=[user.id],
        )
        known = {(t.id, t.version) for t in storage.templates(site_id)}
        for default in load_templates():  # a first site on an empty server gets 六清三无 &c.
            if (default.id, default.version) not in known:
                storage.add_template(default)
        site = storage.site(site_id)
        assert site is not None
        audit(storage, user, site_id, "site.create", site_id, None, _site_json(site), now)
    return _site_json(site)


def update_site(
    storage: Storage, user: UserRow, site_id: str, data: Mapping[str, Any], now: datetime
) -> dict[str, Any]:
    """Change a site's name, time zone (only while it has no records) or address."""
    require_admin(user, site_id)
    site = storage.site(site_id)
    assert site is not None
    fields: dict[str, Any] = {}
    problems = []
    if "name" in data:
        fields["name"] = str(data["name"] or "").strip()
        if not 1 <= len(fields["name"]) <= 60 or not printable(fields["name"]):
            problems.append("name is required, at most 60 printable characters")
    if "tz" in data and data["tz"] != site["tz"]:
        fields["tz"] = str(data["tz"] or "").strip()
        if (tz_error := tz_problem(fields["tz"])) is not None:
            problems.append(tz_error)
        elif storage.site_has_records(site_id):
            # Past visits were expanded in the old zone: moving it would rewrite history.
            raise AdminError(409, "the time zone cannot change once the site has records")
    if "address" in data:
        fields["address"] = str(data["address"] or "").strip()
        if len(fields["address"]) > 200 or not printable(fields["address"]):
            problems.append("address is at most 200 characters")
    if problems:
        raise _invalid(problems)
    before = _site_json(site)
    with storage.transaction():
        if fields:
            storage.update_site(site_id, fields)
        after = _site_json(storage.site(site_id) or site)
        audit(storage, user, site_id, "site.update", site_id, before, after, now)
    return after


def settings_of(storage: Storage, site_id: str) -> SiteSettings:
    """Stored settings over the defaults; anything unreadable falls back to defaults."""
    try:
        return settings_from_dict(storage.site_settings_json(site_id))
    except SetupError:
        return SiteSettings()


def site_settings(storage: Storage, user: UserRow, site_id: str) -> dict[str, Any]:
    require_admin(user, site_id)
    return settings_to_dict(settings_of(storage, site_id))


def update_settings(
    storage: Storage, user: UserRow, site_id: str, data: Mapping[str, Any], now: datetime
) -> dict[str, Any]:
    """Change some settings; the rest keep their values (422 lists every problem)."""
    require_admin(user, site_id)
    before = settings_of(storage, site_id)
    try:
        after = settings_from_dict(data, before)
    except SetupError as exc:
        raise _invalid(exc.problems) from exc
    with storage.transaction():
        storage.update_site(site_id, {"settings": settings_to_dict(after)})
        audit(
            storage,
            user,
            site_id,
            "settings.update",
            site_id,
            settings_to_dict(before),
            settings_to_dict(after),
            now,
        )
    return settings_to_dict(after)


# -- the site plan -------------------------------------------------------------------------


def plan_image(data: bytes) -> tuple[bytes, int, int]:
    """A plan upload checked and made servable: (PNG or JPEG bytes, width, height).

    Only PNG or JPEG; at most `PLAN_MAX_BYTES` and `PLAN_MAX_PIXELS` (the pixel count is
    read from the header, before anything is decoded, so a decompression bomb is refused
    cheaply); larger plans are scaled to `PLAN_MAX_SIDE` on the long side. The image is
    re-encoded, so nothing hidden in the upload is kept.
    """
    if len(data) > PLAN_MAX_BYTES:
        raise AdminError(413, f"the plan is over {PLAN_MAX_BYTES // (1024 * 1024)} MB")
    try:
        info = inspect_image(data, PLAN_MAX_PIXELS)
    except ImageRejected as exc:
        raise AdminError(415 if "not" in str(exc) else 422, f"plan refused: {exc}") from exc
    if info.mime not in ("image/png", "image/jpeg"):
        raise AdminError(415, "the plan must be a PNG or JPEG image")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                img.load()
                picture = img.convert("RGB") if img.mode not in ("RGB", "L") else img.copy()
    except Exception as exc:  # a decoder error is the upload's fault, never a 500
        raise AdminError(422, "plan refused: the image could not be decoded") from exc
    picture.thumbnail((PLAN_MAX_SIDE, PLAN_MAX_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    if info.mime == "image/png":
        picture.save(out, "PNG", optimize=True)
    else:
        picture.save(out, "JPEG", quality=85)
    return out.getvalue(), picture.width, picture.height


def upload_plan(
    storage: Storage,
    blobs: BlobStore,
    user: UserRow,
    site_id: str,
    data: bytes,
    now: datetime,
) -> dict[str, Any]:
    """Store an uploaded plan as the site's plan (the old one stays in the blob store)."""
    require_admin(user, site_id)
    image, width, height = plan_image(data)
    site = storage.site(site_id)
    assert site is not None
    sha = blobs.put(image)
    with storage.transaction():
        storage.update_site(site_id, {"plan_sha": sha})
        after = {"plan_sha": sha, "width": width, "height": height}
        audit(
            storage,
            user,
            site_id,
            "plan.upload",
            site_id,
            {"plan_sha": site["plan_sha"]},
            after,
            now,
        )
    return after


# -- points --------------------------------------------------------------------------------


def _point_json(row: Any) -> dict[str, Any]:
    return point_to_dict(row.point) | {"version": row.version, "retired_at": row.retired_at}


def list_points(
    storage: Storage, user: UserRow, site_id: str, include_retired: bool = False
) -> list[dict[str, Any]]:
    require_admin(user, site_id)
    return [_point_json(r) for r in storage.point_rows(site_id, include_retired)]


def save_point(
    storage: Storage,
    user: UserRow,
    site_id: str,
    point_id: str | None,
    data: Mapping[str, Any],
    now: datetime,
) -> dict[str, Any]:
    """Create a point (`point_id` None) or save its next version (fields left out keep
    their values; the kind never changes). 422 lists every problem."""
    require_admin(user, site_id)
    rows = {r.point.id: r for r in storage.point_rows(site_id)}
    current = rows.get(point_id) if point_id else None
    if point_id is not None and current is None:
        raise AdminError(404, "point not found")
    merged: dict[str, Any] = {}
    if current is not None:
        merged = point_to_dict(current.point)
        if "kind" in data and data["kind"] != merged["kind"]:
            raise _invalid(["a point's kind cannot change: retire it and add a new one"])
    merged.update(data)
    new_id = point_id or f"p{secrets.token_hex(5)}"
    try:
        point = check_point(
            merged,
            point_id=new_id,
            site_id=site_id,
            default_radius_m=settings_of(storage, site_id).gps_radius_m,
            other_codes=[r.point.short_code for pid, r in rows.items() if pid != new_id],
            template_ids={t.id for t in storage.templates(site_id)},
        )
    except SetupError as exc:
        raise _invalid(exc.problems) from exc
    with storage.transaction():
        if current is None:
            storage.add_point(point, now, user.id)
            audit(storage, user, site_id, "point.create", new_id, None, point_to_dict(point), now)
            version = 1
        else:
            version = current.version + 1
            storage.update_point(point, version, now, user.id)
            audit(
                storage,
                user,
                site_id,
                "point.update",
                new_id,
                point_to_dict(current.point),
                point_to_dict(point),
                now,
            )
    return point_to_dict(point) | {"version": version, "retired_at": None}


def retire_point(
    storage: Storage, user: UserRow, site_id: str, point_id: str, now: datetime
) -> dict[str, Any]:
    """Take a point out of use. One nothing refers to is deleted; one with records, past
    routes or schedules is retired (kept, with its history, for past reports). A point
    still on a current route is refused (409): take it off the route first. An area's
    schedules end now."""
    require_admin(user, site_id)
    row = next((r for r in storage.point_rows(site_id) if r.point.id == point_id), None)
    if row is None:
        raise AdminError(404, "point not found")
    on_routes = [
        versions[-1].name
        for versions in storage.route_versions(site_id).values()
        if point_id in versions[-1].checkpoint_ids
    ]
    if on_routes:
        raise AdminError(409, f"the point is on route(s) {', '.join(on_routes)}: edit them first")
    before = _point_json(row)
    with storage.transaction():
        if not storage.point_used(site_id, point_id):
            storage.delete_unused_point(point_id)
            audit(storage, user, site_id, "point.delete", point_id, before, None, now)
            return {"id": point_id, "deleted": True, "retired": False}
        for s in _current_schedules(storage, site_id, now):
            if s.target_id == point_id:
                storage.end_schedule(s.id, now)
                audit(storage, user, site_id, "schedule.end", s.id, schedule_to_dict(s), None, now)
        storage.retire_point(point_id, now)
        audit(storage, user, site_id, "point.retire", point_id, before, {"retired": True}, now)
    return {"id": point_id, "deleted": False, "retired": True}


def point_history(
    storage: Storage, user: UserRow, site_id: str, point_id: str
) -> list[dict[str, Any]]:
    require_admin(user, site_id)
    if not any(r.point.id == point_id for r in storage.point_rows(site_id)):
        raise AdminError(404, "point not found")
    return storage.point_history(point_id)


# -- routes --------------------------------------------------------------------------------


def list_routes(storage: Storage, user: UserRow, site_id: str) -> list[dict[str, Any]]:
    """Each route's newest version, with how many versions it has had."""
    require_admin(user, site_id)
    return [
        route_to_dict(versions[-1]) | {"versions": len(versions)}
        for versions in storage.route_versions(site_id).values()
    ]


def save_route(
    storage: Storage,
    user: UserRow,
    site_id: str,
    route_id: str | None,
    data: Mapping[str, Any],
    now: datetime,
) -> dict[str, Any]:
    """A new route, or the next version of one, in force from now (past rounds keep the
    version they started with). Checkpoints: 1-200 of the site's checkpoints in use, no
    repeats; `not_before` gives 0-720 minutes for some of them; `ordered` asks for order."""
    require_admin(user, site_id)
    routes = storage.route_versions(site_id)
    if route_id is not None and route_id not in routes:
        raise AdminError(404, "route not found")
    previous = routes[route_id][-1] if route_id else None
    problems = []
    name = str(data.get("name") or (previous.name if previous else "")).strip()
    if not 1 <= len(name) <= 60 or not printable(name):
        problems.append("name is required, at most 60 characters")
    ids = data.get("checkpoint_ids", list(previous.checkpoint_ids) if previous else [])
    usable = {
        r.point.id
        for r in storage.point_rows(site_id, include_retired=False)
        if r.point.kind is PointKind.CHECKPOINT
    }
    if not isinstance(ids, list) or not 1 <= len(ids) <= 200:
        problems.append("a route has 1-200 checkpoints")
        ids = []
    elif len(set(map(str, ids))) != len(ids):
        problems.append("a checkpoint appears twice on the route")
    unknown = [str(i) for i in ids if str(i) not in usable]
    if unknown:
        problems.append(f"not checkpoints in use on this site: {', '.join(unknown[:5])}")
    not_before = data.get("not_before", dict(previous.not_before) if previous else {})
    if not isinstance(not_before, Mapping) or not all(
        k in ids and isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 720
        for k, v in not_before.items()
    ):
        problems.append("not_before maps checkpoints on the route to 0-720 minutes")
        not_before = {}
    ordered = data.get("ordered", previous.ordered if previous else False)
    if not isinstance(ordered, bool):
        problems.append("ordered is true or false")
    if problems:
        raise _invalid(problems)
    new_id = route_id or f"r{secrets.token_hex(4)}"
    version = RouteVersion(
        new_id,
        previous.version + 1 if previous else 1,
        name,
        now,
        tuple(str(i) for i in ids),
        bool(ordered),
        {str(k): int(v) for k, v in not_before.items()},
    )
    with storage.transaction():
        storage.add_route_version(site_id, version)
        audit(
            storage,
            user,
            site_id,
            "route.update" if previous else "route.create",
            new_id,
            route_to_dict(previous) if previous else None,
            route_to_dict(version),
            now,
        )
    return route_to_dict(version) | {"versions": version.version}


# -- schedules -----------------------------------------------------------------------------


def _current_schedules(storage: Storage, site_id: str, now: datetime) -> list[Schedule]:
    """The newest version of each schedule still in force or starting later."""
    latest: dict[str, Schedule] = {}
    for s in storage.schedules(site_id):
        if s.effective_to is None or s.effective_to > now:
            latest[s.id] = s
    return list(latest.values())


def list_schedules(
    storage: Storage, user: UserRow, site_id: str, now: datetime
) -> list[dict[str, Any]]:
    require_admin(user, site_id)
    return [schedule_to_dict(s) for s in _current_schedules(storage, site_id, now)]


def _draft(
    storage: Storage,
    site_id: str,
    schedule_id: str | None,
    data: Mapping[str, Any],
    now: datetime,
) -> Schedule:
    latest = {s.id: s for s in storage.schedules(site_id)}
    if schedule_id is not None and schedule_id not in latest:
        raise AdminError(404, "schedule not found")
    merged: dict[str, Any] = {}
    if schedule_id is not None:
        merged = schedule_to_dict(latest[schedule_id])
    merged.update(data)
    retired = storage.retired_point_ids(site_id)
    targets = {
        "route": list(storage.route_versions(site_id)),
        "area": [
            r.point.id
            for r in storage.point_rows(site_id)
            if r.point.kind is PointKind.AREA and r.point.id not in retired
        ],
    }
    try:
        return check_schedule(
            merged,
            schedule_id=schedule_id or f"s{secrets.token_hex(4)}",
            version=latest[schedule_id].version + 1 if schedule_id else 1,
            site_id=site_id,
            effective_from=now,
            targets=targets,
            people=[p["id"] for p in storage.site_users(site_id)],
            settings=settings_of(storage, site_id),
        )
    except SetupError as exc:
        raise _invalid(exc.problems) from exc


def _preview_json(
    storage: Storage, site_id: str, draft: Schedule, days: int, now: datetime
) -> dict[str, Any]:
    site = storage.site(site_id)
    assert site is not None
    tz = ZoneInfo(site["tz"])
    others = [
        s
        for s in _current_schedules(storage, site_id, now)
        if draft.responsible_user_id and s.responsible_user_id == draft.responsible_user_id
    ]
    result = preview(draft, tz, now, days, others)
    return {
        "count": len(result.occurrences),
        "visits": [at.astimezone(tz).isoformat() for at in result.occurrences[:500]],
        "per_day": {d.isoformat(): n for d, n in sorted(result.per_day.items())},
        "warnings": [
            {
                "code": w.code,
                "message": w.message,
                "schedule_id": w.schedule_id,
                "at": w.at.astimezone(tz).isoformat() if w.at else None,
            }
            for w in result.warnings
        ],
    }


def preview_schedule(
    storage: Storage,
    user: UserRow,
    site_id: str,
    schedule_id: str | None,
    data: Mapping[str, Any],
    days: int,
    now: datetime,
) -> dict[str, Any]:
    """The visits a schedule draft would produce in the next `days` (1-31) days, with
    warnings (no visits; overlapping the responsible person's other schedules). Nothing
    is stored."""
    require_admin(user, site_id)
    if not 1 <= days <= MAX_PREVIEW_DAYS:
        raise _invalid([f"days must be 1-{MAX_PREVIEW_DAYS}"])
    draft = _draft(storage, site_id, schedule_id, data, now)
    return {"schedule": schedule_to_dict(draft)} | _preview_json(storage, site_id, draft, days, now)


def save_schedule(
    storage: Storage,
    user: UserRow,
    site_id: str,
    schedule_id: str | None,
    data: Mapping[str, Any],
    now: datetime,
) -> dict[str, Any]:
    """A new schedule, or its next version in force from now (the old version ends now,
    so visits already due keep the rules they had). Answers with the 7-day preview."""
    require_admin(user, site_id)
    draft = _draft(storage, site_id, schedule_id, data, now)
    before = {s.id: s for s in storage.schedules(site_id)}.get(draft.id)
    with storage.transaction():
        if schedule_id is None:
            storage.add_schedule(draft)
        else:
            storage.change_schedule(draft)
        audit(
            storage,
            user,
            site_id,
            "schedule.update" if before else "schedule.create",
            draft.id,
            schedule_to_dict(before) if before else None,
            schedule_to_dict(draft),
            now,
        )
    return {"schedule": schedule_to_dict(draft)} | _preview_json(storage, site_id, draft, 7, now)


def end_schedule(
    storage: Storage, user: UserRow, site_id: str, schedule_id: str, now: datetime
) -> dict[str, Any]:
    """Stop a schedule from now on; its past visits stay."""
    require_admin(user, site_id)
    current = {s.id: s for s in _current_schedules(storage, site_id, now)}.get(schedule_id)
    if current is None:
        raise AdminError(404, "schedule not found or already ended")
    with storage.transaction():
        storage.end_schedule(schedule_id, now)
        audit(
            storage,
            user,
            site_id,
            "schedule.end",
            schedule_id,
            schedule_to_dict(current),
            None,
            now,
        )
    return {"id": schedule_id, "ended_at": now.isoformat()}


# -- templates -----------------------------------------------------------------------------


def list_templates(storage: Storage, user: UserRow, site_id: str) -> list[dict[str, Any]]:
    """The newest version of each template the site can use."""
    require_admin(user, site_id)
    latest = {t.id: t for t in storage.templates(site_id)}
    return [template_to_dict(t) for t in latest.values()]


def publish_template(
    storage: Storage,
    user: UserRow,
    site_id: str,
    template_id: str | None,
    data: Mapping[str, Any],
    now: datetime,
) -> dict[str, Any]:
    """Publish a new template, or the next version of one (a company default edited here
    becomes this site's own version). Inspections already made keep the version they
    name; new ones use this one."""
    require_admin(user, site_id)
    latest = {t.id: t for t in storage.templates(site_id)}
    if template_id is not None and template_id not in latest:
        raise AdminError(404, "template not found")
    new_id = template_id or str(data.get("id") or f"t{secrets.token_hex(4)}")
    if template_id is None and new_id in latest:
        raise AdminError(409, f"template {new_id!r} exists: publish a new version of it")
    previous = latest.get(new_id)
    try:
        template = check_template(data, new_id, previous.version + 1 if previous else 1)
    except SetupError as exc:
        raise _invalid(exc.problems) from exc
    with storage.transaction():
        storage.add_template(template, site_id)
        audit(
            storage,
            user,
            site_id,
            "template.publish",
            new_id,
            template_to_dict(previous) if previous else None,
            template_to_dict(template),
            now,
        )
    return template_to_dict(template)


# -- the audit log -------------------------------------------------------------------------


def audit_log(
    storage: Storage, user: UserRow, site_id: str, limit: int = 200, before_id: int | None = None
) -> list[dict[str, Any]]:
    """A site's admin changes, newest first (managers and admins)."""
    require_admin(user, site_id)
    names = {p.id: p.name for p in storage.people(site_id)}
    return [
        {
            "id": e.id,
            "at": e.at,
            "user_id": e.user_id,
            "user_name": names.get(e.user_id, e.user_id),
            "action": e.action,
            "target": e.target,
            "before": e.before,
            "after": e.after,
        }
        for e in storage.audit(site_id, max(1, min(limit, 1000)), before_id)
    ]
