"""The tickets and rectification follow-up API over real uvicorn: every action refused for
another site (404) and for field roles (403), the follow-up of a ticket from open to
closed and reopened, and reassigning, escalating and re-checking a rectification. Steps
are new rows; the anomaly and inspection records never change."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest

from server.ingest import ingest_batch
from server.storage import Storage
from tests.console.conftest import Live
from tests.console.scenario import Scenario, send
from tests.console.tickets_data import Anomalies, add_anomalies


@pytest.fixture
def data(scenario: Scenario) -> Anomalies:
    return add_anomalies(scenario)


def _actions(d: Anomalies) -> list[tuple[str, str, str, dict | None]]:
    """(name, method, path under /api/v1/sites/alpha, body) of every action."""
    insp, item = d.rectification.split("/")
    rect = f"/rectification-follow-up/{insp}/{item}"
    t = f"/tickets/{d.light}/events"
    return [
        ("ticket list", "GET", "/tickets", None),
        ("ticket detail", "GET", f"/tickets/{d.light}", None),
        ("assign", "POST", t, {"action": "assign", "assignee_id": "u-lead"}),
        ("comment", "POST", t, {"action": "comment", "note": "看过了"}),
        ("close", "POST", t, {"action": "close", "note": "修好"}),
        ("reopen", "POST", t, {"action": "reopen", "note": "又坏"}),
        ("follow-up list", "GET", "/rectification-follow-up", None),
        ("follow-up detail", "GET", rect, None),
        ("reassign", "POST", f"{rect}/events", {"action": "assign", "assignee_id": "u-super"}),
        ("rect comment", "POST", f"{rect}/events", {"action": "comment", "note": "催一下"}),
        ("recheck", "POST", f"{rect}/events", {"action": "recheck", "passed": True}),
    ]  # fmt: skip


def _call(client, method: str, path: str, body: dict | None):  # type: ignore[no-untyped-def]
    url = f"/api/v1/sites/alpha{path}"
    return client.get(url) if method == "GET" else client.post(url, json=body)


def test_another_sites_manager_gets_404_for_every_action(live: Live, data: Anomalies):
    client = live.login("beta-manager")
    for name, method, path, body in _actions(data):
        r = _call(client, method, path, body)
        assert r.status_code == 404, (name, r.text)
        assert "湖畔" not in r.text and data.light not in r.text
    # the ticket asked for on the manager's own site is simply not there
    r = client.get(f"/api/v1/sites/beta/tickets/{data.light}")
    assert r.status_code == 404


@pytest.mark.parametrize("username", ["guard", "cleaner"])
def test_field_roles_get_403_for_every_action_but_reading_their_own(
    live: Live, data: Anomalies, username: str
):
    client = live.login(username)
    for name, method, path, body in _actions(data):
        r = _call(client, method, path, body)
        if name == "ticket list":  # their own tickets only (none for the cleaner)
            assert r.status_code == 200
            mine = {t["id"] for t in r.json()["data"]}
            assert mine == ({data.hydrant, data.fire_exit} if username == "guard" else set())
        else:
            assert r.status_code == 403, (name, r.text)
    # the guard reads the ticket they reported
    r = live.login("guard").get(f"/api/v1/sites/alpha/tickets/{data.hydrant}")
    assert r.status_code == 200 and r.json()["reporter_name"] == "张伟"


def test_a_ticket_from_open_to_closed_and_reopened(live: Live, data: Anomalies):
    lead = live.login("lead")
    base = "/api/v1/sites/alpha/tickets"
    listed = lead.get(base).json()
    assert listed["counts"] == {"open": 3, "in_progress": 0, "closed": 0, "void": 0, "overdue": 1}
    assert listed["data"][0]["id"] == data.fire_exit  # overdue first
    assert listed["data"][0]["overdue"] is True
    hydrant = next(t for t in listed["data"] if t["id"] == data.hydrant)
    assert (hydrant["status"], hydrant["point_name"], hydrant["category"]) == (
        "open",
        "2号点",
        "设施损坏",
    )
    assert hydrant["photos"] == [data.hydrant_photo]

    events = f"{base}/{data.hydrant}/events"
    r = lead.post(events, json={"action": "assign", "assignee_id": "u-guard"})
    assert r.status_code == 201 and r.json()["status"] == "in_progress"
    assert r.json()["assignee_name"] == "张伟"
    r = lead.post(events, json={"action": "assign", "assignee_id": "u-beta-manager"})
    assert r.status_code == 422  # not on this site
    r = lead.post(events, json={"action": "close", "photo": "0" * 64})
    assert r.status_code == 422  # not uploaded here
    r = lead.post(events, json={"action": "close"})
    assert r.status_code == 422  # neither note nor photo
    r = lead.post(events, json={"action": "comment", "note": "已通知物业维修"})
    assert r.status_code == 201 and r.json()["comments"] == 1
    r = lead.post(events, json={"action": "close", "note": "阀门已换", "photo": data.closing_photo})
    closed = r.json()
    assert r.status_code == 201 and closed["status"] == "closed"
    assert closed["closing_photo"] == data.closing_photo and closed["closed_by_name"] == "王建国"
    assert 1.9 < closed["hours_to_close"] < 2.5 and closed["overdue"] is False
    assert [e["action"] for e in closed["events"]] == ["assign", "comment", "close"]
    assert lead.post(events, json={"action": "close", "note": "again"}).status_code == 409
    assert lead.post(events, json={"action": "reopen"}).status_code == 422
    r = lead.post(events, json={"action": "reopen", "note": "还在漏"})
    assert r.json()["status"] == "in_progress" and r.json()["reopened"] == 1
    assert r.json()["hours_to_close"] is None

    # the assigned guard may now read it; filters narrow the list
    assert live.login("guard").get(f"{base}/{data.hydrant}").status_code == 200
    mine = lead.get(base, params={"assignee_id": "u-guard"}).json()
    assert [t["id"] for t in mine["data"]] == [data.hydrant]
    overdue = lead.get(base, params={"overdue": "true"}).json()
    assert [t["id"] for t in overdue["data"]] == [data.fire_exit]


def test_steps_are_new_rows_and_the_anomaly_record_never_changes(
    live: Live, scenario: Scenario, data: Anomalies
):
    db = sqlite3.connect(scenario.settings.db_path)
    before = db.execute("select * from records where id = ?", [data.light]).fetchone()
    lead = live.login("lead")
    events = f"/api/v1/sites/alpha/tickets/{data.light}/events"
    lead.post(events, json={"action": "close", "note": "换了灯泡"})
    after = db.execute("select * from records where id = ?", [data.light]).fetchone()
    assert after == before
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("update ticket_events set note = 'rewritten'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("delete from ticket_events")
    assert db.execute("select action, actor_id from ticket_events").fetchall() == [
        ("close", "u-lead")
    ]


def test_an_overdue_rectification_escalates_and_a_reassignment_is_honoured(
    live: Live, scenario: Scenario, data: Anomalies
):
    insp, item = data.rectification.split("/")
    base = "/api/v1/sites/alpha/rectification-follow-up"
    manager = live.login("manager")
    listed = manager.get(base).json()
    assert listed["counts"]["escalated"] == 1 and listed["escalate_after_hours"] == 24
    rect = listed["data"][0]
    assert (rect["id"], rect["escalated"], rect["escalated_to"], rect["overdue"]) == (
        data.rectification,
        True,
        "manager",
        True,
    )
    assert rect["assignee_name"] == "刘芳" and rect["item_zh"] == "地面清洁"

    # the lead hands it to the supervisor: a new row; every read follows it
    lead = live.login("lead")
    r = lead.post(
        f"{base}/{insp}/{item}/events",
        json={"action": "assign", "assignee_id": "u-super", "note": "保洁员休假"},
    )
    assert r.status_code == 201 and r.json()["assignee_id"] == "u-super"
    kinds = [h["kind"] for h in r.json()["history"]]
    assert kinds == ["opened", "escalated", "assign"]
    assert r.json()["history"][0]["photos"]  # the before photo
    phone_list = live.login("cleaner").get("/api/v1/sites/alpha/rectifications").json()
    assert phone_list["data"] == []  # no longer the cleaner's
    assert (
        lead.post(
            f"{base}/{insp}/{item}/events", json={"action": "assign", "assignee_id": "u-super"}
        ).status_code
        == 409
    )

    # the cleaner may no longer fix it from the phone; the supervisor may
    now = datetime.now(UTC)
    fix = {
        "id": "fix-1",
        "kind": "rectification",
        "site_id": "alpha",
        "device_time": now.isoformat(),
        "action": "fixed",
        "inspection_id": insp,
        "item": item,
        "photos": [data.closing_photo],
    }
    storage = Storage(scenario.settings.db_path)
    try:
        cleaner = storage.user_by_name("cleaner")
        assert cleaner is not None
        batch = {"sent_at": now.isoformat(), "records": [fix]}
        results = ingest_batch(storage, cleaner, "dev-cleaner", batch, now)
        assert results[0]["status"] == "rejected"
        assert "assigned to someone else" in results[0]["reason"]
        send(storage, "super", [fix])
    finally:
        storage.close()

    # a lead may not re-check; the fixer may not either; the manager closes it
    events = f"{base}/{insp}/{item}/events"
    assert lead.post(events, json={"action": "recheck", "passed": True}).status_code == 403
    sup = live.login("super")
    assert sup.post(events, json={"action": "recheck", "passed": True}).status_code == 409
    assert manager.post(events, json={"action": "recheck", "passed": False}).status_code == 422
    r = manager.post(events, json={"action": "recheck", "passed": True, "note": "复检合格"})
    done = r.json()
    assert r.status_code == 201 and done["state"] == "closed" and done["escalated"] is False
    assert [h["kind"] for h in done["history"]] == [
        "opened",
        "escalated",
        "assign",
        "fixed",
        "passed",
    ]
    assert done["history"][3]["photos"] == [data.closing_photo]  # the after photo
    assert manager.get(base).json()["counts"]["escalated"] == 0
