"""Coverage over HTTP: records pushed by sync show up as on-time, late or missed visits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tests.conftest import batch, new_id
from tests.factory import label

TZ = ZoneInfo("Asia/Shanghai")


def round_start(round_id: str, due: datetime, **fields: object) -> dict[str, object]:
    """The start of the test route's scheduled round due at `due`."""
    return {
        "id": round_id,
        "kind": "round_start",
        "site_id": "alpha",
        "device_time": due.isoformat(),
        "route_id": "r1",
        "schedule_id": "s1",
        "occurrence": due.isoformat(),
        **fields,
    }


def test_coverage_of_a_past_day_after_offline_records_arrive(live_server):
    day = (datetime.now(TZ) - timedelta(days=3)).date()
    due = datetime(day.year, day.month, day.day, 10, tzinfo=TZ)  # the 10:00 round
    round_id = new_id()
    records = [round_start(round_id, due, route_version=1)]
    for i in range(1, 21):
        at = due + timedelta(minutes=4 * i + (20 if i > 18 else 0))  # two late
        records.append(
            {
                "id": new_id(),
                "kind": "scan",
                "site_id": "alpha",
                "point_id": f"c{i:02d}",
                "device_time": at.isoformat(),
                "payload": label("alpha", f"c{i:02d}"),
                "round_id": round_id,
            }
        )
    records.append(
        {
            "id": new_id(),
            "kind": "scan",
            "site_id": "alpha",
            "point_id": "a01",
            "device_time": due.replace(hour=9, minute=5).isoformat(),
            "payload": label("alpha", "a01"),
        }
    )
    # The phone was offline for three days: it sends everything now.
    results = live_server.login("guard").post("/api/v1/sync", json=batch(*records)).json()
    assert {r["status"] for r in results["results"]} == {"accepted"}

    manager = live_server.login("manager")
    report = manager.get(
        "/api/v1/sites/alpha/coverage", params={"period": "day", "date": day.isoformat()}
    ).json()
    [ten] = [r for r in report["rounds"] if r["key"] == f"s1@{due.astimezone(UTC):%Y-%m-%dT%H:%MZ}"]
    assert (ten["state"], ten["done"], ten["total"], ten["round_id"]) == (
        "completed",
        20,
        20,
        round_id,
    )
    statuses = [v["status"] for v in report["visits"] if v["round_key"] == ten["key"]]
    assert statuses.count("on_time") == 18 and statuses.count("late") == 2
    assert report["totals"]["by_area"]["a01"]["on_time"] == 1
    assert report["totals"]["by_area"]["a01"]["missed"] == 1
    # 12 rounds of 20 points a day; all but the 10:00 one missed.
    assert report["totals"]["by_route"]["r1"]["missed"] == 11 * 20
    assert report["totals"]["by_person"]["u-guard"]["on_time"] == 19


def test_coverage_periods_and_bad_ranges(live_server):
    manager = live_server.login("manager")
    for period in ("day", "shift", "week", "month"):
        response = manager.get(
            "/api/v1/sites/alpha/coverage", params={"period": period, "visits": "false"}
        )
        assert response.status_code == 200, response.text
        assert "visits" not in response.json()
    bad = manager.get(
        "/api/v1/sites/alpha/coverage",
        params={"start": "2026-03-01T00:00:00+08:00", "end": "2026-05-01T00:00:00+08:00"},
    )
    assert bad.status_code == 422 and "31 days" in bad.json()["detail"]
    assert manager.get("/api/v1/sites/alpha/coverage", params={"period": "year"}).status_code == 422


def test_a_round_done_for_an_absent_guard_keeps_who_why_and_for_whom(live_server):
    day = (datetime.now(TZ) - timedelta(days=1)).date()
    due = datetime(day.year, day.month, day.day, 14, tzinfo=TZ)
    round_id = new_id()
    start = round_start(round_id, due, for_user_id="u-guard", reason="张伟病假")
    scan = {
        "id": new_id(),
        "kind": "scan",
        "site_id": "alpha",
        "point_id": "c01",
        "device_time": (due + timedelta(minutes=3)).isoformat(),
        "payload": label("alpha", "c01"),
        "round_id": round_id,
    }
    results = live_server.login("guard2").post("/api/v1/sync", json=batch(start, scan)).json()
    assert {r["status"] for r in results["results"]} == {"accepted"}
    report = (
        live_server.login("manager")
        .get("/api/v1/sites/alpha/coverage", params={"date": day.isoformat(), "visits": "false"})
        .json()
    )
    [done] = [r for r in report["rounds"] if r["round_id"] == round_id]
    assert (done["started_by"], done["for_user_id"], done["handover_reason"]) == (
        "u-guard2",
        "u-guard",
        "张伟病假",
    )
    assert report["totals"]["by_person"]["u-guard2"]["on_time"] == 1
