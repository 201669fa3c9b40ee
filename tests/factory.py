"""A small two-site company for tests, written to a real SQLite file."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, time
from pathlib import Path

from domain.labels import label_payload, public_key_of
from domain.models import Point, PointKind, RouteVersion, Schedule, TargetKind
from domain.templates import load_templates
from server.passwords import hash_password
from server.settings import Settings
from server.storage import Storage

PASSWORD = "correct horse"
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
# Fixed keys, so that a test's subprocess (a phone) makes the same labels.
KEYS = {site: hashlib.sha256(f"test-key-{site}".encode()).digest() for site in ("alpha", "beta")}
USERS = {
    # username: (id, role, sites)
    "guard": ("u-guard", "guard", ["alpha"]),
    "guard2": ("u-guard2", "guard", ["alpha"]),
    "cleaner": ("u-cleaner", "cleaner", ["alpha"]),
    "cleaner2": ("u-cleaner2", "cleaner", ["alpha"]),
    "super": ("u-super", "cleaning_supervisor", ["alpha"]),
    "manager": ("u-manager", "manager", ["alpha"]),
    "beta-guard": ("u-beta", "guard", ["beta"]),
    "beta-manager": ("u-beta-manager", "manager", ["beta"]),
}


def label(site_id: str, point_id: str) -> str:
    return label_payload(site_id, point_id, KEYS[site_id])


def build_company(settings: Settings, checkpoints: int = 20) -> None:
    storage = Storage(settings.db_path)
    storage.add_company("acme", "Acme")
    for site_id in ("alpha", "beta"):
        storage.add_site(
            site_id=site_id,
            company_id="acme",
            name=site_id.title(),
            tz="Asia/Shanghai",
            label_key=KEYS[site_id],
            label_public_key=public_key_of(KEYS[site_id]),
        )
    cps = [
        Point(
            f"c{i:02d}",
            "alpha",
            PointKind.CHECKPOINT,
            f"Checkpoint {i}",
            "Z",
            0.05 * (i % 20),
            0.5,
            31.2 + i * 0.0002,
            121.4,
            ("消防设施完好?",),
            requires_photo=i == 20,  # a critical point
            short_code=f"CODE{i:02d}",
        )
        for i in range(1, checkpoints + 1)
    ]
    area = Point(
        "a01",
        "alpha",
        PointKind.AREA,
        "Lobby",
        "Z",
        0.5,
        0.5,
        31.2,
        121.4,
        template_id="six-clean-three-none",
        short_code="LOBBY1",
    )
    beta = Point("b01", "beta", PointKind.CHECKPOINT, "Beta gate", short_code="BETA01")
    storage.add_points([*cps, area, beta])
    for template in load_templates():
        storage.add_template(template)
    storage.add_route_version(
        "alpha", RouteVersion("r1", 1, "Round", EPOCH, tuple(p.id for p in cps))
    )
    storage.add_route_version("beta", RouteVersion("rb", 1, "Beta round", EPOCH, ("b01",)))
    storage.add_schedule(
        Schedule(
            "s1",
            1,
            "alpha",
            TargetKind.ROUTE,
            "r1",
            EPOCH,
            every_minutes=120,
            start=time(0),
            end=time(0),
            window_minutes=90,
            grace_minutes=30,
        )
    )
    storage.add_schedule(
        Schedule(
            "s-lobby", 1, "alpha", TargetKind.AREA, "a01", EPOCH, fixed_times=(time(9), time(15))
        )
    )
    hashed = hash_password(PASSWORD)
    for username, (user_id, role, sites) in USERS.items():
        storage.add_user(
            user_id=user_id,
            company_id="acme",
            username=username,
            name=username.title(),
            role=role,
            password_hash=hashed,
            site_ids=sites,
        )
    storage.close()


def settings_in(path: Path) -> Settings:
    return Settings(data_dir=path)
