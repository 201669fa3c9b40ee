"""Ingest rules that hostile or mistaken clients probe: who may fix, foreign references,
record ids of other sites."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

from tests.conftest import ALL_PASS, batch, inspection, new_id, now_iso
from tests.test_sync import jpeg, scan, upload


def _failed_inspection(live_server, **kw) -> dict:
    sup = live_server.login("super")
    before = upload(sup, jpeg((10, 10, 10)))
    after = upload(sup, jpeg((250, 250, 250)))
    insp = inspection(ALL_PASS | {"floor": "fail"}, {"floor": [before]}, **kw)
    assert sup.post("/api/v1/sync", json=batch(insp)).json()["results"][0]["status"] == "accepted"
    return insp | {"after": after}


def _rectification(insp: dict, action: str, **kw) -> dict:
    return {
        "id": new_id(),
        "kind": "rectification",
        "site_id": "alpha",
        "device_time": now_iso(),
        "inspection_id": insp["id"],
        "item": "floor",
        "action": action,
        **kw,
    }


def _fix(insp: dict) -> dict:
    return _rectification(insp, "fixed", photos=[insp["after"]])


def _result(client, *records) -> list[dict]:
    return client.post("/api/v1/sync", json=batch(*records)).json()["results"]


def test_only_the_assignee_may_fix_an_assigned_rectification(live_server):
    insp = _failed_inspection(live_server, assignee_id="u-cleaner")
    for someone in ("guard", "cleaner2", "super", "manager"):
        [result] = _result(live_server.login(someone), _fix(insp))
        assert result["status"] == "rejected", someone
        assert result["reason"] == "this rectification is assigned to someone else"
    [result] = _result(live_server.login("cleaner"), _fix(insp))
    assert result["status"] == "accepted"


def test_an_unassigned_rectification_is_fixed_by_cleaning_staff_not_guards(live_server):
    insp = _failed_inspection(live_server)
    [guard] = _result(live_server.login("guard"), _fix(insp))
    assert guard["reason"] == "only cleaning staff can fix a rectification"
    [manager] = _result(live_server.login("manager"), _fix(insp))
    assert manager["status"] == "rejected"
    [cleaner] = _result(live_server.login("cleaner2"), _fix(insp))
    assert cleaner["status"] == "accepted"


def test_an_assignee_from_another_site_is_refused(live_server):
    sup = live_server.login("super")
    before = upload(sup, jpeg((10, 10, 10)))
    for assignee in ("u-beta", "u-cleaner"):
        insp = inspection(ALL_PASS | {"floor": "fail"}, {"floor": [before]}, assignee_id=assignee)
        [result] = _result(sup, insp)
        expected = {
            "id": insp["id"],
            "status": "rejected",
            "reason": f"assignee not found: {assignee}",
        }
        assert result == expected if assignee == "u-beta" else result["status"] == "accepted"


def test_an_unknown_schedule_or_another_sites_round_is_refused(live_server):
    guard = live_server.login("guard")
    due = datetime.now(UTC) - timedelta(hours=1)
    start = {
        "id": new_id(),
        "kind": "round_start",
        "site_id": "alpha",
        "device_time": due.isoformat(),
        "route_id": "r1",
        "schedule_id": "no-such-schedule",
        "occurrence": due.isoformat(),
    }
    [result] = _result(guard, start)
    assert result["reason"] == "schedule not found: no-such-schedule"
    beta_start = start | {"id": new_id(), "site_id": "beta", "route_id": "rb"}
    del beta_start["schedule_id"], beta_start["occurrence"]
    [beta] = _result(live_server.login("beta-guard"), beta_start)
    assert beta["status"] == "accepted"
    [result] = _result(guard, scan("c01", round_id=beta_start["id"]))
    assert result["reason"] == f"round not found: {beta_start['id']}"
    finish = {
        "id": new_id(),
        "kind": "round_finish",
        "site_id": "alpha",
        "device_time": now_iso(),
        "round_id": beta_start["id"],
    }
    [result] = _result(guard, finish)
    assert result == {"id": finish["id"], "status": "rejected",
                      "reason": f"round not found: {beta_start['id']}"}  # fmt: skip
    # a finish must refer to a round start of this site, and a correction to a record of it
    own = scan("c01")
    correction = {"id": new_id(), "kind": "correction", "site_id": "alpha",
                  "device_time": now_iso(), "note": "wrong point"}  # fmt: skip
    results = _result(
        guard,
        own,
        dict(finish, id=new_id(), round_id=own["id"]),
        dict(correction, corrects=beta_start["id"]),
        dict(correction, id=new_id(), corrects="no-such-record"),
        dict(correction, id=new_id(), corrects=own["id"]),
    )
    assert [r.get("reason") for r in results] == [
        None,
        f"round not found: {own['id']}",
        f"record not found: {beta_start['id']}",
        "record not found: no-such-record",
        None,
    ]


def test_another_sites_record_id_is_refused_like_any_taken_id_not_called_duplicate(live_server):
    beta_scan = scan("b01", site="beta")
    beta_guard = live_server.login("beta-guard")
    assert _result(beta_guard, beta_scan)[0]["status"] == "accepted"
    guard, guard2 = live_server.login("guard"), live_server.login("guard2")
    mine = scan("c01")
    assert _result(guard, mine)[0]["status"] == "accepted"
    # The same id from another site, or another person of the same site: one neutral answer.
    [foreign] = _result(guard, scan("c02", id=beta_scan["id"]))
    [colleague] = _result(guard2, scan("c02", id=mine["id"]))
    assert foreign["status"] == colleague["status"] == "rejected"
    assert foreign["reason"] == colleague["reason"] == "record id cannot be used: make a new one"
    # The owner's resends stay duplicates (exactly once), in later batches and within one.
    assert _result(guard, mine)[0]["status"] == "duplicate"
    assert _result(beta_guard, beta_scan)[0]["status"] == "duplicate"
    fresh = scan("c03")
    results = _result(guard, fresh, fresh, dict(fresh, site_id="beta"))
    assert [r["status"] for r in results] == ["accepted", "duplicate", "rejected"]
    with sqlite3.connect(live_server.settings.db_path) as db:
        sites = dict(db.execute("select id, site_id from records"))
    assert sites[beta_scan["id"]] == "beta" and sites[mine["id"]] == "alpha"


def test_finishing_a_round_with_points_left_needs_a_reason(live_server):
    guard = live_server.login("guard")
    start = {
        "id": new_id(),
        "kind": "round_start",
        "site_id": "alpha",
        "device_time": now_iso(),
        "route_id": "r1",
    }
    s = scan("c01", round_id=start["id"])
    finish = {
        "id": new_id(),
        "kind": "round_finish",
        "site_id": "alpha",
        "device_time": now_iso(),
        "round_id": start["id"],
        "reason": "  ",
    }
    results = _result(guard, start, s, finish)
    assert [r["status"] for r in results] == ["accepted", "accepted", "rejected"]
    assert results[2]["reason"] == "a round finished with 19 points left needs a reason"
    [given] = _result(guard, dict(finish, id=new_id(), reason="大雨，地库积水"))
    assert given["status"] == "accepted"


def _checks(point: str, scan_id: str | None, answers: dict | None = None) -> dict:
    return {"id": new_id(), "kind": "checks", "site_id": "alpha", "device_time": now_iso(),
            "point_id": point, "scan_id": scan_id,
            "answers": answers or {"消防设施完好?": True}}  # fmt: skip


def test_checks_must_follow_a_scan_of_their_own_point(live_server):
    guard = live_server.login("guard")
    start = {"id": new_id(), "kind": "round_start", "site_id": "alpha",
             "device_time": now_iso(), "route_id": "r1"}  # fmt: skip
    s = scan("c01", round_id=start["id"])
    long_key = "灭火器" + "x" * 60
    results = _result(
        guard,
        start,
        s,
        _checks("c02", s["id"]),  # a scan of another point
        _checks("c01", start["id"]),  # not a scan at all
        _checks("c01", "no-such-scan"),
        _checks("c01", s["id"], {long_key: True}),
        _checks("c01", s["id"]),
    )
    follow = "checks must follow a scan of the same point"
    assert [r.get("reason") for r in results] == [
        None, None, follow, follow, follow, f"not a check of this point: {long_key[:40]}", None,
    ]  # fmt: skip


def test_points_left_are_counted_on_the_rounds_own_route_version(live_server):
    """A round started on version 1 of a route is judged by version 1's checkpoints even
    after version 2 (three checkpoints) is published; without a version, by the newest.
    Scans of another round do not count for this one."""
    short = {"name": "Short round", "checkpoint_ids": ["c01", "c02", "c03"]}
    edited = live_server.login("manager").put("/api/v1/sites/alpha/routes/r1", json=short)
    assert edited.json()["versions"] == 2, edited.text
    guard = live_server.login("guard")

    def finish_after(route_version: int | None, *points: str, other_round: bool = False):
        start = {"id": new_id(), "kind": "round_start", "site_id": "alpha",
                 "device_time": now_iso(), "route_id": "r1"}  # fmt: skip
        if route_version is not None:
            start["route_version"] = route_version
        other = dict(start, id=new_id())
        scans = [scan(p, round_id=other["id"] if other_round else start["id"]) for p in points]
        finish = {"id": new_id(), "kind": "round_finish", "site_id": "alpha",
                  "device_time": now_iso(), "round_id": start["id"], "reason": ""}  # fmt: skip
        return _result(guard, start, other, *scans, finish)[-1].get("reason")

    assert finish_after(1, "c01") == "a round finished with 19 points left needs a reason"
    assert finish_after(2, "c01") == "a round finished with 2 points left needs a reason"
    assert finish_after(None, "c01", "c02") == "a round finished with 1 points left needs a reason"
    assert finish_after(2, "c01", "c02", "c03") is None
    assert finish_after(2, "c01", "c02", "c03", other_round=True) == (
        "a round finished with 3 points left needs a reason"
    )


def test_a_fix_and_its_recheck_in_one_batch_are_judged_in_order(live_server):
    """The re-check sees the fix sent before it in the same batch: the supervisor who
    fixed an unassigned item cannot pass it in the same sync, and a second fix is refused."""
    insp = _failed_inspection(live_server)
    fix = _fix(insp)
    recheck = _rectification(insp, "rechecked", passed=True)
    again = _fix(insp)
    fixed, rechecked, second = _result(live_server.login("super"), fix, recheck, again)
    assert fixed["status"] == "accepted"
    assert rechecked["reason"] == (
        "the re-check must be done by someone other than the person who fixed it"
    )
    assert second["reason"] == "rectification is waiting for its re-check, not a fix"


def test_a_rectification_must_name_an_inspection_of_this_site(live_server):
    guard = live_server.login("guard")
    stored = scan("c01")
    assert _result(guard, stored)[0]["status"] == "accepted"
    fake = {"id": stored["id"], "after": None}
    cleaner = live_server.login("cleaner")
    [result] = _result(cleaner, _fix(fake) | {"photos": [upload(cleaner, jpeg((1, 2, 3)))]})
    assert result["reason"] == f"inspection not found: {stored['id']}"


def test_each_failed_item_of_an_inspection_is_its_own_rectification(live_server):
    """Fixing the floor leaves the walls open: each item's steps are its own."""
    sup = live_server.login("super")
    before = upload(sup, jpeg((10, 10, 10)))
    insp = inspection(
        ALL_PASS | {"floor": "fail", "walls": "fail"}, {"floor": [before], "walls": [before]}
    )
    assert _result(sup, insp)[0]["status"] == "accepted"
    cleaner = live_server.login("cleaner")
    after = upload(cleaner, jpeg((240, 240, 240)))
    floor = _rectification(insp, "fixed", photos=[after])
    walls = _rectification(insp, "fixed", photos=[after], item="walls")
    assert [r["status"] for r in _result(cleaner, floor, walls)] == ["accepted", "accepted"]
