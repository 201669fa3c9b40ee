from __future__ import annotations

import pytest

from domain.wire import RecordKind, WireError, parse_record

SHA = "a" * 64


def rec(**kw):
    return {"id": "r1", "site_id": "alpha", "device_time": "2026-03-02T09:00:00+08:00", **kw}


def test_scan_parses_with_gps_and_round():
    r = parse_record(
        rec(
            kind="scan",
            point_id="c01",
            payload="RND1.x",
            round_id="rd",
            gps={"lat": 31.2, "lon": 121.4},
        )
    )
    assert r.kind is RecordKind.SCAN and r.point_id == "c01" and r.refers_to == "rd"
    assert r.body["gps"] == {"lat": 31.2, "lon": 121.4, "accuracy": 0.0}


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("not a dict", "JSON object"),
        (rec(kind="teleport"), "unknown kind"),
        (rec(kind="scan", id="bad id!", point_id="c", payload="x"), "id must be"),
        (rec(kind="scan", device_time="yesterday", point_id="c", payload="x"), "ISO 8601"),
        (rec(kind="scan", device_time="2026-03-02T09:00:00", point_id="c", payload="x"), "offset"),
        (rec(kind="scan", point_id="c"), "payload"),
        (rec(kind="scan", point_id="c", payload="x", gps={"lat": 100, "lon": 0}), "out of range"),
        (rec(kind="scan", point_id="c", payload="x", photos=["nothex"]), "SHA-256"),
        (rec(kind="checks", point_id="c", scan_id="s", answers={"q": "yes"}), "true or false"),
        (rec(kind="anomaly"), "photo, a note or a type"),
        (rec(kind="anomaly", note="x" * 2001), "longer than"),
        (
            rec(
                kind="inspection",
                point_id="a",
                template_id="t",
                template_version=1,
                results={"floor": "fail"},
            ),
            "needs a photo",
        ),
        (
            rec(
                kind="inspection",
                point_id="a",
                template_id="t",
                template_version=1,
                results={"floor": "meh"},
            ),
            "pass, fail or na",
        ),
        (rec(kind="rectification", inspection_id="i", item="floor", action="fixed"), "after"),
        (rec(kind="rectification", inspection_id="i", item="floor", action="rechecked"), "passed"),
        (rec(kind="round_start", route_id="r", schedule_id="s"), "both"),
        (rec(kind="round_start", route_id="r", for_user_id="u2"), "reason"),
        (rec(kind="handover", note="  "), "required"),
    ],
)
def test_bad_records_say_why(raw, reason):
    with pytest.raises(WireError, match=reason):
        parse_record(raw)


def test_inspection_collects_item_photos():
    r = parse_record(
        rec(
            kind="inspection",
            point_id="a",
            template_id="t",
            template_version=1,
            results={"floor": "fail", "walls": "pass", "glass": "na"},
            item_photos={"floor": [SHA]},
        )
    )
    assert r.photos == (SHA,)
    assert r.body["deadline_hours"] == 24
