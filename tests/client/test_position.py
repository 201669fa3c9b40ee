"""A scan carries the newest GPS fix with its accuracy, and never a stale one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.position import MAX_FIX_AGE, PositionKeeper


class Ticker:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_each_scan_takes_the_newest_fix_and_a_stale_one_is_no_fix():
    tick = Ticker()
    keeper = PositionKeeper(clock=tick)
    assert keeper.for_scan() is None  # no GPS yet: no position, not a made-up one
    keeper.update(31.2002, 121.4, 8.0)
    assert keeper.for_scan() == {"lat": 31.2002, "lon": 121.4, "accuracy": 8.0}
    tick.now += 5
    keeper.update(31.2010, 121.4012, 4.5)  # the guard walked on: the next scan moves too
    assert keeper.for_scan() == {"lat": 31.201, "lon": 121.4012, "accuracy": 4.5}
    tick.now += MAX_FIX_AGE + 1  # GPS lost in the garage
    assert keeper.for_scan() is None
    keeper.update(None, None)
    assert keeper.for_scan() is None


def test_a_cached_fix_that_was_already_old_is_ignored():
    now = datetime(2026, 11, 26, 12, tzinfo=UTC)
    tick = Ticker()
    keeper = PositionKeeper(clock=tick, wall=lambda: now)
    keeper.update(31.2, 121.4, 10.0, taken_at=now - timedelta(minutes=10))
    assert keeper.for_scan() is None
    keeper.update(31.2, 121.4, 10.0, taken_at=now - timedelta(seconds=20))
    tick.now += 15  # 20 s old when it came, 35 s now
    assert keeper.for_scan() is None
