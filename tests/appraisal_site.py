"""A tiny site whose March 2026 appraisal is worked out by hand in test_appraisal.py.

Two checkpoints on one route walked at 08:00 and 20:00, one cleaning area at 09:00, for
two days (1–2 March, Asia/Shanghai); guard g1 is rostered to the route, cleaner cl1 to the
area. What happened is written out in `build`.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from domain.labels import public_key_of
from domain.models import Point, PointKind, RouteVersion, Schedule, TargetKind
from domain.templates import load_templates
from server.passwords import hash_password
from server.settings import Settings
from server.storage import Storage, StoredRecord

__all__ = ["PASSWORD", "TZ", "build", "local", "rec"]

TZ = ZoneInfo("Asia/Shanghai")
PASSWORD = "correct horse"
KEY = hashlib.sha256(b"tiny").digest()
USERS = {
    "g1": "guard",
    "g2": "guard",
    "cl1": "cleaner",
    "sup": "cleaning_supervisor",
    "mgr": "manager",
    "lead": "guard_lead",
}


def local(day: int, hh: int, mm: int = 0) -> datetime:
    return datetime(2026, 3, day, hh, mm, tzinfo=TZ)


def rec(
    n: list[int],
    kind: str,
    user: str,
    at: datetime,
    point: str | None = None,
    refers: str | None = None,
    flags: tuple[str, ...] = (),
    photos: tuple[str, ...] = (),
    **body: Any,
) -> StoredRecord:
    n[0] += 1
    return StoredRecord(
        f"{kind}-{n[0]}",
        kind,
        "tiny",
        user,
        f"dev-{user}",
        at,
        at,
        point,
        refers,
        body,
        list(photos),
        list(flags),
    )


def build(settings: Settings, other_site: bool = True) -> Storage:
    storage = Storage(settings.db_path)
    storage.add_company("acme", "Acme")
    storage.add_site(
        site_id="tiny",
        company_id="acme",
        name="小小苑",
        tz="Asia/Shanghai",
        label_key=KEY,
        label_public_key=public_key_of(KEY),
    )
    if other_site:
        storage.add_site(
            site_id="other",
            company_id="acme",
            name="Other",
            tz="Asia/Shanghai",
            label_key=KEY,
            label_public_key=public_key_of(KEY),
        )
    storage.add_points(
        [
            Point("c1", "tiny", PointKind.CHECKPOINT, "东门", "Z", 0.2, 0.3, short_code="C1"),
            Point("c2", "tiny", PointKind.CHECKPOINT, "车库入口", "Z", 0.7, 0.6, short_code="C2"),
            Point(
                "a1",
                "tiny",
                PointKind.AREA,
                "一号楼大堂",
                "Z",
                0.5,
                0.5,
                template_id="six-clean-three-none",
                short_code="A1",
            ),
        ]
    )
    storage.add_route_version(
        "tiny", RouteVersion("r1", 1, "夜巡", local(1, 0).replace(month=1), ("c1", "c2"))
    )
    span = {"effective_from": local(1, 0), "effective_to": local(3, 0)}
    storage.add_schedule(
        Schedule(
            "s1",
            1,
            "tiny",
            TargetKind.ROUTE,
            "r1",
            fixed_times=(time(8), time(20)),
            responsible_user_id="g1",
            **span,
        )
    )
    storage.add_schedule(
        Schedule(
            "s2",
            1,
            "tiny",
            TargetKind.AREA,
            "a1",
            fixed_times=(time(9),),
            responsible_user_id="cl1",
            **span,
        )
    )
    for template in load_templates():
        storage.add_template(template)
    hashed = hash_password(PASSWORD)
    for user, role in USERS.items():
        storage.add_user(
            user_id=user,
            company_id="acme",
            username=user,
            name=user.upper(),
            role=role,
            password_hash=hashed,
            site_ids=["tiny"],
        )
    storage.add_user(
        user_id="qa",
        company_id="acme",
        username="qa",
        name="品质部",
        role="quality",
        password_hash=hashed,
        site_ids=["tiny", "other"],
    )
    storage.add_user(
        user_id="omgr",
        company_id="acme",
        username="omgr",
        name="Other manager",
        role="manager",
        password_hash=hashed,
        site_ids=["other"],
    )

    n = [0]

    def start(user: str, due: datetime, **kw: Any) -> StoredRecord:
        body = {
            "route_id": "r1",
            "schedule_id": "s1",
            "occurrence": due.isoformat(),
            "route_version": 1,
            "for_user_id": None,
            "reason": "",
        }
        return rec(n, "round_start", user, due, **(body | kw))

    def scan(user: str, point: str, at: datetime, round_id: str | None, **kw: Any) -> StoredRecord:
        body = {"method": "qr", "payload": "x", "gps": None, "round_id": round_id}
        return rec(n, "scan", user, at, point, round_id, **(body | kw))

    records: list[StoredRecord] = []
    # 1 March 08:00: g1 walks the round: c1 on time, c2 late (window 60 min, grace 15).
    r1 = start("g1", local(1, 8))
    records += [
        r1,
        scan("g1", "c1", local(1, 8, 10), r1.id),
        scan("g1", "c2", local(1, 9, 5), r1.id),
    ]
    # 1 March 20:00: nobody starts it; g2 passes c1 on time outside any round; c2 missed.
    records.append(scan("g2", "c1", local(1, 20, 10), None))
    # 2 March 08:00: g2 walks it himself: c1 early (07:50), c2 missed.
    r3 = start("g2", local(2, 8))
    records += [r3, scan("g2", "c1", local(2, 7, 50), r3.id)]
    # 2 March 20:00: the lead hands g1's round to g2: both points on time.
    r4 = start("g2", local(2, 20), for_user_id="g1", reason="g1 病假")
    records += [
        r4,
        scan("g2", "c1", local(2, 20, 5), r4.id),
        scan("g2", "c2", local(2, 20, 30), r4.id),
    ]
    # The lobby: cleaned on time on 1 March, missed on 2 March.
    records.append(scan("cl1", "a1", local(1, 9, 20), None))
    # Inspections of the lobby by the supervisor: 2 of 3 applicable, then 2 of 2.
    inspection = {
        "template_id": "six-clean-three-none",
        "template_version": 1,
        "item_notes": {},
        "assignee_id": "cl1",
        "deadline_hours": 24,
    }
    i1 = rec(
        n,
        "inspection",
        "sup",
        local(1, 10),
        "a1",
        photos=("p1",),
        results={"floor": "pass", "walls": "pass", "glass": "fail", "handrails": "na"},
        item_photos={"glass": ["p1"]},
        **inspection,
    )
    i2 = rec(
        n,
        "inspection",
        "sup",
        local(2, 10),
        "a1",
        results={"floor": "pass", "walls": "pass"},
        item_photos={},
        **inspection,
    )
    records += [i1, i2]
    # The failed glass: fixed, sent back once, fixed again and closed within its 24 h.
    for user, at, action, passed in (
        ("cl1", local(1, 12), "fixed", None),
        ("sup", local(1, 13), "rechecked", False),
        ("cl1", local(1, 15), "fixed", None),
        ("sup", local(1, 16), "rechecked", True),
    ):
        records.append(
            rec(
                n,
                "rectification",
                user,
                at,
                None,
                i1.id,
                photos=("p2",) if action == "fixed" else (),
                action=action,
                item="glass",
                passed=passed,
                note="",
            )
        )
    # g1 reports an anomaly.
    records.append(
        rec(n, "anomaly", "g1", local(1, 8, 15), "c1", category="消防", note="灭火器过期", gps=None)
    )
    # g2's scan far from the point, rejected by the manager: a confirmed fraud flag.
    fake = scan("g2", "c1", local(2, 21), None)
    fake.flags.append("far_from_point")
    records.append(fake)
    records.append(
        rec(n, "review", "mgr", local(3, 9), "c1", fake.id, verdict="reject", reason="不在现场")
    )
    storage.insert_records(records)
    return storage
