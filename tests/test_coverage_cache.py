"""The per-day coverage cache (server.coverage_days) changes no figure and never goes
stale: a month read warm equals the same read computed from scratch, and a late offline
scan for a past day, a review verdict, a record set aside, a schedule change or another
process's write is seen by the next read."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bench.coverage_month import TZ, build
from domain.models import Schedule, TargetKind
from domain.trust import HOLDING_FLAGS
from server import coverage_days
from server.coverage_map import coverage_map, marker_json
from server.reports import _judge, cache_clear, coverage_report
from server.storage import Storage, StoredRecord

START = datetime(2026, 10, 1, tzinfo=TZ).astimezone(UTC)
END = datetime(2026, 10, 5, tzinfo=TZ).astimezone(UTC)
NOW = END + timedelta(days=2)  # every day of the period closed


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cache") / "seed.db"
    storage = Storage(path)
    build(storage, START, END)
    storage.close()
    return path


@pytest.fixture
def storage(seeded: Path, tmp_path: Path) -> Any:
    copy = tmp_path / "site.db"
    copy.write_bytes(seeded.read_bytes())
    cache_clear()
    opened = Storage(copy)
    yield opened
    opened.close()


def _cold(storage: Storage, now: datetime = NOW) -> dict[str, Any]:
    cache_clear()
    return coverage_report(storage, "big", START, END, now)


def _scan(point: str, at: datetime, flags: tuple[str, ...] = (), user: str = "late") -> Any:
    return StoredRecord(
        uuid.uuid4().hex,
        "scan",
        "big",
        user,
        "d",
        at,
        NOW,
        point,
        None,
        {"method": "qr", "payload": "x", "gps": None, "round_id": None},
        [],
        list(flags),
    )


def _missed(report: dict[str, Any], day: int) -> dict[str, Any]:
    """A missed visit of an area due on October `day` (areas have one visit per time)."""
    return next(
        v
        for v in report["visits"]
        if v["status"] == "missed"
        and v["route_id"] is None
        and datetime.fromisoformat(v["due"]).astimezone(TZ).day == day
    )


def test_a_cached_month_equals_one_computed_from_scratch(storage: Storage) -> None:
    cold = _cold(storage)
    assert coverage_days.cache_stats()["entries"] == 4, "four closed days cached"
    warm = coverage_report(storage, "big", START, END, NOW)
    assert coverage_days.cache_stats()["hits"] >= 4
    assert warm == cold
    # and day by day equals one pass over the period on this site (no chain of visit
    # windows longer than the context)
    by_day = _judge(storage, "big", START, END, NOW).coverage
    one_pass = _judge(storage, "big", START, END, NOW, by_day=False).coverage
    assert [(v.round_key, v.point_id, v.status, v.scan) for v in by_day.visits] == [
        (v.round_key, v.point_id, v.status, v.scan) for v in one_pass.visits
    ]
    assert [(r.key, r.state) for r in by_day.rounds] == [(r.key, r.state) for r in one_pass.rounds]
    # the map reads the same through the cache
    warm_map = [marker_json(m) for m in coverage_map(storage, "big", START, END, NOW).markers]
    coverage_days.cache_clear()
    cold_map = [marker_json(m) for m in coverage_map(storage, "big", START, END, NOW).markers]
    assert warm_map == cold_map


def test_a_late_offline_scan_for_a_past_day_is_counted(storage: Storage) -> None:
    before = coverage_report(storage, "big", START, END, NOW)  # caches every day
    visit = _missed(before, 2)
    storage.insert_records([_scan(visit["point_id"], datetime.fromisoformat(visit["due"]))])
    after = coverage_report(storage, "big", START, END, NOW)
    met = next(
        v
        for v in after["visits"]
        if (v["round_key"], v["point_id"]) == (visit["round_key"], visit["point_id"])
    )
    assert met["status"] == "on_time" and met["scanned_by"] == "late"
    assert after["totals"]["total"]["missed"] == before["totals"]["total"]["missed"] - 1
    assert after == _cold(storage)


def test_a_review_verdict_on_a_past_day_is_counted(storage: Storage) -> None:
    visit = _missed(_cold(storage), 3)
    held = _scan(
        visit["point_id"], datetime.fromisoformat(visit["due"]), (sorted(HOLDING_FLAGS)[0],)
    )
    storage.insert_records([held])
    pending = coverage_report(storage, "big", START, END, NOW)
    assert pending["pending_review"]["count"] == 1
    assert held.id not in {v["scan_id"] for v in pending["visits"]}
    review = StoredRecord(
        uuid.uuid4().hex,
        "review",
        "big",
        "boss",
        "server",
        NOW,
        NOW,
        held.point_id,
        held.id,
        {"verdict": "accept", "reason": ""},
        [],
        [],
    )
    storage.insert_records([review])
    accepted = coverage_report(storage, "big", START, END, NOW)
    assert held.id in {v["scan_id"] for v in accepted["visits"]}
    assert accepted["pending_review"]["count"] == 0
    assert accepted == _cold(storage)


def test_a_record_set_aside_and_a_schedule_change_are_seen(storage: Storage) -> None:
    before = coverage_report(storage, "big", START, END, NOW)
    met = next(v for v in before["visits"] if v["scan_id"] and v["route_id"] is None)
    storage.db.execute("delete from records where id = ?", [met["scan_id"]])  # as m002 does
    after = coverage_report(storage, "big", START, END, NOW)
    assert met["scan_id"] not in {v["scan_id"] for v in after["visits"]}
    assert after == _cold(storage)
    # a new version of an area's schedule from October 3: one time a day fewer
    old = next(s for s in storage.schedules("big") if s.id == "a0")
    effective = datetime(2026, 10, 3, tzinfo=TZ).astimezone(UTC)
    storage.change_schedule(
        Schedule(
            "a0", 2, "big", TargetKind.AREA, "a000", effective, fixed_times=old.fixed_times[:3]
        )
    )
    changed = coverage_report(storage, "big", START, END, NOW)
    assert changed["totals"]["total"]["expected"] == after["totals"]["total"]["expected"] - 2
    assert changed == _cold(storage)


def test_another_process_writing_the_file_invalidates(storage: Storage) -> None:
    before = coverage_report(storage, "big", START, END, NOW)
    visit = _missed(before, 4)
    other = Storage(storage.path)  # a second connection, as a second process has
    other.insert_records([_scan(visit["point_id"], datetime.fromisoformat(visit["due"]))])
    other.close()
    after = coverage_report(storage, "big", START, END, NOW)
    assert after["totals"]["total"]["missed"] == before["totals"]["total"]["missed"] - 1


def test_open_days_are_judged_as_of_now(storage: Storage) -> None:
    """Today is never cached: its visits turn from upcoming to missed as time passes."""
    morning = datetime(2026, 10, 4, 9, 30, tzinfo=TZ).astimezone(UTC)
    evening = datetime(2026, 10, 4, 20, 0, tzinfo=TZ).astimezone(UTC)
    first = coverage_report(storage, "big", START, END, morning)
    later = coverage_report(storage, "big", START, END, evening)
    assert later["totals"]["total"]["upcoming"] < first["totals"]["total"]["upcoming"]
    assert later == _cold(storage, evening)
    assert coverage_report(storage, "big", START, END, morning) == _cold(storage, morning)


def test_the_cache_stays_within_its_bound(storage: Storage, monkeypatch: Any) -> None:
    monkeypatch.setattr(coverage_days, "CACHE_VISITS", 5000)  # two days of this site
    cold = coverage_report(storage, "big", START, END, NOW)
    stats = coverage_days.cache_stats()
    assert stats["entries"] == 2 and stats["visits"] <= 5000
    assert coverage_report(storage, "big", START, END, NOW) == cold
