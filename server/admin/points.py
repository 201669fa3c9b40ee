"""Checkpoints and cleaning areas: versions, retirement, history."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from domain.admin import (
    SetupError,
    check_point,
)
from domain.config import point_to_dict, schedule_to_dict
from server.access import require_admin
from server.admin._common import AdminError, _invalid, audit
from server.admin.schedules import _current_schedules
from server.admin.sites import settings_of
from server.storage import Storage, UserRow

__all__ = [
    "list_points",
    "point_history",
    "retire_point",
    "save_point",
]


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
