"""Reads for managers and devices: coverage and rectifications, built from stored records."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from domain.coverage import (
    Coverage,
    RoundFact,
    ScanFact,
    Visit,
    VisitStatus,
    expected_visits,
    judge,
    next_change,
    pending_matches,
)
from domain.scoring import inspection_score, rectification_state
from domain.trust import voids_follow_up
from domain.wire import RecordKind
from server import coverage_days
from server.coverage_days import round_facts
from server.ingest import rectification_events
from server.steady_cache import SteadyCache
from server.storage import Storage, StoredRecord
from server.storage_trust import ScanStandings

__all__ = [
    "VOID",
    "JudgedPeriod",
    "cache_clear",
    "coverage_report",
    "judged_period",
    "rectifications",
    "rejected_ids",
    "site_coverage",
]

DAY = timedelta(days=1)  # a longer period is judged day by day

# Reports of up to a day kept while they hold (see `server.steady_cache`): the screens of
# many managers reading the same site and day (longer periods reuse the days kept by
# `server.coverage_days`). Sized by their visits and rounds (~1 KB each as JSON-ready
# dicts): at most ~40 MB, and no single report of more than 5,000.
_REPORTS: SteadyCache[dict[str, Any]] = SteadyCache(capacity=40_000)
_REPORT_SIZE_KEPT = 5_000


def site_coverage(
    storage: Storage, site_id: str, start: datetime, end: datetime, now: datetime
) -> tuple[Coverage, ZoneInfo]:
    """Coverage of the visits due in [start, end), judged as of `now`.

    Only scans that count are matched: a scan held for review (its label failed the
    server's check) or rejected by a reviewer meets no visit.
    """
    judged = _judge(storage, site_id, start, end, now)
    return judged.coverage, judged.tz


@dataclass(slots=True)
class _Judged:
    coverage: Coverage
    tz: ZoneInfo
    scans: ScanStandings
    facts: dict[str, RoundFact]


def _judge(
    storage: Storage,
    site_id: str,
    start: datetime,
    end: datetime,
    now: datetime,
    by_day: bool | None = None,
) -> _Judged:
    """The period judged in one pass, or (longer than a day, or `by_day`) day by day with
    closed days cached (`server.coverage_days`); `by_day=False` forces one pass."""
    site = storage.site(site_id)
    if site is None:
        raise KeyError(site_id)
    tz = ZoneInfo(site["tz"])
    setup = _setup(storage, site_id, tz)
    before, after = setup.before, setup.after
    if by_day if by_day is not None else end - start > DAY:
        coverage, facts = coverage_days.judge_by_day(storage, site_id, setup, start, end, now)
        scans = storage.scan_standings(site_id, start - before, end + after, flagged_only=True)
        return _Judged(coverage, tz, scans, facts)
    facts = round_facts(storage, site_id, start - before - after, end + after)
    versions = {f.key: f.route_version for f in facts.values() if f.key and f.route_version}
    visits, rounds = expected_visits(setup.schedules, setup.routes, tz, start, end, versions)
    scans = storage.scan_standings(site_id, start - before, end + after)
    return _Judged(judge(visits, rounds, scans.counted, facts, now), tz, scans, facts)


def _setup(storage: Storage, site_id: str, tz: ZoneInfo) -> coverage_days.Setup:
    """The site's schedules and routes with their reach, read again only after a write
    other than a record insert (`Storage.cached`)."""
    return storage.cached(
        ("coverage setup", site_id, tz.key), lambda: _read_setup(storage, site_id, tz)
    )


def _read_setup(storage: Storage, site_id: str, tz: ZoneInfo) -> coverage_days.Setup:
    schedules = storage.schedules(site_id)
    routes = storage.route_versions(site_id)
    before = timedelta(minutes=max((s.early_minutes for s in schedules), default=0))
    longest_offset = max(
        (m for versions in routes.values() for v in versions for m in v.not_before.values()),
        default=0,
    )
    after = timedelta(
        minutes=max((s.window_minutes + s.grace_minutes for s in schedules), default=0)
        + longest_offset
    )
    return coverage_days.Setup(tz, schedules, routes, before, after)


def _visit_json(
    v: Visit, names: dict[str, str], held: tuple[str, VisitStatus] | None = None
) -> dict[str, Any]:
    scan = v.scan
    return {
        "point_id": v.point_id,
        "point_name": names.get(v.point_id, v.point_id),
        "route_id": v.route_id,
        "schedule_id": v.schedule_id,
        "round_key": v.round_key,
        "due": v.due.isoformat(),
        "closes": v.closes.isoformat(),
        "grace_end": v.grace_end.isoformat(),
        "status": v.status.value,
        "scan_id": scan.id if scan else None,
        "scanned_by": scan.user_id if scan else None,
        "scanned_at": scan.device_time.isoformat() if scan else None,
        "out_of_order": v.out_of_order,
        # a scan held for review that would meet this visit if a reviewer accepted it
        "pending_scan_id": held[0] if held else None,
        "pending_status": held[1].value if held else None,
    }


def cache_clear() -> None:
    """Forget every kept result: reports and the days `server.coverage_days` keeps."""
    _REPORTS.clear()
    coverage_days.cache_clear()


def coverage_report(
    storage: Storage,
    site_id: str,
    start: datetime,
    end: datetime,
    now: datetime,
    include_visits: bool = True,
) -> dict[str, Any]:
    """The period's coverage as of `now`: the same report a fresh judgement gives, taken
    from `_REPORTS` when one made earlier still holds."""
    key = _report_key(storage, site_id, start, end, include_visits)
    kept = _REPORTS.get(key, now)
    if kept is not None:
        return {**kept, "as_of": now.isoformat()}
    report, holds_until = _coverage_report(storage, site_id, start, end, now, include_visits)
    size = len(report.get("visits", ())) + len(report["rounds"]) + 1
    if end - start <= DAY and size <= _REPORT_SIZE_KEPT:
        _REPORTS.put(key, report, now, holds_until, size)
    return report


def _report_key(
    storage: Storage, site_id: str, start: datetime, end: datetime, include_visits: bool
) -> tuple[Any, ...]:
    """What a coverage report depends on besides `now`: the storage's generation (set-up,
    points, reviews' set-asides: any write but a record insert) and the change marks of
    every day whose records the report reads (scans, rounds, reviews)."""
    site = storage.site(site_id)
    if site is None:
        raise KeyError(site_id)
    tz = ZoneInfo(site["tz"])
    setup = _setup(storage, site_id, tz)
    reach = setup.context + setup.before + setup.after
    marks = storage.coverage_marks(site_id, start - reach, end + reach)
    return (
        coverage_days.storage_token(storage),
        storage.generation(),
        site_id,
        site["tz"],
        start,
        end,
        include_visits,
        tuple(sorted(marks.items())),
    )


def _coverage_report(
    storage: Storage,
    site_id: str,
    start: datetime,
    end: datetime,
    now: datetime,
    include_visits: bool,
) -> tuple[dict[str, Any], datetime]:
    """The report, and the instant until which it holds."""
    judged = _judge(storage, site_id, start, end, now)
    coverage, tz = judged.coverage, judged.tz
    names = storage.point_names_at(site_id, end)  # as they were: later renames change nothing
    in_period = [(s, f) for s, f in judged.scans.pending if start <= s.device_time < end]
    would_meet = pending_matches(coverage, (s for s, _ in in_period), judged.facts)
    held_visits = {id(v): (scan_id, status) for scan_id, (v, status) in would_meet.items()}
    targets = coverage.by_target()
    tallies = {
        "total": targets.total.as_dict(),
        "by_route": _dicts(targets.by_route),
        "by_area": _dicts(targets.by_area),
        "by_checkpoint": _dicts(targets.by_checkpoint),
        "by_person": _dicts(coverage.by_person()),
        "by_day": _dicts(coverage.by_day(tz)),
    }
    report: dict[str, Any] = {
        "site_id": site_id,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "as_of": now.isoformat(),
        "totals": tallies,
        "rounds": [
            {
                "key": r.key,
                "route_id": r.route_id,
                "route_version": r.route_version,
                "schedule_id": r.schedule_id,
                "due": r.due.isoformat(),
                "grace_end": r.grace_end.isoformat(),
                "state": r.state.value,
                "not_started_alert": r.not_started_alert,
                "done": r.done,
                "total": r.total,
                "points_left": r.points_left,
                "round_id": r.fact.id if r.fact else None,
                "started_by": r.fact.user_id if r.fact else None,
                "for_user_id": r.fact.for_user_id if r.fact else None,
                "handover_reason": r.fact.handover_reason if r.fact else "",
                "finish_reason": r.fact.finish_reason if r.fact else "",
            }
            for r in coverage.rounds
        ],
        "unmatched_scans": [
            {
                "scan_id": s.id,
                "point_id": s.point_id,
                "user_id": s.user_id,
                "device_time": s.device_time.isoformat(),
            }
            for s in coverage.unmatched_scans
            if start <= s.device_time < end
        ],
        "voluntary_rounds": [
            {
                "round_id": f.id,
                "route_id": f.route_id,
                "user_id": f.user_id,
                "started_at": f.started_at.isoformat(),
                "scans": sum(1 for s in coverage.voluntary_scans if s.round_id == f.id),
            }
            for f in coverage.voluntary_rounds
            if start <= f.started_at < end
        ],
        # Kept as evidence, counted nowhere above until a reviewer accepts them.
        "pending_review": {
            "count": len(in_period),
            "would_meet": len(would_meet),
            "scans": [_held_json(s, flags, names, would_meet.get(s.id)) for s, flags in in_period],
        },
        "rejected_scans": sum(1 for s, _ in judged.scans.rejected if start <= s.device_time < end),
    }
    if include_visits:
        report["visits"] = [_visit_json(v, names, held_visits.get(id(v))) for v in coverage.visits]
    return report, next_change(coverage, now)


def _held_json(
    scan: ScanFact,
    flags: list[str],
    names: dict[str, str],
    match: tuple[Visit, VisitStatus] | None,
) -> dict[str, Any]:
    return {
        "scan_id": scan.id,
        "point_id": scan.point_id,
        "point_name": names.get(scan.point_id, scan.point_id),
        "user_id": scan.user_id,
        "device_time": scan.device_time.isoformat(),
        "flags": flags,
        "would_meet": None
        if match is None
        else {
            "round_key": match[0].round_key,
            "point_id": match[0].point_id,
            "due": match[0].due.isoformat(),
            "status": match[1].value,
        },
    }


def _dicts(tallies: dict[str, Any]) -> dict[str, Any]:
    return {k: t.as_dict() for k, t in tallies.items()}


VOID = "void"  # the state of a rectification whose inspection was rejected on review


def rejected_ids(storage: Storage, site_id: str, records: Iterable[StoredRecord]) -> set[str]:
    """Those of `records` a reviewer rejected: what they opened is void, and they count
    in no figure (`domain.trust.voids_follow_up`; the latest review decides)."""
    flagged = [r for r in records if r.flags]
    if not flagged:
        return set()
    reviews = storage.latest_reviews(site_id, [r.id for r in flagged])
    return {r.id for r in flagged if voids_follow_up(r.flags, reviews.get(r.id))}


def rectifications(
    storage: Storage,
    site_id: str,
    now: datetime,
    since: datetime,
    assignee_id: str | None = None,
    include_closed: bool = False,
    include_void: bool = False,
) -> list[dict[str, Any]]:
    """Rectifications opened by failed inspection items since `since`, newest first.

    Each is assigned to whoever it was last reassigned to (`ticket_events`), else to the
    inspection's assignee. Those of an inspection a reviewer rejected are void
    (`domain.trust.voids_follow_up`): left out, or with `include_void` listed as state
    "void", never overdue (kept as evidence)."""
    inspections = [
        r
        for r in storage.records(site_id, [RecordKind.INSPECTION], since)
        if any(v == "fail" for v in r.body["results"].values())
    ]
    void = rejected_ids(storage, site_id, inspections)
    if not include_void:
        inspections = [i for i in inspections if i.id not in void]
    events: dict[str, list[StoredRecord]] = defaultdict(list)
    if inspections:
        for r in storage.records_referring_to([i.id for i in inspections]):
            if r.kind == RecordKind.RECTIFICATION and r.refers_to:
                events[r.refers_to].append(r)
    names = {p.id: p.name for p in storage.points(site_id)}
    reassigned = storage.rectification_assignees(site_id)  # append-only reassignments
    out = []
    for inspection in inspections:
        body = inspection.body
        deadline = inspection.device_time + timedelta(hours=body["deadline_hours"])
        for item, result in body["results"].items():
            if result != "fail":
                continue
            assignee = reassigned.get(f"{inspection.id}/{item}", body["assignee_id"])
            if assignee_id is not None and assignee not in (None, assignee_id):
                continue
            item_events = events.get(inspection.id, [])
            rect = rectification_state(
                f"{inspection.id}/{item}", deadline, rectification_events(item_events, item), now
            )
            if rect.state == "closed" and not include_closed:
                continue
            state, overdue = rect.state.value, rect.overdue
            if inspection.id in void:
                state, overdue = VOID, False
            after = [e.photos for e in item_events if e.body["item"] == item and e.photos]
            sent_back = [
                e.body.get("note", "")
                for e in sorted(item_events, key=lambda e: e.device_time)
                if e.body["item"] == item
                and e.body["action"] == "rechecked"
                and not e.body.get("passed")
            ]
            out.append(
                {
                    "id": rect.id,
                    "inspection_id": inspection.id,
                    "item": item,
                    "point_id": inspection.point_id,
                    "point_name": names.get(inspection.point_id or "", ""),
                    "template_id": body["template_id"],
                    "template_version": body.get("template_version"),
                    "opened_at": inspection.device_time.isoformat(),
                    "opened_by": inspection.user_id,
                    "assignee_id": assignee,
                    "deadline": deadline.isoformat(),
                    "state": state,
                    "overdue": overdue,
                    "reopened": rect.reopened,
                    "fixed_by": rect.fixed_by,
                    "note": body["item_notes"].get(item, ""),
                    "before_photos": body["item_photos"].get(item, []),
                    "after_photos": after[-1] if after else [],
                    "recheck_note": sent_back[-1] if sent_back else "",
                    "inspection_score": inspection_score(body["results"]),
                }
            )
    out.sort(key=lambda r: r["opened_at"], reverse=True)
    return out


JudgedPeriod = _Judged


def judged_period(
    storage: Storage, site_id: str, start: datetime, end: datetime, now: datetime
) -> JudgedPeriod:
    """Coverage of [start, end) with the period's scans by standing and the rounds' facts,
    from one read: what the console's coverage map and live view build on."""
    return _judge(storage, site_id, start, end, now)
