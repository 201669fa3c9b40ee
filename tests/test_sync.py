"""Sync push against a real uvicorn server on 127.0.0.1."""

from __future__ import annotations

import io
import sqlite3
from datetime import UTC, datetime, timedelta

from PIL import Image

from tests.conftest import ALL_PASS, batch, inspection, new_id, now_iso
from tests.factory import label


def scan(point="c01", site="alpha", **kw):
    payload = kw.pop("payload", None) or label(site, point)
    return {
        "id": new_id(),
        "kind": "scan",
        "site_id": site,
        "device_time": now_iso(),
        "point_id": point,
        "payload": payload,
        **kw,
    }


def stored_ids(live_server) -> list[str]:
    with sqlite3.connect(live_server.settings.db_path) as db:
        return [r[0] for r in db.execute("select id from records")]


def test_resending_a_batch_three_times_stores_each_record_once(live_server):
    guard = live_server.login("guard")
    records = [scan(f"c{i:02d}") for i in range(1, 11)]
    statuses = []
    for _ in range(3):
        response = guard.post("/api/v1/sync", json=batch(*records))
        assert response.status_code == 200
        statuses.append({r["status"] for r in response.json()["results"]})
    assert statuses == [{"accepted"}, {"duplicate"}, {"duplicate"}]
    assert sorted(stored_ids(live_server)) == sorted(r["id"] for r in records)


def test_one_bad_record_does_not_sink_the_batch(live_server):
    guard = live_server.login("guard")
    good = [scan("c01"), scan("c02")]
    bad = scan("c99")
    response = guard.post("/api/v1/sync", json=batch(good[0], bad, good[1]))
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["accepted", "rejected", "accepted"]
    assert results[1]["reason"] == "point not found: c99"
    assert sorted(stored_ids(live_server)) == sorted(r["id"] for r in good)


def test_same_id_twice_in_one_batch_is_stored_once(live_server):
    record = scan()
    results = live_server.login("guard").post("/api/v1/sync", json=batch(record, record)).json()
    assert [r["status"] for r in results["results"]] == ["accepted", "duplicate"]


def test_records_for_another_site_are_rejected_without_leaking(live_server):
    guard = live_server.login("guard")
    results = guard.post(
        "/api/v1/sync",
        json=batch(scan("b01", site="beta"), scan("c01", site="nowhere", payload="x")),
    ).json()["results"]
    assert [r["reason"] for r in results] == ["site not found", "site not found"]
    assert stored_ids(live_server) == []


def test_far_off_device_clock_is_kept_and_flagged(live_server):
    skewed = (datetime.now(UTC) - timedelta(hours=3)).isoformat()
    record = scan(device_time=skewed)
    result = (
        live_server.login("guard")
        .post("/api/v1/sync", json=batch(record, sent_at=skewed))
        .json()["results"][0]
    )
    assert result == {"id": record["id"], "status": "accepted", "flags": ["clock_skew"]}


def test_forged_label_is_kept_and_flagged_typed_code_must_match(live_server):
    guard = live_server.login("guard")
    forged = scan(payload=label("alpha", "c01")[:-6] + "AAAAAA")
    later = (datetime.now(UTC) + timedelta(minutes=2)).isoformat()
    typed_ok = scan("c02", method="typed", payload="code02", device_time=later)
    typed_wrong = scan("c03", method="typed", payload="CODE04")
    results = guard.post("/api/v1/sync", json=batch(forged, typed_ok, typed_wrong)).json()[
        "results"
    ]
    assert results[0]["flags"] == ["bad_label_signature"]
    assert results[1]["flags"] == ["typed_code"]
    assert results[2]["reason"] == "typed code does not match the point"


def test_label_of_another_point_is_rejected(live_server):
    record = scan("c01", payload=label("alpha", "c02"))
    result = live_server.login("guard").post("/api/v1/sync", json=batch(record)).json()
    assert result["results"][0]["reason"] == "the scanned label names another point"


def test_malformed_and_oversized_batches_get_clear_4xx(live_server):
    guard = live_server.login("guard")
    assert guard.post("/api/v1/sync", content=b"{nope").status_code == 400
    response = guard.post("/api/v1/sync", json={"records": "x"})
    assert response.status_code == 422 and "records" in response.json()["detail"]
    response = guard.post("/api/v1/sync", json={"records": []})
    assert "sent_at" in response.json()["detail"]
    too_many = batch(*[{"id": str(i)} for i in range(1001)])
    assert guard.post("/api/v1/sync", json=too_many).status_code == 422
    huge = b'{"records": [], "pad": "' + b"x" * (5 * 1024 * 1024) + b'"}'
    assert guard.post("/api/v1/sync", content=huge).status_code == 413
    assert guard.get("/healthz").json() == {"status": "ok"}
    assert stored_ids(live_server) == []


def jpeg(color=(200, 30, 30), size=(64, 48)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "JPEG")
    return buf.getvalue()


def upload(client, data: bytes, site="alpha") -> str:
    response = client.post(
        f"/api/v1/sites/{site}/photos", content=data, headers={"Content-Type": "image/jpeg"}
    )
    assert response.status_code == 201, response.text
    return response.json()["sha256"]


def test_records_need_their_photos_uploaded_first_and_reuse_is_flagged(live_server):
    guard = live_server.login("guard")
    data = jpeg()
    first = {
        "id": new_id(),
        "kind": "anomaly",
        "site_id": "alpha",
        "device_time": now_iso(),
        "point_id": "c01",
        "note": "broken door",
        "photos": [],
    }
    import hashlib

    sha = hashlib.sha256(data).hexdigest()
    first["photos"] = [sha]
    result = guard.post("/api/v1/sync", json=batch(first)).json()["results"][0]
    assert result["status"] == "rejected" and "photo not uploaded yet" in result["reason"]
    assert upload(guard, data) == sha
    assert (
        guard.post("/api/v1/sync", json=batch(first)).json()["results"][0]["status"] == "accepted"
    )
    again = dict(first, id=new_id())
    result = guard.post("/api/v1/sync", json=batch(again)).json()["results"][0]
    assert result["flags"] == ["photo_reused"]


def test_checks_round_and_handover_records_link_up(live_server):
    guard = live_server.login("guard")
    round_id = new_id()
    start = {
        "id": round_id,
        "kind": "round_start",
        "site_id": "alpha",
        "device_time": now_iso(),
        "route_id": "r1",
    }
    s = scan("c01", round_id=round_id)
    checks = {
        "id": new_id(),
        "kind": "checks",
        "site_id": "alpha",
        "device_time": now_iso(),
        "point_id": "c01",
        "scan_id": s["id"],
        "answers": {"消防设施完好?": True},
    }
    bad_checks = dict(checks, id=new_id(), answers={"咖啡机?": True})
    finish = {
        "id": new_id(),
        "kind": "round_finish",
        "site_id": "alpha",
        "device_time": now_iso(),
        "round_id": round_id,
        "reason": "rain",
    }
    handover = {
        "id": new_id(),
        "kind": "handover",
        "site_id": "alpha",
        "device_time": now_iso(),
        "note": "东门门禁故障，已报修",
    }
    orphan = scan("c02", round_id="no-such-round")
    results = guard.post(
        "/api/v1/sync", json=batch(start, s, checks, bad_checks, finish, handover, orphan)
    ).json()["results"]
    assert [r["status"] for r in results] == [
        "accepted",
        "accepted",
        "accepted",
        "rejected",
        "accepted",
        "accepted",
        "rejected",
    ]
    assert "not a check of this point" in results[3]["reason"]
    assert results[6]["reason"] == "round not found: no-such-round"


def test_inspection_failure_opens_rectification_fixed_and_rechecked(live_server):
    sup, cleaner = live_server.login("super"), live_server.login("cleaner")
    before, after = upload(sup, jpeg((10, 10, 10))), upload(cleaner, jpeg((250, 250, 250)))
    insp = inspection(ALL_PASS | {"floor": "fail"}, {"floor": [before]}, assignee_id="u-cleaner")
    assert sup.post("/api/v1/sync", json=batch(insp)).json()["results"][0]["status"] == "accepted"

    [rect] = cleaner.get("/api/v1/sites/alpha/rectifications").json()["data"]
    assert (rect["item"], rect["state"], rect["before_photos"]) == ("floor", "open", [before])
    assert (
        live_server.login("cleaner2").get("/api/v1/sites/alpha/rectifications").json()["count"] == 0
    )

    def event(action, **kw):
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

    assert (
        cleaner.post("/api/v1/sync", json=batch(event("fixed", photos=[after]))).json()["results"][
            0
        ]["status"]
        == "accepted"
    )
    refused = cleaner.post("/api/v1/sync", json=batch(event("rechecked", passed=True))).json()
    assert "supervisor" in refused["results"][0]["reason"]
    closed = sup.post("/api/v1/sync", json=batch(event("rechecked", passed=True))).json()
    assert closed["results"][0]["status"] == "accepted"
    assert cleaner.get("/api/v1/sites/alpha/rectifications").json()["count"] == 0
    [done] = sup.get("/api/v1/sites/alpha/rectifications?include_closed=true").json()["data"]
    assert (done["state"], done["after_photos"], done["fixed_by"]) == (
        "closed",
        [after],
        "u-cleaner",
    )


def test_inspection_against_unknown_template_or_missing_items_is_rejected(live_server):
    sup = live_server.login("super")
    unknown = inspection(ALL_PASS, {}, template_id="nope")
    missing = inspection({"floor": "pass"}, {})
    on_checkpoint = inspection(ALL_PASS, {}, point_id="c01")
    results = sup.post("/api/v1/sync", json=batch(unknown, missing, on_checkpoint)).json()[
        "results"
    ]
    assert results[0]["reason"] == "template not found: nope v1"
    assert "missing: bins" in results[1]["reason"]
    assert results[2]["reason"] == "inspections are made of cleaning areas"
    guard_try = live_server.login("guard").post(
        "/api/v1/sync", json=batch(inspection(ALL_PASS, {}))
    )
    assert "supervisor" in guard_try.json()["results"][0]["reason"]


def test_a_correction_is_a_new_record_pointing_at_the_old_one(live_server):
    guard = live_server.login("guard")
    wrong = scan("c01")
    fix = {
        "id": new_id(),
        "kind": "correction",
        "site_id": "alpha",
        "device_time": now_iso(),
        "corrects": wrong["id"],
        "note": "扫错了点位，应为 c02",
    }
    orphan = dict(fix, id=new_id(), corrects="no-such-record")
    results = guard.post("/api/v1/sync", json=batch(wrong, fix, orphan)).json()["results"]
    assert [r["status"] for r in results] == ["accepted", "accepted", "rejected"]
    assert results[2]["reason"] == "record not found: no-such-record"
    with sqlite3.connect(live_server.settings.db_path) as db:
        rows = db.execute("select kind, refers_to from records order by kind").fetchall()
    assert rows == [("correction", wrong["id"]), ("scan", None)]  # the scan is untouched


def test_typed_code_matches_whatever_case_separators_or_full_width(live_server):
    guard = live_server.login("guard")
    start = datetime.now(UTC)
    records = [
        scan(
            f"c{i:02d}",
            method="typed",
            payload=typed,
            device_time=(start + timedelta(minutes=2 * i)).isoformat(),
        )
        for i, typed in [(2, "co:de:02"), (3, "Code 03"), (4, "ＣＯＤＥ－０４")]
    ]
    results = guard.post("/api/v1/sync", json=batch(*records)).json()["results"]
    assert [r["status"] for r in results] == ["accepted"] * 3
