"""The sync wire format: records made on a device, as JSON objects.

Every record has an ``id`` made on the device (so a resend never duplicates anything),
a ``kind``, a ``site_id`` and the device's ``device_time`` (ISO 8601 with offset); the
rest depends on the kind. A batch is ``{"device_id", "sent_at", "records": [...]}``
and each record gets its own result: accepted, duplicate or rejected with a reason.
`parse_record` checks the shape of one record; whether the point, template or earlier
record it names exists is the server's business.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from domain.scoring import ItemResult

__all__ = [
    "MAX_BATCH_RECORDS",
    "MAX_NOTE_CHARS",
    "MAX_PHOTOS",
    "Record",
    "RecordKind",
    "WireError",
    "parse_record",
    "parse_time",
]

MAX_BATCH_RECORDS = 1000
MAX_NOTE_CHARS = 2000
MAX_PHOTOS = 12
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


def parse_time(value: object, name: str = "time") -> datetime:
    if not isinstance(value, str):
        raise WireError(f"{name} must be an ISO 8601 string")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise WireError(f"{name} is not an ISO 8601 time: {value[:40]!r}") from exc
    if parsed.tzinfo is None:
        raise WireError(f"{name} needs a UTC offset")
    return parsed


def _id(raw: dict[str, Any], name: str, required: bool = True) -> str | None:
    value = raw.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not _ID.match(value):
        raise WireError(f"{name} must be 1-64 letters, digits, '-' or '_'")
    return value


def _text(raw: dict[str, Any], name: str, required: bool = False) -> str:
    value = raw.get(name, "")
    if not isinstance(value, str):
        raise WireError(f"{name} must be text")
    value = value.strip()
    if len(value) > MAX_NOTE_CHARS:
        raise WireError(f"{name} is longer than {MAX_NOTE_CHARS} characters")
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
    gps = raw.get("gps")
    if gps is None:
        return None
    try:
        lat, lon = float(gps["lat"]), float(gps["lon"])
        accuracy = float(gps.get("accuracy", 0))
    except (TypeError, KeyError, ValueError) as exc:
        raise WireError("gps must be {lat, lon, accuracy?} numbers") from exc
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise WireError("gps position is out of range")
    return {"lat": lat, "lon": lon, "accuracy": accuracy}


def parse_record(raw: object) -> Record:
    """Check one record from a batch; raises WireError with a reason."""
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
    device_time = parse_time(raw.get("device_time"), "device_time")
    assert record_id is not None and site_id is not None
    body, point_id, refers_to, photos = parse(raw)
    return Record(record_id, kind, site_id, device_time, body, point_id, refers_to, photos)


_Parsed = tuple[dict[str, Any], str | None, str | None, tuple[str, ...]]


def _scan(raw: dict[str, Any]) -> _Parsed:
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


def _checks(raw: dict[str, Any]) -> _Parsed:
    """Point-check answers after a scan, and the photo a critical point requires."""
    answers = raw.get("answers")
    photos = _photos(raw.get("photos"))
    if not isinstance(answers, dict) or len(answers) > 50 or not (answers or photos):
        raise WireError("answers must map each point check to true or false")
    if not all(isinstance(k, str) and isinstance(v, bool) for k, v in answers.items()):
        raise WireError("answers must map each point check to true or false")
    return {"answers": answers}, _id(raw, "point_id"), _id(raw, "scan_id"), photos


def _anomaly(raw: dict[str, Any]) -> _Parsed:
    category = _text(raw, "category")
    note = _text(raw, "note")
    photos = _photos(raw.get("photos"))
    if not (note or category or photos):
        raise WireError("an anomaly needs a photo, a note or a type")
    body = {"category": category, "note": note, "gps": _gps(raw)}
    return body, _id(raw, "point_id", required=False), _id(raw, "scan_id", required=False), photos


def _inspection(raw: dict[str, Any]) -> _Parsed:
    results = raw.get("results")
    if not isinstance(results, dict) or not results or len(results) > 60:
        raise WireError("results must map each template item to pass, fail or na")
    item_photos = raw.get("item_photos") or {}
    notes = raw.get("item_notes") or {}
    if not isinstance(item_photos, dict) or not isinstance(notes, dict):
        raise WireError("item_photos and item_notes must be objects keyed by item")
    all_photos: list[str] = []
    for key, result in results.items():
        if result not in ItemResult.__members__.values():
            raise WireError(f"item {str(key)[:30]!r}: result must be pass, fail or na")
        photos = _photos(item_photos.get(key), f"item_photos[{key}]")
        if result == ItemResult.FAIL and not photos:
            raise WireError(f"item {key!r} failed: a failed item needs a photo")
        all_photos.extend(photos)
        note = notes.get(key, "")
        if not isinstance(note, str) or len(note) > MAX_NOTE_CHARS:
            raise WireError(f"item {key!r}: note must be text")
    version = raw.get("template_version")
    if not isinstance(version, int) or version < 1:
        raise WireError("template_version must be a positive integer")
    deadline_hours = raw.get("deadline_hours", 24)
    if not isinstance(deadline_hours, int) or not 1 <= deadline_hours <= 24 * 30:
        raise WireError("deadline_hours must be between 1 and 720")
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


def _rectification(raw: dict[str, Any]) -> _Parsed:
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


def _round_start(raw: dict[str, Any]) -> _Parsed:
    schedule_id = _id(raw, "schedule_id", required=False)
    occurrence = raw.get("occurrence")
    if (schedule_id is None) != (occurrence is None):
        raise WireError("a scheduled round needs both schedule_id and occurrence")
    version = raw.get("route_version")
    if version is not None and (not isinstance(version, int) or version < 1):
        raise WireError("route_version must be a positive integer")
    body = {
        "route_id": _id(raw, "route_id"),
        "schedule_id": schedule_id,
        "occurrence": parse_time(occurrence, "occurrence").isoformat() if occurrence else None,
        "route_version": version,
        "for_user_id": _id(raw, "for_user_id", required=False),
        "reason": _text(raw, "reason"),
    }
    if body["for_user_id"] and not body["reason"]:
        raise WireError("a round done for someone else needs a reason")
    return body, None, None, ()


def _round_finish(raw: dict[str, Any]) -> _Parsed:
    return {"reason": _text(raw, "reason")}, None, _id(raw, "round_id"), ()


def _handover(raw: dict[str, Any]) -> _Parsed:
    body = {"note": _text(raw, "note", required=True), "to_user_id": _id(raw, "to_user_id", False)}
    return body, None, None, _photos(raw.get("photos"))


def _correction(raw: dict[str, Any]) -> _Parsed:
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
