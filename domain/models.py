"""Plain data for sites, points, routes, schedules and templates.

These are the shapes that the coverage engine, the server and the phone all share. Times
are timezone-aware; `datetime` values in the domain are always UTC unless named `local_`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time
from enum import StrEnum

__all__ = [
    "ROLES",
    "Point",
    "PointKind",
    "Role",
    "RouteVersion",
    "Schedule",
    "TargetKind",
    "Template",
    "TemplateItem",
]


class Role(StrEnum):
    GUARD = "guard"
    GUARD_LEAD = "guard_lead"
    CLEANER = "cleaner"
    CLEANING_SUPERVISOR = "cleaning_supervisor"
    MANAGER = "manager"
    ADMIN = "admin"
    QUALITY = "quality"  # 品质部: the company's quality department, across its sites

    @property
    def sees_reports(self) -> bool:
        """Leads, supervisors, managers, admins and quality read coverage; field staff not."""
        return self not in (Role.GUARD, Role.CLEANER)

    @property
    def reviews_records(self) -> bool:
        """Who may accept or reject a flagged record in the review queue."""
        return self in (
            Role.GUARD_LEAD,
            Role.CLEANING_SUPERVISOR,
            Role.MANAGER,
            Role.ADMIN,
            Role.QUALITY,
        )

    @property
    def administers(self) -> bool:
        """Who may set a site up: places, routes, schedules, templates, people, labels."""
        return self in (Role.MANAGER, Role.ADMIN)


ROLES = tuple(r.value for r in Role)


class PointKind(StrEnum):
    CHECKPOINT = "checkpoint"
    AREA = "area"


class TargetKind(StrEnum):
    ROUTE = "route"
    AREA = "area"


@dataclass(frozen=True, slots=True)
class Point:
    """A patrol checkpoint or a cleaning area: one printed QR label each."""

    id: str
    site_id: str
    kind: PointKind
    name: str
    zone: str = ""
    plan_x: float | None = None  # position on the site plan, 0..1 of its width
    plan_y: float | None = None
    lat: float | None = None
    lon: float | None = None
    checks: tuple[str, ...] = ()  # point checks asked at a checkpoint
    template_id: str | None = None  # inspection template of an area
    requires_photo: bool = False
    short_code: str = ""  # printed under the QR, typed when a label is damaged
    radius_m: float = 100.0  # a fix further than this (less its accuracy) is far from it


@dataclass(frozen=True, slots=True)
class RouteVersion:
    """A route as it stood from `effective_from`; edits make a new version."""

    route_id: str
    version: int
    name: str
    effective_from: datetime
    checkpoint_ids: tuple[str, ...]
    ordered: bool = False
    # Minutes after the round's start before which a point counts as early (提前打点).
    not_before: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Schedule:
    """When a route must be walked or an area cleaned, in the site's local time.

    Occurrences are the `fixed_times` plus, when `every_minutes` is set, one every
    `every_minutes` from `start` up to (not including) `end`; an `end` at or before
    `start` means the next day. `weekdays` (0 = Monday) name the day a series starts on,
    so the 02:00 round of a 20:00–06:00 night belongs to the evening before.
    A change is a new version: the old one keeps its `effective_to`, so history computed
    before the change stays as it was. `responsible_user_id` names who is rostered to it.
    """

    id: str
    version: int
    site_id: str
    target_kind: TargetKind
    target_id: str
    effective_from: datetime
    effective_to: datetime | None = None
    fixed_times: tuple[time, ...] = ()
    every_minutes: int | None = None
    start: time | None = None
    end: time | None = None
    weekdays: frozenset[int] = frozenset(range(7))
    window_minutes: int = 60
    grace_minutes: int = 15
    early_minutes: int = 15
    name: str = ""
    # Who a miss counts against when nobody walked the round: a person, else a team/shift.
    responsible_user_id: str | None = None
    responsible_team: str = ""


@dataclass(frozen=True, slots=True)
class TemplateItem:
    key: str
    group: str  # e.g. 六清 / 三无
    label_zh: str
    label_en: str


@dataclass(frozen=True, slots=True)
class Template:
    """A versioned inspection checklist, such as the default 六清三无."""

    id: str
    version: int
    name_zh: str
    name_en: str
    items: tuple[TemplateItem, ...]
