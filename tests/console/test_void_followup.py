"""A reviewer's rejection voids what a record opened (issue 9): over real uvicorn, a
flagged failed inspection and a flagged anomaly open a rectification and a ticket; once
a manager rejects them they are shown as void (kept, with their history), leave the open
and overdue lists, the live view, the dashboard and the appraisal, and refuse follow-up
steps but comments; a later acceptance makes them count again."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from server.blobs import LocalBlobStore
from server.ingest import ingest_batch
from tests.console.conftest import Live
from tests.console.scenario import Scenario, photo

ITEMS = ("floor", "walls", "glass", "handrails", "fixtures", "bins", "no_clutter",
         "no_flyers", "no_cobwebs")  # fmt: skip


def _skewed(scenario: Scenario, username: str, records: list[dict]) -> None:
    """Send with the phone's clock 20 minutes behind: every record is flagged clock_skew."""
    storage = scenario.storage()
    user = storage.user_by_name(username)
    assert user is not None
    now = datetime.now(UTC)
    batch = {"sent_at": (now - timedelta(minutes=20)).isoformat(), "records": records}
    results = ingest_batch(storage, user, f"dev-{username}", batch, now)
    assert {r["status"] for r in results} == {"accepted"}, results
    storage.close()


@pytest.fixture
def flagged(scenario: Scenario) -> dict[str, str]:
    now = datetime.now(UTC)
    inspection = {
        "id": uuid.uuid4().hex,
        "kind": "inspection",
        "site_id": "alpha",
        "device_time": (now - timedelta(days=2)).isoformat(),
        "point_id": "a01",
        "template_id": "six-clean-three-none",
        "template_version": 1,
        "results": dict.fromkeys(ITEMS, "pass") | {"glass": "fail"},
        "item_photos": {},
        "item_notes": {"glass": "玻璃有手印"},
        "assignee_id": "u-cleaner",
        "deadline_hours": 4,  # long overdue: escalated and in the live view
    }
    anomaly = {
        "id": uuid.uuid4().hex,
        "kind": "anomaly",
        "site_id": "alpha",
        "device_time": (now - timedelta(hours=30)).isoformat(),  # past the 24 h target
        "point_id": "c02",
        "category": "设施损坏",
        "note": "门禁坏了",
        "photos": [],
    }
    storage = scenario.storage()
    inspection["item_photos"] = {
        "glass": [photo(storage, LocalBlobStore(scenario.settings.blob_dir), 7, "u-super")]
    }
    storage.close()
    _skewed(scenario, "super", [inspection])
    _skewed(scenario, "guard", [anomaly])
    return {"rect": f"{inspection['id']}/glass", "insp": inspection["id"], "anomaly": anomaly["id"]}


def _figures(client: Any) -> dict[str, Any]:
    base = "/api/v1/sites/alpha"
    people = client.get(f"{base}/appraisal").json()["people"]
    by_id = {p["id"]: p["figures"] for p in people}
    dash = client.get(f"{base}/dashboard", params={"period": "month"}).json()
    return {
        "guard_anomalies": by_id["u-guard"]["anomalies_reported"],
        "cleaner_rects": by_id["u-cleaner"]["rectifications"],
        "inspections": sum(f["inspections"] for f in by_id.values()),
        "dash_reported": dash["anomalies"]["reported"],
        "dash_rects": dash["rectifications"]["opened"],
    }


def test_a_rejected_record_voids_what_it_opened_and_an_accepted_one_counts(
    live: Live, flagged: dict[str, str]
):
    manager = live.login("manager")
    base = "/api/v1/sites/alpha"
    rect, anomaly = flagged["rect"], flagged["anomaly"]

    def listed(path: str, **params: str) -> list[str]:
        return [i["id"] for i in manager.get(f"{base}/{path}", params=params).json()["data"]]

    assert rect in listed("rectification-follow-up") and rect in listed("rectifications")
    assert anomaly in listed("tickets") and anomaly in listed("tickets", overdue="true")
    live_keys = str(manager.get(f"{base}/live").json())
    assert flagged["insp"] in live_keys
    before = _figures(manager)

    for record in (flagged["insp"], anomaly):
        r = manager.post(
            f"{base}/reviews/{record}/verdict", json={"verdict": "reject", "reason": "补录造假"}
        )
        assert r.status_code in (200, 201), r.text

    # Void: out of every open/overdue list and the live view, kept and shown as void.
    assert rect not in listed("rectification-follow-up") and rect not in listed("rectifications")
    assert rect not in listed("rectification-follow-up", state="overdue")
    assert rect not in listed("rectification-follow-up", state="escalated")
    assert rect in listed("rectification-follow-up", state="void")
    detail = manager.get(f"{base}/rectification-follow-up/{rect}").json()
    assert (detail["state"], detail["overdue"], detail["escalated"]) == ("void", False, False)
    assert detail["history"][0]["note"] == "玻璃有手印"  # the evidence is kept
    assert flagged["insp"] not in str(manager.get(f"{base}/live").json())
    assert anomaly not in listed("tickets") and anomaly not in listed("tickets", overdue="true")
    assert anomaly in listed("tickets", status="void")
    ticket = manager.get(f"{base}/tickets/{anomaly}").json()
    assert (ticket["status"], ticket["overdue"], ticket["note"]) == ("void", False, "门禁坏了")
    counts = manager.get(f"{base}/tickets").json()["counts"]
    assert counts["void"] == 1

    # Follow-up steps are refused (409) but a comment is still recorded.
    steps = f"{base}/tickets/{anomaly}/events"
    assert manager.post(steps, json={"action": "close", "note": "x"}).status_code == 409
    assert (
        manager.post(steps, json={"action": "assign", "assignee_id": "u-lead"}).status_code == 409
    )
    assert manager.post(steps, json={"action": "comment", "note": "已驳回"}).status_code == 201
    rsteps = f"{base}/rectification-follow-up/{rect}/events"
    r = manager.post(rsteps, json={"action": "assign", "assignee_id": "u-super"})
    assert r.status_code == 409
    assert manager.post(rsteps, json={"action": "comment", "note": "作废"}).status_code == 201

    # Not in the appraisal or the dashboard.
    after = _figures(manager)
    assert after == {
        "guard_anomalies": before["guard_anomalies"] - 1,
        "cleaner_rects": before["cleaner_rects"] - 1,
        "inspections": before["inspections"] - 1,
        "dash_reported": before["dash_reported"] - 1,
        "dash_rects": before["dash_rects"] - 1,
    }

    # A later acceptance decides: both count again.
    for record in (flagged["insp"], anomaly):
        r = manager.post(
            f"{base}/reviews/{record}/verdict", json={"verdict": "accept", "reason": "已核实"}
        )
        assert r.status_code in (200, 201), r.text
    assert rect in listed("rectification-follow-up", state="overdue")
    assert anomaly in listed("tickets", overdue="true")
    assert _figures(manager) == before
