"""Tests aimed at small bugs that once slipped through the suite unnoticed (issue 9's
planted bugs): each fails on its bug."""

from __future__ import annotations

import calendar
import io
import os
import sqlite3
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from app.store import LocalStore
from domain.schedules import period_bounds
from domain.scoring import (
    RectificationEvent,
    RectificationState,
    recheck_refusal,
    rectification_state,
)
from server.blobs import LocalBlobStore
from tests.conftest import batch, now_iso
from tests.test_sync import jpeg, scan, upload

TZ = ZoneInfo("Asia/Shanghai")

# -- the phone's store: durable before it says saved -----------------------------------


def test_the_phone_store_commits_durably(tmp_path):
    store = LocalStore(tmp_path)
    assert store.db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.close()


def test_photo_files_are_fsynced_before_they_take_their_name(tmp_path, monkeypatch):
    events: list[tuple[str, str]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    def replace(src: str | Path, dst: str | Path) -> None:
        events.append(("replace", str(src)))
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    store = LocalStore(tmp_path)
    store.save_photo("ab" * 32, b"full photo", b"thumb", "alpha", datetime.now(UTC))
    store.close()
    replaced = [path for kind, path in events if kind == "replace"]
    assert len(replaced) == 2  # the photo and its thumbnail
    for path in replaced:
        i = events.index(("replace", path))
        assert ("fsync", path) in events[:i], f"{path} renamed before it was fsynced"


# -- the phone's outbox: what a reply does to it ------------------------------------------


def _outbox(tmp_path: Path) -> tuple[LocalStore, list[str]]:
    store = LocalStore(tmp_path)
    ids = []
    for i in range(4):
        record = scan(f"c{i + 1:02d}")
        store.add_record(record)
        ids.append(record["id"])
    return store, ids


def test_a_duplicate_reply_counts_as_sent_not_rejected(tmp_path):
    store, ids = _outbox(tmp_path)
    at = datetime.now(UTC)
    store.mark(
        [
            {"id": ids[0], "status": "accepted"},
            {"id": ids[1], "status": "duplicate"},
            {"id": ids[2], "status": "rejected", "reason": "point not found: c03"},
        ],
        at,
    )
    assert [r.id for r in store.pending()] == [ids[3]]
    assert [(r.id, r.reason) for r in store.rejected()] == [(ids[2], "point not found: c03")]
    assert store.count("sent") == 2
    store.close()


def test_pruning_drops_only_sent_records_older_than_a_week(tmp_path):
    store, ids = _outbox(tmp_path)
    sent_at = datetime.now(UTC)
    store.mark(
        [{"id": ids[0], "status": "accepted"}, {"id": ids[1], "status": "duplicate"}], sent_at
    )
    store.mark([{"id": ids[2], "status": "rejected", "reason": "x"}], sent_at)
    assert store.prune(timedelta(days=7), sent_at + timedelta(days=1)) == 0
    assert store.count("sent") == 2
    assert store.prune(timedelta(days=7), sent_at + timedelta(days=8)) == 2
    assert [r.id for r in store.pending()] == [ids[3]]  # unsent records are never pruned
    assert [r.id for r in store.rejected()] == [ids[2]]  # nor the rejected, for the user
    store.close()


# -- ingest keeps its flags ------------------------------------------------------------------


def test_a_record_from_after_its_batch_was_sent_is_flagged(live_server):
    sent_at = datetime.now(UTC)
    ahead = scan(device_time=(sent_at + timedelta(minutes=30)).isoformat())
    near = scan("c02", device_time=(sent_at + timedelta(minutes=2)).isoformat())
    results = live_server.login("guard").post(
        "/api/v1/sync", json=batch(ahead, near, sent_at=sent_at.isoformat())
    )
    first, second = results.json()["results"]
    assert first["status"] == "accepted" and "future_device_time" in first["flags"]
    assert "flags" not in second
    with sqlite3.connect(live_server.settings.db_path) as db:
        [flags] = db.execute("select flags from records where id = ?", [ahead["id"]]).fetchone()
    assert "future_device_time" in flags


# -- rectifications: overdue is judged when they closed ----------------------------------------


def test_a_rectification_closed_in_time_is_never_overdue_later():
    t0 = datetime(2026, 3, 1, 8, tzinfo=UTC)
    deadline = t0 + timedelta(hours=24)
    events = [
        RectificationEvent("fixed", "c", t0 + timedelta(hours=2)),
        RectificationEvent("rechecked", "s", t0 + timedelta(hours=3), True),
    ]
    for now in (t0 + timedelta(hours=4), t0 + timedelta(days=30)):
        closed = rectification_state("r", deadline, events, now)
        assert closed.state is RectificationState.CLOSED and not closed.overdue
    assert not rectification_state("r", deadline, [], t0 + timedelta(hours=23)).overdue
    fixed_late = rectification_state("r", deadline, events[:1], t0 + timedelta(hours=25))
    assert fixed_late.overdue  # fixed but not re-checked by the deadline: still overdue


def test_what_a_rectification_refuses_says_why():
    t0 = datetime(2026, 3, 1, 8, tzinfo=UTC)
    deadline = t0 + timedelta(hours=24)
    fixed = rectification_state(
        "r", deadline, [RectificationEvent("fixed", "c", t0 + timedelta(hours=1))], t0
    )
    opened = rectification_state("r", deadline, [], t0)
    assert recheck_refusal(fixed, "fixed", "c") == (
        "rectification is waiting for its re-check, not a fix"
    )
    assert recheck_refusal(opened, "rechecked", "s") == "rectification has not been fixed yet"
    assert recheck_refusal(opened, "fixed", "c") is None
    assert recheck_refusal(fixed, "rechecked", "s") is None


# -- periods: weeks start on Monday, months are whole ----------------------------------------


@pytest.mark.parametrize(
    "day", [date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 4), date(2026, 3, 8)]
)
def test_a_week_runs_monday_to_sunday(day):
    start, end = period_bounds("week", day, TZ)
    local_start, local_end = start.astimezone(TZ), end.astimezone(TZ)
    assert local_start.weekday() == 0 and local_start.time() == time(0)
    assert local_end - local_start == timedelta(days=7)
    assert local_start.date() <= day < local_end.date()


@pytest.mark.parametrize("month", [(2026, 1), (2026, 2), (2028, 2), (2026, 4), (2026, 12)])
def test_a_month_holds_every_one_of_its_days(month):
    year, mo = month
    days = calendar.monthrange(year, mo)[1]
    for day in (date(year, mo, 1), date(year, mo, days)):
        start, end = period_bounds("month", day, TZ)
        assert start.astimezone(TZ) == datetime(year, mo, 1, tzinfo=TZ)
        assert end.astimezone(TZ) - start.astimezone(TZ) == timedelta(days=days)


@pytest.mark.parametrize(
    ("period", "day", "first_day", "days", "rounds"),
    [
        ("day", "2026-03-04", "2026-03-04", 1, 12),
        ("week", "2026-03-01", "2026-02-23", 7, 84),  # a Sunday: the week began on Monday
        ("month", "2026-02-14", "2026-02-01", 28, 336),
        ("month", "2026-03-31", "2026-03-01", 31, 372),
    ],
)
def test_coverage_periods_cover_exactly_their_days(
    live_server, period, day, first_day, days, rounds
):
    report = live_server.login("manager").get(
        "/api/v1/sites/alpha/coverage", params={"period": period, "date": day, "visits": "false"}
    )
    assert report.status_code == 200, report.text
    body = report.json()
    start = datetime.fromisoformat(body["start"]).astimezone(TZ)
    end = datetime.fromisoformat(body["end"]).astimezone(TZ)
    assert start == datetime.fromisoformat(first_day).replace(tzinfo=TZ)
    assert end - start == timedelta(days=days)
    assert len(body["totals"]["by_day"]) == days
    assert len(body["rounds"]) == rounds  # the 2-hourly round, 12 a day


def test_a_shift_is_twelve_hours_from_its_start(live_server):
    body = (
        live_server.login("manager")
        .get(
            "/api/v1/sites/alpha/coverage",
            params={"period": "shift", "date": "2026-03-04", "shift_start": "20:00"},
        )
        .json()
    )
    start = datetime.fromisoformat(body["start"]).astimezone(TZ)
    assert start == datetime(2026, 3, 4, 20, tzinfo=TZ)
    assert datetime.fromisoformat(body["end"]) - start == timedelta(hours=12)
    assert len(body["rounds"]) == 6


# -- another site's objects: 404 even when they exist ------------------------------------------


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (9, 9, 9)).save(buf, "PNG")
    return buf.getvalue()


@pytest.mark.parametrize("thing", ["plan", "photo"])
def test_another_sites_existing_plan_and_photo_answer_404_like_missing_ones(live_server, thing):
    member, outsider = live_server.login("manager"), live_server.login("beta-manager")
    if thing == "plan":
        plan = LocalBlobStore(live_server.settings.blob_dir).put(_png())
        with sqlite3.connect(live_server.settings.db_path) as db:
            db.execute("update sites set plan_sha = ? where id = 'alpha'", [plan])
        path = "/api/v1/sites/alpha/plan"
    else:
        path = f"/api/v1/sites/alpha/photos/{upload(member, jpeg((5, 6, 7)))}"
    assert member.get(path).status_code == 200  # it exists, for the site's own people
    response = outsider.get(path)
    missing = outsider.get(path.replace("alpha", "no-such-site"))
    assert response.status_code == missing.status_code == 404
    assert response.json() == missing.json()


def _marks(obj: object) -> set[str]:
    marks = getattr(obj, "pytestmark", [])
    return {m.name for m in (marks if isinstance(marks, list) else [marks])}


def test_every_browser_test_carries_the_browser_marker():
    """Every test module that drives chromium is marked `browser`, module-wide or on each
    test, so `-m "not browser"` really leaves every browser test out."""
    import importlib

    tests = Path(__file__).parent
    drivers = [
        path
        for path in sorted(tests.rglob("test_*.py"))
        if path != Path(__file__)
        and any(word in path.read_text() for word in ("playwright", "chromium", "client.browser"))
    ]
    assert len(drivers) >= 7  # the field app's, the console's and the set-up's flows
    for path in drivers:
        name = ".".join(path.relative_to(tests.parent).with_suffix("").parts)
        module = importlib.import_module(name)
        functions = [f for n, f in vars(module).items() if n.startswith("test_") and callable(f)]
        assert functions, name
        if "browser" not in _marks(module):
            unmarked = [f.__name__ for f in functions if "browser" not in _marks(f)]
            assert not unmarked, f"{name}: {unmarked} run under -m 'not browser'"


def test_a_record_sent_now_is_not_flagged_future(live_server):
    [result] = (
        live_server.login("guard")
        .post("/api/v1/sync", json=batch(scan(device_time=now_iso())))
        .json()["results"]
    )
    assert result["status"] == "accepted" and "flags" not in result
