"""The demo site: built through the real ingest path, with history worth looking at."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from server.demo import DEMO_PASSWORD, DEMO_USERS, SITE_ID, build_demo
from server.serve import ServerThread
from server.settings import Settings


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    settings = Settings(data_dir=tmp_path_factory.mktemp("demo"))
    build_demo(settings, days=7)
    server = ServerThread(settings).start()
    yield server.url
    server.stop()


def login(url: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=30)
    token = client.post(
        "/api/v1/auth/login",
        json={"username": username, "password": DEMO_PASSWORD, "device_id": "t"},
    ).json()["token"]
    client.headers["Authorization"] = f"Bearer {token}"
    return client


def test_every_demo_login_works(demo_server):
    for _, username, _, role in DEMO_USERS:
        assert login(demo_server, username).get("/api/v1/auth/me").json()["role"] == role


def test_demo_config_has_the_promised_shape(demo_server):
    [site] = login(demo_server, "guard1").get("/api/v1/config").json()["sites"]
    kinds = Counter(p["kind"] for p in site["points"])
    assert kinds == {"checkpoint": 40, "area": 12}
    assert len(site["routes"]) == 3 and len(site["templates"]) == 4
    assert any(s["every_minutes"] == 120 for s in site["schedules"])


def test_demo_history_has_on_time_late_missed_and_open_rectifications(demo_server):
    manager = login(demo_server, "manager")
    now = datetime.now(UTC)
    report = manager.get(
        f"/api/v1/sites/{SITE_ID}/coverage",
        params={
            "start": (now - timedelta(days=6)).isoformat(),
            "end": now.isoformat(),
            "visits": "false",
        },
    ).json()
    total = report["totals"]["total"]
    assert total["on_time"] > 500 and total["late"] > 10 and total["missed"] > 10
    assert total["early"] > 0
    assert 0.8 < total["coverage"] < 0.99
    states = Counter(r["state"] for r in report["rounds"])
    assert states["completed"] > 10 and states["incomplete"] > 0
    rects = manager.get(f"/api/v1/sites/{SITE_ID}/rectifications").json()
    assert rects["count"] > 0 and all(r["before_photos"] for r in rects["data"])
    plan = manager.get(f"/api/v1/sites/{SITE_ID}/plan")
    assert plan.headers["content-type"] == "image/png" and len(plan.content) > 10_000


def test_demo_review_queue_has_each_kind_of_flag(demo_server):
    manager = login(demo_server, "manager")
    url = f"/api/v1/sites/{SITE_ID}/reviews"
    every = manager.get(url, params={"state": "all", "limit": 200}).json()["data"]
    assert {f for item in every for f in item["flags"]} >= {
        "bad_label_signature",
        "foreign_label",
        "not_a_label",
        "far_from_point",
        "impossible_speed",
        "repeated_scan",
        "scan_burst",
        "photo_reused",
        "clock_skew",
        "typed_code",
    }
    assert {i["standing"] for i in every} == {"counted", "pending_review", "rejected"}
    queue = manager.get(url).json()
    assert queue["total"] < len(every)  # the reviewed ones left the queue
    now = datetime.now(UTC)
    report = manager.get(
        f"/api/v1/sites/{SITE_ID}/coverage",
        params={"start": (now - timedelta(days=6)).isoformat(), "end": now.isoformat()},
    ).json()
    held = report["pending_review"]
    assert held["count"] >= 1 and held["would_meet"] >= 1
    assert any(v["pending_scan_id"] for v in report["visits"] if v["status"] == "missed")


def test_demo_has_anomaly_tickets_in_every_state(demo_server):
    lead = login(demo_server, "lead")
    page = lead.get(f"/api/v1/sites/{SITE_ID}/tickets", params={"status": "all", "limit": 200})
    counts = page.json()["counts"]
    assert counts["open"] and counts["in_progress"] and counts["closed"], counts
    closed = [t for t in page.json()["data"] if t["status"] == "closed"]
    assert any(t["closing_photo"] for t in closed) and any(t["reopened"] for t in closed)
