"""Coverage reports kept while they hold (server.steady_cache via server.reports): a kept
report is returned only while it equals a fresh one, through time passing every status
boundary of a day and through every kind of write that changes coverage."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bench.coverage_month import TZ, build
from domain.models import Schedule, TargetKind
from domain.trust import HOLDING_FLAGS
from server.reports import cache_clear, coverage_report
from server.storage import Storage, StoredRecord

START = datetime(2026, 10, 2, tzinfo=TZ).astimezone(UTC)
END = START + timedelta(days=1)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("reports") / "seed.db"
    storage = Storage(path)
    build(storage, START - timedelta(days=1), END + timedelta(days=1))
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


def _fresh(storage: Storage, now: datetime) -> dict[str, Any]:
    cache_clear()
    return coverage_report(storage, "big", START, END, now)


def _record(kind: str, point: str, at: datetime, **kw: Any) -> StoredRecord:
    body = kw.pop("body", {"method": "qr", "payload": "x", "gps": None, "round_id": None})
    return StoredRecord(
        uuid.uuid4().hex,
        kind,
        "big",
        kw.pop("user", "late"),
        "d",
        at,
        at,
        point,
        kw.pop("refers_to", None),
        body,
        [],
        list(kw.pop("flags", ())),
    )


def test_a_kept_report_is_returned_only_while_it_holds(storage: Storage) -> None:
    """Read the day every 20 minutes, as a console refreshing: each read equals a fresh
    judgement at that time, and reads between status changes were kept ones."""
    kept = reads = 0
    previous: dict[str, Any] | None = None
    now = START + timedelta(hours=6)
    while now < END + timedelta(hours=14):
        report = coverage_report(storage, "big", START, END, now)
        reads += 1
        kept += previous is not None and report["totals"] is previous["totals"]
        assert report["as_of"] == now.isoformat()
        previous = _fresh(storage, now)  # judged anew, and kept
        assert report == previous, now
        now += timedelta(minutes=20)
    assert 0.3 * reads < kept < reads  # kept between status changes, not across them


def test_every_write_that_changes_coverage_is_seen_at_once(storage: Storage) -> None:
    now = END + timedelta(hours=20)  # the day closed
    before = coverage_report(storage, "big", START, END, now)
    assert coverage_report(storage, "big", START, END, now)["totals"] is before["totals"]
    missed = [v for v in before["visits"] if v["status"] == "missed" and not v["route_id"]]

    # a late offline scan
    first = missed[0]
    storage.insert_records(
        [_record("scan", first["point_id"], datetime.fromisoformat(first["due"]))]
    )
    after_scan = coverage_report(storage, "big", START, END, now)
    assert after_scan["totals"]["total"]["missed"] == before["totals"]["total"]["missed"] - 1
    assert after_scan == _fresh(storage, now)

    # a scan held for review, then a reviewer's acceptance
    second = missed[1]
    held = _record(
        "scan",
        second["point_id"],
        datetime.fromisoformat(second["due"]),
        flags=(sorted(HOLDING_FLAGS)[0],),
    )
    storage.insert_records([held])
    pending = coverage_report(storage, "big", START, END, now)
    assert pending["pending_review"]["count"] == 1
    review = _record(
        "review",
        second["point_id"],
        now,
        user="boss",
        refers_to=held.id,
        body={"verdict": "accept", "reason": ""},
    )
    storage.insert_records([review])
    accepted = coverage_report(storage, "big", START, END, now)
    assert held.id in {v["scan_id"] for v in accepted["visits"]}
    assert accepted == _fresh(storage, now)

    # a record set aside (as migration m002 does), and a write by another connection
    storage.db.execute("delete from records where id = ?", [held.id])
    assert held.id not in {
        v["scan_id"] for v in coverage_report(storage, "big", START, END, now)["visits"]
    }
    third = missed[2]
    other = Storage(storage.path)
    other.insert_records([_record("scan", third["point_id"], datetime.fromisoformat(third["due"]))])
    other.close()
    last = coverage_report(storage, "big", START, END, now)
    assert last["totals"]["total"]["missed"] == before["totals"]["total"]["missed"] - 2
    assert last == _fresh(storage, now)


def test_a_schedule_change_is_seen_at_once(storage: Storage) -> None:
    now = END + timedelta(hours=20)
    before = coverage_report(storage, "big", START, END, now)
    old = next(s for s in storage.schedules("big") if s.id == "a0")
    storage.change_schedule(
        Schedule("a0", 2, "big", TargetKind.AREA, "a000", START, fixed_times=old.fixed_times[:3])
    )
    report = coverage_report(storage, "big", START, END, now)
    assert report["totals"]["total"]["expected"] == before["totals"]["total"]["expected"] - 1
    assert report == _fresh(storage, now)
