"""Properties of the wire check over generated input (issue 9: fix the classes, not the
cases): any JSON is either refused with a WireError or becomes a record that can be stored
and read back into every report."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from domain.wire import EARLIEST, WireError, batch_bounds, parse_record, stored_record_problem
from server.storage import iso

SENT = datetime(2026, 3, 2, 9, tzinfo=UTC)
KINDS = ["scan", "checks", "anomaly", "inspection", "rectification", "round_start",
         "round_finish", "handover", "correction"]  # fmt: skip

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                               max_size=3),
    max_leaves=8,
)  # fmt: skip

# Times at the edges: far years, extreme offsets, around the batch's send time.
times = st.one_of(
    st.datetimes(
        min_value=datetime(1, 1, 2),
        max_value=datetime(9999, 12, 30),
        timezones=st.sampled_from([timezone(timedelta(hours=h)) for h in (-14, -12, 0, 8, 14)]),
    ).map(datetime.isoformat),
    st.sampled_from([
        "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "2026-03-03T09:00:00Z",
        "2026-03-03T09:00:01Z", "2019-12-31T23:59:59Z", "2026-03-02", "0", "",
    ]),
    st.builds(lambda s: (SENT + timedelta(seconds=s)).isoformat(),
              st.integers(-10**9, 10**6)),
    st.builds(lambda s: (SENT - timedelta(seconds=s)).isoformat(), st.integers(0, 10**7)),
)  # fmt: skip

ids = st.sampled_from(["r1", "c01", "a01", "s1", "bad id", ""])
SHA = "c" * 64
VALID = [
    {"kind": "scan", "point_id": "c01", "payload": "x", "gps": {"lat": 31.2, "lon": 121.4}},
    {"kind": "checks", "point_id": "c01", "scan_id": "s1", "answers": {"q": True}},
    {"kind": "anomaly", "note": "leak", "photos": [SHA]},
    {
        "kind": "inspection",
        "point_id": "a01",
        "template_id": "t",
        "template_version": 1,
        "results": {"floor": "fail", "walls": "pass"},
        "item_photos": {"floor": [SHA]},
        "item_notes": {"floor": "wet"},
    },
    {
        "kind": "rectification",
        "inspection_id": "i1",
        "item": "floor",
        "action": "fixed",
        "photos": [SHA],
    },
    {
        "kind": "round_start",
        "route_id": "r1",
        "schedule_id": "s1",
        "occurrence": "2026-03-02T08:00:00+08:00",
    },
    {"kind": "round_finish", "round_id": "r1"},
    {"kind": "handover", "note": "keys at the desk"},
    {"kind": "correction", "corrects": "x1", "note": "wrong point"},
]
# Hostile values for any field: far times, true/false for numbers, odd shapes.
hostile = st.one_of(
    st.sampled_from([True, False, -5, 0, 1, 1.5, 1e9, "1", None, 24, 720, 721]), json_values
)
numbers = st.sampled_from([True, False, -5, -0.5, 0, 1, 1.5, 24, 720, 721, 1e9, "1", None])
fields = st.sampled_from(sorted({k for r in VALID for k in r} | {"device_time", "gps"}))


@st.composite
def records(draw: st.DrawFn) -> dict:
    """A valid record of some kind, with up to three of its fields made hostile."""
    when = draw(st.one_of(times, st.just("2026-03-02T09:00:00+08:00")))
    base = {"id": "r1", "site_id": "alpha", "device_time": when} | draw(st.sampled_from(VALID))
    for name in draw(st.lists(fields, max_size=2)):
        base[name] = draw(hostile)
    if draw(st.booleans()):
        gps = {"lat": 31.2, "lon": 121.4, "accuracy": 5.0}
        base["gps"] = gps | {draw(st.sampled_from(list(gps))): draw(hostile)}
    return base


def _parse_or_none(raw: object):
    try:
        return parse_record(raw, batch_bounds(SENT))
    except WireError as exc:
        assert str(exc)  # a reason for the person who sent it
        return None


def _readable(record) -> None:
    iso(record.device_time)  # storable: converts to UTC text
    assert EARLIEST <= record.device_time <= SENT + timedelta(days=1)
    assert stored_record_problem(record.kind, record.device_time, SENT, record.body) is None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(records(), json_values))
def test_any_input_is_refused_with_a_reason_or_stored_readable(raw):
    record = _parse_or_none(raw)
    if record is None:
        event("refused")
        return
    event(f"accepted {record.kind}")
    _readable(record)


@settings(max_examples=150, deadline=None)
@given(device_time=times, occurrence=times)
def test_every_time_a_record_carries_is_storable_and_readable(device_time, occurrence):
    raw = {"id": "r1", "site_id": "alpha", "device_time": device_time} | VALID[5]
    record = _parse_or_none(raw | {"occurrence": occurrence})
    if record is not None:
        _readable(record)
        assert EARLIEST <= datetime.fromisoformat(record.body["occurrence"]) <= SENT + timedelta(1)


@settings(max_examples=150, deadline=None)
@given(lat=numbers, lon=numbers, accuracy=numbers, version=numbers, hours=numbers)
def test_numbers_are_numbers_in_range(lat, lon, accuracy, version, hours):
    base = {"id": "r1", "site_id": "alpha", "device_time": "2026-03-02T09:00:00+08:00"}
    scan = _parse_or_none(base | VALID[0] | {"gps": {"lat": lat, "lon": lon, "accuracy": accuracy}})
    if scan is not None:
        assert all(type(v) in (int, float) for v in (lat, lon, accuracy))  # not true/"1"
        gps = scan.body["gps"]
        assert all(type(v) is float and math.isfinite(v) for v in gps.values())
        assert -90 <= gps["lat"] <= 90 and -180 <= gps["lon"] <= 180
        assert 0 <= gps["accuracy"] <= 100_000
    inspection = _parse_or_none(base | VALID[3] | {"template_version": version,
                                                   "deadline_hours": hours})  # fmt: skip
    if inspection is not None:
        assert type(version) is int and type(hours) is int
        body = inspection.body
        assert type(body["template_version"]) is int and body["template_version"] >= 1
        assert type(body["deadline_hours"]) is int and 1 <= body["deadline_hours"] <= 720
