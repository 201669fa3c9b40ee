"""The coverage engine: schedules → expected visits, matched against scans.

Rules (see DOMAIN.md):
- A visit is due at its occurrence (plus the point's "not before" offset on the route).
  A scan from `early_minutes` before that is *early*, then *on time* until the window
  closes, then *late* until the grace period ends; with no scan it is *missed* once the
  grace has passed and *upcoming* before that.
- Device time decides, so records that arrive days late still count where they belong.
- A scan made inside a scheduled round can only meet that round's visits; a scan made
  inside a voluntary round is extra coverage and never changes scheduled figures; a scan
  outside any round meets the best open visit of its point. Each scan meets at most one
  visit and each visit is met by at most one scan: two schedules on one checkpoint need
  two scans. Preference: on time, then late, then early; ties go to the earlier visit.
- A round is judged against the route version named by the device when it started the
  round, else the version in force at the occurrence: editing a route never changes
  past reports.
- A scan made inside a started scheduled round always counts for that round: before the
  visit is due it is *early* (even before the early allowance: a round started early on
  purpose is early, never nothing), after the window it is *late* (even past the grace:
  a round still being walked stays open). A started round that is not finished stays
  *in progress* for `OPEN_ROUND` after its grace ends, and its unmet visits stay
  *upcoming* meanwhile, so the guard can go on and finish it.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from domain.models import RouteVersion, Schedule, TargetKind
from domain.schedules import occurrences

__all__ = [
    "OPEN_ROUND",
    "Coverage",
    "RoundFact",
    "RoundState",
    "RoundSummary",
    "ScanFact",
    "Tally",
    "TargetTallies",
    "Visit",
    "VisitStatus",
    "expected_visits",
    "judge",
    "next_change",
    "pending_matches",
    "round_key",
    "route_version_at",
]


class VisitStatus(StrEnum):
    EARLY = "early"
    ON_TIME = "on_time"
    LATE = "late"
    MISSED = "missed"
    UPCOMING = "upcoming"


class RoundState(StrEnum):
    UPCOMING = "upcoming"
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    INCOMPLETE = "incomplete"
    MISSED = "missed"


_RANK = {VisitStatus.ON_TIME: 0, VisitStatus.LATE: 1, VisitStatus.EARLY: 2}

# How long a started, unfinished round stays open after its grace: a shift.
OPEN_ROUND = timedelta(hours=12)


@dataclass(frozen=True, slots=True)
class ScanFact:
    """What coverage needs to know of one scan record."""

    id: str
    point_id: str
    user_id: str
    device_time: datetime
    round_id: str | None = None


@dataclass(frozen=True, slots=True)
class RoundFact:
    """A round as the device recorded it: its start and, if any, its finish."""

    id: str
    route_id: str
    user_id: str
    started_at: datetime
    schedule_id: str | None = None
    occurrence: datetime | None = None  # None: a voluntary round
    route_version: int | None = None
    for_user_id: str | None = None  # whose round it was, when a lead handed it over
    handover_reason: str = ""
    finished_at: datetime | None = None
    finish_reason: str = ""

    @property
    def key(self) -> str | None:
        if self.schedule_id is None or self.occurrence is None:
            return None
        return round_key(self.schedule_id, self.occurrence)


@dataclass(slots=True)
class Visit:
    """One expected visit of one point, and how it went."""

    round_key: str
    schedule_id: str
    point_id: str
    route_id: str | None
    seq: int  # position on the route (0 for an area)
    opens: datetime  # earliest scan that counts (as early)
    due: datetime
    closes: datetime
    grace_end: datetime
    status: VisitStatus = VisitStatus.UPCOMING
    scan: ScanFact | None = None
    out_of_order: bool = False

    def classify(self, at: datetime) -> VisitStatus | None:
        if at < self.opens or at > self.grace_end:
            return None
        if at < self.due:
            return VisitStatus.EARLY
        if at < self.closes:
            return VisitStatus.ON_TIME
        return VisitStatus.LATE

    def classify_in_round(self, at: datetime) -> VisitStatus | None:
        """A scan of the started round this visit belongs to: early before it is due,
        late after its window, until the round closes (`OPEN_ROUND` after the grace)."""
        if at > self.grace_end + OPEN_ROUND:
            return None
        if at < self.due:
            return VisitStatus.EARLY
        if at < self.closes:
            return VisitStatus.ON_TIME
        return VisitStatus.LATE


@dataclass(slots=True)
class RoundSummary:
    key: str
    schedule_id: str
    route_id: str
    route_version: int
    ordered: bool
    due: datetime
    closes: datetime
    grace_end: datetime
    visits: list[Visit]
    state: RoundState = RoundState.UPCOMING
    not_started_alert: bool = False
    fact: RoundFact | None = None

    @property
    def done(self) -> int:
        return sum(1 for v in self.visits if v.scan is not None)

    @property
    def total(self) -> int:
        return len(self.visits)

    @property
    def points_left(self) -> list[str]:
        return [v.point_id for v in self.visits if v.scan is None]

    @property
    def opens(self) -> datetime:
        """When the round may begin: its first visit's early allowance."""
        return min((v.opens for v in self.visits), default=self.due)


@dataclass(slots=True)
class Tally:
    expected: int = 0
    on_time: int = 0
    late: int = 0
    early: int = 0
    missed: int = 0
    upcoming: int = 0

    def add(self, status: VisitStatus, n: int = 1) -> None:
        """Count `n` visits of `status`."""
        self.expected += n
        if status is VisitStatus.ON_TIME:
            self.on_time += n
        elif status is VisitStatus.MISSED:
            self.missed += n
        elif status is VisitStatus.LATE:
            self.late += n
        elif status is VisitStatus.EARLY:
            self.early += n
        else:
            self.upcoming += n

    @classmethod
    def of(cls, counts: Mapping[VisitStatus, int]) -> Tally:
        """The tally of visits already counted per status."""
        tally = cls()
        for status, n in counts.items():
            tally.add(status, n)
        return tally

    @property
    def met(self) -> int:
        return self.on_time + self.late + self.early

    @property
    def coverage(self) -> float | None:
        """Share of the visits already due that were met (upcoming ones do not count)."""
        judged = self.expected - self.upcoming
        return self.met / judged if judged else None

    @property
    def punctuality(self) -> float | None:
        return self.on_time / self.met if self.met else None

    def as_dict(self) -> dict[str, float | int | None]:
        return {
            "expected": self.expected,
            "on_time": self.on_time,
            "late": self.late,
            "early": self.early,
            "missed": self.missed,
            "upcoming": self.upcoming,
            "coverage": self.coverage,
            "punctuality": self.punctuality,
        }


@dataclass(slots=True)
class TargetTallies:
    """Visits counted in total, per route, per area and per route checkpoint."""

    total: Tally = field(default_factory=Tally)
    by_route: dict[str, Tally] = field(default_factory=dict)
    by_area: dict[str, Tally] = field(default_factory=dict)
    by_checkpoint: dict[str, Tally] = field(default_factory=dict)


@dataclass(slots=True)
class Coverage:
    visits: list[Visit]
    rounds: list[RoundSummary]
    unmatched_scans: list[ScanFact] = field(default_factory=list)
    voluntary_rounds: list[RoundFact] = field(default_factory=list)
    voluntary_scans: list[ScanFact] = field(default_factory=list)
    # Counted scans that met a visit outside `visits` (a neighbouring day's, when a period
    # is judged day by day): still presence at their point.
    other_scans: list[ScanFact] = field(default_factory=list)

    def tally_by(self, key: Callable[[Visit], str | None]) -> dict[str, Tally]:
        # counted as (key, status) pairs in one C-level pass, then a Tally per key
        pairs = Counter((key(v), v.status) for v in self.visits)
        tallies: dict[str, Tally] = defaultdict(Tally)
        for (k, status), n in pairs.items():
            if k is not None:
                tallies[k].add(status, n)
        return dict(sorted(tallies.items()))

    def total(self) -> Tally:
        return Tally.of(Counter(v.status for v in self.visits))

    def by_target(self) -> TargetTallies:
        """The total, and the tallies by route, area and checkpoint, in one pass."""
        out = TargetTallies()
        by_route: dict[str, Tally] = defaultdict(Tally)
        by_area: dict[str, Tally] = defaultdict(Tally)
        by_checkpoint: dict[str, Tally] = defaultdict(Tally)
        for (route, point, status), n in Counter(
            (v.route_id, v.point_id, v.status) for v in self.visits
        ).items():
            out.total.add(status, n)
            if route is not None:
                by_route[route].add(status, n)
            if route:
                by_checkpoint[point].add(status, n)
            else:
                by_area[point].add(status, n)
        out.by_route = dict(sorted(by_route.items()))
        out.by_area = dict(sorted(by_area.items()))
        out.by_checkpoint = dict(sorted(by_checkpoint.items()))
        return out

    def by_day(self, tz: ZoneInfo) -> dict[str, Tally]:
        """Visits per local day they were due (many share a due time: each converted once)."""
        tallies: dict[str, Tally] = defaultdict(Tally)
        for (due, status), n in Counter((v.due, v.status) for v in self.visits).items():
            tallies[_local_date(due, tz).isoformat()].add(status, n)
        return dict(sorted(tallies.items()))

    def by_person(self) -> dict[str, Tally]:
        """Visits met, per person who made the scan (a missed visit has no one to credit)."""
        pairs = Counter((v.scan.user_id if v.scan else None, v.status) for v in self.visits)
        tallies: dict[str, Tally] = defaultdict(Tally)
        for (k, status), n in pairs.items():
            if k is not None:
                tallies[k].add(status, n)
        return dict(sorted(tallies.items()))


def _local_date(at: datetime, tz: ZoneInfo) -> date:
    return at.astimezone(tz).date()


def round_key(schedule_id: str, occurrence: datetime) -> str:
    """Names one occurrence of a schedule, the same whatever offset the time came with."""
    return f"{schedule_id}@{occurrence.astimezone(UTC).strftime('%Y-%m-%dT%H:%MZ')}"


def route_version_at(versions: Sequence[RouteVersion], at: datetime) -> RouteVersion | None:
    """The version in force at `at`; `versions` sorted by effective_from."""
    current = None
    for version in versions:
        if version.effective_from <= at:
            current = version
        else:
            break
    return current


def expected_visits(
    schedules: Iterable[Schedule],
    routes: Mapping[str, Sequence[RouteVersion]],
    tz: ZoneInfo,
    start: datetime,
    end: datetime,
    round_versions: Mapping[str, int] | None = None,
    occurs: Callable[[Schedule, ZoneInfo, datetime, datetime], list[datetime]] = occurrences,
) -> tuple[list[Visit], list[RoundSummary]]:
    """Every visit due in [start, end), and the rounds they make up.

    `round_versions` maps a round key to the route version the device started it with.
    `occurs` lists a schedule's occurrences (`domain.schedules.occurrences`, or a reader
    that sliced them from a longer span it expanded once).
    """
    round_versions = round_versions or {}
    visits: list[Visit] = []
    rounds: list[RoundSummary] = []
    offsets_cache: dict[int, list[tuple[int, str, timedelta]]] = {}
    for schedule in schedules:
        window = timedelta(minutes=schedule.window_minutes)
        grace = timedelta(minutes=schedule.grace_minutes)
        early = timedelta(minutes=schedule.early_minutes)
        for at in occurs(schedule, tz, start, end):
            key = round_key(schedule.id, at)
            closes = at + window
            grace_end = closes + grace
            if schedule.target_kind is TargetKind.AREA:
                visits.append(
                    Visit(
                        key,
                        schedule.id,
                        schedule.target_id,
                        None,
                        0,
                        at - early,
                        at,
                        closes,
                        grace_end,
                    )
                )
                continue
            versions = routes.get(schedule.target_id, ())
            route = _pick_version(versions, at, round_versions.get(key))
            if route is None:
                continue
            members = []
            opens_at = at - early  # most checkpoints have no offset: share these
            for seq, point_id, offset in _offsets_of(route, offsets_cache):
                due = at + offset if offset else at
                members.append(
                    Visit(
                        key,
                        schedule.id,
                        point_id,
                        route.route_id,
                        seq,
                        due - early if offset else opens_at,
                        due,
                        closes,
                        grace_end,
                    )
                )
            visits.extend(members)
            rounds.append(
                RoundSummary(
                    key,
                    schedule.id,
                    route.route_id,
                    route.version,
                    route.ordered,
                    at,
                    closes,
                    grace_end,
                    members,
                )
            )
    return visits, rounds


def _offsets_of(
    route: RouteVersion, cache: dict[int, list[tuple[int, str, timedelta]]]
) -> list[tuple[int, str, timedelta]]:
    """(seq, point, not-before offset) of a route's checkpoints, worked out once per call."""
    found = cache.get(id(route))
    if found is None:
        found = cache[id(route)] = [
            (seq, p, timedelta(minutes=route.not_before.get(p, 0)))
            for seq, p in enumerate(route.checkpoint_ids)
        ]
    return found


def _pick_version(
    versions: Sequence[RouteVersion], at: datetime, wanted: int | None
) -> RouteVersion | None:
    if wanted is not None:
        for version in versions:
            if version.version == wanted:
                return version
    return route_version_at(versions, at)


class _PointVisits:
    """One point's visits, sorted by opening time, for fast lookup of open windows."""

    __slots__ = ("opens", "span", "visits")

    def __init__(self, visits: list[Visit]) -> None:
        visits.sort(key=lambda v: (v.opens, v.due))
        self.visits = visits
        self.opens = [v.opens for v in visits]
        self.span = max((v.grace_end - v.opens for v in visits), default=timedelta(0))

    def best_for(self, scan: ScanFact, only_round: str | None) -> tuple[Visit, VisitStatus] | None:
        at = scan.device_time
        best: tuple[int, datetime, Visit, VisitStatus] | None = None
        i = bisect_right(self.opens, at) - 1
        while i >= 0 and self.opens[i] >= at - self.span:
            visit = self.visits[i]
            i -= 1
            if visit.scan is not None or (only_round and visit.round_key != only_round):
                continue
            status = visit.classify(at)
            if status is None:
                continue
            rank = (_RANK[status], visit.due)
            if best is None or rank < best[:2]:
                best = (*rank, visit, status)
        return None if best is None else (best[2], best[3])


def judge(
    visits: list[Visit],
    rounds: list[RoundSummary],
    scans: Iterable[ScanFact],
    round_facts: Mapping[str, RoundFact],
    now: datetime,
) -> Coverage:
    """Match scans to visits and give each visit and round its status as of `now`."""
    by_point: dict[str, list[Visit]] = defaultdict(list)
    for visit in visits:
        by_point[visit.point_id].append(visit)
    index = {point: _PointVisits(vs) for point, vs in by_point.items()}

    in_round: dict[tuple[str, str], Visit] | None = None  # built once a round scan needs it
    coverage = Coverage(visits, rounds)
    for scan in sorted(scans, key=lambda s: (s.device_time, s.id)):
        fact = round_facts.get(scan.round_id) if scan.round_id else None
        if fact is not None and fact.key is None:
            coverage.voluntary_scans.append(scan)
            continue
        if fact is not None:
            if in_round is None:
                in_round = {(v.round_key, v.point_id): v for v in visits if v.route_id is not None}
            found = _in_round(in_round.get((fact.key or "", scan.point_id)), scan)
        else:
            point = index.get(scan.point_id)
            found = point.best_for(scan, None) if point else None
        if found is None:
            coverage.unmatched_scans.append(scan)
            continue
        visit, status = found
        visit.scan, visit.status = scan, status

    for visit in visits:
        if visit.scan is None:
            visit.status = VisitStatus.MISSED if now > visit.grace_end else VisitStatus.UPCOMING

    facts_by_key = {f.key: f for f in round_facts.values() if f.key is not None}
    for summary in rounds:
        summary.fact = facts_by_key.get(summary.key)
        _judge_round(summary, now)
        if summary.state is RoundState.IN_PROGRESS:
            for visit in summary.visits:  # still being walked: not missed yet
                if visit.scan is None:
                    visit.status = VisitStatus.UPCOMING
    coverage.voluntary_rounds = sorted(
        (f for f in round_facts.values() if f.key is None), key=lambda f: f.started_at
    )
    return coverage


def next_change(coverage: Coverage, now: datetime) -> datetime:
    """The earliest instant at or after `now` at which `judge`, over the same visits, rounds
    and scans, could give another result; `datetime.max` (UTC) if none.

    `judge` reads the time only to compare it with each visit's grace end and each
    round's due time, due + grace, grace end and grace end + `OPEN_ROUND`: between two
    such instants every status stays as it is, so a result judged at `now` holds for any
    time in [now, next_change). An instant equal to `now` is returned as is (the result
    may change just after it: nothing holds).
    """
    instants = [v.grace_end for v in coverage.visits]
    for r in coverage.rounds:
        grace = r.grace_end - r.closes
        instants += (r.due, r.due + grace, r.grace_end, r.grace_end + OPEN_ROUND)
    return min((t for t in instants if t >= now), default=datetime.max.replace(tzinfo=UTC))


def pending_matches(
    coverage: Coverage, pending: Iterable[ScanFact], round_facts: Mapping[str, RoundFact]
) -> dict[str, tuple[Visit, VisitStatus]]:
    """For each scan held for review, the visit it would meet if a reviewer accepted it.

    Same rules as `judge`, over the visits no counted scan met: one visit per scan, the
    best status first. Nothing in `coverage` changes; a held scan earns nothing until
    accepted, this only tells the reviewer (and the report) what is at stake.
    """
    pending = sorted(pending, key=lambda s: (s.device_time, s.id))
    if not pending:
        return {}
    copies: dict[int, Visit] = {}
    by_point: dict[str, list[Visit]] = defaultdict(list)
    for visit in coverage.visits:
        if visit.scan is None:
            copy = replace(visit)
            copies[id(copy)] = visit
            by_point[visit.point_id].append(copy)
    index = {point: _PointVisits(vs) for point, vs in by_point.items()}
    found: dict[str, tuple[Visit, VisitStatus]] = {}
    for scan in pending:
        fact = round_facts.get(scan.round_id) if scan.round_id else None
        if fact is not None and fact.key is None:
            continue  # a voluntary round's scan meets no scheduled visit
        point = index.get(scan.point_id)
        match = point.best_for(scan, fact.key if fact else None) if point else None
        if match is not None:
            copy, status = match
            copy.scan = scan  # taken: the next held scan looks for another visit
            found[scan.id] = (copies[id(copy)], status)
    return found


def _in_round(visit: Visit | None, scan: ScanFact) -> tuple[Visit, VisitStatus] | None:
    if visit is None or visit.scan is not None:
        return None
    status = visit.classify_in_round(scan.device_time)
    return None if status is None else (visit, status)


def _judge_round(summary: RoundSummary, now: datetime) -> None:
    done, total = summary.done, summary.total
    if summary.ordered:
        latest: datetime | None = None
        for visit in summary.visits:  # visits are in route order
            if visit.scan is None:
                continue
            if latest is not None and visit.scan.device_time < latest:
                visit.out_of_order = True
            latest = max(latest or visit.scan.device_time, visit.scan.device_time)
    started = summary.fact is not None
    finished = summary.fact is not None and summary.fact.finished_at is not None
    if total and done == total:
        summary.state = RoundState.COMPLETED
    elif started and not finished and now <= summary.grace_end + OPEN_ROUND:
        summary.state = RoundState.IN_PROGRESS  # still being walked: open to go on
    elif finished or (now > summary.grace_end and done):
        summary.state = RoundState.INCOMPLETE
    elif now > summary.grace_end:
        summary.state = RoundState.MISSED
    elif done or summary.fact is not None:
        summary.state = RoundState.IN_PROGRESS
    elif now >= summary.due:
        summary.state = RoundState.NOT_STARTED
        grace = summary.grace_end - summary.closes
        summary.not_started_alert = now > summary.due + grace
    else:
        summary.state = RoundState.UPCOMING
