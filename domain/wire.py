"""The sync wire format: records made on a device, as JSON objects.

Every record has an ``id`` made on the device (so a resend never duplicates anything),
a ``kind``, a ``site_id`` and the device's ``device_time`` (ISO 8601 with offset); the
rest depends on the kind. A batch is ``{"device_id", "sent_at", "records": [...]}``
and each record gets its own result: accepted, duplicate or rejected with a reason.
`parse_record` checks the shape of one record; whether the point, template or earlier
record it names exists is the server's business.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, TypeGuard

from domain.scoring import ItemResult

__all__ = [
    "ALWAYS",
    "EARLIEST",
    "LATEST",
    "MAX_BATCH_RECORDS",
    "MAX_CATEGORY_CHARS",
    "MAX_GPS_ACCURACY_M",
    "MAX_NOTE_CHARS",
    "MAX_PHOTOS",
    "MAX_RECORD_TEXT_CHARS",
    "MAX_SENT_AHEAD",
    "RECORD_AFTER_SENT",
    "Record",
    "RecordKind",
    "TimeBounds",
    "WireError",
    "batch_bounds",
    "check_sent_at",
    "parse_record",
    "parse_time",
    "stored_record_problem",
]

MAX_BATCH_RECORDS = 1000
MAX_NOTE_CHARS = 2000
MAX_CATEGORY_CHARS = 100
MAX_RECORD_TEXT_CHARS = 20_000  # all free text of one record together (notes of 60 items)
MAX_PHOTOS = 12
MAX_TEMPLATE_ITEMS = 60
MAX_DEADLINE_HOURS = 24 * 30
MAX_GPS_ACCURACY_M = 100_000.0
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
RECTIFICATION_ACTIONS = ("fixed", "rechecked")


class RecordKind(StrEnum):
    SCAN = "scan"
    CHECKS = "checks"
    ANOMALY = "anomaly"
    INSPECTION = "inspection"
    RECTIFICATION = "rectification"
    ROUND_START = "round_start"
    ROUND_FINISH = "round_finish"
    HANDOVER = "handover"
    CORRECTION = "correction"
    REVIEW = "review"  # made on the server by a reviewer; a device may not send one


class WireError(ValueError):
    """A record that cannot be stored; the message says why, for the person who sent it."""


@dataclass(slots=True)  # not frozen: built once per synced record, frozen costs ~2x
class Record:
    id: str
    kind: RecordKind
    site_id: str
    device_time: datetime
    body: dict[str, Any]  # the kind's own fields, checked and normalised
    point_id: str | None = None
    refers_to: str | None = None  # the earlier record this one follows up
    photos: tuple[str, ...] = ()


EARLIEST = datetime(2020, 1, 1, tzinfo=UTC)
"""No record, batch or query time is before this: Rounds did not exist, and a phone whose
clock says 1970 (a flat battery) has the wrong time, not an old record."""
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
"""Nor after this, whatever else allows it: every time stays far from datetime's edge, so
adding a deadline or a grace period to it can never overflow."""
RECORD_AFTER_SENT = timedelta(days=1)
"""A record may be at most this far after its batch's `sent_at` (made before it was sent,
with a day's slack for clock changes); later is a wrong clock, kept out of the reports."""
MAX_SENT_AHEAD = timedelta(days=30)
"""A batch's `sent_at` may be at most this far ahead of the server's clock. A phone a few
minutes or hours off is accepted and flagged (clock skew); a month ahead is refused, so the
phone keeps the records until its clock is set right."""


@dataclass(frozen=True, slots=True)
class TimeBounds:
    """The times a record may carry: `earliest <= t <= latest`."""

    earliest: datetime
    latest: datetime

    def check(self, at: datetime, name: str) -> datetime:
        """`at` itself when it lies in the bounds; a WireError saying why otherwise."""
        if self.earliest <= at <= self.latest:  # comparing never overflows; converting may
            return at
        try:
            at.astimezone(UTC)  # 9999-12-31T23:59:59-14:00 has no UTC time
        except OverflowError as exc:
            raise WireError(f"{name} cannot be converted to UTC") from exc
        if at < self.earliest:
            raise WireError(f"{name} is before {self.earliest.date().isoformat()}")
        raise WireError(f"{name} is after {self.latest.isoformat(timespec='seconds')}")


ALWAYS = TimeBounds(EARLIEST, LATEST)


def batch_bounds(sent_at: datetime) -> TimeBounds:
    """Times allowed in a batch sent at `sent_at`: from 2020 to a day after sending."""
    return TimeBounds(EARLIEST, min(sent_at + RECORD_AFTER_SENT, LATEST))


def check_sent_at(sent_at: datetime, received_at: datetime) -> datetime:
    """A batch's send time, bounded: not before 2020, at most 30 days ahead of the server."""
    latest = min(received_at + MAX_SENT_AHEAD, LATEST - RECORD_AFTER_SENT)
    return TimeBounds(EARLIEST, latest).check(sent_at, "sent_at (the phone's clock)")


def parse_time(value: object, name: str = "time", bounds: TimeBounds = ALWAYS) -> datetime:
    """An ISO 8601 time with a UTC offset, within `bounds` (at least 2020-2100)."""
    if not isinstance(value, str) or len(value) > 64:
        raise WireError(f"{name} must be an ISO 8601 string")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise WireError(f"{name} is not an ISO 8601 time: {value[:40]!r}") from exc
    if parsed.tzinfo is None:
        raise WireError(f"{name} needs a UTC offset")
    return bounds.check(parsed, name)


def stored_record_problem(
    kind: str, device_time: datetime, received_at: datetime, body: object
) -> str | None:
    """Why a stored record cannot be read into a report, or None when it can.

    A record is readable when its times are ones today's wire check would accept (from
    2020, at most `MAX_SENT_AHEAD` + `RECORD_AFTER_SENT` after it was received, and
    convertible to UTC) and its body has the shape its kind's reads rely on. Servers before
    these bounds stored such records; they are set aside, never deleted.
    """
    latest = min(received_at + MAX_SENT_AHEAD + RECORD_AFTER_SENT, LATEST)
    bounds = TimeBounds(EARLIEST, latest)
    try:
        bounds.check(device_time, "device_time")
        if not isinstance(body, dict):
            return "body is not an object"
        if kind == RecordKind.ROUND_START:
            occurrence = body.get("occurrence")
            if occurrence is not None:
                parse_time(occurrence, "occurrence", bounds)
        elif kind == RecordKind.INSPECTION:
            hours = body.get("deadline_hours")
            if not _is_int(hours) or not 1 <= hours <= MAX_DEADLINE_HOURS:
                return "deadline_hours is not a whole number of hours from 1 to 720"
            if not all(isinstance(body.get(k), dict) for k in _INSPECTION_MAPS):
                return "results, item_photos or item_notes is not an object"
        elif kind == RecordKind.RECTIFICATION and not isinstance(body.get("item"), str):
            return "item is not text"
    except WireError as exc:
        return str(exc)
    return None


_INSPECTION_MAPS = ("results", "item_photos", "item_notes")


def _is_int(value: object) -> TypeGuard[int]:
    """JSON integers only: in Python `True` is an int too, on the wire it is not a number."""
    return type(value) is int


def _is_number(value: object) -> TypeGuard[float]:
    return (type(value) is int or type(value) is float) and math.isfinite(value)


def _id(raw: dict[str, Any], name: str, required: bool = True) -> str | None:
    value = raw.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not _ID.match(value):
        raise WireError(f"{name} must be 1-64 letters, digits, '-' or '_'")
    return value


def _text(raw: dict[str, Any], name: str, required: bool = False, limit: int = 0) -> str:
    value = raw.get(name, "")
    if not isinstance(value, str):
        raise WireError(f"{name} must be text")
    value = value.strip()
    limit = limit or MAX_NOTE_CHARS
    if len(value) > limit:
        raise WireError(f"{name} is longer than {limit} characters")
    if required and not value:
        raise WireError(f"{name} is required")
    return value


def _photos(value: object, name: str = "photos") -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > MAX_PHOTOS:
        raise WireError(f"{name} must be a list of at most {MAX_PHOTOS} photo hashes")
    for sha in value:
        if not isinstance(sha, str) or not _SHA256.match(sha):
            raise WireError(f"{name} must hold lowercase SHA-256 hex digests")
    return tuple(value)


def _gps(raw: dict[str, Any]) -> dict[str, float] | None:
    """A fix: lat and lon in degrees, accuracy in metres (0 to 100 km); numbers, not text
    or true/false."""
    gps = raw.get("gps")
    if gps is None:
        return None
    if not isinstance(gps, dict):
        raise WireError("gps must be {lat, lon, accuracy?} numbers")
    lat, lon, accuracy = gps.get("lat"), gps.get("lon"), gps.get("accuracy", 0)
    if not (_is_number(lat) and _is_number(lon) and _is_number(accuracy)):
        raise WireError("gps must be {lat, lon, accuracy?} numbers")
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise WireError("gps position is out of range")
    if not 0 <= accuracy <= MAX_GPS_ACCURACY_M:
        raise WireError("gps accuracy must be 0 to 100000 metres")
    return {"lat": float(lat), "lon": float(lon), "accuracy": float(accuracy)}


def parse_record(raw: object, bounds: TimeBounds = ALWAYS) -> Record:
    """Check one record from a batch; raises WireError with a reason.

    Every time the record carries must lie in `bounds` (see `batch_bounds`).
    """
    if not isinstance(raw, dict):
        raise WireError("record must be a JSON object")
    record_id = _id(raw, "id")
    try:
        kind = RecordKind(str(raw.get("kind")))
    except ValueError as exc:
        raise WireError(f"unknown kind {str(raw.get('kind'))[:30]!r}") from exc
    parse = _PARSERS.get(kind)
    if parse is None:
        raise WireError(f"{kind.value} records are made on the server, not sent by a device")
    site_id = _id(raw, "site_id")
    device_time = parse_time(raw.get("device_time"), "device_time", bounds)
    assert record_id is not None and site_id is not None
    body, point_id, refers_to, photos = parse(raw, bounds)
    return Record(record_id, kind, site_id, device_time, body, point_id, refers_to, photos)


_Parsed = tuple[dict[str, Any], str | None, str | None, tuple[str, ...]]


def _scan(raw: dict[str, Any], bounds: TimeBounds) -> _Parsed:
    method = raw.get("method", "qr")
    if method not in ("qr", "typed"):
        raise WireError("method must be 'qr' or 'typed'")
    payload = raw.get("payload")
    if not isinstance(payload, str) or not 0 < len(payload) <= 300:
        raise WireError("payload (the scanned QR text or typed code) is required")
    point_id = _id(raw, "point_id")
    round_id = _id(raw, "round_id", required=False)
    photos = _photos(raw.get("photos"))
    body = {"method": method, "payload": payload, "gps": _gps(raw), "round_id": round_id}
    return body, point_id, round_id, photos


def _checks(raw: dict[str, Any], bounds: TimeBounds) -> _Parsed:
    """Point-check answers after a scan, and the photo a critical point requires."""
    answers = raw.get("answers")
    photos = _photos(raw.get("photos"))
    if not isinstance(answers, dict) or len(answers) > 50 or not (answers or photos):
        raise WireError("answers must map each point check to true or false")
    if not all(isinstance(k, str) and isinstance(v, bool) for k, v in answers.items()):
        raise WireError("answers must map each point check to true or false")
    return {"answers": answers}, _id(raw, "point_id"), _id(raw, "scan_id"), photos


def _anomaly(raw: dict[str, Any], bounds: TimeBounds) -> _Parsed:
    category = _text(raw, "category", limit=MAX_CATEGORY_CHARS)
    note = _text(raw, "note")
    photos = _photos(raw.get("photos"))
    if not (note or category or photos):
        raise WireError("an anomaly needs a photo, a note or a type")
    body = {"category": category, "note": note, "gps": _gps(raw)}
    return body, _id(raw, "point_id", required=False), _id(raw, "scan_id", required=False), photos


def _inspection(raw: dict[str, Any], bounds: TimeBounds) -> _Parsed:
    """Results of every template item; photos and notes only for those items, bounded."""
    results = raw.get("results")
    if not isinstance(results, dict) or not results or len(results) > MAX_TEMPLATE_ITEMS:
        raise WireError("results must map each template item to pass, fail or na")
    item_photos = raw.get("item_photos") or {}
    notes = raw.get("item_notes") or {}
    if not isinstance(item_photos, dict) or not isinstance(notes, dict):
        raise WireError("item_photos and item_notes must be objects keyed by item")
    extra = (item_photos.keys() | notes.keys()) - results.keys()
    if extra:
        raise WireError(f"item {str(min(extra))[:30]!r} is not among the results")
    all_photos: list[str] = []
    text = 0
    for key, result in results.items():
        if not isinstance(key, str) or not 0 < len(key) <= 64:
            raise WireError("results must be keyed by the template's item keys")
        if result not in ItemResult.__members__.values():
            raise WireError(f"item {key[:30]!r}: result must be pass, fail or na")
        photos = _photos(item_photos.get(key), f"item_photos[{key}]")
        if result == ItemResult.FAIL and not photos:
            raise WireError(f"item {key!r} failed: a failed item needs a photo")
        all_photos.extend(photos)
        note = notes.get(key, "")
        if not isinstance(note, str) or len(note) > MAX_NOTE_CHARS:
            raise WireError(f"item {key!r}: note must be text of at most {MAX_NOTE_CHARS}")
        text += len(note)
    if text > MAX_RECORD_TEXT_CHARS:
        raise WireError(f"item notes together are longer than {MAX_RECORD_TEXT_CHARS}")
    version = raw.get("template_version")
    if not _is_int(version) or version < 1:
        raise WireError("template_version must be a positive integer")
    deadline_hours = raw.get("deadline_hours", 24)
    if not _is_int(deadline_hours) or not 1 <= deadline_hours <= MAX_DEADLINE_HOURS:
        raise WireError(f"deadline_hours must be a whole number from 1 to {MAX_DEADLINE_HOURS}")
    body = {
        "template_id": _id(raw, "template_id"),
        "template_version": version,
        "results": results,
        "item_photos": {k: list(_photos(v)) for k, v in item_photos.items()},
        "item_notes": notes,
        "assignee_id": _id(raw, "assignee_id", required=False),
        "deadline_hours": deadline_hours,
    }
    return body, _id(raw, "point_id"), None, tuple(dict.fromkeys(all_photos))


def _rectification(raw: dict[str, Any], bounds: TimeBounds) -> _Parsed:
    action = raw.get("action")
    if action not in RECTIFICATION_ACTIONS:
        raise WireError("action must be 'fixed' or 'rechecked'")
    photos = _photos(raw.get("photos"))
    if action == "fixed" and not photos:
        raise WireError("a fix needs an 'after' photo")
    passed = raw.get("passed")
    if action == "rechecked" and not isinstance(passed, bool):
        raise WireError("a re-check needs passed: true or false")
    inspection_id = _id(raw, "inspection_id")
    item = raw.get("item")
    if not isinstance(item, str) or not 0 < len(item) <= 64:
        raise WireError("item (the failed template item) is required")
    body = {"action": action, "item": item, "passed": passed, "note": _text(raw, "note")}
    return body, None, inspection_id, photos


def _round_start(raw: dict[str, Any], bounds: TimeBounds) -> _Parsed:
    schedule_id = _id(raw, "schedule_id", required=False)
    occurrence = raw.get("occurrence")
    if (schedule_id is None) != (occurrence is None):
        raise WireError("a scheduled round needs both schedule_id and occurrence")
    version = raw.get("route_version")
    if version is not None and (not _is_int(version) or version < 1):
        raise WireError("route_version must be a positive integer")
    body = {
        "route_id": _id(raw, "route_id"),
        "schedule_id": schedule_id,
        "occurrence": (
            parse_time(occurrence, "occurrence", bounds).isoformat()
            if occurrence is not None
            else None
        ),
        "route_version": version,
        "for_user_id": _id(raw, "for_user_id", required=False),
        "reason": _text(raw, "reason"),
    }
    if body["for_user_id"] and not body["reason"]:
        raise WireError("a round done for someone else needs a reason")
    return body, None, None, ()


def _round_finish(raw: dict[str, Any], bounds: TimeBounds) -> _Parsed:
    return {"reason": _text(raw, "reason")}, None, _id(raw, "round_id"), ()


def _handover(raw: dict[str, Any], bounds: TimeBounds) -> _Parsed:
    body = {"note": _text(raw, "note", required=True), "to_user_id": _id(raw, "to_user_id", False)}
    return body, None, None, _photos(raw.get("photos"))


def _correction(raw: dict[str, Any], bounds: TimeBounds) -> _Parsed:
    return {"note": _text(raw, "note", required=True)}, None, _id(raw, "corrects"), ()


_PARSERS = {
    RecordKind.SCAN: _scan,
    RecordKind.CHECKS: _checks,
    RecordKind.ANOMALY: _anomaly,
    RecordKind.INSPECTION: _inspection,
    RecordKind.RECTIFICATION: _rectification,
    RecordKind.ROUND_START: _round_start,
    RecordKind.ROUND_FINISH: _round_finish,
    RecordKind.HANDOVER: _handover,
    RecordKind.CORRECTION: _correction,
}
