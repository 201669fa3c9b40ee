"""Ingest reads only a bounded part of the stored scans near a batch (`person_neighbours`,
`point_scans_near`); the flags must be exactly those judged against every stored scan,
whichever way the read goes (all of the spans' scans, or per-scan probes)."""

from __future__ import annotations

import random
from bisect import bisect_right
from datetime import UTC, datetime, timedelta

import pytest

from domain.signals import (
    BURST_WINDOW,
    NEIGHBOUR_WINDOW,
    REPEAT_WINDOW,
    PointScan,
    point_repeat_flags,
)
from server import storage_trust
from server.ingest import _spans
from server.storage import Storage, StoredRecord

T0 = datetime(2026, 3, 1, 8, tzinfo=UTC)
POINTS = ["p1", "p2", "p3"]


def _stored(rng: random.Random) -> list[StoredRecord]:
    """Scans by two people on three points over six hours, many at the same instant."""
    records = []
    for i in range(400):
        at = T0 + timedelta(minutes=rng.randrange(0, 360, 3))
        gps = {"lat": 31.2 + rng.random() / 100, "lon": 121.4, "accuracy": 5.0}
        records.append(
            StoredRecord(
                f"r{i}",
                "scan",
                "alpha",
                rng.choice(["u1", "u1", "u2"]),
                "d",
                at,
                T0,
                rng.choice(POINTS),
                None,
                {"method": "qr", "payload": "x", "gps": gps if rng.random() < 0.8 else None},
                [],
                [],
            )
        )
    return records


@pytest.fixture(params=["read all", "probe"])
def storage(request, tmp_path, monkeypatch) -> Storage:
    if request.param == "probe":  # force the bounded path even for these few scans
        monkeypatch.setattr(storage_trust, "_READ_ALL_FACTOR", 0)
        monkeypatch.setattr(storage_trust, "_READ_ALL_MIN", -1)
    else:
        monkeypatch.setattr(storage_trust, "_READ_ALL_MIN", 10**9)
    s = Storage(tmp_path / "rounds.db")
    yield s
    s.close()


def _batch(rng: random.Random) -> list[tuple[str, datetime]]:
    """A late batch: scans inside, between and outside the stored ones, some at their
    exact instants, in no particular order."""
    dense = [rng.randrange(-90, 450, 3) for _ in range(25)]
    sparse = [rng.randrange(-200, 600, 3) for _ in range(5)]  # spans with gaps between
    minutes = dense if rng.random() < 0.5 else sparse
    return [(rng.choice(POINTS), T0 + timedelta(minutes=m)) for m in minutes]


@pytest.mark.parametrize("seed", range(12))
def test_neighbours_are_those_among_every_stored_scan(storage: Storage, seed: int) -> None:
    rng = random.Random(seed)
    stored = _stored(rng)
    storage.insert_records(stored)
    batch = _batch(rng)
    times = sorted(at for _, at in batch)
    spans = [(a, b, [t for t in times if a <= t < b]) for a, b in _spans(times, NEIGHBOUR_WINDOW)]

    def key(r: StoredRecord) -> tuple:
        gps = r.body["gps"] or {}
        return (r.site_id, r.point_id, r.device_time, gps.get("lat"), gps.get("lon"))

    # Every scan of the person in the spans, in storage order within an instant.
    everything = sorted(
        (
            r
            for r in stored
            if r.user_id == "u1" and any(a <= r.device_time < b for a, b, _ in spans)
        ),
        key=lambda r: r.device_time,
    )
    read = storage.person_neighbours("u1", spans)
    assert [row[2] for row in read] == sorted(row[2] for row in read)
    full = [key(r) for r in everything]
    part = [row[:5] for row in read]
    assert set(part) <= set(full)
    # The batch's scans join the walk one by one, as ingest does.
    walks = {"full": (full, [k[2] for k in full]), "part": (part, [k[2] for k in part])}
    for n, (point, at) in enumerate(batch):
        seen = {}
        for name, (walk, walk_times) in walks.items():
            i = bisect_right(walk_times, at)
            seen[name] = (walk[i - 1] if i else None, walk[i] if i < len(walk) else None)
            here = ("alpha", point, at, n, None)
            walk.insert(i, here)
            walk_times.insert(i, at)
        assert seen["full"] == seen["part"], (n, at)


@pytest.mark.parametrize("seed", range(12))
def test_repeat_and_burst_flags_as_against_every_stored_scan(storage: Storage, seed: int) -> None:
    rng = random.Random(seed)
    stored = _stored(rng)
    storage.insert_records(stored)
    batch = _batch(rng)
    reach = max(REPEAT_WINDOW, BURST_WINDOW)
    spans = _spans(sorted(at for _, at in batch), reach)
    read = storage.point_scans_near("alpha", "u1", batch, spans)
    full: dict[str, list[PointScan]] = {p: [] for p in POINTS}
    for r in stored:
        assert r.point_id is not None
        full[r.point_id].append(PointScan(r.user_id, r.device_time))
    part = {p: list(read.get(p, [])) for p in POINTS}
    flagged = 0
    for point, at in batch:
        expected = point_repeat_flags(at, "u1", full[point])
        assert point_repeat_flags(at, "u1", part[point]) == expected, (point, at)
        flagged += bool(expected)
        for scans in (full, part):
            scans[point].append(PointScan("u1", at))
    assert flagged  # the data do exercise the flags
