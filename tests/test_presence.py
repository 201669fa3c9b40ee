"""The coverage map's rules: a point's status for a period, and its longest gap."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.coverage import VisitStatus
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


@pytest.mark.parametrize(
    ("counts", "band"),
    [
        ({"expected": 0, "on_time": 0, "met": 0, "upcoming": 0}, ShareBand.NONE),
        ({"expected": 0, "on_time": 0, "met": 0, "upcoming": 0, "pending": 1}, ShareBand.PENDING),
        ({"expected": 4, "on_time": 0, "met": 0, "upcoming": 4}, ShareBand.UPCOMING),
        ({"expected": 60, "on_time": 60, "met": 60, "upcoming": 0}, ShareBand.ALL_ON_TIME),
        # upcoming visits are neither met nor missed
        ({"expected": 60, "on_time": 40, "met": 40, "upcoming": 20}, ShareBand.ALL_ON_TIME),
        ({"expected": 60, "on_time": 50, "met": 60, "upcoming": 0}, ShareBand.COVERED),
        # one miss in a week of 60 visits: 98 % covered, light green, not red
        ({"expected": 60, "on_time": 59, "met": 59, "upcoming": 0}, ShareBand.COVERED),
        ({"expected": 10, "on_time": 9, "met": 9, "upcoming": 0}, ShareBand.COVERED),  # 90 %
        ({"expected": 10, "on_time": 8, "met": 8, "upcoming": 0}, ShareBand.SHORT),
        ({"expected": 10, "on_time": 7, "met": 7, "upcoming": 0}, ShareBand.SHORT),  # 70 %
        ({"expected": 10, "on_time": 6, "met": 6, "upcoming": 0}, ShareBand.POOR),
        ({"expected": 1, "on_time": 0, "met": 0, "upcoming": 0}, ShareBand.POOR),
        # a held visit waits for its reviewer: out of the share, and the point shows it
        ({"expected": 10, "on_time": 9, "met": 9, "upcoming": 0, "held": 1}, ShareBand.PENDING),
        ({"expected": 1, "on_time": 0, "met": 0, "upcoming": 0, "held": 1}, ShareBand.PENDING),
        # ... unless what is known already falls below the threshold
        ({"expected": 10, "on_time": 2, "met": 2, "upcoming": 0, "held": 1}, ShareBand.POOR),
        (
            {"expected": 10, "on_time": 10, "met": 10, "upcoming": 0, "pending": 2},
            ShareBand.PENDING,
        ),
    ],
)
def test_share_bands(counts: dict[str, int], band: ShareBand) -> None:
    assert share_band(**counts) is band


def test_the_threshold_is_the_sites_and_bands_need_a_day() -> None:
    counts = {"expected": 10, "on_time": 5, "met": 5, "upcoming": 0}
    assert share_band(**counts) is ShareBand.POOR
    assert share_band(**counts, threshold=0.5) is ShareBand.SHORT
    assert share_band(**counts, threshold=0.4) is ShareBand.SHORT
    start = datetime(2026, 11, 2, tzinfo=UTC)
    assert not uses_share_bands(start, start + timedelta(hours=12))  # a shift
    assert uses_share_bands(start, start + timedelta(days=1))
    assert uses_share_bands(start, start + timedelta(hours=23))  # a day that loses an hour
    assert uses_share_bands(start, start + timedelta(days=31))
