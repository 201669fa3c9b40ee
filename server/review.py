"""The review queue and its evidence, and recording a reviewer's verdict.

Plain functions over `Storage` returning JSON-ready dicts, shared by the API
(`server/api/reviews.py`) and the console; callers check permissions first
(`server.access.require_reviews(user, site_id)`: 404 for another site, 403 for a role
that does not review records). The rules are in `domain.trust`: flagged
records wait in the queue until someone reviews them; a scan whose label failed the
server's check earns no coverage until accepted; a review is a new record (kind
``review``, ``refers_to`` the reviewed record, body ``{verdict, reason}``, by the
reviewer) and the latest one decides, so reviewing again simply adds another.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from domain.models import Point
from domain.signals import distance_m
from domain.trust import HOLDING_FLAGS, Review, review_refusal, standing
from domain.wire import RecordKind
from server.storage import Storage, StoredRecord, UserRow
from server.storage_trust import QueueState

__all__ = [
    "MAX_PAGE",
    "NEARBY",
    "ReviewRefused",
    "queue_counts",
    "record_review",
    "review_item",
    "review_queue",
]

MAX_PAGE = 200
NEARBY = timedelta(minutes=30)


class ReviewRefused(ValueError):
    """A verdict that cannot be recorded as given; the message says why (HTTP 422)."""


class _Context:
    """What every item of a page shares: the site's points, routes and people."""

    def __init__(self, storage: Storage, site_id: str) -> None:
        self.points = {p.id: p for p in storage.points(site_id)}
        self.people = {u["id"]: u["name"] for u in storage.site_users(site_id)}
        self.routes: dict[str, list[dict[str, Any]]] = {}
        for route_id, versions in storage.route_versions(site_id).items():
            latest = versions[-1]
            for seq, point_id in enumerate(latest.checkpoint_ids):
                self.routes.setdefault(point_id, []).append(
                    {"route_id": route_id, "route_name": latest.name, "seq": seq + 1}
                )


def review_queue(
    storage: Storage,
    site_id: str,
    *,
    state: QueueState = "unreviewed",
    flag: str | None = None,
    kind: str | None = None,
    user_id: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    held_only: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> dict[str, Any]:
    """One page of a site's flagged records, newest first, each with its evidence.

    `state` is "unreviewed" (the queue: no review yet), "reviewed" or "all"; `flag`,
    `kind`, `user_id` and [start, end) (device time) narrow it; `held_only` keeps the
    records held out of coverage (a label that failed). Returns ``{"data": [review_item...],
    "count": items on this page, "total": matching records, "limit", "offset"}``.
    """
    limit = max(1, min(limit, MAX_PAGE))
    offset = max(0, offset)
    records, total = storage.review_queue(
        site_id,
        state=state,
        flag=flag,
        any_flags=sorted(HOLDING_FLAGS) if held_only else (),
        kind=kind,
        user_id=user_id,
        start=start,
        end=end,
        limit=limit,
        offset=offset,
    )
    context = _Context(storage, site_id)
    reviews = storage.reviews_of(site_id, [r.id for r in records])
    data = [_item(storage, context, r, reviews.get(r.id, [])) for r in records]
    return {"data": data, "count": len(data), "total": total, "limit": limit, "offset": offset}


def queue_counts(storage: Storage, site_id: str) -> dict[str, int]:
    """How much waits for review: ``{"unreviewed": flagged records with no review,
    "held": those of them held out of coverage (a label that failed), "reviewed": ...}``."""
    _, unreviewed = storage.review_queue(site_id, limit=0)
    _, held = storage.review_queue(site_id, any_flags=sorted(HOLDING_FLAGS), limit=0)
    _, reviewed = storage.review_queue(site_id, state="reviewed", limit=0)
    return {"unreviewed": unreviewed, "held": held, "reviewed": reviewed}


def review_item(storage: Storage, site_id: str, record_id: str) -> dict[str, Any] | None:
    """One record of the site with its evidence (the shape of a queue item), or None if the
    site has no such record.

    Keys: id, kind, user_id, user_name, device_id, device_time, received_at,
    received_after_seconds, clock_skew_seconds, flags, holding_flags, standing
    ("counted" | "pending_review" | "rejected"), needs_review, point (id, name, kind,
    zone, plan_x, plan_y, lat, lon, radius_m, routes: [{route_id, route_name, seq}]) or
    None, method, payload, gps ({lat, lon, accuracy}) or None, distance_m (fix to point),
    photos (sha-256 list), refers_to, body, reviews ([{verdict, reason, reviewer_id,
    reviewer_name, at}], oldest first), nearby_scans (the same person's scans within ±30
    minutes: id, point_id, point_name, device_time, seconds_from_this, flags, distance_m
    from this scan's position).
    """
    record = storage.site_record(site_id, record_id)
    if record is None or record.kind == RecordKind.REVIEW:
        return None
    context = _Context(storage, site_id)
    reviews = storage.reviews_of(site_id, [record.id]).get(record.id, [])
    return _item(storage, context, record, reviews)


def record_review(
    storage: Storage,
    site_id: str,
    record_id: str,
    *,
    reviewer: UserRow,
    verdict: str,
    reason: str,
    now: datetime,
    device_id: str = "server",
) -> dict[str, Any]:
    """Store a reviewer's verdict on a flagged record as a new ``review`` record.

    Raises KeyError when the site has no such record, ReviewRefused when the verdict
    cannot be recorded (record not flagged, the reviewer's own record, unknown verdict, a
    rejection with no reason, a reason over 500 characters). Returns the record's item as
    it now stands.
    """
    record = storage.site_record(site_id, record_id)
    if record is None or record.kind == RecordKind.REVIEW:
        raise KeyError(record_id)
    reason = reason.strip()
    refusal = review_refusal(
        record.flags, verdict, reason, reviewer_id=reviewer.id, author_id=record.user_id
    )
    if refusal:
        raise ReviewRefused(refusal)
    storage.insert_records(
        [
            StoredRecord(
                uuid.uuid4().hex,
                RecordKind.REVIEW.value,
                site_id,
                reviewer.id,
                device_id,
                now,
                now,
                record.point_id,
                record.id,
                {"verdict": verdict, "reason": reason},
                [],
                [],
            )
        ]
    )
    item = review_item(storage, site_id, record_id)
    assert item is not None
    return item


def _position(record: StoredRecord, point: Point | None) -> tuple[float, float] | None:
    gps = record.body.get("gps") if isinstance(record.body, dict) else None
    if isinstance(gps, dict):
        lat, lon = gps.get("lat"), gps.get("lon")
        if isinstance(lat, int | float) and isinstance(lon, int | float):
            return float(lat), float(lon)
    if point is not None and point.lat is not None and point.lon is not None:
        return point.lat, point.lon
    return None


def _item(
    storage: Storage, context: _Context, record: StoredRecord, reviews: list[Review]
) -> dict[str, Any]:
    body = record.body if isinstance(record.body, dict) else {}
    point = context.points.get(record.point_id or "")
    gps = body.get("gps") if isinstance(body.get("gps"), dict) else None
    fix = _position(record, None)
    distance = None
    if fix and point and point.lat is not None and point.lon is not None:
        distance = round(distance_m(*fix, point.lat, point.lon), 1)
    latest = reviews[-1] if reviews else None
    return {
        "id": record.id,
        "kind": record.kind,
        "user_id": record.user_id,
        "user_name": context.people.get(record.user_id, record.user_id),
        "device_id": record.device_id,
        "device_time": record.device_time.isoformat(),
        "received_at": record.received_at.isoformat(),
        "received_after_seconds": round(
            (record.received_at - record.device_time).total_seconds(), 1
        ),
        "clock_skew_seconds": body.get("clock_skew_seconds"),
        "flags": list(record.flags),
        "holding_flags": sorted(HOLDING_FLAGS.intersection(record.flags)),
        "standing": standing(record.flags, latest).value,
        "needs_review": bool(record.flags) and latest is None,
        "point": None
        if point is None
        else {
            "id": point.id,
            "name": point.name,
            "kind": point.kind.value,
            "zone": point.zone,
            "plan_x": point.plan_x,
            "plan_y": point.plan_y,
            "lat": point.lat,
            "lon": point.lon,
            "radius_m": point.radius_m,
            "routes": context.routes.get(point.id, []),
        },
        "method": body.get("method"),
        "payload": body.get("payload"),
        "gps": gps,
        "distance_m": distance,
        "photos": list(record.photos),
        "refers_to": record.refers_to,
        "body": body,
        "reviews": [
            {
                "verdict": r.verdict.value,
                "reason": r.reason,
                "reviewer_id": r.reviewer_id,
                "reviewer_name": context.people.get(r.reviewer_id, r.reviewer_id),
                "at": r.at.isoformat(),
            }
            for r in reviews
        ],
        "nearby_scans": _nearby(storage, context, record, point),
    }


def _nearby(
    storage: Storage, context: _Context, record: StoredRecord, point: Point | None
) -> list[dict[str, Any]]:
    here = _position(record, point)
    out = []
    for scan in storage.records(
        record.site_id,
        [RecordKind.SCAN.value],
        record.device_time - NEARBY,
        record.device_time + NEARBY,
        user_id=record.user_id,
    ):
        if scan.id == record.id:
            continue
        other = context.points.get(scan.point_id or "")
        there = _position(scan, other)
        out.append(
            {
                "id": scan.id,
                "point_id": scan.point_id,
                "point_name": other.name if other else scan.point_id,
                "device_time": scan.device_time.isoformat(),
                "seconds_from_this": round(
                    (scan.device_time - record.device_time).total_seconds(), 1
                ),
                "flags": list(scan.flags),
                "distance_m": round(distance_m(*here, *there), 1) if here and there else None,
            }
        )
    return out
