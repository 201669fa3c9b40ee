"""Records you can trust, over real uvicorn and SQLite: the server checks every label,
held scans earn nothing until a reviewer accepts them, and the review queue's API."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import batch, new_id, now_iso
from tests.factory import label

TZ = ZoneInfo("Asia/Shanghai")
FORGED = {
    "bad_label_signature": lambda: label("alpha", "c01")[:-6] + "AAAAAA",
    "foreign_label": lambda: label("beta", "b01"),
    "not_a_label": lambda: "hello",
}


def past_ten_oclock(days: int = 3) -> datetime:
    day = (datetime.now(TZ) - timedelta(days=days)).date()
    return datetime(day.year, day.month, day.day, 10, tzinfo=TZ)


def scan(point: str = "c01", at: datetime | None = None, **kw: object) -> dict[str, object]:
    return {
        "id": new_id(),
        "kind": "scan",
        "site_id": "alpha",
        "point_id": point,
        "device_time": at.isoformat() if at else now_iso(),
        "payload": label("alpha", point),
        "method": "qr",
        **kw,
    }


def c01_visit(manager, due: datetime) -> dict[str, object]:
    report = manager.get(
        "/api/v1/sites/alpha/coverage", params={"date": due.date().isoformat()}
    ).json()
    [visit] = [
        v
        for v in report["visits"]
        if v["point_id"] == "c01" and datetime.fromisoformat(v["due"]) == due
    ]
    return visit | {"_report": report}


@pytest.mark.parametrize("flag", sorted(FORGED))
def test_a_scan_whose_label_fails_earns_nothing_until_accepted(live_server, flag):
    due = past_ten_oclock()
    forged = scan("c01", due + timedelta(minutes=5), payload=FORGED[flag]())
    [result] = live_server.login("guard").post("/api/v1/sync", json=batch(forged)).json()["results"]
    assert (result["status"], result["flags"]) == ("accepted", [flag])  # kept as evidence

    manager = live_server.login("manager")
    visit = c01_visit(manager, due)
    assert visit["status"] == "missed" and visit["scan_id"] is None
    assert (visit["pending_scan_id"], visit["pending_status"]) == (forged["id"], "on_time")
    held = visit["_report"]["pending_review"]
    assert (held["count"], held["would_meet"]) == (1, 1)
    assert held["scans"][0]["flags"] == [flag]
    assert held["scans"][0]["would_meet"]["status"] == "on_time"
    assert visit["_report"]["unmatched_scans"] == []

    url = f"/api/v1/sites/alpha/reviews/{forged['id']}/verdict"
    accepted = manager.post(url, json={"verdict": "accept", "reason": "标签破损，已核实到岗"})
    assert accepted.status_code == 201 and accepted.json()["standing"] == "counted"
    visit = c01_visit(manager, due)
    assert (visit["status"], visit["scan_id"]) == ("on_time", forged["id"])
    assert visit["_report"]["pending_review"]["count"] == 0

    rejected = manager.post(url, json={"verdict": "reject", "reason": "监控显示无人到岗"})
    assert rejected.status_code == 201 and rejected.json()["standing"] == "rejected"
    assert [r["verdict"] for r in rejected.json()["reviews"]] == ["accept", "reject"]
    visit = c01_visit(manager, due)
    assert (visit["status"], visit["pending_scan_id"]) == ("missed", None)
    assert visit["_report"]["rejected_scans"] == 1
    with sqlite3.connect(live_server.settings.db_path) as db:
        reviews = db.execute(
            "select user_id, refers_to, body ->> '$.verdict' from records where kind = 'review'"
            " order by device_time"
        ).fetchall()
    assert reviews == [("u-manager", forged["id"], "accept"), ("u-manager", forged["id"], "reject")]


def test_qr_is_no_way_round_the_typed_code_check(live_server):
    due = past_ten_oclock()
    typed_as_qr = scan("c01", due + timedelta(minutes=5), payload="CODE01")  # the short code
    results = live_server.login("guard").post("/api/v1/sync", json=batch(typed_as_qr)).json()
    assert results["results"][0]["flags"] == ["not_a_label"]
    assert c01_visit(live_server.login("manager"), due)["status"] == "missed"


def test_a_phone_cannot_send_a_review(live_server):
    guard = live_server.login("guard")
    forged = scan(payload="hello")
    review = {
        "id": new_id(),
        "kind": "review",
        "site_id": "alpha",
        "device_time": now_iso(),
        "refers_to": forged["id"],
        "verdict": "accept",
        "reason": "me",
    }
    results = guard.post("/api/v1/sync", json=batch(forged, review)).json()["results"]
    assert results[0]["status"] == "accepted"
    assert results[1]["status"] == "rejected"
    assert "made on the server" in results[1]["reason"]
    with sqlite3.connect(live_server.settings.db_path) as db:
        assert db.execute("select count(*) from records where kind = 'review'").fetchone() == (0,)


def test_review_endpoints_check_site_and_role(live_server):
    forged = scan(payload="hello")
    live_server.login("guard").post("/api/v1/sync", json=batch(forged))
    url = "/api/v1/sites/alpha/reviews"
    verdict = {"verdict": "accept", "reason": ""}
    outsider = live_server.login("beta-manager")
    assert outsider.get(url).status_code == 404
    assert outsider.get(f"{url}/{forged['id']}").status_code == 404
    assert outsider.post(f"{url}/{forged['id']}/verdict", json=verdict).status_code == 404
    # a record of site alpha looked up through the outsider's own site: also 404
    beta_url = f"/api/v1/sites/beta/reviews/{forged['id']}"
    assert outsider.get(beta_url).status_code == 404
    assert outsider.post(f"{beta_url}/verdict", json=verdict).status_code == 404
    for field_role in ("guard", "cleaner"):
        client = live_server.login(field_role)
        assert client.get(url).status_code == 403
        assert client.post(f"{url}/{forged['id']}/verdict", json=verdict).status_code == 403
    supervisor = live_server.login("super")
    assert supervisor.get(url).json()["total"] == 1
    with sqlite3.connect(live_server.settings.db_path) as db:
        assert db.execute("select count(*) from records where kind = 'review'").fetchone() == (0,)


def test_verdicts_are_bounded_and_only_flagged_records_are_reviewed(live_server):
    guard = live_server.login("guard")
    later = datetime.now(TZ) + timedelta(minutes=2)
    forged, clean = scan("c01", payload="hello"), scan("c05", later)
    guard.post("/api/v1/sync", json=batch(forged, clean))
    manager = live_server.login("manager")
    url = f"/api/v1/sites/alpha/reviews/{forged['id']}/verdict"
    no_reason = manager.post(url, json={"verdict": "reject", "reason": "  "})
    assert no_reason.status_code == 422 and "reason" in no_reason.json()["detail"]
    assert manager.post(url, json={"verdict": "reject", "reason": "x" * 501}).status_code == 422
    assert manager.post(url, json={"verdict": "maybe"}).status_code == 422
    unflagged = manager.post(
        f"/api/v1/sites/alpha/reviews/{clean['id']}/verdict",
        json={"verdict": "reject", "reason": "?"},
    )
    assert unflagged.status_code == 422 and "flagged" in unflagged.json()["detail"]
    assert (
        manager.post(
            "/api/v1/sites/alpha/reviews/nope/verdict", json={"verdict": "accept"}
        ).status_code
        == 404
    )
    own = manager.post("/api/v1/sync", json=batch(scan("c07", payload="hello"))).json()
    mine = manager.post(
        f"/api/v1/sites/alpha/reviews/{own['results'][0]['id']}/verdict",
        json={"verdict": "accept"},
    )
    assert mine.status_code == 422 and "own record" in mine.json()["detail"]


def test_review_queue_lists_flagged_records_with_their_evidence(live_server):
    guard = live_server.login("guard")
    t0 = past_ten_oclock(days=1)
    near = scan("c02", t0, gps={"lat": 31.2004, "lon": 121.4, "accuracy": 5})
    far = scan("c03", t0 + timedelta(minutes=5), gps={"lat": 31.2106, "lon": 121.4, "accuracy": 5})
    forged = scan("c04", t0 + timedelta(minutes=10), payload="hello")
    results = guard.post("/api/v1/sync", json=batch(near, far, forged)).json()["results"]
    assert [r.get("flags", []) for r in results] == [[], ["far_from_point"], ["not_a_label"]]

    manager = live_server.login("manager")
    url = "/api/v1/sites/alpha/reviews"
    page = manager.get(url).json()
    assert (page["total"], [i["id"] for i in page["data"]]) == (2, [forged["id"], far["id"]])
    item = page["data"][1]
    assert item["point"]["name"] == "Checkpoint 3" and item["point"]["plan_x"] == pytest.approx(
        0.15
    )
    assert item["point"]["routes"] == [{"route_id": "r1", "route_name": "Round", "seq": 3}]
    assert 1000 < item["distance_m"] < 1200 and item["gps"]["accuracy"] == 5
    assert item["standing"] == "counted" and item["needs_review"] is True
    assert datetime.fromisoformat(item["device_time"]) == t0 + timedelta(minutes=5)
    assert item["received_after_seconds"] > 3600  # sent hours later: device vs received
    assert [(n["id"], n["seconds_from_this"]) for n in item["nearby_scans"]] == [
        (near["id"], -300.0),
        (forged["id"], 300.0),
    ]
    assert page["data"][0]["standing"] == "pending_review"
    assert page["data"][0]["holding_flags"] == ["not_a_label"]

    assert page["counts"] == {"unreviewed": 2, "held": 1, "reviewed": 0}
    held = manager.get(url, params={"held_only": "true"}).json()
    assert [i["id"] for i in held["data"]] == [forged["id"]]
    only_far = manager.get(url, params={"flag": "far_from_point"}).json()
    assert [i["id"] for i in only_far["data"]] == [far["id"]]
    paged = manager.get(url, params={"limit": 1, "offset": 1}).json()
    assert (paged["count"], paged["total"], paged["data"][0]["id"]) == (1, 2, far["id"])
    assert manager.get(url, params={"user_id": "u-guard2"}).json()["total"] == 0
    assert manager.get(url, params={"kind": "anomaly"}).json()["total"] == 0
    window = {"start": (t0 + timedelta(minutes=6)).isoformat(), "end": now_iso()}
    assert [i["id"] for i in manager.get(url, params=window).json()["data"]] == [forged["id"]]

    manager.post(f"{url}/{far['id']}/verdict", json={"verdict": "accept", "reason": "GPS 漂移"})
    assert [i["id"] for i in manager.get(url).json()["data"]] == [forged["id"]]
    reviewed_page = manager.get(url, params={"state": "reviewed"}).json()
    assert reviewed_page["counts"] == {"unreviewed": 1, "held": 1, "reviewed": 1}
    [reviewed] = reviewed_page["data"]
    assert reviewed["reviews"][0]["reviewer_name"] == "Manager"
    assert manager.get(url, params={"start": "2026-01-01T00:00:00"}).status_code == 422
    assert manager.get(url, params={"limit": 1000}).status_code == 422


def test_queue_filters_are_bounded(live_server):
    manager = live_server.login("manager")
    url = "/api/v1/sites/alpha/reviews"
    for params in (
        {"flag": "no_such_flag"},
        {"kind": "x" * 30},
        {"start": "9999-12-31T00:00:00+00:00"},
        {"end": "0"},
        {"offset": -1},
        {"user_id": "a b"},
    ):
        assert manager.get(url, params=params).status_code == 422, params
    assert manager.get(f"{url}/{'x' * 65}").status_code == 422
    assert manager.get(url, params={"flag": "scan_burst", "kind": "scan"}).json()["total"] == 0
