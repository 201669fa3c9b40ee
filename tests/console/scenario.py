"""A small site for the console's tests, built through the real ingest path.

Site `alpha` (Asia/Shanghai) has a drawn plan (1000×600), six checkpoints at known plan
positions on one route walked at 08:00 and 20:00 (window 60 min, grace 30), one
checkpoint with no position (not on the route), and a cleaning area. Site `beta` belongs
to someone else. On `DAY` (a Wednesday last week) the 08:00 round was walked by guard
张伟: c01–c03 on time, c04 late, c05 held for review (forged label), c06 missed; the
20:00 round was never started. The area was cleaned on time at 09:05.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from PIL import Image, ImageDraw

from domain.labels import label_payload, public_key_of
from domain.models import Point, PointKind, RouteVersion, Schedule, TargetKind
from domain.templates import load_templates
from server.blobs import LocalBlobStore
from server.ingest import ingest_batch
from server.passwords import hash_password
from server.settings import Settings
from server.storage import Storage

TZ = ZoneInfo("Asia/Shanghai")
PASSWORD = "correct horse"
KEYS = {s: hashlib.sha256(f"console-key-{s}".encode()).digest() for s in ("alpha", "beta")}
POSITIONS = {
    "c01": (0.1, 0.2),
    "c02": (0.3, 0.2),
    "c03": (0.5, 0.2),
    "c04": (0.7, 0.2),
    "c05": (0.9, 0.5),
    "c06": (0.5, 0.8),
}
AREA_POSITION = (0.2, 0.7)
USERS = {
    # username: (id, name, role, sites)
    "guard": ("u-guard", "张伟", "guard", ["alpha"]),
    "cleaner": ("u-cleaner", "刘芳", "cleaner", ["alpha"]),
    "lead": ("u-lead", "王建国", "guard_lead", ["alpha"]),
    "super": ("u-super", "赵敏", "cleaning_supervisor", ["alpha"]),
    "manager": ("u-manager", "孙立", "manager", ["alpha"]),
    "admin": ("u-admin", "周管理", "admin", ["alpha"]),
    "beta-manager": ("u-beta-manager", "Beta 经理", "manager", ["beta"]),
}


def last_week_wednesday(now: datetime | None = None) -> date:
    today = (now or datetime.now(UTC)).astimezone(TZ).date()
    monday = today - timedelta(days=today.weekday())
    return monday - timedelta(days=5)


@dataclass
class Scenario:
    settings: Settings
    day: date

    def local(self, hour: int, minute: int = 0, day: date | None = None) -> datetime:
        d = day or self.day
        return datetime(d.year, d.month, d.day, hour, minute, tzinfo=TZ)

    def storage(self) -> Storage:
        return Storage(self.settings.db_path)


def plan_png() -> bytes:
    img = Image.new("RGB", (1000, 600), (235, 240, 230))
    d = ImageDraw.Draw(img)
    d.rectangle([380, 260, 620, 380], fill=(210, 200, 180), outline=(120, 100, 80), width=3)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def _rid() -> str:
    return uuid.uuid4().hex


def build(settings: Settings, day: date | None = None, plan: bool = True) -> Scenario:
    day = day or last_week_wednesday()
    storage = Storage(settings.db_path)
    blobs = LocalBlobStore(settings.blob_dir)
    storage.add_company("acme", "Acme")
    for site in ("alpha", "beta"):
        storage.add_site(
            site_id=site,
            company_id="acme",
            name={"alpha": "湖畔花园", "beta": "Beta Court"}[site],
            tz=TZ.key,
            label_key=KEYS[site],
            label_public_key=public_key_of(KEYS[site]),
            plan_sha=blobs.put(plan_png()) if plan and site == "alpha" else None,
        )
    points = [
        Point(pid, "alpha", PointKind.CHECKPOINT, f"{i}号点", "园区", x, y, short_code=f"C{i}")
        for i, (pid, (x, y)) in enumerate(POSITIONS.items(), start=1)
    ]
    points.append(Point("c99", "alpha", PointKind.CHECKPOINT, "未定位点", "园区"))
    points.append(
        Point(
            "a01",
            "alpha",
            PointKind.AREA,
            "1号楼大堂",
            "1号楼",
            *AREA_POSITION,
            template_id="six-clean-three-none",
        )
    )
    points.append(Point("b01", "beta", PointKind.CHECKPOINT, "Beta gate", plan_x=0.5, plan_y=0.5))
    storage.add_points(points)
    for template in load_templates():
        storage.add_template(template)
    epoch = datetime(2026, 1, 1, tzinfo=UTC)
    storage.add_route_version("alpha", RouteVersion("r1", 1, "周界巡逻", epoch, tuple(POSITIONS)))
    storage.add_route_version("beta", RouteVersion("rb", 1, "Beta round", epoch, ("b01",)))
    storage.add_schedule(
        Schedule(
            "s1",
            1,
            "alpha",
            TargetKind.ROUTE,
            "r1",
            epoch,
            fixed_times=(time(8), time(20)),
            window_minutes=60,
            grace_minutes=30,
        )
    )
    storage.add_schedule(
        Schedule("s-lobby", 1, "alpha", TargetKind.AREA, "a01", epoch, fixed_times=(time(9),))
    )
    storage.add_schedule(
        Schedule("sb", 1, "beta", TargetKind.ROUTE, "rb", epoch, fixed_times=(time(8),))
    )
    hashed = hash_password(PASSWORD)
    for username, (user_id, name, role, sites) in USERS.items():
        storage.add_user(
            user_id=user_id,
            company_id="acme",
            username=username,
            name=name,
            role=role,
            password_hash=hashed,
            site_ids=sites,
        )
    scenario = Scenario(settings, day)
    _history(storage, scenario)
    storage.close()
    return scenario


def scan(point: str, at: datetime, round_id: str | None, forged: bool = False) -> dict:
    key = hashlib.sha256(b"someone else").digest() if forged else KEYS["alpha"]
    return {
        "id": _rid(),
        "kind": "scan",
        "site_id": "alpha",
        "device_time": at.isoformat(),
        "point_id": point,
        "payload": label_payload("alpha", point, key),
        "method": "qr",
        "round_id": round_id,
    }


def round_start(round_id: str, due: datetime) -> dict:
    return {
        "id": round_id,
        "kind": "round_start",
        "site_id": "alpha",
        "device_time": due.isoformat(),
        "route_id": "r1",
        "schedule_id": "s1",
        "occurrence": due.isoformat(),
        "route_version": 1,
    }


def send(storage: Storage, username: str, records: list[dict]) -> list[dict]:
    user = storage.user_by_name(username)
    assert user is not None
    now = datetime.now(UTC)
    results = ingest_batch(
        storage, user, f"dev-{username}", {"sent_at": now.isoformat(), "records": records}, now
    )
    assert {r["status"] for r in results} == {"accepted"}, results
    return results


def photo(storage: Storage, blobs: LocalBlobStore, seed: int, by: str) -> str:
    """A real JPEG uploaded to alpha (a different picture for each seed)."""
    img = Image.new("RGB", (640, 480), (seed * 40 % 256, 120, 200 - seed * 30 % 200))
    d = ImageDraw.Draw(img)
    for i in range(12):
        d.rectangle([i * 50 + seed * 7 % 40, i * 35, i * 50 + 40, i * 35 + 30], fill=(i * 20, 0, 0))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=85)
    sha = blobs.put(buf.getvalue())
    storage.add_photo(
        sha=sha,
        site_id="alpha",
        mime="image/jpeg",
        size=len(buf.getvalue()),
        width=640,
        height=480,
        uploaded_by=by,
        at=datetime.now(UTC),
    )
    return sha


def _history(storage: Storage, s: Scenario) -> None:
    blobs = LocalBlobStore(s.settings.blob_dir)
    due = s.local(8)
    rid = _rid()
    records = [round_start(rid, due)]
    for i, point in enumerate(("c01", "c02", "c03"), start=1):
        records.append(scan(point, due + timedelta(minutes=5 * i), rid))
    records[1]["photos"] = [photo(storage, blobs, 1, "u-guard")]
    records.append(scan("c04", due + timedelta(minutes=70), rid))  # late
    records.append(scan("c05", due + timedelta(minutes=30), rid, forged=True))  # held
    send(storage, "guard", records)
    send(storage, "cleaner", [scan("a01", s.local(9, 5), None)])
    # Three days ago the supervisor failed the lobby's floor: the cleaner's fix is overdue.
    failed = photo(storage, blobs, 2, "u-super")
    results = dict.fromkeys(
        (
            "floor",
            "walls",
            "glass",
            "handrails",
            "fixtures",
            "bins",
            "no_clutter",
            "no_flyers",
            "no_cobwebs",
        ),
        "pass",
    ) | {"floor": "fail"}
    inspected = datetime.now(UTC) - timedelta(days=3)
    send(
        storage,
        "super",
        [
            {
                "id": _rid(),
                "kind": "inspection",
                "site_id": "alpha",
                "device_time": inspected.isoformat(),
                "point_id": "a01",
                "template_id": "six-clean-three-none",
                "template_version": 1,
                "results": results,
                "item_photos": {"floor": [failed]},
                "item_notes": {"floor": "地面有积水"},
                "assignee_id": "u-cleaner",
                "deadline_hours": 24,
            }
        ],
    )
