"""Sync push: checking a batch of device records and storing the good ones.

Each record gets its own result; a bad record never sinks the batch; a record whose id is
already stored is a duplicate, so resending a batch any number of times stores each record
once. Suspicious facts become flags on the record, never a rejection.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from domain.labels import LabelError, read_label, revoked_since, short_codes_match
from domain.models import Point, PointKind, Role
from domain.scoring import (
    ItemResult,
    RectificationEvent,
    fix_refusal,
    recheck_refusal,
    rectification_state,
)
from domain.signals import (
    BURST_WINDOW,
    NEIGHBOUR_WINDOW,
    PHOTO_NEAR_BITS,
    REPEAT_WINDOW,
    Flag,
    LastScan,
    PointScan,
    clock_flags,
    clock_skew_seconds,
    hamming,
    is_future,
    point_repeat_flags,
    scan_flags,
)
from domain.wire import (
    MAX_BATCH_RECORDS,
    Record,
    RecordKind,
    TimeBounds,
    WireError,
    batch_bounds,
    check_sent_at,
    parse_record,
    parse_time,
)
from server.photo_index import index_for
from server.storage import Storage, StoredRecord, UserRow

__all__ = ["BatchError", "ingest_batch"]

INSPECTORS = {Role.CLEANING_SUPERVISOR, Role.MANAGER, Role.ADMIN}


class BatchError(ValueError):
    """The batch as a whole is malformed; nothing in it was looked at."""


@lru_cache(maxsize=65_536)  # a company's every label: ~30 MB at most
def _read_label(payload: str, site_id: str, public_key: str) -> tuple[str | None, str, int]:
    """(the point a genuine label of this site names, "", its serial) or (None, what is
    wrong with it, 0).

    The server checks every "qr" scan itself: a phone's word that a label verified proves
    nothing. Cached: a site has a few hundred labels, scanned over and over.
    """
    try:
        label = read_label(payload, {site_id: public_key})
    except LabelError as exc:
        return None, exc.reason, 0
    return label.point_id, "", label.serial


@dataclass
class _Site:
    id: str
    public_key: str
    points: dict[str, Point]
    templates: dict[tuple[str, int], set[str]]
    routes: set[str]
    schedules: set[str]
    label_issues: dict[str, list[tuple[int, datetime]]] = field(default_factory=dict)


@dataclass
class _Batch:
    storage: Storage
    user: UserRow
    device_id: str
    sent_at: datetime
    received_at: datetime
    sites: dict[str, _Site | None] = field(default_factory=dict)
    accepted: dict[str, StoredRecord] = field(default_factory=dict)
    # The person's scans near the batch's in time (stored, then this batch's), in time
    # order, with `walk_times` beside them for bisecting.
    walk: list[LastScan] = field(default_factory=list)
    walk_times: list[datetime] = field(default_factory=list)
    clock_flags: list[str] = field(default_factory=list)
    clock_skew: float = 0.0
    photos_seen: set[str] = field(default_factory=set)
    # Other scans of each (site, point) near the batch's scans: stored, then this batch's.
    point_scans: dict[tuple[str, str], list[PointScan]] = field(default_factory=dict)
    # Perceptual hashes of the photos this batch's accepted records used.
    batch_phashes: list[tuple[str, int]] = field(default_factory=list)

    def site(self, site_id: str) -> _Site | None:
        if site_id not in self.user.site_ids:
            return None
        if site_id not in self.sites:
            # Cached across batches until the site's setup (or anything but records) changes.
            self.sites[site_id] = self.storage.cached(
                ("ingest-site", site_id), lambda: self._load_site(site_id)
            )
        return self.sites[site_id]

    def _load_site(self, site_id: str) -> _Site | None:
        if site_id not in self.user.site_ids:
            return None
        row = self.storage.site(site_id)
        if row is None:
            return None
        templates = {
            (t.id, t.version): {i.key for i in t.items} for t in self.storage.templates(site_id)
        }
        return _Site(
            site_id,
            row["label_public_key"],
            {p.id: p for p in self.storage.points(site_id)},
            templates,
            set(self.storage.route_versions(site_id)),
            {s.id for s in self.storage.schedules(site_id)},
            self.storage.label_issues(site_id),
        )

    def earlier(self, record_id: str) -> StoredRecord | None:
        return self.accepted.get(record_id) or self.storage.record(record_id)


def ingest_batch(
    storage: Storage, user: UserRow, device_id: str, batch: object, received_at: datetime
) -> list[dict[str, Any]]:
    if not isinstance(batch, dict) or not isinstance(batch.get("records"), list):
        raise BatchError("a batch is an object with a 'records' list")
    raw_records: list[Any] = batch["records"]
    if len(raw_records) > MAX_BATCH_RECORDS:
        raise BatchError(f"a batch holds at most {MAX_BATCH_RECORDS} records")
    try:
        sent_at = check_sent_at(parse_time(batch.get("sent_at"), "sent_at"), received_at)
    except WireError as exc:
        raise BatchError(str(exc)) from exc

    state = _Batch(storage, user, device_id, sent_at, received_at)
    state.clock_flags = clock_flags(sent_at, received_at)
    state.clock_skew = clock_skew_seconds(sent_at, received_at)
    ids = [r["id"] for r in raw_records if isinstance(r, dict) and isinstance(r.get("id"), str)]
    stored_before = storage.record_owners(ids)
    bounds = batch_bounds(sent_at)
    parsed = [_parse(raw, bounds) for raw in raw_records]
    state.photos_seen = storage.photos_used(
        sha for record in parsed if isinstance(record, Record) for sha in record.photos
    )
    good = [r for r in parsed if isinstance(r, Record)]
    _load_walk(state, good)
    _load_point_scans(state, good)

    results: list[dict[str, Any]] = []
    for raw, record in zip(raw_records, parsed, strict=True):
        raw_id = raw.get("id") if isinstance(raw, dict) else None
        if not isinstance(raw_id, str) or len(raw_id) > 100:
            raw_id = None  # echo back only what could be a record id
        if isinstance(raw_id, str) and (raw_id in stored_before or raw_id in state.accepted):
            results.append(_repeated(state, raw, raw_id, stored_before))
            continue
        try:
            if isinstance(record, WireError):
                raise record
            stored = _check(state, record)
        except WireError as exc:
            results.append({"id": raw_id, "status": "rejected", "reason": str(exc)})
            continue
        state.accepted[stored.id] = stored
        result: dict[str, Any] = {"id": stored.id, "status": "accepted"}
        if stored.flags:
            result["flags"] = stored.flags
        results.append(result)
    if state.accepted:
        raced = storage.insert_records(list(state.accepted.values()))
        if raced:  # another connection stored some of these ids since we looked
            _answer_raced(state, results, raced)
    return results


def _answer_raced(state: _Batch, results: list[dict[str, Any]], raced: set[str]) -> None:
    owners = state.storage.record_owners(sorted(raced))
    for i, result in enumerate(results):
        if result["status"] == "accepted" and result["id"] in raced:
            record = state.accepted[result["id"]]
            raw = {"site_id": record.site_id}
            results[i] = _repeated(state, raw, record.id, owners, earlier=False)


def _repeated(
    state: _Batch,
    raw: dict[str, Any],
    raw_id: str,
    stored: dict[str, tuple[str, str]],
    earlier: bool = True,
) -> dict[str, Any]:
    """A resend of a stored id is a duplicate only for the site and person who stored it.

    Anyone else gets the same neutral refusal whoever holds the id, so one site learns
    nothing of another's records.
    """
    in_batch = state.accepted.get(raw_id) if earlier else None
    owner = (in_batch.site_id, in_batch.user_id) if in_batch else stored[raw_id]
    if owner == (raw.get("site_id"), state.user.id):
        return {"id": raw_id, "status": "duplicate"}
    return {"id": raw_id, "status": "rejected", "reason": _ID_TAKEN}


_ID_TAKEN = "record id cannot be used: make a new one"


def _parse(raw: object, bounds: TimeBounds) -> Record | WireError:
    try:
        return parse_record(raw, bounds)
    except WireError as exc:
        return exc


def _spans(times: list[datetime], reach: timedelta) -> list[tuple[datetime, datetime]]:
    """[t - reach, t + reach) around each of the sorted `times`, overlapping ones merged."""
    spans: list[tuple[datetime, datetime]] = []
    for at in times:
        if spans and at - reach <= spans[-1][1]:
            spans[-1] = (spans[-1][0], at + reach)
        else:
            spans.append((at - reach, at + reach))
    return spans


def _load_walk(state: _Batch, records: list[Record]) -> None:
    """The person's stored scans (from earlier batches, any site) that can be next to the
    batch's scans in time, within an hour of them: speed and seconds-apart are judged
    against them, also when a batch of older records arrives after newer ones.

    Only each scan's nearest stored neighbours are read (see `person_neighbours`): the
    flags are the same as with every scan of the hour, at a cost bounded by the batch."""
    times = sorted(r.device_time for r in records if r.kind is RecordKind.SCAN)
    spans = [
        (start, end, [at for at in times if start <= at < end])
        for start, end in _spans(times, NEIGHBOUR_WINDOW)
    ]
    if not spans:
        return
    for site_id, point_id, at, lat, lon, accuracy in state.storage.person_neighbours(
        state.user.id, spans
    ):
        site = state.site(site_id)
        point = site.points.get(point_id) if site else None
        state.walk.append(
            LastScan(
                point_id,
                at,
                lat,
                lon,
                point.lat if point else None,
                point.lon if point else None,
                accuracy or 0.0,
            )
        )
    state.walk_times = [s.device_time for s in state.walk]


def _load_point_scans(state: _Batch, records: list[Record]) -> None:
    """Read enough of the stored scans of the batch's points near the batch's scan times to
    judge repeats and bursts (see `point_scans_near`), in one read per site."""
    wanted: dict[str, list[tuple[str, datetime]]] = {}
    for r in records:
        if r.kind is RecordKind.SCAN and r.point_id and r.site_id in state.user.site_ids:
            wanted.setdefault(r.site_id, []).append((r.point_id, r.device_time))
    reach = max(REPEAT_WINDOW, BURST_WINDOW)
    for site_id, scans in wanted.items():
        spans = _spans(sorted(at for _, at in scans), reach)
        near = state.storage.point_scans_near(site_id, state.user.id, scans, spans)
        for point_id, found in near.items():
            state.point_scans.setdefault((site_id, point_id), []).extend(found)


def _check(state: _Batch, record: Record) -> StoredRecord:
    site = state.site(record.site_id)
    if site is None:
        raise WireError("site not found")
    flags = list(state.clock_flags)
    if is_future(record.device_time, state.sent_at):
        flags.append(Flag.FUTURE_TIME)
    phashes: list[tuple[str, int]] = []
    if record.photos:
        uploaded = state.storage.photo_phashes(site.id, record.photos)
        missing = set(record.photos) - set(uploaded)
        if missing:
            raise WireError(f"photo not uploaded yet: {sorted(missing)[0][:12]}…")
        phashes = [(sha, int(h, 16)) for sha, h in uploaded.items() if h]
        if any(sha in state.photos_seen for sha in record.photos) or _looks_reused(
            state, site.id, set(record.photos), phashes
        ):
            flags.append(Flag.PHOTO_REUSED)
    point = None
    if record.point_id is not None:
        point = site.points.get(record.point_id)
        if point is None:
            raise WireError(f"point not found: {record.point_id}")
    flags.extend(_KIND_CHECKS[record.kind](state, site, record, point))
    state.photos_seen.update(record.photos)
    state.batch_phashes.extend(phashes)
    body = record.body
    if Flag.CLOCK_SKEW in flags:
        body = body | {"clock_skew_seconds": state.clock_skew}
    return StoredRecord(
        record.id,
        record.kind.value,
        record.site_id,
        state.user.id,
        state.device_id,
        record.device_time,
        state.received_at,
        record.point_id,
        record.refers_to,
        body,
        list(record.photos),
        flags,
    )


def _looks_reused(
    state: _Batch, site_id: str, own: set[str], phashes: list[tuple[str, int]]
) -> bool:
    """Is one of the record's photos perceptually near one an earlier record used (stored,
    or earlier in this batch)? Catches a re-saved, resized or cropped copy."""
    if not phashes:
        return False
    index = index_for(state.storage)
    for _sha, phash in phashes:
        if any(
            other not in own and hamming(phash, h) <= PHOTO_NEAR_BITS
            for other, h in state.batch_phashes
        ):
            return True
        if index.near(site_id, f"{phash:016x}", own) is not None:
            return True
    return False


def _check_scan(state: _Batch, site: _Site, record: Record, point: Point | None) -> list[str]:
    assert point is not None
    payload = record.body["payload"]
    typed = record.body["method"] == "typed"
    problem = ""
    revoked_flag: list[str] = []
    if typed:
        if not short_codes_match(payload, point.short_code):
            raise WireError("typed code does not match the point")
        label_ok = True
    else:
        label_point, problem, serial = _read_label(payload, site.id, site.public_key)
        if label_point is not None and label_point != point.id:
            raise WireError("the scanned label names another point")
        label_ok = label_point is not None
        revoked = revoked_since(serial, site.label_issues.get(point.id, ()))
        if label_ok and revoked is not None and record.device_time >= revoked:
            revoked_flag = [Flag.REVOKED_LABEL.value]
    round_id = record.body["round_id"]
    if round_id is not None:
        start = state.earlier(round_id)
        if start is None or start.kind != RecordKind.ROUND_START or start.site_id != site.id:
            raise WireError(f"round not found: {round_id}")
    gps = record.body["gps"] or {}
    accuracy = gps.get("accuracy") or 0.0
    i = bisect_right(state.walk_times, record.device_time)
    flags = scan_flags(
        device_time=record.device_time,
        lat=gps.get("lat"),
        lon=gps.get("lon"),
        point_lat=point.lat,
        point_lon=point.lon,
        previous=state.walk[i - 1] if i else None,
        following=state.walk[i] if i < len(state.walk) else None,
        label_ok=label_ok,
        typed=typed,
        accuracy=accuracy,
        radius_m=point.radius_m,
        label_problem=problem,
    )
    flags.extend(revoked_flag)
    others = state.point_scans.setdefault((site.id, point.id), [])
    flags.extend(point_repeat_flags(record.device_time, state.user.id, others))
    others.append(PointScan(state.user.id, record.device_time))
    here = LastScan(
        point.id, record.device_time, gps.get("lat"), gps.get("lon"), point.lat, point.lon, accuracy
    )
    state.walk.insert(i, here)
    state.walk_times.insert(i, record.device_time)
    return flags


def _check_checks(state: _Batch, site: _Site, record: Record, point: Point | None) -> list[str]:
    scan = state.earlier(record.refers_to or "")
    if scan is None or scan.kind != RecordKind.SCAN or scan.point_id != record.point_id:
        raise WireError("checks must follow a scan of the same point")
    assert point is not None
    unknown = set(record.body["answers"]) - set(point.checks)
    if unknown:
        raise WireError(f"not a check of this point: {sorted(unknown)[0][:40]}")
    return []


def _check_inspection(state: _Batch, site: _Site, record: Record, point: Point | None) -> list[str]:
    if Role(state.user.role) not in INSPECTORS:
        raise WireError("only a cleaning supervisor or manager can record an inspection")
    assert point is not None
    if point.kind is not PointKind.AREA:
        raise WireError("inspections are made of cleaning areas")
    body = record.body
    items = site.templates.get((body["template_id"], body["template_version"]))
    if items is None:
        raise WireError(f"template not found: {body['template_id']} v{body['template_version']}")
    if set(body["results"]) != items:
        missing = sorted(items - set(body["results"]))
        raise WireError(
            f"results must answer every item of the template (missing: {', '.join(missing)})"
            if missing
            else "results name items that are not in the template"
        )
    assignee = body["assignee_id"]
    if assignee is not None:
        user = state.storage.user(assignee)
        if user is None or site.id not in user.site_ids:
            raise WireError(f"assignee not found: {assignee}")
    return []


def rectification_events(records: Sequence[StoredRecord], item: str) -> list[RectificationEvent]:
    return [
        RectificationEvent(
            r.body["action"],
            r.user_id,
            r.device_time,
            r.body.get("passed"),
            tuple(r.photos),
            r.body.get("note", ""),
        )
        for r in records
        if r.kind == RecordKind.RECTIFICATION and r.body["item"] == item
    ]


def _check_rectification(
    state: _Batch, site: _Site, record: Record, point: Point | None
) -> list[str]:
    inspection = state.earlier(record.refers_to or "")
    item = record.body["item"]
    if (
        inspection is None
        or inspection.kind != RecordKind.INSPECTION
        or inspection.site_id != site.id
    ):
        raise WireError(f"inspection not found: {record.refers_to}")
    if inspection.body["results"].get(item) != ItemResult.FAIL:
        raise WireError(f"item {item!r} did not fail in that inspection")
    if record.body["action"] == "rechecked" and Role(state.user.role) not in INSPECTORS:
        raise WireError("only a cleaning supervisor or manager can re-check")
    if record.body["action"] == "fixed":
        assignee = state.storage.rectification_assignee(
            site.id, f"{inspection.id}/{item}"
        ) or inspection.body.get("assignee_id")  # a reassignment decides
        refusal = fix_refusal(assignee, state.user.id, Role(state.user.role))
        if refusal:
            raise WireError(refusal)
    history = state.storage.records_referring_to([inspection.id]) + [
        r for r in state.accepted.values() if r.refers_to == inspection.id
    ]
    deadline = inspection.device_time + timedelta(hours=inspection.body["deadline_hours"])
    current = rectification_state(
        f"{inspection.id}/{item}",
        deadline,
        rectification_events(history, item),
        record.device_time,
    )
    refusal = recheck_refusal(current, record.body["action"], state.user.id)
    if refusal:
        raise WireError(refusal)
    return []


def _check_round_start(
    state: _Batch, site: _Site, record: Record, point: Point | None
) -> list[str]:
    body = record.body
    if body["route_id"] not in site.routes:
        raise WireError(f"route not found: {body['route_id']}")
    if body["schedule_id"] is not None and body["schedule_id"] not in site.schedules:
        raise WireError(f"schedule not found: {body['schedule_id']}")
    return []


def _check_round_finish(
    state: _Batch, site: _Site, record: Record, point: Point | None
) -> list[str]:
    """As the phone does: finishing a round with points left needs a reason."""
    _check_refers_to_site_record(RecordKind.ROUND_START)(state, site, record, point)
    start = state.earlier(record.refers_to or "")
    assert start is not None
    if not record.body["reason"].strip():
        left = _points_left(state, start)
        if left:
            raise WireError(f"a round finished with {left} points left needs a reason")
    return []


def _points_left(state: _Batch, start: StoredRecord) -> int:
    """Checkpoints of the round's route version that no scan of the round met yet."""
    versions = state.storage.route_versions(start.site_id).get(start.body["route_id"], [])
    wanted = start.body.get("route_version")
    route = next((v for v in versions if v.version == wanted), versions[-1] if versions else None)
    if route is None:
        return 0
    scans = state.storage.records_referring_to([start.id]) + list(state.accepted.values())
    scanned = {r.point_id for r in scans if r.kind == RecordKind.SCAN and r.refers_to == start.id}
    return len(set(route.checkpoint_ids) - scanned)


def _check_refers_to_site_record(kind: RecordKind | None):
    def check(state: _Batch, site: _Site, record: Record, point: Point | None) -> list[str]:
        earlier = state.earlier(record.refers_to or "")
        if earlier is None or earlier.site_id != site.id or (kind and earlier.kind != kind):
            raise WireError(f"{'round' if kind else 'record'} not found: {record.refers_to}")
        return []

    return check


def _no_check(state: _Batch, site: _Site, record: Record, point: Point | None) -> list[str]:
    return []


_KIND_CHECKS = {
    RecordKind.SCAN: _check_scan,
    RecordKind.CHECKS: _check_checks,
    RecordKind.ANOMALY: _no_check,
    RecordKind.INSPECTION: _check_inspection,
    RecordKind.RECTIFICATION: _check_rectification,
    RecordKind.ROUND_START: _check_round_start,
    RecordKind.ROUND_FINISH: _check_round_finish,
    RecordKind.HANDOVER: _no_check,
    RecordKind.CORRECTION: _check_refers_to_site_record(None),
}
