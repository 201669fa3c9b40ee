"""Stored records that reads cannot handle (issue 9): an older server accepted a round for
the year 1 and an inspection in 9999, which made coverage and rectifications 500 for good.
Opening such a database sets them aside (kept, listed), and every read stays total."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson

from server.serve import ServerThread
from server.storage import Storage
from tests.conftest import ALL_PASS, LiveServer, new_id

TZ = ZoneInfo("Asia/Shanghai")
SHA = "b" * 64
MIGRATION = "m002_quarantine_unreadable_records"


def _row(kind: str, device_time: str, body: object, **kw: object) -> dict[str, object]:
    """A records row as the server before the bounds stored it (device_time in UTC text)."""
    return {
        "id": new_id(),
        "kind": kind,
        "site_id": "alpha",
        "user_id": "u-super",
        "device_id": "dev-old",
        "device_time": device_time,
        "received_at": datetime.now(UTC).isoformat(timespec="microseconds"),
        "point_id": kw.get("point_id"),
        "refers_to": kw.get("refers_to"),
        "body": body if isinstance(body, str) else orjson.dumps(body).decode(),
        "photos": "[]",
        "flags": "[]",
    }


def _insert(db_path: Path, rows: list[dict[str, object]]) -> None:
    with sqlite3.connect(db_path) as db:
        for row in rows:
            columns, marks = ",".join(row), ",".join("?" * len(row))
            db.execute(f"insert into records ({columns}) values ({marks})", list(row.values()))


def _poison(day: datetime) -> list[dict[str, object]]:
    due = day.replace(hour=10)
    inspection = {
        "template_id": "six-clean-three-none",
        "template_version": 1,
        "results": ALL_PASS | {"floor": "fail"},
        "item_photos": {"floor": [SHA]},
        "item_notes": {},
        "assignee_id": None,
        "deadline_hours": 24,
    }
    far_inspection = _row(
        "inspection", "9999-12-31T00:00:00.000000+00:00", inspection, point_id="a01"
    )
    return [
        _row(
            "round_start",
            due.astimezone(UTC).isoformat(timespec="microseconds"),
            {
                "route_id": "r1",
                "schedule_id": "s1",
                "occurrence": "0001-01-01T00:00:00+14:00",
                "route_version": 1,
                "for_user_id": None,
                "reason": "",
            },
        ),
        far_inspection,
        _row(
            "rectification",
            "9999-12-31T01:00:00.000000+00:00",
            {"action": "fixed", "item": "floor", "passed": None, "note": ""},
            refers_to=far_inspection["id"],
        ),
        _row("handover", due.astimezone(UTC).isoformat(timespec="microseconds"), "{not json"),
        _row(
            "scan",
            due.astimezone(UTC).isoformat(timespec="microseconds"),
            '{"round_id": nul',
            point_id="c01",
        ),
    ]


def _reads_work(server: LiveServer, day: datetime) -> None:
    manager = server.login("manager")
    for params in (
        {"period": "day", "date": day.date().isoformat()},
        {"period": "month", "date": day.date().isoformat()},
    ):
        response = manager.get("/api/v1/sites/alpha/coverage", params=params)
        assert response.status_code == 200, response.text
    rects = manager.get("/api/v1/sites/alpha/rectifications", params={"include_closed": True})
    assert rects.status_code == 200, rects.text
    assert rects.json()["count"] == 1  # the good inspection's failed item, nothing else
    mine = server.login("super").get(
        "/api/v1/sites/alpha/my-records",
        params={"since": (datetime.now(UTC) - timedelta(days=2)).isoformat()},
    )
    assert mine.status_code == 200, mine.text


def _good_inspection(day: datetime) -> dict[str, object]:
    body = {
        "template_id": "six-clean-three-none",
        "template_version": 1,
        "results": ALL_PASS | {"walls": "fail"},
        "item_photos": {"walls": [SHA]},
        "item_notes": {"walls": "dusty"},
        "assignee_id": None,
        "deadline_hours": 24,
    }
    return _row(
        "inspection", day.astimezone(UTC).isoformat(timespec="microseconds"), body, point_id="a01"
    )


def test_opening_an_old_database_sets_unreadable_records_aside(settings):
    # The database as the server before this migration left it, poisoned.
    with sqlite3.connect(settings.db_path) as db:
        db.execute("drop table quarantine")
        db.execute("delete from _sqlite_migrations where name = ?", [MIGRATION])
    day = datetime.now(TZ).replace(hour=9, minute=0, second=0, microsecond=0) - timedelta(days=1)
    poison = _poison(day)
    good = _good_inspection(day)
    _insert(settings.db_path, [*poison, good])

    server = ServerThread(settings).start()  # opening the storage runs the migration
    try:
        live = LiveServer(server.url, settings)
        _reads_work(live, day)
        manager = live.login("manager")
        listed = manager.get("/api/v1/sites/alpha/quarantine").json()
        assert listed["count"] == len(poison)
        reasons = {row["id"]: row["reason"] for row in listed["data"]}
        assert set(reasons) == {row["id"] for row in poison}
        assert "occurrence cannot be converted to UTC" in reasons[poison[0]["id"]]
        assert "device_time is after" in reasons[poison[1]["id"]]
        assert "unreadable" in reasons[poison[3]["id"]]
        # kept exactly as stored, not deleted
        kept = next(r for r in listed["data"] if r["id"] == poison[3]["id"])
        assert kept["body"] == "{not json" and kept["device_id"] == "dev-old"
        # only managers and admins review them; other sites see nothing
        assert live.login("guard").get("/api/v1/sites/alpha/quarantine").status_code == 403
        beta = live.login("beta-manager").get("/api/v1/sites/alpha/quarantine")
        assert beta.status_code == 404
        # a rectification of an inspection set aside is refused, not a 500
        fix = {
            "id": new_id(),
            "kind": "rectification",
            "site_id": "alpha",
            "device_time": datetime.now(UTC).isoformat(),
            "inspection_id": poison[1]["id"],
            "item": "floor",
            "action": "rechecked",
            "passed": True,
        }
        sync = live.login("super").post(
            "/api/v1/sync", json={"sent_at": datetime.now(UTC).isoformat(), "records": [fix]}
        )
        assert sync.status_code == 200
        assert sync.json()["results"][0]["reason"].startswith("inspection not found")
    finally:
        server.stop()
    with sqlite3.connect(settings.db_path) as db:
        assert db.execute("select count(*) from records").fetchone()[0] == 1
        assert db.execute("select count(*) from quarantine").fetchone()[0] == len(poison)
    # opening again moves nothing twice
    storage = Storage(settings.db_path)
    assert len(storage.quarantined("alpha")) == len(poison)
    storage.close()


def test_reads_stay_total_over_bad_rows_stored_after_the_migration(live_server):
    """E.g. an old copy restored into a running server: the reads leave bad rows out."""
    day = datetime.now(TZ).replace(hour=9, minute=0, second=0, microsecond=0) - timedelta(days=1)
    _insert(live_server.settings.db_path, [*_poison(day), _good_inspection(day)])
    _reads_work(live_server, day)
    # left out of reads, not moved: the records are hash-chained by now
    with sqlite3.connect(live_server.settings.db_path) as db:
        assert db.execute("select count(*) from records").fetchone()[0] == 6
