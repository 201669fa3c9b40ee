"""Schedules and routes as JSON-ready dicts: the device config format, also stored as rows."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from domain.models import Point, PointKind, RouteVersion, Schedule, TargetKind

__all__ = [
    "point_from_dict",
    "point_to_dict",
    "route_from_dict",
    "route_to_dict",
    "schedule_from_dict",
    "schedule_to_dict",
]


def _hhmm(t: time | None) -> str | None:
    return t.strftime("%H:%M") if t else None


def _utc(at: datetime | None) -> str | None:
    return at.astimezone(UTC).isoformat(timespec="microseconds") if at else None


def schedule_to_dict(s: Schedule) -> dict[str, Any]:
    return {
        "id": s.id,
        "version": s.version,
        "site_id": s.site_id,
        "name": s.name,
        "target_kind": s.target_kind.value,
        "target_id": s.target_id,
        "effective_from": _utc(s.effective_from),
        "effective_to": _utc(s.effective_to),
        "fixed_times": [_hhmm(t) for t in s.fixed_times],
        "every_minutes": s.every_minutes,
        "start": _hhmm(s.start),
        "end": _hhmm(s.end),
        "weekdays": sorted(s.weekdays),
        "window_minutes": s.window_minutes,
        "grace_minutes": s.grace_minutes,
        "early_minutes": s.early_minutes,
        "responsible_user_id": s.responsible_user_id,
        "responsible_team": s.responsible_team,
    }


def schedule_from_dict(d: dict[str, Any]) -> Schedule:
    return Schedule(
        id=d["id"],
        version=d["version"],
        site_id=d["site_id"],
        target_kind=TargetKind(d["target_kind"]),
        target_id=d["target_id"],
        effective_from=datetime.fromisoformat(d["effective_from"]),
        effective_to=datetime.fromisoformat(d["effective_to"]) if d["effective_to"] else None,
        fixed_times=tuple(time.fromisoformat(t) for t in d["fixed_times"]),
        every_minutes=d["every_minutes"],
        start=time.fromisoformat(d["start"]) if d["start"] else None,
        end=time.fromisoformat(d["end"]) if d["end"] else None,
        weekdays=frozenset(d["weekdays"]),
        window_minutes=d["window_minutes"],
        grace_minutes=d["grace_minutes"],
        early_minutes=d["early_minutes"],
        name=d["name"] or "",
        responsible_user_id=d.get("responsible_user_id") or None,
        responsible_team=d.get("responsible_team") or "",
    )


def route_to_dict(r: RouteVersion) -> dict[str, Any]:
    return {
        "id": r.route_id,
        "version": r.version,
        "name": r.name,
        "effective_from": _utc(r.effective_from),
        "checkpoint_ids": list(r.checkpoint_ids),
        "ordered": r.ordered,
        "not_before": r.not_before,
    }


def route_from_dict(d: dict[str, Any]) -> RouteVersion:
    return RouteVersion(
        d["id"],
        d["version"],
        d["name"],
        datetime.fromisoformat(d["effective_from"]),
        tuple(d["checkpoint_ids"]),
        d["ordered"],
        d["not_before"],
    )


def point_to_dict(p: Point) -> dict[str, Any]:
    return {
        "id": p.id,
        "site_id": p.site_id,
        "kind": p.kind.value,
        "name": p.name,
        "zone": p.zone,
        "plan_x": p.plan_x,
        "plan_y": p.plan_y,
        "lat": p.lat,
        "lon": p.lon,
        "checks": list(p.checks),
        "template_id": p.template_id,
        "requires_photo": p.requires_photo,
        "short_code": p.short_code,
        "radius_m": p.radius_m,
    }


def point_from_dict(d: dict[str, Any]) -> Point:
    return Point(
        d["id"],
        d["site_id"],
        PointKind(d["kind"]),
        d["name"],
        d["zone"] or "",
        d["plan_x"],
        d["plan_y"],
        d["lat"],
        d["lon"],
        tuple(d["checks"]),
        d["template_id"],
        bool(d["requires_photo"]),
        d["short_code"] or "",
        float(d.get("radius_m") or 100.0),
    )
