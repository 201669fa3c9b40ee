"""The coverage engine: expected visits and how scans meet them."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.coverage import (
    RoundFact,
    RoundState,
    ScanFact,
    VisitStatus,
    expected_visits,
    judge,
    next_change,
    round_key,
)
from domain.models import RouteVersion, Schedule, TargetKind

TZ = ZoneInfo("Asia/Shanghai")
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def local(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=TZ).astimezone(UTC)


def route(
    *points: str,
    version: int = 1,
    since: datetime = EPOCH,
    ordered: bool = False,
    not_before: dict[str, int] | None = None,
) -> RouteVersion:
    return RouteVersion("r", version, "R", since, points, ordered, not_before or {})


def daily(
    *times: str,
    sid: str = "s",
    target: str = "r",
    kind: TargetKind = TargetKind.ROUTE,
    window: int = 60,
    grace: int = 15,
    early: int = 15,
    **kw,
) -> Schedule:
    return Schedule(
        sid,
        1,
        "site",
        kind,
        target,
        kw.pop("effective_from", EPOCH),
        fixed_times=tuple(time.fromisoformat(t) for t in times),
        window_minutes=window,
        grace_minutes=grace,
        early_minutes=early,
        **kw,
    )


def scan(point: str, at: datetime, sid: str = "x", user: str = "u", round_id: str | None = None):
    return ScanFact(sid, point, user, at, round_id)


def run(schedules, routes, start, end, scans=(), facts=None, now=None, versions=None):
    visits, rounds = expected_visits(schedules, routes, TZ, start, end, versions)
    return judge(visits, rounds, list(scans), facts or {}, now or end + timedelta(days=1))


DAY = (local(2026, 3, 2), local(2026, 3, 3))  # a Monday, local time


@pytest.mark.parametrize(
    ("minutes_after_due", "status"),
    [
        (-20, None),
        (-15, VisitStatus.EARLY),
        (-1, VisitStatus.EARLY),
        (0, VisitStatus.ON_TIME),
        (59, VisitStatus.ON_TIME),
        (60, VisitStatus.LATE),
        (75, VisitStatus.LATE),
        (76, None),
    ],
)
def test_scan_time_decides_status(minutes_after_due, status):
    due = local(2026, 3, 2, 9)
    cov = run(
        [daily("09:00")],
        {"r": [route("p1")]},
        *DAY,
        [scan("p1", due + timedelta(minutes=minutes_after_due))],
    )
    [visit] = cov.visits
    assert visit.status == (status or VisitStatus.MISSED)
    assert (visit.scan is None) == (status is None)
    assert len(cov.unmatched_scans) == (1 if status is None else 0)


def test_unmet_visit_is_upcoming_until_grace_ends():
    due = local(2026, 3, 2, 9)
    for now, status in [
        (due - timedelta(hours=1), VisitStatus.UPCOMING),
        (due + timedelta(minutes=75), VisitStatus.UPCOMING),
        (due + timedelta(minutes=76), VisitStatus.MISSED),
    ]:
        cov = run([daily("09:00")], {"r": [route("p1")]}, *DAY, now=now)
        assert cov.visits[0].status == status


def test_every_two_hours_overnight_crosses_midnight():
    night = Schedule(
        "n", 1, "site", TargetKind.ROUTE, "r", EPOCH, every_minutes=120, start=time(20), end=time(6)
    )
    visits, rounds = expected_visits([night], {"r": [route("p1")]}, TZ, *DAY)
    # Monday local day: 00,02,04 from Sunday night's series, 20,22 from Monday's.
    assert [v.due.astimezone(TZ).hour for v in visits] == [0, 2, 4, 20, 22]
    assert len(rounds) == 5


def test_weekdays_name_the_day_a_night_series_starts():
    night = Schedule(
        "n",
        1,
        "site",
        TargetKind.ROUTE,
        "r",
        EPOCH,
        every_minutes=120,
        start=time(22),
        end=time(2),
        weekdays=frozenset({0}),
    )  # Mondays only
    week = (local(2026, 3, 2), local(2026, 3, 9))
    visits, _ = expected_visits([night], {"r": [route("p1")]}, TZ, *week)
    assert [v.due.astimezone(TZ).strftime("%a %H") for v in visits] == ["Mon 22", "Tue 00"]


def test_period_edges_are_half_open():
    s = daily("00:00", "23:59")
    visits, _ = expected_visits([s], {"r": [route("p1")]}, TZ, *DAY)
    assert [v.due for v in visits] == [DAY[0], local(2026, 3, 2, 23, 59)]
    next_day, _ = expected_visits([s], {"r": [route("p1")]}, TZ, DAY[1], DAY[1] + timedelta(days=1))
    assert next_day[0].due == DAY[1]


def test_scan_just_after_midnight_meets_previous_days_visit_as_late():
    s = daily("23:30", window=20, grace=30)
    cov = run([s], {"r": [route("p1")]}, *DAY, [scan("p1", local(2026, 3, 3, 0, 5))])
    assert cov.visits[0].status == VisitStatus.LATE


def test_two_schedules_on_one_checkpoint_need_two_scans():
    a = daily("09:00", sid="a")
    b = daily("09:30", sid="b", target="r2")
    routes = {"r": [route("p1")], "r2": [RouteVersion("r2", 1, "R2", EPOCH, ("p1",))]}
    one = run([a, b], routes, *DAY, [scan("p1", local(2026, 3, 2, 9, 40))])
    assert sorted(v.status for v in one.visits) == [VisitStatus.MISSED, VisitStatus.ON_TIME]
    two = run(
        [a, b],
        routes,
        *DAY,
        [scan("p1", local(2026, 3, 2, 9, 40), "x1"), scan("p1", local(2026, 3, 2, 9, 45), "x2")],
    )
    assert all(v.status == VisitStatus.ON_TIME for v in two.visits)
    assert {v.scan.id for v in two.visits} == {"x1", "x2"}


def test_on_time_is_preferred_to_late_and_late_to_early():
    s = daily("09:00", "10:00", window=60, grace=30, early=15)
    # 09:50 is on time for 09:00 and early for 10:00: on time wins.
    cov = run([s], {"r": [route("p1")]}, *DAY, [scan("p1", local(2026, 3, 2, 9, 50))])
    assert [v.status for v in cov.visits] == [VisitStatus.ON_TIME, VisitStatus.MISSED]


def test_scan_that_meets_nothing_is_kept_as_unmatched():
    cov = run(
        [daily("09:00")],
        {"r": [route("p1")]},
        *DAY,
        [scan("p1", local(2026, 3, 2, 14)), scan("elsewhere", local(2026, 3, 2, 9))],
    )
    assert {s.point_id for s in cov.unmatched_scans} == {"p1", "elsewhere"}
    assert cov.total().missed == 1


def test_schedule_change_mid_month_keeps_earlier_history():
    change = local(2026, 3, 15)
    old = daily("09:00", effective_to=change)
    new = Schedule("s", 2, "site", TargetKind.ROUTE, "r", change, fixed_times=(time(9), time(21)))
    month = (local(2026, 3, 1), local(2026, 4, 1))
    visits, _ = expected_visits([old, new], {"r": [route("p1")]}, TZ, *month)
    before = [v for v in visits if v.due < change]
    after = [v for v in visits if v.due >= change]
    assert len(before) == 14 and len(after) == 17 * 2
    alone, _ = expected_visits([old], {"r": [route("p1")]}, TZ, *month)
    assert [v.due for v in alone] == [v.due for v in before]


def test_route_edit_applies_from_its_time_and_rounds_keep_their_version():
    edit = local(2026, 3, 2, 12)
    versions = [route("p1", "p2"), route("p1", "p2", "p3", version=2, since=edit)]
    _, rounds = expected_visits([daily("09:00", "15:00")], {"r": versions}, TZ, *DAY)
    assert [r.total for r in rounds] == [2, 3]
    # A device that started the 15:00 round with version 1 is judged by version 1.
    key = round_key("s", local(2026, 3, 2, 15))
    _, kept = expected_visits([daily("09:00", "15:00")], {"r": versions}, TZ, *DAY, {key: 1})
    assert [r.total for r in kept] == [2, 2]


def test_device_time_days_before_arrival_still_counts():
    # Records that sat on an offline phone are judged by device time, whenever they arrive.
    due = local(2026, 3, 2, 9)
    cov = run(
        [daily("09:00")],
        {"r": [route("p1")]},
        *DAY,
        [scan("p1", due + timedelta(minutes=5))],
        now=due + timedelta(days=5),
    )
    assert cov.visits[0].status == VisitStatus.ON_TIME


def test_voluntary_round_never_changes_scheduled_figures():
    due = local(2026, 3, 2, 9)
    facts = {"vol": RoundFact("vol", "r", "u", due, None, None)}
    cov = run(
        [daily("09:00")],
        {"r": [route("p1")]},
        *DAY,
        [scan("p1", due + timedelta(minutes=5), round_id="vol")],
        facts,
    )
    assert cov.visits[0].status == VisitStatus.MISSED
    assert [s.id for s in cov.voluntary_scans] == ["x"]
    assert [r.id for r in cov.voluntary_rounds] == ["vol"]


def test_scan_in_a_round_only_meets_that_rounds_visits():
    a, b = daily("09:00", sid="a"), daily("09:10", sid="b")
    due = local(2026, 3, 2, 9, 10)
    facts = {"rb": RoundFact("rb", "r", "u", due, "b", due)}
    cov = run(
        [a, b],
        {"r": [route("p1")]},
        *DAY,
        [scan("p1", due + timedelta(minutes=1), round_id="rb")],
        facts,
    )
    by_schedule = {v.schedule_id: v.status for v in cov.visits}
    assert by_schedule == {"a": VisitStatus.MISSED, "b": VisitStatus.ON_TIME}


def round_facts(due: datetime, finished: bool = False, reason: str = "") -> dict[str, RoundFact]:
    end = due + timedelta(minutes=30) if finished else None
    return {"rid": RoundFact("rid", "r", "u", due, "s", due, finished_at=end, finish_reason=reason)}


@pytest.mark.parametrize(
    ("scanned", "facts", "minutes_from_due", "state", "alert"),
    [
        ([], False, -10, RoundState.UPCOMING, False),
        ([], False, 5, RoundState.NOT_STARTED, False),
        ([], False, 20, RoundState.NOT_STARTED, True),  # past the 15 min grace after start
        ([], True, 5, RoundState.IN_PROGRESS, False),
        (["p1"], False, 30, RoundState.IN_PROGRESS, False),
        (["p1", "p2"], False, 30, RoundState.COMPLETED, False),
        (["p1"], "finished", 40, RoundState.INCOMPLETE, False),
        (["p1"], False, 200, RoundState.INCOMPLETE, False),
        ([], False, 200, RoundState.MISSED, False),
        # Started and still being walked past window and grace: open to go on.
        (["p1"], True, 200, RoundState.IN_PROGRESS, False),
        (["p1"], True, 76 + 12 * 60 + 1, RoundState.INCOMPLETE, False),
        ([], True, 76 + 12 * 60 + 1, RoundState.MISSED, False),
    ],
)
def test_round_states(scanned, facts, minutes_from_due, state, alert):
    due = local(2026, 3, 2, 9)
    rf = round_facts(due, finished=facts == "finished", reason="blocked") if facts else {}
    scans = [
        scan(p, due + timedelta(minutes=i + 1), f"x{i}", round_id="rid" if rf else None)
        for i, p in enumerate(scanned)
    ]
    cov = run(
        [daily("09:00")],
        {"r": [route("p1", "p2")]},
        *DAY,
        scans,
        rf,
        now=due + timedelta(minutes=minutes_from_due),
    )
    [summary] = cov.rounds
    assert summary.state == state
    assert summary.not_started_alert == alert
    assert summary.done == len(scanned)


def _states(cov):
    return [(v.round_key, v.point_id, v.status) for v in cov.visits], [
        (r.key, r.state, r.not_started_alert) for r in cov.rounds
    ]


@settings(max_examples=300, deadline=None)
@given(
    scanned=st.sampled_from([[], ["p1"], ["p1", "p2"]]),
    facts=st.sampled_from([False, True, "finished"]),
    minutes_from_due=st.integers(-120, 15 * 60),
    share=st.floats(0, 1, exclude_max=True),
)
def test_a_judgement_holds_until_its_next_change(scanned, facts, minutes_from_due, share):
    """What `judge` says at `now` it says at any time before `next_change`: the report
    cache (server.steady_cache) keeps results on that promise."""
    due = local(2026, 3, 2, 9)
    rf = round_facts(due, finished=facts == "finished", reason="blocked") if facts else {}
    scans = [
        scan(p, due + timedelta(minutes=i + 1), f"x{i}", round_id="rid" if rf else None)
        for i, p in enumerate(scanned)
    ]
    schedules = [daily("09:00"), daily("10:00", sid="a", target="p3", kind=TargetKind.AREA)]

    def at(now):
        return run(schedules, {"r": [route("p1", "p2")]}, *DAY, scans, rf, now=now)

    now = due + timedelta(minutes=minutes_from_due)
    judged = at(now)
    until = min(next_change(judged, now), now + timedelta(days=2))
    assert until >= now
    later = min(now + (until - now) * share, until - timedelta(microseconds=1))  # rounding
    later = max(later, now)
    assert _states(at(later)) == _states(judged)


def test_next_change_is_the_first_instant_a_status_can_turn():
    due = local(2026, 3, 2, 9)
    cov = run([daily("09:00")], {"r": [route("p1", "p2")]}, *DAY, now=due)
    # grace 15 min: the round is "not started" from 09:00, alerted after 09:15
    assert next_change(cov, due + timedelta(minutes=1)) == due + timedelta(minutes=15)
    # window 60 + grace 15: visits and round missed after 10:15
    assert next_change(cov, due + timedelta(minutes=16)) == due + timedelta(minutes=75)
    assert next_change(cov, due + timedelta(minutes=75)) == due + timedelta(minutes=75)
    assert next_change(cov, due + timedelta(days=1)).year == 9999


def test_ordered_route_flags_scans_out_of_sequence_but_counts_them():
    due = local(2026, 3, 2, 9)
    cov = run(
        [daily("09:00")],
        {"r": [route("p1", "p2", "p3", ordered=True)]},
        *DAY,
        [
            scan("p1", due + timedelta(minutes=1), "a"),
            scan("p3", due + timedelta(minutes=2), "b"),
            scan("p2", due + timedelta(minutes=3), "c"),
        ],
    )
    assert [v.status for v in cov.visits] == [VisitStatus.ON_TIME] * 3
    assert [v.out_of_order for v in cov.visits] == [False, False, True]
    assert cov.rounds[0].state == RoundState.COMPLETED


def test_point_not_before_time_makes_an_early_punch_early():
    due = local(2026, 3, 2, 9)
    routes = {"r": [route("p1", "p2", not_before={"p2": 30})]}
    cov = run(
        [daily("09:00", early=60)],
        routes,
        *DAY,
        [scan("p1", due + timedelta(minutes=1), "a"), scan("p2", due + timedelta(minutes=2), "b")],
    )
    assert [v.status for v in cov.visits] == [VisitStatus.ON_TIME, VisitStatus.EARLY]


def test_area_schedule_expands_to_one_visit_per_time_and_totals_add_up():
    s = daily("08:00", "11:00", "14:00", "17:00", sid="clean", target="a1", kind=TargetKind.AREA)
    cov = run(
        [s],
        {},
        *DAY,
        [
            scan("a1", local(2026, 3, 2, 8, 10), "c1", "cleaner"),
            scan("a1", local(2026, 3, 2, 14, 20), "c2", "cleaner"),
        ],
    )
    total = cov.total()
    assert (total.expected, total.on_time, total.missed) == (4, 2, 2)
    assert total.coverage == 0.5
    assert cov.by_person()["cleaner"].on_time == 2
    assert list(cov.by_day(TZ)) == ["2026-03-02"]
    assert cov.rounds == []


@settings(max_examples=150, deadline=None)
@given(
    offsets=st.lists(st.integers(min_value=-60, max_value=26 * 60), max_size=25),
    points=st.lists(st.sampled_from(["p1", "p2"]), min_size=25, max_size=25),
)
def test_each_scan_meets_at_most_one_visit_and_statuses_agree_with_times(offsets, points):
    schedules = [
        daily("09:00", "10:00", "21:00", window=60, grace=30),
        daily("09:30", sid="t", window=45, grace=10),
    ]
    scans = [scan(points[i], DAY[0] + timedelta(minutes=m), f"x{i}") for i, m in enumerate(offsets)]
    cov = run(schedules, {"r": [route("p1", "p2")]}, *DAY, scans, now=DAY[1])
    met = [v.scan.id for v in cov.visits if v.scan]
    assert len(met) == len(set(met))
    assert len(met) + len(cov.unmatched_scans) == len(scans)
    for v in cov.visits:
        if v.scan is not None:
            assert v.status == v.classify(v.scan.device_time)
            assert v.scan.point_id == v.point_id
        else:
            assert v.status in (VisitStatus.MISSED, VisitStatus.UPCOMING)
    # No unmatched scan could have met a visit that was left unmet.
    for s in cov.unmatched_scans:
        assert not any(
            v.scan is None and v.point_id == s.point_id and v.classify(s.device_time)
            for v in cov.visits
        )


def test_a_round_started_early_on_purpose_counts_its_scans_early():
    due = local(2026, 3, 2, 9)
    started = due - timedelta(hours=3)  # long before the 15 min early allowance
    facts = {"rid": RoundFact("rid", "r", "u", started, "s", due)}
    scans = [
        scan(p, started + timedelta(minutes=i), f"x{i}", round_id="rid")
        for i, p in enumerate(["p1", "p2"], 1)
    ]
    cov = run([daily("09:00")], {"r": [route("p1", "p2")]}, *DAY, scans, facts)
    assert [v.status for v in cov.visits] == [VisitStatus.EARLY, VisitStatus.EARLY]
    assert cov.rounds[0].state is RoundState.COMPLETED and cov.total().early == 2
    assert cov.rounds[0].opens == due - timedelta(minutes=15)


def test_a_round_walked_past_its_grace_counts_late_and_stays_open():
    due = local(2026, 3, 2, 9)
    facts = {"rid": RoundFact("rid", "r", "u", due, "s", due)}
    scans = [
        scan("p1", due + timedelta(minutes=30), "x1", round_id="rid"),
        scan("p2", due + timedelta(minutes=100), "x2", round_id="rid"),  # grace ended at 75
    ]
    walking = run(
        [daily("09:00")],
        {"r": [route("p1", "p2", "p3")]},
        *DAY,
        scans,
        facts,
        now=due + timedelta(minutes=101),
    )
    assert [v.status for v in walking.visits] == [
        VisitStatus.ON_TIME,
        VisitStatus.LATE,
        VisitStatus.UPCOMING,  # the guard may still get there
    ]
    assert walking.rounds[0].state is RoundState.IN_PROGRESS
    finished = {
        "rid": RoundFact(
            "rid",
            "r",
            "u",
            due,
            "s",
            due,
            finished_at=due + timedelta(minutes=105),
            finish_reason="blocked",
        )
    }
    done = run(
        [daily("09:00")],
        {"r": [route("p1", "p2", "p3")]},
        *DAY,
        scans,
        finished,
        now=due + timedelta(minutes=110),
    )
    assert done.rounds[0].state is RoundState.INCOMPLETE
    assert [v.status for v in done.visits][2] is VisitStatus.MISSED


def test_tallies_per_target_person_and_day_add_up():
    """A route of two checkpoints at 09:00 and an area at 10:00 and 15:00: p1 on time by
    guard b, p2 late by guard a, the area's morning visit by cleaner c, the rest missed."""
    schedules = [
        daily("09:00"),
        daily("10:00", "15:00", sid="a", target="z9", kind=TargetKind.AREA, window=30),
    ]
    cov = run(
        schedules,
        {"r": [route("p1", "p2")]},
        *DAY,
        [
            scan("p1", local(2026, 3, 2, 9, 5), "s1", "b"),
            scan("p2", local(2026, 3, 2, 10, 5), "s2", "a"),
            scan("z9", local(2026, 3, 2, 10, 1), "s3", "c"),
        ],
    )
    targets = cov.by_target()
    assert targets.total.as_dict() == cov.total().as_dict()
    assert (targets.total.expected, targets.total.on_time, targets.total.late) == (4, 2, 1)
    assert list(targets.by_route) == ["r"] and targets.by_route["r"].expected == 2
    assert {p: (t.on_time, t.late) for p, t in targets.by_checkpoint.items()} == {
        "p1": (1, 0),
        "p2": (0, 1),
    }
    assert {p: (t.on_time, t.missed) for p, t in targets.by_area.items()} == {"z9": (1, 1)}
    people = cov.by_person()
    assert list(people) == ["a", "b", "c"]  # sorted; the missed visit credits no one
    assert [(t.expected, t.on_time, t.late) for t in people.values()] == [
        (1, 0, 1),
        (1, 1, 0),
        (1, 1, 0),
    ]
    assert {d: t.expected for d, t in cov.by_day(TZ).items()} == {"2026-03-02": 4}
    by_point = cov.tally_by(lambda v: v.point_id if v.route_id is None else None)
    assert list(by_point) == ["z9"] and by_point["z9"].missed == 1


@pytest.mark.parametrize(
    ("minutes", "status"),
    [
        (-1, VisitStatus.EARLY),
        (0, VisitStatus.ON_TIME),
        (59, VisitStatus.ON_TIME),
        (60, VisitStatus.LATE),  # the window closes at 60 minutes
        (75 + 12 * 60, VisitStatus.LATE),  # the last instant the round is open
        (75 + 12 * 60 + 1, None),
    ],
)
def test_a_scan_in_its_started_round_is_early_on_time_or_late_until_the_round_closes(
    minutes, status
):
    due = local(2026, 3, 2, 9)
    (visit, *_), _ = expected_visits([daily("09:00")], {"r": [route("p1", "p2")]}, TZ, *DAY)
    assert visit.classify_in_round(due + timedelta(minutes=minutes)) == status


def test_a_second_scan_looks_past_a_taken_visit_to_an_earlier_one_still_open():
    """08:00 and 09:00 visits of one area (window 60, grace 15): a scan at 09:05 meets the
    09:00 visit on time; one at 09:10 passes over it (taken) to meet 08:00, late."""
    s = daily("08:00", "09:00", sid="clean", target="a1", kind=TargetKind.AREA)
    cov = run(
        [s],
        {},
        *DAY,
        [scan("a1", local(2026, 3, 2, 9, 5), "s1"), scan("a1", local(2026, 3, 2, 9, 10), "s2")],
    )
    assert [(v.scan.id if v.scan else None, v.status) for v in cov.visits] == [
        ("s2", VisitStatus.LATE),
        ("s1", VisitStatus.ON_TIME),
    ]
