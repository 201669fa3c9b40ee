"""Small `domain/` rules the phone and the console lean on, checked on their own: the
config's dict round trips (what the phone caches), the shift a moment falls in, and when
a flagged record waits for review."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.config import (
    point_from_dict,
    point_to_dict,
    route_from_dict,
    route_to_dict,
    schedule_from_dict,
    schedule_to_dict,
)
from domain.models import Point, PointKind, RouteVersion, Schedule, TargetKind
from domain.schedules import current_shift
from domain.trust import Review, Verdict, latest_review, needs_review

TZ = ZoneInfo("Asia/Shanghai")


def test_a_route_survives_the_phones_config_cache():
    route = RouteVersion(
        "r1",
        3,
        "夜巡",
        datetime(2026, 3, 1, 12, tzinfo=UTC),
        ("c02", "c01"),
        True,
        {"c01": 10},
    )
    as_dict = route_to_dict(route)
    assert as_dict["effective_from"] == "2026-03-01T12:00:00.000000+00:00"
    assert route_from_dict(as_dict) == route


def test_a_schedule_and_a_point_survive_the_phones_config_cache():
    schedule = Schedule(
        "s1", 2, "alpha", TargetKind.AREA, "a01", datetime(2026, 3, 1, tzinfo=UTC),
        datetime(2026, 4, 1, tzinfo=UTC), (time(8), time(20, 30)), 30, time(21), time(6),
        frozenset({0, 6}), 45, 5, 10, "夜间保洁", "u-cleaner", "保洁",
    )  # fmt: skip
    assert schedule_from_dict(schedule_to_dict(schedule)) == schedule
    point = Point(
        "c01", "alpha", PointKind.CHECKPOINT, "大门", lat=31.2, lon=121.4, short_code="GATE"
    )
    assert point_from_dict(point_to_dict(point)) == point


@pytest.mark.parametrize(
    ("local", "start", "hours"),
    [
        (datetime(2026, 3, 4, 8, 0), datetime(2026, 3, 4, 8, 0), 12),
        (datetime(2026, 3, 4, 19, 59), datetime(2026, 3, 4, 8, 0), 12),
        (datetime(2026, 3, 4, 20, 0), datetime(2026, 3, 4, 20, 0), 12),
        (datetime(2026, 3, 5, 7, 59), datetime(2026, 3, 4, 20, 0), 12),
        (datetime(2026, 3, 4, 1, 0), datetime(2026, 3, 3, 20, 0), 12),
        (datetime(2026, 3, 4, 13, 0), datetime(2026, 3, 4, 8, 0), 8),
        (datetime(2026, 3, 4, 23, 0), datetime(2026, 3, 4, 16, 0), 8),
    ],
)
def test_the_shift_a_moment_falls_in(local, start, hours):
    now = local.replace(tzinfo=TZ).astimezone(UTC)
    got = current_shift(now, TZ, time(8), hours)
    begin = start.replace(tzinfo=TZ).astimezone(UTC)
    assert got == (begin, begin + timedelta(hours=hours))


def test_a_flagged_record_waits_for_review_until_someone_reviews_it():
    review = Review("rec-1", Verdict.ACCEPT, "", "u-lead", datetime(2026, 3, 1, tzinfo=UTC))
    assert needs_review(["impossible_speed"], None)
    assert needs_review(iter(["repeated_scan"]), None)  # any iterable of flags
    assert not needs_review([], None)
    assert not needs_review(["impossible_speed"], review)


def test_the_latest_review_decides_and_none_is_none():
    def review(hour: int, verdict: Verdict) -> Review:
        return Review("rec-1", verdict, "", "u-lead", datetime(2026, 3, 1, hour, tzinfo=UTC))

    assert latest_review([]) is None
    reviews = [review(9, Verdict.REJECT), review(11, Verdict.ACCEPT), review(10, Verdict.REJECT)]
    assert latest_review(reviews) == reviews[1]


def test_windows_clash_only_when_they_overlap_not_when_they_touch():
    from domain.schedules import _first_clash

    t = datetime(2026, 3, 2, 8, tzinfo=UTC)
    hour = timedelta(hours=1)
    # theirs 07:00-08:00 ends as mine 08:00-09:00 starts; theirs 09:00 starts as mine ends
    assert _first_clash([t], hour, [t - hour, t + hour], hour) is None
    assert _first_clash([t], hour, [t - hour + timedelta(minutes=1)], hour) == t
    assert _first_clash([t], hour, [t + hour - timedelta(minutes=1)], hour) == t
    # the first of mine that meets any of theirs, past several of theirs that end before it
    mine = [t, t + 4 * hour, t + 6 * hour]
    theirs = [t - 3 * hour, t - 2 * hour, t + hour, t + 2 * hour, t + 6 * hour + hour / 2]
    assert _first_clash(mine, hour, theirs, hour) == t + 6 * hour
    assert _first_clash(mine, hour, theirs[:2], hour) is None
    assert _first_clash([], hour, theirs, hour) is None
    assert _first_clash(mine, hour, [], hour) is None
    assert _first_clash([t, t + 2 * hour], hour, [t + 2 * hour], hour) == t + 2 * hour


def test_the_evidence_of_a_rectification_figure_is_each_rectification_in_full():
    from domain.appraisal import AppraisalInputs, RectFact, evidence, schedule_owner

    t = datetime(2026, 3, 2, 8, tzinfo=UTC)
    late = RectFact("i2/floor", "a02", "floor", t + timedelta(hours=2), t + timedelta(hours=26),
                    None, "u-c", "fixed", True, 1, None)  # fmt: skip
    closed = RectFact("i1/walls", "a01", "walls", t, t + timedelta(hours=24), "u-c", "u-c",
                      "closed", False, 0, t + timedelta(hours=3))  # fmt: skip
    inputs = AppraisalInputs(rectifications=[late, closed])
    assert evidence(inputs, "u-c", "rectifications") == [
        {
            "kind": "rectification",
            "id": "i1/walls",
            "point_id": "a01",
            "item": "walls",
            "opened_at": "2026-03-02T08:00:00+00:00",
            "deadline": "2026-03-03T08:00:00+00:00",
            "state": "closed",
            "overdue": False,
            "on_time": True,
            "reopened": 0,
            "assignee_id": "u-c",
            "fixed_by": "u-c",
        },
        {
            "kind": "rectification",
            "id": "i2/floor",
            "point_id": "a02",
            "item": "floor",
            "opened_at": "2026-03-02T10:00:00+00:00",
            "deadline": "2026-03-03T10:00:00+00:00",
            "state": "fixed",
            "overdue": True,
            "on_time": False,
            "reopened": 1,
            "assignee_id": None,
            "fixed_by": "u-c",
        },
    ]
    assert [e["id"] for e in evidence(inputs, "u-c", "reopened")] == ["i2/floor"]
    assert evidence(inputs, "u-other", "rectifications") == []
    # who answers for a schedule's visit: the version in force at its time
    v1 = Schedule("s1", 1, "alpha", TargetKind.ROUTE, "r1", t, t + timedelta(days=1),
                  responsible_user_id="u-a")  # fmt: skip
    v2 = Schedule("s1", 2, "alpha", TargetKind.ROUTE, "r1", t + timedelta(days=1),
                  responsible_user_id="u-b")  # fmt: skip
    assert schedule_owner([v1, v2], t + timedelta(hours=1)) == "u-a"
    assert schedule_owner([v1, v2], t + timedelta(days=2)) == "u-b"
    assert schedule_owner([v1, v2], t - timedelta(hours=1)) is None


def _plan(sid: str, *times: time, **kw: object) -> Schedule:
    fields: dict = {"fixed_times": times, "effective_from": datetime(2026, 3, 2, tzinfo=TZ)} | kw
    return Schedule(sid, 1, "alpha", TargetKind.ROUTE, "r1", **fields)


def test_a_preview_counts_visits_per_local_day_and_warns_in_words():
    from domain.schedules import PreviewWarning, preview

    start = datetime(2026, 3, 2, tzinfo=TZ)
    # a draft saved later in the week, with an end already set: previewed as if in force
    later, ended = start + timedelta(days=3), start + timedelta(days=1)
    draft = _plan("s1", time(7, 30), time(8), effective_from=later, effective_to=ended,
                  window_minutes=45, name="早巡")  # fmt: skip
    got = preview(draft, TZ, start, 2)
    day1, day2 = start.date(), start.date() + timedelta(days=1)
    assert got.per_day == {day1: 2, day2: 2}
    assert got.occurrences[0] == datetime(2026, 3, 1, 23, 30, tzinfo=UTC)  # 07:30 local
    assert got.warnings == [
        PreviewWarning("self_overlap", "visits come before the previous window closes")
    ]
    # windows that only touch do not overlap
    touching = replace(draft, window_minutes=30)
    assert preview(touching, TZ, start, 1).warnings == []
    nothing = replace(draft, weekdays=frozenset({6}))  # Sundays only; the 2 days are Mon-Tue
    assert preview(nothing, TZ, start, 2).warnings == [
        PreviewWarning("no_visits", "no visits in the next 2 days")
    ]
    # other schedules: its own other version is skipped, each other one named once
    others = [
        replace(draft, version=0),
        _plan("s2", time(7, 45), name="夜巡"),
        _plan("s3", time(12)),
        _plan("s4", time(8, 15)),
    ]
    warnings = preview(touching, TZ, start, 1, others).warnings
    assert warnings == [
        PreviewWarning("overlap", "overlaps 夜巡 at 2026-03-02 07:30", "s2",
                       datetime(2026, 3, 1, 23, 30, tzinfo=UTC)),
        PreviewWarning("overlap", "overlaps s4 at 2026-03-02 08:00", "s4",
                       datetime(2026, 3, 2, 0, 0, tzinfo=UTC)),
    ]  # fmt: skip


def test_a_points_colour_is_its_most_urgent_visit_and_held_scans_count_as_pending():
    from domain.coverage import VisitStatus
    from domain.presence import MapStatus, map_status

    assert map_status([VisitStatus.ON_TIME]) is MapStatus.ON_TIME
    assert map_status([VisitStatus.ON_TIME], pending=1) is MapStatus.PENDING
    assert map_status([]) is MapStatus.NONE


APPRAISAL_KPIS = "coverage, punctuality, pass_rate, rectification_on_time"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "settings must be an object"),
        ({"nonsense": 1, "zzz": 2}, "unknown setting 'nonsense'"),
        ({"x" * 40: 1}, f"unknown setting {'x' * 30!r}"),
        ({"weights": [40]}, f"weights must map some of {APPRAISAL_KPIS} to numbers"),
        ({"targets": {"speed": 1}}, f"targets must map some of {APPRAISAL_KPIS} to numbers"),
        ({"weights": {"coverage": 100.5, "punctuality": -0.5}},
         "weights.coverage must be a number from 0 to 100"),
        ({"targets": {"coverage": 1.01}}, "targets.coverage must be a number from 0 to 1"),
        ({"weights": {"coverage": 41}}, "weights must add up to 100"),
        ({"weights": {"coverage": 40.5, "punctuality": 29.5}}, None),
        ({"points_per_percent": 101}, "points_per_percent must be a number from 0 to 100"),
        ({"points_per_percent": -1}, "points_per_percent must be a number from 0 to 100"),
        ({"fraud_deduction": 100.5}, "fraud_deduction must be a number from 0 to 100"),
        ({"fraud_deduction": True}, "fraud_deduction must be a number from 0 to 100"),
        ({"reopen_deduction": 101}, "reopen_deduction must be a number from 0 to 100"),
    ],
)  # fmt: skip
def test_each_bad_appraisal_setting_is_named(data, message):
    from domain.appraisal import settings_from_dict

    if message is None:
        assert settings_from_dict(data).weights["coverage"] == 40.5
        return
    with pytest.raises(ValueError) as refused:
        settings_from_dict(data)
    assert str(refused.value) == message


def test_appraisal_settings_at_their_limits_pass_and_keep_the_rest():
    from domain.appraisal import DEFAULT_SETTINGS, settings_from_dict

    weights = {"coverage": 100, "punctuality": 0, "pass_rate": 0, "rectification_on_time": 0}
    got = settings_from_dict(
        {"weights": weights, "targets": {"coverage": 1, "pass_rate": 0}}
        | {"points_per_percent": 100, "fraud_deduction": 0, "reopen_deduction": 100}
    )
    assert got.weights == weights and got.targets["coverage"] == 1.0
    assert got.targets["punctuality"] == DEFAULT_SETTINGS.targets["punctuality"]
    assert (got.points_per_percent, got.fraud_deduction, got.reopen_deduction) == (100, 0, 100)
    low = settings_from_dict(
        {"points_per_percent": 0, "fraud_deduction": 100, "reopen_deduction": 0}
    )
    assert (low.points_per_percent, low.fraud_deduction, low.reopen_deduction) == (0, 100, 0)
    assert low.weights == DEFAULT_SETTINGS.weights
    kept = settings_from_dict({}, low)
    assert (kept.points_per_percent, kept.fraud_deduction, kept.reopen_deduction) == (0, 100, 0)


def test_a_months_figures_read_out_under_their_names():
    from domain.appraisal import Figures

    figures = Figures(items_passed=9, items_applicable=12, inspections=2, rectifications=4,
                      rect_decided=4, rect_on_time=3, rect_open=1, reopened=1, anomalies=5,
                      anomalies_closed=4, anomaly_hours=10.0, fraud_confirmed=1)  # fmt: skip
    got = figures.as_dict()
    assert {k: v for k, v in got.items() if k != "visits"} == {
        "coverage": None,
        "punctuality": None,
        "inspections": 2,
        "items_passed": 9,
        "items_applicable": 12,
        "pass_rate": 0.75,
        "rectifications": 4,
        "rectifications_decided": 4,
        "rectifications_on_time": 3,
        "rectifications_open": 1,
        "rectification_on_time": 0.75,
        "reopened": 1,
        "anomalies_reported": 5,
        "anomalies_closed": 4,
        "anomaly_hours_to_close": 2.5,  # mean over the closed ones
        "fraud_confirmed": 1,
    }


def test_a_month_is_counted_per_person_and_summed_per_team():
    from domain.appraisal import (
        AnomalyFact,
        AppraisalInputs,
        FraudFact,
        RectFact,
        appraise,
    )

    t = datetime(2026, 3, 2, 8, tzinfo=UTC)
    day = timedelta(days=1)

    def rect(n: int, who: str, state: str, overdue: bool, reopened: int = 0) -> RectFact:
        return RectFact(f"r{n}", "a01", "floor", t, t + day, who, who, state, overdue,
                        reopened, t + day / 2 if state == "closed" else None)  # fmt: skip

    inputs = AppraisalInputs(
        rectifications=[rect(1, "u-a", "closed", False, 1), rect(2, "u-a", "open", True, 2),
                        rect(3, "u-a", "fixed", False), rect(4, "u-b", "closed", True)],
        anomalies=[AnomalyFact("n1", "u-a", t, "leak", None, t + day),
                   AnomalyFact("n2", "u-a", t, "leak", None),
                   AnomalyFact("n3", "u-a", t, "door", None, t)],
        frauds=[FraudFact(f"f{n}", "u-b", t, ("impossible_speed",), "u-lead", "") for n in (1, 2)],
    )  # fmt: skip
    got = appraise(inputs, {"u-a": "cleaning", "u-b": "cleaning"})
    a, b = got.people["u-a"], got.people["u-b"]
    assert (a.rectifications, a.rect_decided, a.rect_on_time, a.rect_open, a.reopened) == (
        3, 2, 1, 2, 3,
    )  # fmt: skip
    assert (a.anomalies, a.anomalies_closed, a.fraud_confirmed) == (3, 2, 0)
    assert (b.rectifications, b.rect_decided, b.rect_on_time, b.fraud_confirmed) == (1, 1, 0, 2)
    team = got.teams["cleaning"]
    assert (team.rectifications, team.rect_open, team.reopened, team.anomalies) == (4, 2, 3, 3)
    assert team.fraud_confirmed == 2 and list(got.teams) == ["cleaning"]


def test_a_score_weighs_each_kpi_below_its_target_and_deducts_per_event():
    from domain.appraisal import AppraisalSettings, Figures, score

    figures = Figures(items_passed=8, items_applicable=10, rect_decided=4, rect_on_time=4,
                      reopened=1, fraud_confirmed=2)  # fmt: skip
    settings = AppraisalSettings(
        weights={"pass_rate": 60, "rectification_on_time": 40, "coverage": 0},
        targets={"pass_rate": 0.9},  # no target for rectifications: 0
        points_per_percent=2.0,
        fraud_deduction=5.0,
        reopen_deduction=1.5,
    )
    got = score(figures, settings)
    # pass rate 80 % is 10 points below 90 %: 60 - 2 * 10 = 40 of 60; rectifications 40 of 40
    assert got.parts["pass_rate"] == {"value": 0.8, "target": 0.9, "weight": 60.0, "earned": 40.0}
    assert got.parts["rectification_on_time"] == {
        "value": 1.0, "target": 0.0, "weight": 40.0, "earned": 40.0,
    }  # fmt: skip
    assert got.parts["coverage"] == {"value": None, "target": 0.0, "weight": 0.0, "earned": None}
    assert got.parts["punctuality"]["earned"] is None  # no weight given: not counted
    assert got.deductions == {"fraud_confirmed": 10.0, "reopened": 1.5}
    assert got.total == round(100 * 80 / 100 - 11.5, 2)
    nothing = score(Figures(), settings)
    assert nothing.total == 100.0 and nothing.deductions == {
        "fraud_confirmed": 0.0,
        "reopened": 0.0,
    }
    weightless = AppraisalSettings(weights={}, targets={})
    assert score(figures, weightless).total == 100.0 - 2 * 10.0 - 2.0  # default deductions
