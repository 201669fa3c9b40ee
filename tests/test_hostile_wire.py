"""Hostile values on the wire (issue 9): times that cannot be converted or lie far off,
numbers that are really true/false, and free text without bounds. Each is refused on its
own, with a reason, and the rest of the batch is stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.wire import (
    ALWAYS,
    WireError,
    batch_bounds,
    check_sent_at,
    parse_record,
    stored_record_problem,
)
from tests.conftest import ALL_PASS, batch, inspection, new_id, now_iso
from tests.test_sync import scan, stored_ids

SHA = "a" * 64
SENT = datetime(2026, 3, 2, 9, tzinfo=UTC)


def rec(**kw):
    return {"id": "r1", "site_id": "alpha", "device_time": "2026-03-02T09:00:00+08:00", **kw}


def scan_rec(**kw):
    return rec(kind="scan", point_id="c01", payload="x", **kw)


def insp(**kw):
    base = {
        "kind": "inspection",
        "point_id": "a01",
        "template_id": "t",
        "template_version": 1,
        "results": {"floor": "pass", "walls": "pass"},
    }
    return rec(**(base | kw))


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        # times: no UTC equivalent, before 2020, after the batch was sent (+ a day)
        (scan_rec(device_time="9999-12-31T23:59:59-14:00"), "cannot be converted to UTC"),
        (scan_rec(device_time="0001-01-01T00:00:00+14:00"), "cannot be converted to UTC"),
        (scan_rec(device_time="9999-12-31T00:00:00+00:00"), "device_time is after"),
        (scan_rec(device_time="1970-01-01T00:00:00+00:00"), "device_time is before 2020"),
        (scan_rec(device_time="2026-03-03T09:00:01+00:00"), "device_time is after 2026-03-03"),
        (scan_rec(device_time="2026-03-02T09:00:00+08:00" + "0" * 100), "ISO 8601 string"),
        (
            rec(
                kind="round_start",
                route_id="r",
                schedule_id="s",
                occurrence="0001-01-01T00:00:00+14:00",
            ),
            "occurrence cannot be converted",
        ),
        (
            rec(kind="round_start", route_id="r", schedule_id="s", occurrence="2019-12-31T23:00Z"),
            "occurrence is before 2020",
        ),
        (
            rec(kind="round_start", route_id="r", schedule_id="s", occurrence="2031-01-01T00:00Z"),
            "occurrence is after",
        ),
        # true/false is not a number; GPS accuracy is metres, not negative
        (scan_rec(gps={"lat": True, "lon": 121.4}), "numbers"),
        (scan_rec(gps={"lat": "31.2", "lon": 121.4}), "numbers"),
        (scan_rec(gps={"lat": 31.2, "lon": 121.4, "accuracy": -5}), "accuracy"),
        (scan_rec(gps={"lat": 31.2, "lon": 121.4, "accuracy": 1e9}), "accuracy"),
        (scan_rec(gps=[31.2, 121.4]), "numbers"),
        (insp(template_version=True), "template_version"),
        (insp(template_version=1.0), "template_version"),
        (insp(deadline_hours=True), "deadline_hours"),
        (rec(kind="round_start", route_id="r", route_version=True), "route_version"),
        # notes and photos only for the template's items, bounded in size
        (insp(item_notes={"junk": "x"}), "'junk' is not among the results"),
        (insp(item_photos={"junk": [SHA]}), "'junk' is not among the results"),
        (insp(item_notes={"floor": "x" * 2001}), "at most 2000"),
        (
            insp(
                results={f"i{n}": "pass" for n in range(40)},
                item_notes={f"i{n}": "x" * 2000 for n in range(40)},
            ),
            "notes together are longer",
        ),
        (rec(kind="anomaly", category="x" * 101), "category is longer than 100"),
    ],
)
def test_hostile_values_are_refused_with_a_reason(raw, reason):
    with pytest.raises(WireError, match=reason):
        parse_record(raw, batch_bounds(SENT))


def test_every_time_a_record_carries_is_bounded_by_the_batch():
    bounds = batch_bounds(SENT)
    assert bounds.latest == SENT + timedelta(days=1)
    ok = parse_record(scan_rec(device_time="2026-03-03T09:00:00+00:00"), bounds)
    assert ok.device_time == SENT + timedelta(days=1)
    # without a batch, at least 2020-2100
    assert ALWAYS.earliest.year == 2020 and ALWAYS.latest.year == 2100
    with pytest.raises(WireError):
        parse_record(scan_rec(device_time="2100-01-01T00:00:01+00:00"))


def test_sent_at_is_bounded_against_the_server_clock():
    now = datetime(2026, 3, 2, tzinfo=UTC)
    assert check_sent_at(now - timedelta(days=400), now)  # an old batch, finally sent
    assert check_sent_at(now + timedelta(hours=3), now)  # a phone a bit ahead: flagged later
    for wrong in (datetime(1970, 1, 1, tzinfo=UTC), now + timedelta(days=31)):
        with pytest.raises(WireError, match="sent_at"):
            check_sent_at(wrong, now)


def test_stored_records_that_reads_cannot_handle_are_named():
    received = datetime(2026, 3, 2, tzinfo=UTC)
    fine = {"occurrence": "2026-03-02T08:00:00+08:00"}
    assert stored_record_problem("round_start", received, received, fine) is None
    year1 = {"occurrence": "0001-01-01T00:00:00+14:00"}
    assert "occurrence" in (stored_record_problem("round_start", received, received, year1) or "")
    far = datetime(9999, 12, 31, tzinfo=UTC)
    body = {"deadline_hours": 24, "results": {}}
    problem = stored_record_problem("inspection", far, received, body)
    assert "device_time is after" in (problem or "")
    bad_hours = {"deadline_hours": True, "results": {}}
    assert "deadline_hours" in (
        stored_record_problem("inspection", received, received, bad_hours) or ""
    )


def test_a_record_with_an_unconvertible_time_is_rejected_alone(live_server):
    guard = live_server.login("guard")
    good = [scan("c01"), scan("c02")]
    bad = [
        scan("c03", device_time="9999-12-31T23:59:59-14:00"),
        scan("c04", device_time="0001-01-01T00:00:00+14:00"),
        scan("c05", device_time="9999-12-31T00:00:00Z"),
    ]
    response = guard.post("/api/v1/sync", json=batch(good[0], *bad, good[1]))
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["accepted", *["rejected"] * 3, "accepted"]
    assert "device_time cannot be converted to UTC" in results[1]["reason"]
    assert "device_time is after" in results[3]["reason"]
    assert sorted(stored_ids(live_server)) == sorted(r["id"] for r in good)


def test_stored_records_of_far_times_cannot_enter(live_server):
    """The two records that poisoned a site's reports for good are refused now."""
    guard = live_server.login("super")
    round_start = {
        "id": new_id(),
        "kind": "round_start",
        "site_id": "alpha",
        "device_time": now_iso(),
        "route_id": "r1",
        "schedule_id": "s1",
        "occurrence": "0001-01-01T00:00:00+14:00",
    }
    future = inspection(ALL_PASS, {}, device_time="9999-06-01T00:00:00+00:00")
    results = guard.post("/api/v1/sync", json=batch(round_start, future)).json()["results"]
    assert [r["status"] for r in results] == ["rejected", "rejected"]
    assert stored_ids(live_server) == []


@pytest.mark.parametrize(
    ("sent_at", "reason"),
    [
        ("9999-12-31T23:59:59-14:00", "cannot be converted"),
        ("1970-01-01T00:00:00Z", "before 2020"),
        ((datetime.now(UTC) + timedelta(days=40)).isoformat(), "after"),
    ],
    ids=["unconvertible", "before 2020", "40 days ahead"],  # the same in every xdist worker
)
def test_a_batch_sent_at_an_impossible_time_is_refused_whole(live_server, sent_at, reason):
    response = live_server.login("guard").post("/api/v1/sync", json=batch(scan(), sent_at=sent_at))
    assert response.status_code == 422
    assert reason in response.json()["detail"]
    assert stored_ids(live_server) == []


def test_loose_types_are_refused_over_http(live_server):
    sup = live_server.login("super")
    records = [
        scan("c01", gps={"lat": True, "lon": 121.4}),
        scan("c02", gps={"lat": 31.2, "lon": 121.4, "accuracy": -5}),
        inspection(ALL_PASS, {}, template_version=True),
        inspection(ALL_PASS, {}, deadline_hours=True),
        inspection(ALL_PASS, {}, item_notes={"not-an-item": "x"}),
        inspection(ALL_PASS, {}, item_notes=dict.fromkeys(ALL_PASS, "x" * 2000) | {"z": "y"}),
    ]
    results = sup.post("/api/v1/sync", json=batch(*records)).json()["results"]
    assert [r["status"] for r in results] == ["rejected"] * len(records)
    assert stored_ids(live_server) == []
