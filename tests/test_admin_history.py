"""Editing a site never changes a past report (issue 8): a month's coverage JSON is
byte-identical before and after points, routes, schedules, templates and settings change;
and the first admin of an empty server is made by `python -m server.bootstrap`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from domain.schedules import period_bounds
from server import admin
from server.bootstrap import create_admin, main
from server.console.models.setup import PlacedPoint
from server.ingest import ingest_batch
from server.passwords import verify_password
from server.reports import coverage_report
from server.settings import Settings
from server.storage import Storage
from tests.factory import build_company, label

TZ = ZoneInfo("Asia/Shanghai")


def _walk_a_round(storage: Storage, due: datetime) -> None:
    guard = storage.user("u-guard")
    assert guard is not None
    round_id = f"round-{due:%Y%m%d%H}"
    records: list[dict[str, object]] = [
        {
            "id": round_id,
            "kind": "round_start",
            "site_id": "alpha",
            "device_time": due.isoformat(),
            "route_id": "r1",
            "schedule_id": "s1",
            "occurrence": due.isoformat(),
            "route_version": 1,
        }
    ]
    for i in range(1, 21):
        records.append(
            {
                "id": f"{round_id}-{i}",
                "kind": "scan",
                "site_id": "alpha",
                "point_id": f"c{i:02d}",
                "device_time": (due + timedelta(minutes=3 * i)).isoformat(),
                "payload": label("alpha", f"c{i:02d}"),
                "round_id": round_id,
            }
        )
    now = datetime.now(UTC)
    results = ingest_batch(
        storage, guard, "dev", {"sent_at": now.isoformat(), "records": records}, now
    )
    assert {r["status"] for r in results} == {"accepted"}


def test_a_past_months_coverage_is_byte_identical_after_edits(tmp_path: Path):
    settings = Settings(data_dir=tmp_path / "server")
    build_company(settings)
    storage = Storage(settings.db_path)
    storage.add_user(
        user_id="u-admin",
        company_id="acme",
        username="admin",
        name="Admin",
        role="admin",
        password_hash="x",
        site_ids=["alpha"],
    )
    today = datetime.now(TZ).date()
    last_month = today.replace(day=1) - timedelta(days=1)
    start, end = period_bounds("month", last_month, TZ)
    for day in (3, 17):
        _walk_a_round(storage, datetime(last_month.year, last_month.month, day, 10, tzinfo=TZ))
    now = datetime.now(UTC)

    def month_json() -> bytes:
        report = coverage_report(storage, "alpha", start, end, now)
        return json.dumps(report, ensure_ascii=False, sort_keys=True).encode()

    before = month_json()
    assert b'"on_time"' in before and b"Checkpoint 1" in before
    user = storage.user("u-admin")
    assert user is not None
    admin.save_point(storage, user, "alpha", "c01", {"name": "改名的一号点", "plan_x": 0.9}, now)
    admin.save_route(storage, user, "alpha", "r1", {"checkpoint_ids": ["c01", "c02"]}, now)
    admin.save_schedule(
        storage, user, "alpha", "s1", {"every_minutes": 60, "window_minutes": 30}, now
    )
    admin.save_schedule(
        storage, user, "alpha", None, {"target_id": "r1", "fixed_times": ["03:00"]}, now
    )
    admin.retire_point(storage, user, "alpha", "a01", now)
    template = {t["id"]: t for t in admin.list_templates(storage, user, "alpha")}[
        "six-clean-three-none"
    ]
    admin.publish_template(
        storage,
        user,
        "alpha",
        "six-clean-three-none",
        template | {"items": template["items"][:3]},
        now,
    )
    admin.update_settings(storage, user, "alpha", {"grace_minutes": 45, "early_minutes": 0}, now)
    admin.update_site(storage, user, "alpha", {"name": "Renamed"}, now)
    with pytest.raises(admin.AdminError) as refused:
        admin.update_site(storage, user, "alpha", {"tz": "Europe/Paris"}, now)
    assert refused.value.status_code == 409
    assert [e.action for e in reversed(storage.audit("alpha"))] == [
        "point.update",
        "route.update",
        "schedule.update",
        "schedule.create",
        "schedule.end",  # the retired area's cleaning schedule
        "point.retire",
        "template.publish",
        "settings.update",
        "site.update",
    ]
    after = month_json()
    assert after == before
    storage.close()


def test_bootstrap_makes_the_first_admin_with_a_one_time_password(tmp_path: Path, capsys):
    data = tmp_path / "server"
    assert main(["--admin", "boss", "--company", "Lake Property", "--data-dir", str(data)]) == 0
    password = capsys.readouterr().out.split("shown once): ")[1].split()[0]
    storage = Storage(Settings(data_dir=data).db_path)
    boss = storage.user_by_name("boss")
    assert boss is not None and boss.role == "admin" and boss.site_ids == ()
    assert verify_password(boss.password_hash, password)
    with pytest.raises(ValueError, match="taken"):
        create_admin(storage, "boss", "Lake Property")
    storage.close()
    assert main(["--admin", "boss", "--data-dir", str(data)]) == 1


def test_the_console_point_form_edits_and_moves_a_point_as_its_next_version(tmp_path: Path):
    settings = Settings(data_dir=tmp_path)
    build_company(settings)
    storage = Storage(settings.db_path)
    boss = storage.user_by_name("manager")
    assert boss is not None
    now = datetime.now(UTC)
    before = next(p for p in admin.list_points(storage, boss, "alpha") if p["id"] == "c01")
    form = PlacedPoint.of(before)
    form.name, form.plan_x, form.plan_y = "东门岗（新）", 0.5, 0.25
    saved = admin.save_point(storage, boss, "alpha", form.point_id, form.body(), now)
    assert saved["version"] == 2 and saved["id"] == "c01"
    assert (saved["name"], saved["plan_x"], saved["plan_y"]) == ("东门岗（新）", 0.5, 0.25)
    # What the form did not touch is kept: kind, checks, short code, radius.
    for key in ("kind", "checks", "short_code", "radius_m", "requires_photo"):
        assert saved[key] == before[key], key
    storage.close()
