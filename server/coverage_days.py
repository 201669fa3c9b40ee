"""Coverage of a long period judged day by day, each closed day's result cached.

A period longer than one day (a week, a month) is cut at the site's local midnights into
pieces. Each piece's visits (those whose round or area occurrence falls in it) are judged
by the single-pass engine (`domain.coverage.judge`) over the piece widened by a *context*
of `before + after` on each side (the longest early allowance and the longest window +
grace + route offset of the site's schedules): every visit a scan near the piece's edges
could also meet competes for it, as in one pass over the whole period. The period's
coverage is the pieces' visits and rounds in schedule order, exactly as one pass lists
them. It equals one pass over the period except where a chain of overlapping visit windows
of one point runs longer than the context (then each day is judged on its own context),
and it does not depend on the period asked for: a day reads the same in a week and in a
month.

A piece is *closed* when it is a whole local day and `now` is past its last visit's grace
and the longest a started round stays open (`OPEN_ROUND`), or *future* when it has not
begun: nothing `now` decides can change it. Such a piece is cached in this process
(closed and future results apart), keyed by the site, the
day, the schedules and routes as read (a change of set-up is a new key) and the change
marks of every UTC day its inputs span (`server.storage_coverage`: any scan, round start
or finish, review verdict, or a record set aside, moves them; they live in the database,
so a second process writing to the same file invalidates this one's entries too). Open
pieces (today, and a day still within a round's reach of now) are judged on every read.
Cached and uncached reads return equal results: the cache only skips recomputation.
"""

from __future__ import annotations

import threading
import uuid
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.coverage import (
    OPEN_ROUND,
    Coverage,
    RoundFact,
    RoundSummary,
    ScanFact,
    Visit,
    expected_visits,
    judge,
)
from domain.models import RouteVersion, Schedule
from domain.schedules import occurrences
from domain.wire import RecordKind
from server.storage import Storage

__all__ = [
    "CACHE_VISITS",
    "Setup",
    "cache_clear",
    "cache_stats",
    "day_pieces",
    "judge_by_day",
    "round_facts",
    "storage_token",
]

# The cache holds at most this many visits (LRU by site-day): ~0.45 KB each with their
# scans, so ~90 MB; three months of a 500-point site (2,160 visits a day, ~1 MB), years of
# a small one.
CACHE_VISITS = 200_000


@dataclass(frozen=True, slots=True)
class Setup:
    """What every piece of a read shares: the site's zone, schedules, routes and reach."""

    tz: ZoneInfo
    schedules: list[Schedule]
    routes: dict[str, list[RouteVersion]]
    before: timedelta  # longest early allowance
    after: timedelta  # longest window + grace + route offset

    @property
    def context(self) -> timedelta:
        return self.before + self.after

    def key(self) -> str:
        """The set-up as read: any change to a schedule, route or the zone changes it."""
        return repr((self.tz.key, self.schedules, sorted(self.routes.items())))


@dataclass(frozen=True, slots=True)
class _Piece:
    visits: dict[str, list[Visit]]  # schedule id → its visits in the piece, in order
    rounds: dict[str, list[RoundSummary]]
    unmatched: list[ScanFact]  # scans in the piece's time that met nothing
    voluntary: list[ScanFact]
    other: list[ScanFact]  # scans in the piece's time that met a visit of another piece


def round_facts(
    storage: Storage, site_id: str, start: datetime, end: datetime
) -> dict[str, RoundFact]:
    """The rounds started in [start, end), with their finishes."""
    starts = list(storage.records(site_id, [RecordKind.ROUND_START], start, end))
    finishes = (
        {
            r.refers_to: r
            for r in storage.records_referring_to([s.id for s in starts])
            if r.kind == "round_finish"
        }
        if starts
        else {}
    )
    facts = {}
    for s in starts:
        body, finish = s.body, finishes.get(s.id)
        facts[s.id] = RoundFact(
            s.id,
            body["route_id"],
            s.user_id,
            s.device_time,
            body["schedule_id"],
            datetime.fromisoformat(body["occurrence"]) if body["occurrence"] else None,
            body["route_version"],
            body["for_user_id"],
            body["reason"],
            finish.device_time if finish else None,
            finish.body["reason"] if finish else "",
        )
    return facts


def day_pieces(start: datetime, end: datetime, tz: ZoneInfo) -> list[tuple[datetime, datetime]]:
    """[start, end) cut at the zone's local midnights."""
    out = []
    lo = start
    while lo < end:
        day = lo.astimezone(tz).date() + timedelta(days=1)
        midnight = datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)
        hi = min(midnight, end)
        out.append((lo, hi))
        lo = hi
    return out


def _whole_day(lo: datetime, hi: datetime, tz: ZoneInfo) -> bool:
    local = lo.astimezone(tz)
    nxt = datetime.combine(local.date() + timedelta(days=1), time(), tzinfo=tz)
    return local.time() == time() and hi == nxt.astimezone(UTC)


# -- the cache -----------------------------------------------------------------------------

_cache: OrderedDict[Hashable, _Piece] = OrderedDict()
_lock = threading.Lock()
_stats = {"hits": 0, "misses": 0, "visits": 0}


def storage_token(storage: Storage) -> str:
    """Tells Storage objects apart for the life of the process (a new file at the same
    path, in a test, must not meet an old one's entries)."""
    token = storage.__dict__.get("_coverage_token")
    if token is None:
        token = uuid.uuid4().hex
        storage.__dict__["_coverage_token"] = token
    return str(token)


def cache_clear() -> None:
    with _lock:
        _cache.clear()
        _stats.update(hits=0, misses=0, visits=0)


def cache_stats() -> dict[str, int]:
    with _lock:
        return {**_stats, "entries": len(_cache)}


def _get(key: Hashable) -> _Piece | None:
    with _lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            _stats["hits"] += 1
        else:
            _stats["misses"] += 1
        return found


def _size(piece: _Piece) -> int:
    return sum(len(vs) for vs in piece.visits.values()) + 1


def _put(key: Hashable, piece: _Piece) -> None:
    with _lock:
        old = _cache.pop(key, None)
        if old is not None:
            _stats["visits"] -= _size(old)
        _cache[key] = piece
        _stats["visits"] += _size(piece)
        while _stats["visits"] > CACHE_VISITS and len(_cache) > 1:
            _, evicted = _cache.popitem(last=False)
            _stats["visits"] -= _size(evicted)


# -- judging -------------------------------------------------------------------------------


def _judge_piece(
    setup: Setup,
    lo: datetime,
    hi: datetime,
    now: datetime,
    scans: Sequence[ScanFact],
    facts: Mapping[str, RoundFact],
    occurs: Callable[[Schedule, ZoneInfo, datetime, datetime], list[datetime]] = occurrences,
) -> _Piece:
    """The piece [lo, hi) judged over its context; `scans` and `facts` are exactly those
    one pass over the context would read (counted scans in [cs - before, ce + after),
    rounds started in [cs - before - after, ce + after))."""
    cs, ce = lo - setup.context, hi + setup.context
    versions = {f.key: f.route_version for f in facts.values() if f.key and f.route_version}
    visits, rounds = expected_visits(
        setup.schedules, setup.routes, setup.tz, cs, ce, versions, occurs
    )
    coverage = judge(visits, rounds, scans, facts, now)
    mine = {r.key for r in coverage.rounds if lo <= r.due < hi}
    by_schedule: dict[str, list[Visit]] = {}
    other = []
    for v in coverage.visits:
        if v.round_key in mine if v.route_id is not None else lo <= v.due < hi:
            found = by_schedule.get(v.schedule_id)
            if found is None:
                found = by_schedule[v.schedule_id] = []
            found.append(v)
        elif v.scan is not None and lo <= v.scan.device_time < hi:
            other.append(v.scan)
    rounds_by: dict[str, list[RoundSummary]] = {}
    for r in coverage.rounds:
        if r.key in mine:
            rounds_by.setdefault(r.schedule_id, []).append(r)
    other.sort(key=lambda s: (s.device_time, s.id))
    return _Piece(
        by_schedule,
        rounds_by,
        [s for s in coverage.unmatched_scans if lo <= s.device_time < hi],
        [s for s in coverage.voluntary_scans if lo <= s.device_time < hi],
        other,
    )


def judge_by_day(
    storage: Storage,
    site_id: str,
    setup: Setup,
    start: datetime,
    end: datetime,
    now: datetime,
    use_cache: bool = True,
) -> tuple[Coverage, dict[str, RoundFact]]:
    """Coverage of [start, end) as of `now`, day by day (see the module's docstring), and
    the rounds started in the period's reach (what one pass would have read)."""
    b, a, ctx = setup.before, setup.after, setup.context
    pieces = day_pieces(start, end, setup.tz)
    marks = storage.coverage_marks(site_id, start - ctx - b - a, end + ctx + a)
    config = setup.key()
    token = storage_token(storage)
    found: dict[int, _Piece] = {}
    keys: dict[int, Hashable] = {}
    for i, (lo, hi) in enumerate(pieces):
        phase = _phase(lo, hi, now, a)
        if not (use_cache and phase and _whole_day(lo, hi, setup.tz)):
            continue
        days = _utc_days(lo - ctx - b - a, hi + ctx + a)
        marked = tuple((d, marks.get(d, 0)) for d in days)
        keys[i] = (token, site_id, lo, hi, phase, config, marked)
        hit = _get(keys[i])
        if hit is not None:
            found[i] = hit
    todo = [i for i in range(len(pieces)) if i not in found]
    for run in _runs(todo):  # days to judge, in runs of consecutive days: one read each
        span_lo, span_hi = pieces[run[0]][0] - ctx, pieces[run[-1]][1] + ctx
        scans = sorted(
            storage.scan_standings(site_id, span_lo - b, span_hi + a).counted,
            key=lambda s: s.device_time,
        )
        times = [s.device_time for s in scans]
        all_facts = round_facts(storage, site_id, span_lo - b - a, span_hi + a)
        occurs = _Occurrences(span_lo, span_hi)
        for i in run:
            lo, hi = pieces[i]
            cs, ce = lo - ctx, hi + ctx
            mine = scans[bisect_left(times, cs - b) : bisect_left(times, ce + a)]
            facts = {k: f for k, f in all_facts.items() if cs - b - a <= f.started_at < ce + a}
            found[i] = _judge_piece(setup, lo, hi, now, mine, facts, occurs)
            if i in keys:
                _put(keys[i], found[i])
    ordered = [found[i] for i in range(len(pieces))]
    facts = round_facts(storage, site_id, start - b - a, end + a)
    visits: list[Visit] = []
    rounds: list[RoundSummary] = []
    for schedule_id in dict.fromkeys(s.id for s in setup.schedules):
        for piece in ordered:
            visits.extend(piece.visits.get(schedule_id, ()))
            rounds.extend(piece.rounds.get(schedule_id, ()))
    coverage = Coverage(
        visits,
        rounds,
        [s for p in ordered for s in p.unmatched],
        sorted((f for f in facts.values() if f.key is None), key=lambda f: f.started_at),
        [s for p in ordered for s in p.voluntary],
        [s for p in ordered for s in p.other],
    )
    return coverage, facts


def _runs(indices: list[int]) -> list[list[int]]:
    """Sorted indices grouped into runs of consecutive ones."""
    runs: list[list[int]] = []
    for i in indices:
        if runs and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


class _Occurrences:
    """Each schedule's occurrences over a span, expanded once and sliced per piece: the
    same list `domain.schedules.occurrences` gives for any [start, end) inside the span."""

    def __init__(self, lo: datetime, hi: datetime) -> None:
        self.lo, self.hi = lo, hi
        self.found: dict[int, list[datetime]] = {}

    def __call__(
        self, schedule: Schedule, tz: ZoneInfo, start: datetime, end: datetime
    ) -> list[datetime]:
        if start < self.lo or end > self.hi:
            return occurrences(schedule, tz, start, end)
        every = self.found.get(id(schedule))
        if every is None:
            every = self.found[id(schedule)] = occurrences(schedule, tz, self.lo, self.hi)
        return every[bisect_left(every, start) : bisect_left(every, end)]


def _phase(lo: datetime, hi: datetime, now: datetime, after: timedelta) -> str | None:
    """'closed' when `now` is past every grace and open round of the piece, 'future' when
    the piece has not begun (every visit upcoming, every round not yet due): in both,
    `now` decides nothing more. None: open, judged on every read."""
    if now > hi + after + OPEN_ROUND:
        return "closed"
    if now < lo:
        return "future"
    return None


def _utc_days(lo: datetime, hi: datetime) -> list[str]:
    day, last = lo.astimezone(UTC).date(), hi.astimezone(UTC).date()
    out = []
    while day <= last:
        out.append(day.isoformat())
        day += timedelta(days=1)
    return out
