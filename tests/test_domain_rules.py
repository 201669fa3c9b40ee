"""Small `domain/` rules the phone and the console lean on, checked on their own: the
config's dict round trips (what the phone caches), the shift a moment falls in, and when
a flagged record waits for review."""

from __future__ import annotations

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
from domain.trust import Review, Verdict, needs_review

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
