"""Rounds as a guard expects them, on the phone and on the server alike: Start only
from the early allowance, a late round stays open, the shift's list is dated."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.state import Refusal
from domain.coverage import RoundState
from tests.client.helpers import Clock, field_app
from tests.factory import PASSWORD, label

TZ = ZoneInfo("Asia/Shanghai")


def run(coro):
    return asyncio.run(coro)


def past_day(hour: int, minute: int = 0) -> datetime:
    day = (datetime.now(TZ) - timedelta(days=3)).date()
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ).astimezone(UTC)


def guard_at(live_server, tmp_path, at: datetime):
    clock = Clock(at, step=timedelta(seconds=1))
    app = field_app(tmp_path / "guard", clock=clock)
    run(app.login(live_server.url, "guard", PASSWORD))
    return app, clock


def server_round(live_server, due: datetime) -> tuple[dict, list[str]]:
    report = (
        live_server.login("manager")
        .get(
            "/api/v1/sites/alpha/coverage",
            params={"period": "day", "date": due.astimezone(TZ).date().isoformat()},
        )
        .json()
    )
    key = f"s1@{due:%Y-%m-%dT%H:%MZ}"
    [summary] = [r for r in report["rounds"] if r["key"] == key]
    return summary, [v["status"] for v in report["visits"] if v["round_key"] == key]


def test_start_is_offered_from_the_early_allowance_and_early_scans_count(live_server, tmp_path):
    due = past_day(10)
    app, clock = guard_at(live_server, tmp_path, due - timedelta(minutes=90))
    [item] = [r for r in app.today_rounds() if r.due == due]
    assert item.state is RoundState.UPCOMING and not item.can_start(clock.now)
    with pytest.raises(Refusal) as refused:
        app.start_round("r1", item)
    assert refused.value.key == "not_yet" and refused.value.params == {"at": "09:45"}

    clock.now = due - timedelta(minutes=14)  # inside the 15 minutes' early allowance
    [item] = [r for r in app.today_rounds() if r.due == due]
    assert item.can_start(clock.now)
    app.start_round("r1", item)
    for i in range(1, 4):
        app.scan_checkpoint(label("alpha", f"c{i:02d}"))
    [walked] = [r for r in app.today_rounds() if r.due == due]
    assert (walked.state, walked.done) == (RoundState.IN_PROGRESS, 3)  # early, not nothing
    app.finish_round("下雨")
    run(app.sync())
    summary, statuses = server_round(live_server, due)
    assert summary["done"] == 3 and statuses.count("early") == 3


def test_a_round_walked_past_window_and_grace_stays_open_and_counts_late(live_server, tmp_path):
    due = past_day(10)
    app, clock = guard_at(live_server, tmp_path, due + timedelta(minutes=10))
    [item] = [r for r in app.today_rounds() if r.due == due]
    app.start_round("r1", item)
    for i in range(1, 6):
        app.scan_checkpoint(label("alpha", f"c{i:02d}"))
    clock.now = due + timedelta(minutes=90 + 30 + 20)  # window and grace have passed
    [open_round] = [r for r in app.today_rounds() if r.due == due]
    assert open_round.state is RoundState.IN_PROGRESS and open_round.overdue
    assert open_round.can_start(clock.now)  # "Continue" is still there
    assert app.start_round("r1", open_round).done == 5
    for i in range(6, 21):
        app.scan_checkpoint(label("alpha", f"c{i:02d}"))
    [done] = [r for r in app.today_rounds() if r.due == due]
    assert (done.state, done.done) == (RoundState.COMPLETED, 20)
    app.finish_round()
    assert run(app.sync()).rejected == []
    summary, statuses = server_round(live_server, due)
    assert (summary["state"], summary["done"]) == ("completed", 20)
    assert statuses.count("on_time") == 5 and statuses.count("late") == 15


def test_today_shows_the_current_shift_dated_with_extra_rounds_kept(live_server, tmp_path):
    night = past_day(23)  # the night shift 20:00–08:00
    app, clock = guard_at(live_server, tmp_path, night)
    rounds = app.today_rounds()
    local = [(r.due.astimezone(TZ).strftime("%H:%M"), r.day_offset) for r in rounds if r.due]
    assert local == [
        ("20:00", 0),
        ("22:00", 0),
        ("00:00", 1),
        ("02:00", 1),
        ("04:00", 1),
        ("06:00", 1),
    ]
    app.start_round("r1")  # an extra round
    app.scan_checkpoint(label("alpha", "c01"))
    app.finish_round("只巡了一个点")
    [extra] = [r for r in app.today_rounds() if r.schedule_id is None]
    assert (extra.state, extra.done, extra.total) == (RoundState.INCOMPLETE, 1, 20)
    clock.now = past_day(8, 30)  # the next day shift: the night's rounds are gone
    assert all(r.due and r.due >= past_day(8) for r in app.today_rounds())
