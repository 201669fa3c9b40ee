"""Fraud signals that need the server's memory: across syncs, per point, per photo."""

from __future__ import annotations

import io
import random
import sqlite3
from datetime import UTC, datetime, timedelta

from PIL import Image, ImageDraw, ImageFilter

from domain.models import Point, PointKind
from domain.signals import PHOTO_NEAR_BITS
from server.blobs import LocalBlobStore
from server.photo_index import backfill_phashes
from server.serve import ServerThread
from server.storage import Storage
from tests.conftest import LiveServer, batch, new_id
from tests.factory import label


def scan(point: str, at: datetime, **kw: object) -> dict[str, object]:
    return {
        "id": new_id(),
        "kind": "scan",
        "site_id": "alpha",
        "point_id": point,
        "device_time": at.isoformat(),
        "payload": label("alpha", point),
        **kw,
    }


def push(client, *records, sent_at: str | None = None) -> list[list[str]]:
    results = client.post("/api/v1/sync", json=batch(*records, sent_at=sent_at)).json()["results"]
    assert {r["status"] for r in results} == {"accepted"}, results
    return [r.get("flags", []) for r in results]


def test_speed_and_seconds_apart_are_judged_against_earlier_syncs(live_server):
    """Ingest compares with the person's last stored scan, so splitting a walk over several
    syncs hides nothing; and a phone with no GPS is judged by the points' positions."""
    guard = live_server.login("guard")
    t0 = datetime.now(UTC) - timedelta(minutes=5)
    assert push(guard, scan("c01", t0)) == [[]]
    # c20 is 420 m from c01: 30 s later is a 14 m/s sprint (no fix on either scan)
    assert push(guard, scan("c20", t0 + timedelta(seconds=30))) == [["impossible_speed"]]
    assert push(guard, scan("c19", t0 + timedelta(seconds=35))) == [["scans_seconds_apart"]]
    # another guard's scans are not this guard's walk
    assert push(live_server.login("guard2"), scan("c01", t0 + timedelta(seconds=36))) == [[]]
    # an older record that arrives late is judged against the scans on either side of it
    late = scan("c10", t0 - timedelta(seconds=20))  # c10 is 200 m from c01: 10 m/s
    assert push(guard, late) == [["impossible_speed"]]


def test_nine_scans_of_one_point_in_nine_minutes_over_three_syncs(live_server):
    guard = live_server.login("guard")
    t0 = datetime.now(UTC) - timedelta(minutes=20)
    scans = [scan("c05", t0 + timedelta(minutes=m)) for m in range(9)]
    got = push(guard, *scans[:3]) + push(guard, *scans[3:6]) + push(guard, *scans[6:])
    assert got[0] == [] and got[1] == got[2] == ["repeated_scan"]
    assert got[3:] == [["repeated_scan", "scan_burst"]] * 6


def test_each_point_has_its_own_radius_and_the_fix_accuracy_counts(settings):
    storage = Storage(settings.db_path)
    yard = Point(
        "c50", "alpha", PointKind.CHECKPOINT, "Yard", lat=31.21, lon=121.4, short_code="YARD"
    )
    storage.add_points([Point(**{**_fields(yard), "radius_m": 300.0})])
    storage.close()
    server = ServerThread(settings).start()
    try:
        guard = LiveServer(server.url, settings).login("guard")
        [site] = guard.get("/api/v1/config").json()["sites"]
        radii = {p["id"]: p["radius_m"] for p in site["points"]}
        assert (radii["c50"], radii["c01"]) == (300.0, 100.0)
        t0 = datetime.now(UTC) - timedelta(hours=2)
        north_250m = 31.21 + 250 / 111_320
        got = push(
            guard,
            scan("c50", t0, gps={"lat": north_250m, "lon": 121.4, "accuracy": 5}),
            # c01 is at 31.2002: 167 m off, with a fix good to 10 m / to 80 m
            scan(
                "c01", t0 + timedelta(hours=1), gps={"lat": 31.2017, "lon": 121.4, "accuracy": 10}
            ),
            scan(
                "c02",
                t0 + timedelta(hours=1, minutes=5),
                gps={"lat": 31.2019, "lon": 121.4, "accuracy": 80},
            ),
        )
        assert got == [[], ["far_from_point"], []]
    finally:
        server.stop()


def _fields(point: Point) -> dict[str, object]:
    return {name: getattr(point, name) for name in point.__slots__}


def test_clock_skew_keeps_its_size(live_server):
    sent = datetime.now(UTC) - timedelta(hours=2)
    record = scan("c01", sent - timedelta(minutes=1))
    assert push(live_server.login("guard"), record, sent_at=sent.isoformat()) == [["clock_skew"]]
    with sqlite3.connect(live_server.settings.db_path) as db:
        [(skew,)] = db.execute("select body ->> '$.clock_skew_seconds' from records").fetchall()
    assert 7190 < skew < 7300


def scene(seed: int, size: tuple[int, int] = (1600, 1200)) -> Image.Image:
    """A photo-like picture: overlapping soft shapes of many colours."""
    rng = random.Random(seed)
    img = Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(img)
    for _ in range(40):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        box = [x, y, x + rng.randrange(50, 600), y + rng.randrange(50, 500)]
        fill = tuple(rng.randrange(256) for _ in range(3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=fill)
    return img.filter(ImageFilter.GaussianBlur(3))


def jpeg(img: Image.Image, quality: int) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def test_a_resaved_or_cropped_copy_of_a_used_photo_is_flagged(live_server):
    guard = live_server.login("guard")
    original = scene(1)
    w, h = original.size
    copies = {
        "original": jpeg(original, 90),
        "resaved": jpeg(Image.open(io.BytesIO(jpeg(original, 90))), 40),
        "cropped": jpeg(original.crop((int(w * 0.05), int(h * 0.05), w, h)), 85),
        "smaller": jpeg(original.resize((800, 600)), 75),
        "different": jpeg(scene(2), 90),
    }
    shas = {}
    for name, data in copies.items():
        response = guard.post("/api/v1/sites/alpha/photos", content=data)
        assert response.status_code == 201
        shas[name] = response.json()["sha256"]
    with sqlite3.connect(live_server.settings.db_path) as db:
        phashes = dict(db.execute("select sha, phash from photos").fetchall())
    assert all(len(phashes[s]) == 16 for s in shas.values())

    def anomaly(photo: str, minutes: int) -> dict[str, object]:
        at = datetime.now(UTC) - timedelta(hours=3) + timedelta(minutes=minutes)
        return {
            "id": new_id(),
            "kind": "anomaly",
            "site_id": "alpha",
            "device_time": at.isoformat(),
            "note": "消防通道堵塞",
            "photos": [shas[photo]],
        }

    assert push(guard, anomaly("original", 0)) == [[]]
    assert push(guard, anomaly("different", 10)) == [[]]
    got = push(guard, anomaly("resaved", 20), anomaly("cropped", 30), anomaly("smaller", 40))
    assert got == [["photo_reused"]] * 3
    # within one batch too: a new photo and its copy
    fresh, fresh_copy = jpeg(scene(3), 90), jpeg(scene(3).crop((40, 30, w, h)), 70)
    for data in (fresh, fresh_copy):
        shas[data[-8:].hex()] = guard.post("/api/v1/sites/alpha/photos", content=data).json()[
            "sha256"
        ]
    got = push(guard, anomaly(fresh[-8:].hex(), 50), anomaly(fresh_copy[-8:].hex(), 60))
    assert got == [[], ["photo_reused"]]
    with sqlite3.connect(live_server.settings.db_path) as db:
        flagged = db.execute("select count(*) from records where flags <> '[]'").fetchone()[0]
    assert flagged == 4


def test_photo_reuse_holds_to_its_bit_limit_and_needs_a_hash(live_server):
    """Near means at most PHOTO_NEAR_BITS of 64 bits apart; a photo with no perceptual hash
    (stored before hashes were kept, not yet backfilled) is judged by its bytes alone."""
    guard = live_server.login("guard")
    shas = []
    for seed in range(20, 25):
        data = jpeg(scene(seed, (320, 240)), 80)
        shas.append(guard.post("/api/v1/sites/alpha/photos", content=data).json()["sha256"])
    base, other = 0x0F0F0F0F0F0F0F0F, 0xF0F0F0F0F0F0F0F0
    near, far = (1 << PHOTO_NEAR_BITS) - 1, (1 << (PHOTO_NEAR_BITS + 1)) - 1  # 10, 11 bits
    hashes = [base, base ^ near, other, other ^ far]
    with sqlite3.connect(live_server.settings.db_path) as db:
        for sha, h in zip(shas, [*hashes, None], strict=True):
            db.execute("update photos set phash = ? where sha = ?", [h and f"{h:016x}", sha])

    def anomaly(sha: str, minutes: int) -> dict[str, object]:
        at = datetime.now(UTC) - timedelta(hours=2) + timedelta(minutes=minutes)
        return {"id": new_id(), "kind": "anomaly", "site_id": "alpha",
                "device_time": at.isoformat(), "note": "灯不亮", "photos": [sha]}  # fmt: skip

    assert push(guard, anomaly(shas[0], 0), anomaly(shas[1], 1)) == [[], ["photo_reused"]]
    assert push(guard, anomaly(shas[2], 2), anomaly(shas[3], 3)) == [[], []]  # 11 bits apart
    assert push(guard, anomaly(shas[4], 4)) == [[]]


def test_photos_stored_before_hashes_were_kept_are_backfilled(settings):
    storage = Storage(settings.db_path)
    blobs = LocalBlobStore(settings.blob_dir)
    original = jpeg(scene(5), 90)
    sha = blobs.put(original)
    storage.add_photo(  # as an older server stored it: no perceptual hash
        sha=sha,
        site_id="alpha",
        mime="image/jpeg",
        size=len(original),
        width=1600,
        height=1200,
        uploaded_by="u-guard",
        at=datetime.now(UTC),
    )
    storage.add_photo(  # its file is gone: marked, never compared, not tried again
        sha="f" * 64,
        site_id="alpha",
        mime="image/jpeg",
        size=1,
        width=1,
        height=1,
        uploaded_by="u-guard",
        at=datetime.now(UTC),
    )
    assert backfill_phashes(storage, blobs) == 2
    assert backfill_phashes(storage, blobs) == 0
    hashes = dict(storage.db.execute("select sha, phash from photos").fetchall())
    assert len(hashes[sha]) == 16 and hashes["f" * 64] == ""
    storage.close()
