"""A demo company with four weeks of simulated history, made through the real ingest path.

`python -m server.demo --data-dir var/server` builds it (once; `--reset` starts over).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import random
import shutil
import string
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from PIL import Image, ImageDraw, ImageFont

from domain.coverage import VisitStatus, expected_visits
from domain.labels import label_payload, new_site_key, public_key_of
from domain.models import Point, PointKind, RouteVersion, Schedule, TargetKind
from domain.templates import load_templates
from server.blobs import LocalBlobStore
from server.images import perceptual_hash
from server.ingest import ingest_batch
from server.label_images import FONT_FILE, label_png
from server.passwords import hash_password
from server.reports import site_coverage
from server.review import record_review
from server.settings import Settings
from server.storage import Storage
from server.tickets import TicketRefused, add_ticket_event

__all__ = ["DEMO_PASSWORD", "DEMO_USERS", "build_demo"]

SITE_ID = "lakeside"
TZ = ZoneInfo("Asia/Shanghai")
DEMO_PASSWORD = "rounds2026"
ORIGIN = (31.2200, 121.4600)  # south-west corner of the plan, Shanghai
PLAN_METRES = (800.0, 600.0)
PLAN_PIXELS = (1600, 1200)

DEMO_USERS = [
    ("u-guard1", "guard1", "张伟", "guard"),
    ("u-guard2", "guard2", "李强", "guard"),
    ("u-lead", "lead", "王建国", "guard_lead"),
    ("u-cleaner1", "cleaner1", "刘芳", "cleaner"),
    ("u-cleaner2", "cleaner2", "陈静", "cleaner"),
    ("u-super", "supervisor", "赵敏", "cleaning_supervisor"),
    ("u-manager", "manager", "孙立", "manager"),
    ("u-admin", "admin", "周管理", "admin"),
]

FIRE = "消防设施完好?"
CCTV = "监控设备正常?"
DOOR = "门禁系统正常?"
LIGHT = "照明正常?"

# name, zone, plan x, plan y (0..1), checks
PERIMETER = [
    (f"周界{i + 1}号点", "周界", x, y, (LIGHT,) if i % 2 else (CCTV, LIGHT))
    for i, (x, y) in enumerate(
        [
            (0.05, 0.05),
            (0.25, 0.04),
            (0.5, 0.04),
            (0.75, 0.04),
            (0.95, 0.05),
            (0.96, 0.3),
            (0.96, 0.55),
            (0.95, 0.8),
            (0.95, 0.95),
            (0.7, 0.96),
            (0.45, 0.96),
            (0.2, 0.96),
            (0.04, 0.8),
            (0.04, 0.4),
        ]
    )
]
BUILDINGS = [
    (f"{b}号楼{part}", f"{b}号楼", x + dx, y + dy, checks)
    for b, (x, y) in enumerate(
        [
            (0.2, 0.25),
            (0.45, 0.25),
            (0.7, 0.25),
            (0.2, 0.65),
            (0.45, 0.65),
            (0.7, 0.65),
            (0.3, 0.45),
            (0.6, 0.45),
        ],
        start=1,
    )
    for part, dx, dy, checks in [("大堂", 0.0, 0.05, (DOOR, FIRE)), ("顶层", 0.04, -0.04, (FIRE,))]
]
KEY_AREAS = [
    ("地下车库入口", "地下车库", 0.12, 0.5, (CCTV, DOOR)),
    ("车库A区", "地下车库", 0.22, 0.52, (FIRE, LIGHT)),
    ("车库B区", "地下车库", 0.35, 0.55, (FIRE, LIGHT)),
    ("水泵房", "设备房", 0.52, 0.52, (FIRE, DOOR)),
    ("配电房", "设备房", 0.62, 0.55, (FIRE, DOOR)),
    ("消防控制室", "设备房", 0.82, 0.45, (FIRE, CCTV)),
    ("东门岗", "出入口", 0.9, 0.5, (CCTV, DOOR)),
    ("南门岗", "出入口", 0.5, 0.9, (CCTV, DOOR)),
    ("垃圾站", "园区", 0.85, 0.85, (LIGHT,)),
    ("儿童乐园", "园区", 0.5, 0.35, (LIGHT,)),
]
# name, zone, plan x, plan y, template, schedule times
AREAS = [
    ("1号楼大堂", "1号楼", 0.22, 0.3, "six-clean-three-none", ("08:00", "11:00", "14:00", "17:00")),
    ("2号楼大堂", "2号楼", 0.47, 0.3, "six-clean-three-none", ("08:30", "11:30", "14:30", "17:30")),
    ("1号楼楼道", "1号楼", 0.18, 0.22, "six-clean-three-none", ("09:00", "15:00")),
    ("2号楼楼道", "2号楼", 0.43, 0.22, "six-clean-three-none", ("09:30", "15:30")),
    ("1号楼电梯轿厢", "1号楼", 0.24, 0.24, "six-clean-three-none", ("10:00", "16:00")),
    ("会所公共卫生间", "会所", 0.62, 0.4, "six-clean-three-none", ("08:00", "12:00", "16:00")),
    ("园区主路", "园区", 0.5, 0.5, "outdoor-three-clean", ("07:30", "13:30")),
    ("中心绿化带", "园区", 0.4, 0.45, "outdoor-three-clean", ("10:30",)),
    ("3号楼楼内台阶", "3号楼", 0.72, 0.22, "inner-steps-four-none", ("09:00", "16:00")),
    ("地下车库", "地下车库", 0.28, 0.55, "basement-three-none", ("10:00",)),
    ("东区垃圾房", "园区", 0.86, 0.82, "six-clean-three-none", ("07:00", "18:00")),
    ("西区垃圾桶", "园区", 0.1, 0.7, "six-clean-three-none", ("07:15", "18:15")),
]


def _short_code(rng: random.Random) -> str:
    alphabet = "".join(c for c in string.ascii_uppercase + string.digits if c not in "O0I1")
    return "".join(rng.choice(alphabet) for _ in range(6))


def _gps(x: float, y: float) -> tuple[float, float]:
    north = (1 - y) * PLAN_METRES[1]
    east = x * PLAN_METRES[0]
    return ORIGIN[0] + north / 111_320, ORIGIN[1] + east / 95_000


def site_plan_png(points: list[Point]) -> bytes:
    """A simple drawn site plan: roads, buildings, garage, with point markers left off
    (clients draw them from the positions)."""
    w, h = PLAN_PIXELS
    img = Image.new("RGB", (w, h), (232, 240, 226))
    d = ImageDraw.Draw(img)
    d.rectangle([20, 20, w - 20, h - 20], outline=(90, 90, 90), width=6)
    d.rectangle([0, h // 2 - 30, w, h // 2 + 30], fill=(205, 205, 200))
    d.rectangle([w // 2 - 30, 0, w // 2 + 30, h], fill=(205, 205, 200))
    d.rectangle(
        [int(0.08 * w), int(0.46 * h), int(0.4 * w), int(0.6 * h)],
        fill=(190, 190, 205),
        outline=(110, 110, 140),
        width=3,
    )
    font = _font(28)
    for p in points:
        if p.kind is PointKind.CHECKPOINT and p.name.endswith("大堂") and p.plan_x and p.plan_y:
            cx, cy = p.plan_x * w, (p.plan_y - 0.05) * h
            d.rectangle(
                [cx - 90, cy - 70, cx + 90, cy + 70],
                fill=(214, 200, 180),
                outline=(120, 100, 80),
                width=3,
            )
            d.text((cx - 45, cy - 15), p.zone, fill=(60, 50, 40), font=font)
    buf = io.BytesIO()
    img.save(buf, "PNG", optimize=True)
    return buf.getvalue()


def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_FILE), size)


def _evidence_jpeg(rng: random.Random, text: str) -> bytes:
    """A small, unique stand-in photo for simulated history: a few shapes (so that no two
    look alike to the perceptual photo-reuse check) under a caption."""
    img = Image.new("RGB", (320, 240), tuple(rng.randrange(60, 200) for _ in range(3)))
    draw = ImageDraw.Draw(img)
    for _ in range(8):
        x, y = rng.randrange(320), rng.randrange(240)
        box = (x, y, x + rng.randrange(30, 160), y + rng.randrange(30, 120))
        fill = tuple(rng.randrange(256) for _ in range(3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=fill)
    draw.text((10, 10), text, fill=(255, 255, 255), font=_font(16))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=70)
    return buf.getvalue()


@dataclass
class _Sim:
    storage: Storage
    blobs: LocalBlobStore
    rng: random.Random
    users: dict[str, Any]

    def photo(self, text: str, user_id: str, data: bytes | None = None) -> str:
        data = data or _evidence_jpeg(self.rng, text)
        sha = self.blobs.put(data)
        self.storage.add_photo(
            sha=sha,
            site_id=SITE_ID,
            mime="image/jpeg",
            size=len(data),
            width=320,
            height=240,
            uploaded_by=user_id,
            at=datetime.now(UTC),
            phash=perceptual_hash(data),
        )
        return sha

    def push(
        self,
        username: str,
        records: list[dict[str, Any]],
        at: datetime,
        sent_at: datetime | None = None,
    ) -> list[dict[str, Any]]:
        user = self.users[username]
        results = ingest_batch(
            self.storage,
            user,
            f"demo-{username}",
            {"sent_at": (sent_at or at).isoformat(), "records": records},
            at,
        )
        bad = [r for r in results if r["status"] == "rejected"]
        if bad:
            raise RuntimeError(f"demo record rejected: {bad[0]}")
        return results


def _rid() -> str:
    return uuid.uuid4().hex


def build_demo(
    settings: Settings, now: datetime | None = None, days: int = 28, seed: int = 7
) -> None:
    now = now or datetime.now(UTC)
    rng = random.Random(seed)
    storage = Storage(settings.db_path)
    blobs = LocalBlobStore(settings.blob_dir)
    try:
        _build(storage, blobs, rng, now, days)
    finally:
        storage.close()


def _build(
    storage: Storage, blobs: LocalBlobStore, rng: random.Random, now: datetime, days: int
) -> None:
    history_start = (
        (now - timedelta(days=days))
        .astimezone(TZ)
        .replace(hour=0, minute=0, second=0, microsecond=0)
        .astimezone(UTC)
    )
    key = new_site_key()
    storage.add_company("demo", "示范物业 Demo Property Co.")

    points: list[Point] = []
    for prefix, rows in (("P", PERIMETER), ("B", BUILDINGS), ("K", KEY_AREAS)):
        for i, (name, zone, x, y, checks) in enumerate(rows, start=1):
            lat, lon = _gps(x, y)
            points.append(
                Point(
                    f"{prefix}{i:02d}",
                    SITE_ID,
                    PointKind.CHECKPOINT,
                    name,
                    zone,
                    x,
                    y,
                    lat,
                    lon,
                    checks,
                    None,
                    prefix == "K" and i <= 5,
                    _short_code(rng),
                )
            )
    for i, (name, zone, x, y, template, _times) in enumerate(AREAS, start=1):
        lat, lon = _gps(x, y)
        points.append(
            Point(
                f"A{i:02d}",
                SITE_ID,
                PointKind.AREA,
                name,
                zone,
                x,
                y,
                lat,
                lon,
                (),
                template,
                False,
                _short_code(rng),
            )
        )
    plan_sha = blobs.put(site_plan_png(points))
    storage.add_site(
        site_id=SITE_ID,
        company_id="demo",
        name="湖畔花园",
        tz=TZ.key,
        label_key=key,
        label_public_key=public_key_of(key),
        plan_sha=plan_sha,
    )
    storage.add_points(points)
    for default in load_templates():
        storage.add_template(default)

    def ids(prefix: str) -> tuple[str, ...]:
        return tuple(p.id for p in points if p.id.startswith(prefix))

    change_at = now - timedelta(days=10)
    routes = [
        RouteVersion("perimeter", 1, "周界巡逻", history_start, ids("P")),
        RouteVersion("buildings", 1, "楼栋巡查", history_start, ids("B")),
        # Mid-history edit: the top-floor point of building 8 came off the route.
        RouteVersion("buildings", 2, "楼栋巡查", change_at, ids("B")[:-1]),
        RouteVersion("night-key", 1, "重点部位夜巡", history_start, ids("K"), ordered=True),
    ]
    for route in routes:
        storage.add_route_version(SITE_ID, route)
    schedules = [
        Schedule(
            "perimeter-day",
            1,
            SITE_ID,
            TargetKind.ROUTE,
            "perimeter",
            history_start,
            fixed_times=(time(9), time(15)),
            window_minutes=60,
            grace_minutes=30,
            name="周界 9时、15时",
            responsible_user_id="u-guard1",
        ),
        Schedule(
            "perimeter-evening",
            1,
            SITE_ID,
            TargetKind.ROUTE,
            "perimeter",
            history_start,
            fixed_times=(time(21),),
            window_minutes=60,
            grace_minutes=30,
            name="周界 21时",
            responsible_user_id="u-guard2",
        ),
        Schedule(
            "buildings-day",
            1,
            SITE_ID,
            TargetKind.ROUTE,
            "buildings",
            history_start,
            fixed_times=(time(10), time(16)),
            window_minutes=90,
            grace_minutes=30,
            name="楼栋 10时、16时",
            responsible_user_id="u-guard1",
        ),
        Schedule(
            "night-key-2h",
            1,
            SITE_ID,
            TargetKind.ROUTE,
            "night-key",
            history_start,
            every_minutes=120,
            start=time(20),
            end=time(6),
            window_minutes=45,
            grace_minutes=15,
            name="夜巡 20时至次日6时每2小时",
            responsible_user_id="u-guard2",
        ),
    ]
    for i, (*_, times) in enumerate(AREAS, start=1):
        schedules.append(
            Schedule(
                f"clean-A{i:02d}",
                1,
                SITE_ID,
                TargetKind.AREA,
                f"A{i:02d}",
                history_start,
                fixed_times=tuple(time.fromisoformat(t) for t in times),
                window_minutes=60,
                grace_minutes=30,
                name=f"保洁 {' '.join(times)}",
                responsible_user_id="u-cleaner1" if i % 2 else "u-cleaner2",
            )
        )
    for s in schedules:
        storage.add_schedule(s)

    password_hash = hash_password(DEMO_PASSWORD)
    for user_id, username, name, role in DEMO_USERS:
        storage.add_user(
            user_id=user_id,
            company_id="demo",
            username=username,
            name=name,
            role=role,
            password_hash=password_hash,
            site_ids=[SITE_ID],
        )
    users = {u: storage.user_by_name(u) for _, u, _, _ in DEMO_USERS}
    sim = _Sim(storage, blobs, rng, users)
    by_id = {p.id: p for p in points}
    labels = {p.id: label_payload(SITE_ID, p.id, key) for p in points}
    _simulate_patrols(sim, schedules, storage, by_id, labels, history_start, now)
    _simulate_cleaning(sim, by_id, labels, schedules, storage, history_start, now)
    _simulate_suspicious(sim, by_id, labels, now)
    _follow_up_tickets(sim, now)


def _scan(
    p: Point,
    label: str,
    at: datetime,
    rng: random.Random,
    round_id: str | None,
    photos: list[str] | None = None,
) -> dict[str, Any]:
    lat, lon = p.lat or 0.0, p.lon or 0.0
    return {
        "id": _rid(),
        "kind": "scan",
        "site_id": SITE_ID,
        "device_time": at.isoformat(),
        "point_id": p.id,
        "payload": label,
        "method": "qr",
        "round_id": round_id,
        "gps": {
            "lat": lat + rng.uniform(-1e-4, 1e-4),
            "lon": lon + rng.uniform(-1e-4, 1e-4),
            "accuracy": 12.0,
        },
        "photos": photos or [],
    }


def _simulate_patrols(
    sim: _Sim,
    schedules: list[Schedule],
    storage: Storage,
    points: dict[str, Point],
    labels: dict[str, str],
    start: datetime,
    now: datetime,
) -> None:
    rng = sim.rng
    _, rounds = expected_visits(
        [s for s in schedules if s.target_kind is TargetKind.ROUTE],
        storage.route_versions(SITE_ID),
        TZ,
        start,
        now,
    )
    for summary in rounds:
        if summary.grace_end > now - timedelta(minutes=5):
            continue  # leave today's open rounds for the demo guards
        roll = rng.random()
        if roll < 0.05:
            continue  # missed round
        guard = "guard1" if summary.due.astimezone(TZ).hour in range(8, 20) else "guard2"
        delay = timedelta(minutes=rng.uniform(-8, 5))
        if roll > 0.9:  # a late round: starts near the end of its window
            delay = summary.closes - summary.due - timedelta(minutes=rng.uniform(0, 15))
        at = summary.due + delay
        round_id = _rid()
        records: list[dict[str, Any]] = [
            {
                "id": round_id,
                "kind": "round_start",
                "site_id": SITE_ID,
                "device_time": at.isoformat(),
                "route_id": summary.route_id,
                "schedule_id": summary.schedule_id,
                "occurrence": summary.due.isoformat(),
                "route_version": summary.route_version,
            }
        ]
        skipped = 0
        for visit in summary.visits:
            at += timedelta(seconds=rng.uniform(90, 200))
            if rng.random() < 0.03:
                skipped += 1
                continue
            point = points[visit.point_id]
            photos = (
                [sim.photo(f"{point.name} {at:%m-%d %H:%M}", guard)]
                if point.requires_photo and rng.random() < 0.2
                else []
            )
            scan = _scan(point, labels[point.id], at, rng, round_id, photos)
            records.append(scan)
            if point.checks:
                answers = {c: rng.random() > 0.02 for c in point.checks}
                records.append(
                    {
                        "id": _rid(),
                        "kind": "checks",
                        "site_id": SITE_ID,
                        "device_time": (at + timedelta(seconds=20)).isoformat(),
                        "point_id": point.id,
                        "scan_id": scan["id"],
                        "answers": answers,
                    }
                )
                if not all(answers.values()):
                    records.append(
                        {
                            "id": _rid(),
                            "kind": "anomaly",
                            "site_id": SITE_ID,
                            "device_time": (at + timedelta(seconds=60)).isoformat(),
                            "point_id": point.id,
                            "scan_id": scan["id"],
                            "category": "设施损坏",
                            "note": f"{point.name}: 检查未通过",
                            "photos": [sim.photo(f"异常 {point.name}", guard)],
                        }
                    )
        records.append(
            {
                "id": _rid(),
                "kind": "round_finish",
                "site_id": SITE_ID,
                "device_time": (at + timedelta(minutes=1)).isoformat(),
                "round_id": round_id,
                "reason": "点位被遮挡无法到达" if skipped else "",
            }
        )
        sim.push(guard, records, at + timedelta(minutes=rng.uniform(2, 240)))


def _simulate_cleaning(
    sim: _Sim,
    points: dict[str, Point],
    labels: dict[str, str],
    schedules: list[Schedule],
    storage: Storage,
    start: datetime,
    now: datetime,
) -> None:
    rng = sim.rng
    templates = {t.id: t for t in storage.templates(SITE_ID)}
    visits, _ = expected_visits(
        [s for s in schedules if s.target_kind is TargetKind.AREA], {}, TZ, start, now
    )
    for visit in visits:
        if visit.grace_end > now or rng.random() < 0.06:
            continue
        cleaner = "cleaner1" if int(visit.point_id[1:]) % 2 else "cleaner2"
        at = visit.due + timedelta(minutes=rng.uniform(0, 75))
        point = points[visit.point_id]
        sim.push(cleaner, [_scan(point, labels[point.id], at, rng, None)], at)

    day = start
    while day + timedelta(days=1) <= now:
        for n in range(rng.randint(3, 6)):
            area = points[f"A{rng.randint(1, len(AREAS)):02d}"]
            at = day + timedelta(hours=10 + n * 1.5, minutes=rng.uniform(0, 30))  # 10:00+ local
            template = templates[area.template_id or ""]
            results = {i.key: ("fail" if rng.random() < 0.08 else "pass") for i in template.items}
            results[template.items[-1].key] = (
                "na" if rng.random() < 0.2 else results[template.items[-1].key]
            )
            item_photos = {
                k: [sim.photo(f"整改前 {area.name} {k}", "u-super")]
                for k, v in results.items()
                if v == "fail"
            }
            assignee = "u-cleaner1" if int(area.id[1:]) % 2 else "u-cleaner2"
            inspection_id = _rid()
            sim.push(
                "supervisor",
                [
                    {
                        "id": inspection_id,
                        "kind": "inspection",
                        "site_id": SITE_ID,
                        "device_time": at.isoformat(),
                        "point_id": area.id,
                        "template_id": template.id,
                        "template_version": template.version,
                        "results": results,
                        "item_photos": item_photos,
                        "item_notes": {k: "需整改" for k in item_photos},
                        "assignee_id": assignee,
                        "deadline_hours": rng.choice([24, 48, 72]),
                    }
                ],
                at,
            )
            cleaner = "cleaner1" if assignee == "u-cleaner1" else "cleaner2"
            for item in item_photos:
                if at > now - timedelta(days=2) or rng.random() < 0.15:
                    continue  # leave recent and some older ones open
                fixed_at = at + timedelta(hours=rng.uniform(1, 30))
                sim.push(
                    cleaner,
                    [
                        {
                            "id": _rid(),
                            "kind": "rectification",
                            "site_id": SITE_ID,
                            "device_time": fixed_at.isoformat(),
                            "inspection_id": inspection_id,
                            "item": item,
                            "action": "fixed",
                            "photos": [sim.photo(f"整改后 {area.name} {item}", assignee)],
                        }
                    ],
                    fixed_at,
                )
                checked_at = fixed_at + timedelta(hours=rng.uniform(1, 8))
                sim.push(
                    "supervisor",
                    [
                        {
                            "id": _rid(),
                            "kind": "rectification",
                            "site_id": SITE_ID,
                            "device_time": checked_at.isoformat(),
                            "inspection_id": inspection_id,
                            "item": item,
                            "action": "rechecked",
                            "passed": rng.random() > 0.1,
                        }
                    ],
                    checked_at,
                )
        day += timedelta(days=1)


def _simulate_suspicious(
    sim: _Sim, points: dict[str, Point], labels: dict[str, str], now: datetime
) -> None:
    """Records that the fraud signals flag, so the review queue has one or more of each
    kind: a forged label that would turn a missed visit into on time (pending review),
    another site's label and a non-label scanned as "qr", a scan far from its point, an
    impossible walk, a point scanned over and over, a re-saved copy of an earlier photo,
    a phone whose clock is off, a typed code; a few already reviewed."""
    rng = sim.rng
    day = (now - timedelta(days=2)).astimezone(TZ).replace(hour=0, minute=0, second=0)
    coverage, _ = site_coverage(sim.storage, SITE_ID, day, day + timedelta(days=1), now)
    missed = [v for v in coverage.visits if v.status is VisitStatus.MISSED and v.route_id]
    if missed:  # a forged label "meets" a visit nobody made: held until reviewed
        visit = missed[len(missed) // 2]
        at = visit.due + timedelta(minutes=4)
        forged = labels[visit.point_id][:-6] + "AAAAAA"
        sim.push("guard2", [_scan(points[visit.point_id], forged, at, rng, None)], at)

    def at_local(days: int, hour: int, minute: int = 0) -> datetime:
        local = (now - timedelta(days=days)).astimezone(TZ)
        return local.replace(hour=hour, minute=minute, second=0, microsecond=0)

    other_key = new_site_key()
    gate, far_corner = points["P01"], points["P09"]
    t = at_local(1, 12, 10)
    foreign = _scan(gate, label_payload("elsewhere", "X01", other_key), t, rng, None)
    not_label = _scan(
        points["K07"], "https://weixin.qq.com/r/abc", t + timedelta(minutes=9), rng, None
    )
    sim.push("guard1", [foreign, not_label], t + timedelta(minutes=30))

    t = at_local(3, 13, 20)
    far = _scan(points["B03"], labels["B03"], t, rng, None)
    far["gps"] = {
        "lat": (points["B03"].lat or 0) + 0.004,
        "lon": points["B03"].lon,
        "accuracy": 8.0,
    }
    sim.push("guard1", [far], t + timedelta(minutes=5))

    t = at_local(4, 12, 40)
    sprint = [
        _scan(gate, labels["P01"], t, rng, None),
        _scan(far_corner, labels["P09"], t + timedelta(seconds=40), rng, None),
    ]
    for record in sprint:
        record["gps"] = None  # no fix: judged by the points' positions
    sim.push("lead", sprint, t + timedelta(minutes=2))

    t = at_local(5, 12, 30)
    repeats = [
        _scan(points["K07"], labels["K07"], t + timedelta(minutes=m), rng, None) for m in range(6)
    ]
    sim.push("guard1", repeats, t + timedelta(minutes=10))

    t = at_local(2, 11, 15)
    original = _evidence_jpeg(rng, "东门岗 消防通道")
    first = sim.photo("", "u-guard1", original)
    with Image.open(io.BytesIO(original)) as img:
        buf = io.BytesIO()
        img.crop((8, 6, img.width, img.height)).save(buf, "JPEG", quality=50)
    copy = sim.photo("", "u-guard1", buf.getvalue())
    anomalies = [
        {
            "id": _rid(),
            "kind": "anomaly",
            "site_id": SITE_ID,
            "device_time": (t + timedelta(days=d)).isoformat(),
            "point_id": "K07",
            "category": "消防通道堵塞",
            "note": "消防通道被电动车堵塞",
            "photos": [sha],
        }
        for d, sha in ((0, first), (1, copy))
    ]
    sim.push("guard1", anomalies[:1], t)
    sim.push("guard1", anomalies[1:], t + timedelta(days=1))

    t = at_local(1, 9, 40)  # the phone's clock is 20 minutes behind
    skewed = [_scan(points["A03"], labels["A03"], t - timedelta(minutes=21), rng, None)]
    sim.push("cleaner1", skewed, t + timedelta(minutes=3), sent_at=t - timedelta(minutes=20))

    t = at_local(1, 10, 5)
    typed = _scan(points["A04"], points["A04"].short_code, t, rng, None) | {"method": "typed"}
    sim.push("cleaner2", [typed], t + timedelta(minutes=1))

    reviewer = sim.users["lead"]
    record_review(
        sim.storage,
        SITE_ID,
        far["id"],
        reviewer=reviewer,
        verdict="accept",
        reason="3号楼信号差，GPS 漂移，监控确认到岗",
        now=t + timedelta(hours=2),
    )
    record_review(
        sim.storage,
        SITE_ID,
        foreign["id"],
        reviewer=reviewer,
        verdict="reject",
        reason="扫的是其他小区的标签，未到岗",
        now=t + timedelta(hours=2, minutes=5),
    )


def _follow_up_tickets(sim: _Sim, now: datetime) -> None:
    """Anomaly tickets in every state: the oldest closed (one with a closing photo, one
    reopened and closed again), some in progress, the newest left open (some overdue)."""
    anomalies = sorted(sim.storage.records(SITE_ID, ["anomaly"]), key=lambda r: r.device_time)
    if not anomalies:
        return
    lead, manager = sim.users["lead"], sim.users["manager"]

    def step(record_id: str, who: Any, action: str, at: datetime, **kw: Any) -> None:
        with contextlib.suppress(TicketRefused):  # a step the state refuses is left out
            add_ticket_event(
                sim.storage, SITE_ID, record_id, actor=who, action=action, now=min(at, now), **kw
            )

    third = max(1, len(anomalies) // 3)
    for i, record in enumerate(anomalies):
        at = record.device_time
        if i < third:  # closed
            step(record.id, lead, "assign", at + timedelta(hours=1), assignee_id="u-guard2")
            photo = sim.photo(f"已处理 {i}", "u-guard2") if i % 2 == 0 else None
            step(record.id, lead, "close", at + timedelta(hours=3 + i % 30), note="已修复",
                 photo=photo)  # fmt: skip
            if i == 1:
                step(record.id, manager, "reopen", at + timedelta(hours=40), note="复查仍有问题")
                step(record.id, lead, "close", at + timedelta(hours=50), note="更换配件")
        elif i < 2 * third:  # in progress
            step(record.id, lead, "assign", at + timedelta(hours=2), assignee_id="u-guard1")
            step(record.id, lead, "comment", at + timedelta(hours=3), note="已联系维修班")


def write_labels(settings: Settings) -> Path:
    """Every point's printable label as PNG, named by point id, to scan with the app."""
    folder = settings.data_dir / "labels"
    folder.mkdir(parents=True, exist_ok=True)
    storage = Storage(settings.db_path)
    site = storage.site(SITE_ID)
    assert site is not None
    for point in storage.points(SITE_ID):
        payload = label_payload(SITE_ID, point.id, site["label_key"])
        png = label_png(payload, point.name, point.short_code, site["name"])
        (folder / f"{point.id}-{point.name}.png").write_bytes(png)
    storage.close()
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=Settings.from_env().data_dir)
    parser.add_argument("--reset", action="store_true", help="delete existing data first")
    args = parser.parse_args()
    settings = Settings(data_dir=args.data_dir)
    if args.reset and settings.data_dir.exists():
        shutil.rmtree(settings.data_dir)
    if settings.db_path.exists():
        print(f"demo data already in {settings.data_dir} (use --reset to rebuild)")
        return
    print("building the demo site with four weeks of history…", flush=True)
    build_demo(settings)
    labels = write_labels(settings)
    print(f"demo data written to {settings.data_dir}; QR labels to print in {labels}")


if __name__ == "__main__":
    main()
