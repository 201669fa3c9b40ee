"""The coverage map's rules: a point's status for a period, and its longest gap."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.coverage import VisitStatus
from domain.presence import Gap, MapStatus, gap_level, longest_gap, map_status

T0 = datetime(2026, 3, 2, tzinfo=UTC)


def h(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def test_no_scan_at_all_makes_the_whole_period_the_gap():
    assert longest_gap([], h(0), h(24), now=h(48)) == Gap(h(0), h(24))


def test_the_gap_counts_from_the_start_and_to_the_end():
    scans = [h(2), h(3), h(20)]
    assert longest_gap(scans, h(0), h(24), now=h(48)) == Gap(h(3), h(20))
    assert longest_gap([h(10)], h(0), h(24), now=h(48)) == Gap(h(10), h(24))
    assert longest_gap([h(14)], h(0), h(24), now=h(48)) == Gap(h(0), h(14))


def test_a_period_still_running_ends_its_gap_now():
    assert longest_gap([h(1)], h(0), h(24), now=h(5)) == Gap(h(1), h(5))
    assert longest_gap([h(1), h(6)], h(0), h(24), now=h(5)) == Gap(h(1), h(5))


def test_a_future_period_has_no_gap():
    assert longest_gap([], h(0), h(24), now=h(-1)) is None
    assert longest_gap([], h(0), h(24), now=h(0)) is None


def test_scans_outside_the_period_are_ignored_and_order_does_not_matter():
    scans = [h(-5), h(30), h(12), h(6)]
    assert longest_gap(scans, h(0), h(24), now=h(48)) == Gap(h(12), h(24))


def test_equal_gaps_give_the_earliest():
    assert longest_gap([h(8), h(16)], h(0), h(24), now=h(48)) == Gap(h(0), h(8))


def test_the_end_is_exclusive():
    assert longest_gap([h(24)], h(0), h(24), now=h(48)) == Gap(h(0), h(24))


@pytest.mark.parametrize(
    ("statuses", "pending", "expected"),
    [
        ([], 0, MapStatus.NONE),
        ([VisitStatus.ON_TIME, VisitStatus.ON_TIME], 0, MapStatus.ON_TIME),
        ([VisitStatus.ON_TIME, VisitStatus.EARLY], 0, MapStatus.EARLY),
        ([VisitStatus.EARLY, VisitStatus.LATE], 0, MapStatus.LATE),
        ([VisitStatus.LATE, VisitStatus.MISSED, VisitStatus.UPCOMING], 0, MapStatus.MISSED),
        ([VisitStatus.UPCOMING], 0, MapStatus.UPCOMING),
        ([VisitStatus.ON_TIME, MapStatus.PENDING], 0, MapStatus.PENDING),
        ([VisitStatus.LATE], 1, MapStatus.PENDING),
        ([VisitStatus.MISSED], 1, MapStatus.MISSED),
        ([], 2, MapStatus.PENDING),
    ],
)
def test_a_point_shows_its_most_urgent_status(statuses, pending, expected):
    assert map_status(statuses, pending) is expected


@pytest.mark.parametrize(
    ("hours", "level"), [(0.5, 0), (4, 0), (4.01, 1), (8, 1), (11.9, 2), (12, 2), (13, 3)]
)
def test_gap_levels(hours, level):
    assert gap_level(Gap(h(0), h(hours))) == level


def test_no_gap_has_no_level():
    assert gap_level(None) is None
