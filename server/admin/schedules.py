"""Schedules: preview before saving; every change is a new version."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from domain.admin import (
    SetupError,
    check_schedule,
)
from domain.config import schedule_to_dict
from domain.models import PointKind, Schedule
from domain.schedules import preview
from server.access import require_admin
from server.admin._common import MAX_PREVIEW_DAYS, AdminError, _invalid, audit
from server.admin.sites import settings_of
from server.storage import Storage, UserRow

__all__ = [
    "end_schedule",
    "list_schedules",
    "preview_schedule",
    "save_schedule",
]


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
