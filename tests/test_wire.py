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


def test_checks_handover_and_correction_keep_exactly_their_fields():
    checks = parse_record(rec(kind="checks", point_id="c01", scan_id="s1", answers={},
                              photos=[SHA]))  # fmt: skip
    assert (checks.body, checks.point_id, checks.refers_to, checks.photos) == (
        {"answers": {}}, "c01", "s1", (SHA,),  # a critical point's photo with no answers
    )  # fmt: skip
    fifty = {f"q{n}": n % 2 == 0 for n in range(50)}
    assert parse_record(rec(kind="checks", point_id="c", scan_id="s", answers=fifty)).body == {
        "answers": fifty
    }
    handover = parse_record(rec(kind="handover", note="钥匙在前台", to_user_id="u-guard2",
                                photos=[SHA]))  # fmt: skip
    assert handover.body == {"note": "钥匙在前台", "to_user_id": "u-guard2"}
    assert handover.photos == (SHA,) and handover.refers_to is None
    assert parse_record(rec(kind="handover", note="x")).body == {"note": "x", "to_user_id": None}
    correction = parse_record(rec(kind="correction", note="扫错点了", corrects="r0"))
    assert (correction.body, correction.refers_to) == ({"note": "扫错点了"}, "r0")


@pytest.mark.parametrize(
    "raw",
    [
        rec(kind="checks", point_id="c", scan_id="s", answers={}),
        rec(kind="checks", point_id="c", scan_id="s", answers={f"q{n}": True for n in range(51)}),
        rec(kind="checks", point_id="c", scan_id="s", answers=[["q", True]]),
        rec(kind="checks", point_id="c", scan_id="s", answers={"q": 1}),
    ],
)
def test_checks_answers_are_a_bounded_map_of_yes_or_no(raw):
    with pytest.raises(WireError) as refused:
        parse_record(raw)
    assert str(refused.value) == "answers must map each point check to true or false"


@pytest.mark.parametrize("note", [None, "", "   "])
def test_a_correction_says_what_was_wrong(note):
    with pytest.raises(WireError):
        parse_record(rec(kind="correction", corrects="r0", note=note))
    with pytest.raises(WireError):
        parse_record(rec(kind="handover", note=note))


def test_an_anomaly_needs_any_one_of_a_photo_a_note_or_a_type_and_keeps_them_all():
    for given in ({"photos": [SHA]}, {"note": "漏水"}, {"category": "leak"}):
        assert parse_record(rec(kind="anomaly", **given)).kind is RecordKind.ANOMALY
    with pytest.raises(WireError) as refused:
        parse_record(rec(kind="anomaly", note="", category=""))
    assert str(refused.value) == "an anomaly needs a photo, a note or a type"
    gps = {"lat": 31.2, "lon": 121.4}
    full = parse_record(rec(kind="anomaly", category="leak", note="地库漏水", photos=[SHA],
                            point_id="c01", scan_id="s1", gps=gps))  # fmt: skip
    assert full.body == {
        "category": "leak",
        "note": "地库漏水",
        "gps": {"lat": 31.2, "lon": 121.4, "accuracy": 0.0},
    }
    assert (full.point_id, full.refers_to, full.photos) == ("c01", "s1", (SHA,))
    bare = parse_record(rec(kind="anomaly", note="x"))
    assert (bare.point_id, bare.refers_to, bare.body["gps"]) == (None, None, None)


def _inspection(**kw):
    base = {"kind": "inspection", "point_id": "a", "template_id": "t", "template_version": 1}
    return rec(**(base | {"results": {"floor": "pass"}} | kw))


def _refusal(raw) -> str | None:
    try:
        parse_record(raw)
    except WireError as exc:
        return str(exc)
    return None


RESULTS = "results must map each template item to pass, fail or na"
KEYS = "results must be keyed by the template's item keys"
OBJECTS = "item_photos and item_notes must be objects keyed by item"
DEADLINE = "deadline_hours must be a whole number from 1 to 720"


@pytest.mark.parametrize(
    ("fields", "refusal"),
    [
        ({"results": {}}, RESULTS),
        ({"results": {f"i{n}": "pass" for n in range(60)}}, None),
        ({"results": {f"i{n}": "pass" for n in range(61)}}, RESULTS),
        ({"results": {"x": "pass"}, "item_photos": [SHA]}, OBJECTS),
        ({"results": {"x": "pass"}, "item_notes": ["a"]}, OBJECTS),
        ({"results": {"x": "pass"}, "item_notes": {"y": "a"}}, "item 'y' is not among the results"),
        ({"results": {"": "pass"}}, KEYS),
        ({"results": {"k": "pass"}}, None),
        ({"results": {"k" * 64: "pass"}}, None),
        ({"results": {"k" * 65: "pass"}}, KEYS),
        ({"results": {"k" * 40: "maybe"}}, f"item {'k' * 30!r}: result must be pass, fail or na"),
        ({"results": {"a": "pass", "b": "na"}, "item_notes": {"a": "n" * 2000}}, None),
        ({"results": {f"i{n}": "pass" for n in range(10)},
          "item_notes": {f"i{n}": "n" * 2000 for n in range(10)}}, None),
        ({"results": {f"i{n}": "pass" for n in range(11)},
          "item_notes": {f"i{n}": "n" * 2000 if n < 10 else "n" for n in range(11)}},
         "item notes together are longer than 20000"),
        ({"template_version": 0}, "template_version must be a positive integer"),
        ({"deadline_hours": 1}, None),
        ({"deadline_hours": 720}, None),
        ({"deadline_hours": 0}, DEADLINE),
        ({"deadline_hours": 721}, DEADLINE),
    ],
)  # fmt: skip
def test_an_inspections_every_bound_holds_to_the_unit_and_says_why(fields, refusal):
    assert _refusal(_inspection(**fields)) == refusal


def test_an_inspection_keeps_its_notes_and_leaves_the_unnoted_items_without():
    r = parse_record(
        _inspection(
            results={"floor": "fail", "walls": "pass"},
            item_photos={"floor": [SHA]},
            item_notes={"floor": "水渍"},
            assignee_id="u-cleaner",
        )
    )
    assert r.body["item_notes"] == {"floor": "水渍"}
    assert r.body["assignee_id"] == "u-cleaner"
    assert parse_record(_inspection()).body["assignee_id"] is None
