"""The coverage map's read model: each point's status and longest gap for a period, and a
point's detail (its expected visits, the scans that met them, who, photos, flags).

Shared by the console's map, the PNG render (`server.plan_render`) and the API route
`GET /sites/{id}/coverage-map.png`; callers check permissions first (`server.access`).
The rules are `domain.presence` (map status, gaps) over `domain.coverage` (one read of
the period through `server.reports.judged_period`). Every read is total: a point with no
position is listed apart, a site with no plan says so, an unknown filter value matches
nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.coverage import RoundSummary, ScanFact, Visit, VisitStatus, pending_matches
from domain.models import Point, PointKind
from domain.presence import (
    Gap,
    MapStatus,
    ShareBand,
    gap_level,
    longest_gap,
    map_status,
    share_band,
    uses_share_bands,
)
from domain.trust import Standing, standing
from server.live import completion_threshold
from server.reports import JudgedPeriod, judged_period
from server.storage import Storage

__all__ = [
    "CoverageMap",
    "MapFilter",
    "Marker",
    "PointDetail",
    "ScanLine",
    "VisitLine",
    "coverage_map",
    "marker_json",
    "point_detail",
]

MAX_SCAN_LINES = 200  # scans listed in a point's detail (newest first)


@dataclass(frozen=True, slots=True)
class MapFilter:
    """Which visits and points the map shows. None: all."""

    route_id: str | None = None
    kind: PointKind | None = None
    area_type: str | None = None  # an area's inspection template, e.g. six-clean-three-none
    person_id: str | None = None  # visits this person met or was responsible for


@dataclass(slots=True)
class Marker:
    point_id: str
    name: str
    kind: PointKind
    zone: str
    x: float | None  # 0..1 of the plan's width; None: no position on the plan
    y: float | None
    status: MapStatus
    expected: int = 0
    on_time: int = 0
    late: int = 0
    early: int = 0
    missed: int = 0
    upcoming: int = 0
    pending: int = 0  # scans held for review in the period
    gap: Gap | None = None
    gap_level: int | None = None
    responsible: tuple[str, ...] = ()  # names of those responsible for the missed visits
    band: ShareBand | None = None  # over a day or longer: the share band it is coloured by
    held: int = 0  # visits only a held scan would meet

    @property
    def placed(self) -> bool:
        return self.x is not None and self.y is not None


@dataclass(slots=True)
class CoverageMap:
    site_id: str
    site_name: str
    start: datetime
    end: datetime
    now: datetime
    plan_sha: str | None
    markers: list[Marker]
    routes: dict[str, str] = field(default_factory=dict)  # id → name, for the filter
    area_types: dict[str, str] = field(default_factory=dict)  # template id → name
    people: dict[str, str] = field(default_factory=dict)  # id → name
    scans: int = 0  # scans in the period, counted or held
    tz: str = "Asia/Shanghai"  # the site's time zone
    by_share: bool = False  # markers coloured by share band (a day or longer)
    threshold: float = 0.7  # the site's completion threshold (below it: red)

    @property
    def placed(self) -> list[Marker]:
        return [m for m in self.markers if m.placed]

    @property
    def unplaced(self) -> list[Marker]:
        return [m for m in self.markers if not m.placed]

    @property
    def expected(self) -> int:
        return sum(m.expected for m in self.markers)

    @property
    def empty(self) -> bool:
        """Nothing was expected and nobody scanned anything in the period."""
        return self.expected == 0 and self.scans == 0

    def count(self, status: MapStatus | ShareBand) -> int:
        """Markers in this status, or (a ShareBand) in this share band."""
        if isinstance(status, ShareBand):
            return sum(1 for m in self.markers if m.band is status)
        return sum(1 for m in self.markers if m.status is status)


@dataclass(frozen=True, slots=True)
class VisitLine:
    due: datetime
    closes: datetime
    grace_end: datetime
    status: VisitStatus
    route_name: str
    scan_id: str | None
    scanned_by: str  # name ('' when nobody)
    scanned_at: datetime | None
    responsible: str  # who the visit belonged to ('' when nobody is known)
    out_of_order: bool
    pending_scan_id: str | None  # a held scan that would meet it if accepted


@dataclass(frozen=True, slots=True)
class ScanLine:
    id: str
    at: datetime
    by: str
    standing: Standing
    flags: tuple[str, ...]
    photos: tuple[str, ...]
    met_visit: bool


@dataclass(slots=True)
class PointDetail:
    marker: Marker
    visits: list[VisitLine]
    scans: list[ScanLine]


# -- reading -------------------------------------------------------------------------------


def _responsible(rounds: dict[str, RoundSummary], visit: Visit) -> str | None:
    """Whose visit it was: the round's walker (or whom it was handed over for).

    Rostered or assigned people, for rounds nobody started and for areas, come with
    attribution (issue 7's appraisal); until then such a visit has nobody known.
    """
    summary = rounds.get(visit.round_key)
    fact = summary.fact if summary else None
    if fact is None:
        return None
    return fact.for_user_id or fact.user_id


class _Period:
    """One read of the period and the lookups every marker shares."""

    def __init__(
        self, storage: Storage, site_id: str, start: datetime, end: datetime, now: datetime
    ) -> None:
        self.start, self.end, self.now = start, end, now
        self.judged: JudgedPeriod = judged_period(storage, site_id, start, end, now)
        self.points = storage.points(site_id)
        self.people = {u["id"]: u["name"] for u in storage.site_users(site_id)}
        self.route_versions = storage.route_versions(site_id)
        self.rounds = {r.key: r for r in self.judged.coverage.rounds}
        self._held: dict[int, str] | None = None

    def route_name(self, route_id: str | None) -> str:
        versions = self.route_versions.get(route_id or "")
        return versions[-1].name if versions else ""

    def name(self, user_id: str | None) -> str:
        return self.people.get(user_id or "", user_id or "")

    def counted_scans(self) -> list[ScanFact]:
        """Every accepted scan in [start, end): presence, whether it met a visit or not."""
        cov = self.judged.coverage
        scans = [v.scan for v in cov.visits if v.scan is not None]
        scans += cov.unmatched_scans + cov.voluntary_scans
        if cov.other_scans:  # judged day by day: a scan that met a neighbouring day's visit
            seen = {s.id for s in scans}
            scans += [s for s in cov.other_scans if s.id not in seen]
        return [s for s in scans if self.start <= s.device_time < self.end]

    def pending_scans(self) -> list[tuple[ScanFact, list[str]]]:
        return [
            (s, f) for s, f in self.judged.scans.pending if self.start <= s.device_time < self.end
        ]

    def held(self) -> dict[int, str]:
        """id(visit) → the held scan that would meet it if a reviewer accepted it."""
        if self._held is None:
            matches = pending_matches(
                self.judged.coverage, (s for s, _ in self.pending_scans()), self.judged.facts
            )
            self._held = {id(v): scan_id for scan_id, (v, _status) in matches.items()}
        return self._held


def _wanted_points(period: _Period, flt: MapFilter) -> list[Point]:
    points = period.points
    if flt.kind is not None:
        points = [p for p in points if p.kind is flt.kind]
    if flt.area_type is not None:
        points = [p for p in points if p.kind is PointKind.AREA and p.template_id == flt.area_type]
    if flt.route_id is not None:
        on_route = {
            cp for v in period.route_versions.get(flt.route_id, []) for cp in v.checkpoint_ids
        }
        points = [p for p in points if p.id in on_route]
    return points


def _wanted_visit(visit: Visit, flt: MapFilter, responsible: str | None) -> bool:
    if flt.route_id is not None and visit.route_id != flt.route_id:
        return False
    if flt.person_id is not None:
        by = visit.scan.user_id if visit.scan else None
        return flt.person_id in (by, responsible)
    return True


def _build(
    period: _Period, flt: MapFilter, threshold: float | None = None
) -> tuple[list[Marker], dict[str, list[Visit]]]:
    """Markers and their visits; with a `threshold` (a day or longer) each marker also
    gets its share band (`domain.presence.share_band`)."""
    points = _wanted_points(period, flt)
    wanted_ids = {p.id for p in points}
    visits: dict[str, list[Visit]] = defaultdict(list)
    for visit in period.judged.coverage.visits:
        if visit.point_id in wanted_ids and _wanted_visit(
            visit, flt, _responsible(period.rounds, visit)
        ):
            visits[visit.point_id].append(visit)
    pending: dict[str, int] = defaultdict(int)
    for scan, _flags in period.pending_scans():
        if flt.person_id is None or scan.user_id == flt.person_id:
            pending[scan.point_id] += 1
    times: dict[str, list[datetime]] = defaultdict(list)
    for scan in period.counted_scans():
        if flt.person_id is None or scan.user_id == flt.person_id:
            times[scan.point_id].append(scan.device_time)
    held = period.held() if pending else {}
    markers = []
    for p in points:
        mine = visits.get(p.id, [])
        statuses = (MapStatus.PENDING if id(v) in held else v.status for v in mine)
        marker = Marker(
            p.id,
            p.name,
            p.kind,
            p.zone,
            p.plan_x,
            p.plan_y,
            map_status(statuses, pending.get(p.id, 0)),
            pending=pending.get(p.id, 0),
        )
        responsible: dict[str, None] = {}
        for v in mine:
            marker.expected += 1
            setattr(marker, v.status.value, getattr(marker, v.status.value) + 1)
            if v.status is VisitStatus.MISSED:
                who = _responsible(period.rounds, v)
                if who:
                    responsible[period.name(who)] = None
        marker.responsible = tuple(responsible)
        marker.held = sum(1 for v in mine if id(v) in held)
        if threshold is not None:
            marker.band = share_band(
                expected=marker.expected,
                on_time=marker.on_time,
                met=marker.on_time + marker.late + marker.early,
                upcoming=marker.upcoming,
                held=marker.held,
                pending=marker.pending,
                threshold=threshold,
            )
        marker.gap = longest_gap(times.get(p.id, []), period.start, period.end, period.now)
        marker.gap_level = gap_level(marker.gap)
        markers.append(marker)
    return markers, visits


def _options(storage: Storage, site_id: str, period: _Period) -> dict[str, dict[str, str]]:
    names = {t.id: t.name_zh for t in storage.templates(site_id)}
    area_types = {
        p.template_id: names.get(p.template_id, p.template_id)
        for p in period.points
        if p.kind is PointKind.AREA and p.template_id
    }
    field_people = {
        u["id"]: u["name"]
        for u in storage.site_users(site_id)
        if u["role"] in ("guard", "cleaner", "guard_lead", "cleaning_supervisor")
    }
    return {
        "routes": {rid: vs[-1].name for rid, vs in sorted(period.route_versions.items()) if vs},
        "area_types": dict(sorted(area_types.items())),
        "people": field_people,
    }


def coverage_map(
    storage: Storage,
    site_id: str,
    start: datetime,
    end: datetime,
    now: datetime,
    flt: MapFilter | None = None,
) -> CoverageMap:
    """Every point of the site with its map status and gap for [start, end) as of `now`."""
    flt = flt or MapFilter()
    site = storage.site(site_id)
    if site is None:
        raise KeyError(site_id)
    period = _Period(storage, site_id, start, end, now)
    by_share = uses_share_bands(start, end)
    threshold = completion_threshold(site)
    markers, _ = _build(period, flt, threshold if by_share else None)
    options = _options(storage, site_id, period)
    return CoverageMap(
        site_id,
        site["name"],
        start,
        end,
        now,
        site["plan_sha"],
        markers,
        options["routes"],
        options["area_types"],
        options["people"],
        len(period.counted_scans()) + len(period.pending_scans()),
        site["tz"],
        by_share,
        threshold,
    )


def point_detail(
    storage: Storage,
    site_id: str,
    point_id: str,
    start: datetime,
    end: datetime,
    now: datetime,
    flt: MapFilter | None = None,
) -> PointDetail | None:
    """One point's visits and scans in the period; None for a point not on this site."""
    flt = flt or MapFilter()
    if not any(p.id == point_id for p in storage.points(site_id)):
        return None
    period = _Period(storage, site_id, start, end, now)
    by_share = uses_share_bands(start, end)
    threshold = completion_threshold(storage.site(site_id)) if by_share else None
    markers, visits = _build(period, MapFilter(flt.route_id, None, None, flt.person_id), threshold)
    marker = next((m for m in markers if m.point_id == point_id), None)
    marker = marker or _bare_marker(period, point_id)
    pending = period.pending_scans()
    held = period.held()
    lines = [
        VisitLine(
            v.due,
            v.closes,
            v.grace_end,
            v.status,
            period.route_name(v.route_id),
            v.scan.id if v.scan else None,
            period.name(v.scan.user_id) if v.scan else "",
            v.scan.device_time if v.scan else None,
            period.name(_responsible(period.rounds, v)),
            v.out_of_order,
            held.get(id(v)),
        )
        for v in sorted(visits.get(point_id, []), key=lambda v: v.due)
    ]
    met = {v.scan.id for v in visits.get(point_id, []) if v.scan}
    scan_ids = [s.id for s in period.counted_scans() if s.point_id == point_id]
    scan_ids += [s.id for s, _ in pending if s.point_id == point_id]
    scan_ids += [
        s.id
        for s, _ in period.judged.scans.rejected
        if s.point_id == point_id and start <= s.device_time < end
    ]
    scans = _scan_lines(storage, site_id, period, scan_ids, met)
    return PointDetail(marker, lines, scans)


def _bare_marker(period: _Period, point_id: str) -> Marker:
    p = next(p for p in period.points if p.id == point_id)
    return Marker(p.id, p.name, p.kind, p.zone, p.plan_x, p.plan_y, MapStatus.NONE)


def _scan_lines(
    storage: Storage, site_id: str, period: _Period, scan_ids: list[str], met: set[str]
) -> list[ScanLine]:
    records = [storage.site_record(site_id, i) for i in dict.fromkeys(scan_ids)]
    found = sorted((r for r in records if r is not None), key=lambda r: r.device_time)
    found = found[-MAX_SCAN_LINES:]
    reviews = storage.latest_reviews(site_id, [r.id for r in found if r.flags])
    return [
        ScanLine(
            r.id,
            r.device_time,
            period.name(r.user_id),
            standing(r.flags, reviews.get(r.id)),
            tuple(r.flags),
            tuple(r.photos),
            r.id in met,
        )
        for r in reversed(found)
    ]


def marker_json(m: Marker) -> dict[str, Any]:
    """A marker as JSON (the API's and the tests' view of it)."""
    return {
        "point_id": m.point_id,
        "name": m.name,
        "kind": m.kind.value,
        "x": m.x,
        "y": m.y,
        "status": m.status.value,
        "expected": m.expected,
        "missed": m.missed,
        "pending": m.pending,
        "gap_seconds": m.gap.length.total_seconds() if m.gap else None,
        "gap_level": m.gap_level,
        "responsible": list(m.responsible),
        "band": m.band.value if m.band else None,
    }
