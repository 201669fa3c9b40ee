"""View-models of the admin screens (no browser): tapping on the plan, ordering a route,
the schedule form, audit lines, and labels behind the same permission check."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from server import admin, people
from server.access import AccessDenied
from server.console.models.setup import (
    ScheduleDraft,
    audit_line,
    audit_names,
    audit_time,
    labels_for,
    move,
    parse_times,
    plan_fraction,
)
from server.settings import Settings
from server.storage import Storage
from tests.factory import build_company


def test_a_tap_on_the_plan_is_a_fraction_of_its_size_clamped():
    assert plan_fraction(360, 135, 720, 540) == (0.5, 0.25)
    assert plan_fraction(-5, 999, 720, 540) == (0.0, 1.0)


@pytest.mark.parametrize(
    ("index", "delta", "expected"),
    [
        (1, -1, ["b", "a", "c"]),
        (0, -1, ["a", "b", "c"]),
        (2, 1, ["a", "b", "c"]),
        (0, 2, ["b", "c", "a"]),
    ],
)
def test_up_and_down_move_a_point_within_the_route(index, delta, expected):
    assert move(["a", "b", "c"], index, delta) == expected


def test_times_are_read_as_people_type_them():
    assert parse_times("9:00, 15:30；21：00 x") == ["09:00", "15:30", "21:00", "x"]


def test_saving_a_schedule_needs_a_preview_of_the_fields_as_they_are():
    draft = ScheduleDraft(
        target="route:r1", mode="every", every_hours="2", start="20:00", end="6:00"
    )
    body = draft.body()
    assert (body["every_minutes"], body["start"], body["end"]) == (120, "20:00", "06:00")
    assert not draft.preview_current
    draft.preview, draft.previewed = {"count": 5}, draft.body()
    assert draft.preview_current
    draft.window_minutes = "30"
    assert not draft.preview_current


def test_audit_lines_read_in_chinese_in_site_time_by_name(tmp_path: Path):
    """walk4 bug 9: the log showed UTC and raw dicts with ids and English keys, cut
    mid-word; each line now says what changed, by name, in the console's words, while the
    API keeps the whole before/after."""
    import server.console.views  # noqa: F401  (the screens' words the lines reuse)

    settings = Settings(data_dir=tmp_path)
    build_company(settings)
    storage = Storage(settings.db_path)
    manager = storage.user_by_name("manager")
    assert manager is not None
    now = datetime(2026, 11, 27, 4, 54, 42, tzinfo=UTC)  # 12:54:42 in Shanghai
    made = people.create_person(
        storage, manager, "alpha", {"username": "zhangsan", "name": "张三", "role": "guard"}, now
    )
    people.update_person(
        storage, manager, "alpha", made["id"], {"name": "张三丰", "role": "guard_lead"}, now
    )
    admin.update_settings(storage, manager, "alpha", {"grace_minutes": 20}, now)
    point = admin.save_point(
        storage,
        manager,
        "alpha",
        None,
        {"name": "东门岗", "kind": "checkpoint", "zone": "东区", "checks": ["灭火器"]},
        now,
    )
    admin.retire_point(storage, manager, "alpha", point["id"], now)

    entries = admin.audit_log(storage, manager, "alpha")
    names = audit_names(storage, "alpha")
    lines = [audit_line(e, names) for e in entries]
    assert [audit_time(e["at"], names) for e in entries] == ["2026-11-27 12:54:42"] * 5
    assert lines[2:] == [
        "修改项目设置 Alpha：迟到宽限（分钟） 15 → 20",
        "修改人员 张三丰：姓名 张三 → 张三丰；岗位 秩序维护员 → 保安队长",
        "新增人员 张三丰：姓名 张三；登录名 zhangsan；岗位 秩序维护员；所属项目 Alpha",
    ]
    assert lines[1].startswith("新增点位 东门岗：点位名称 东门岗；类型 巡更点；区域/楼栋 东区")
    assert lines[0] in ("删除点位 东门岗", "停用点位 东门岗：已停用 是")
    for line in lines:
        assert made["id"] not in line and point["id"] not in line
        assert not any(c in line for c in "{}'[]") and "None" not in line
    # the whole change stays in the entry the API returns
    update = entries[3]
    assert (update["before"]["role"], update["after"]["role"]) == ("guard", "guard_lead")
    assert update["after"]["id"] == made["id"] and update["after"]["site_ids"] == ["alpha"]
    # English on the English console, and long values cut with "…", never mid-character
    english = audit_line(entries[3], audit_names(storage, "alpha", "en"))
    assert english == "person changed 张三丰：Name 张三 → 张三丰；Role guard → guard lead"
    long = audit_line(
        {
            "action": "site.update",
            "target": "alpha",
            "before": {"address": ""},
            "after": {"address": "湖" * 300},
        },
        names,
    )
    assert long == f"修改项目 Alpha：地址 — → {'湖' * 39}…"
    storage.close()


def test_labels_print_only_for_admins_of_the_site(tmp_path: Path):
    settings = Settings(data_dir=tmp_path)
    build_company(settings)
    storage = Storage(settings.db_path)
    manager, guard = storage.user_by_name("manager"), storage.user_by_name("guard")
    assert manager is not None and guard is not None
    labels = labels_for(storage, manager, "alpha")
    assert len(labels) == 21 and labels[0][1][:4] == b"\x89PNG"
    with pytest.raises(AccessDenied) as refused:
        labels_for(storage, guard, "alpha")
    assert refused.value.status_code == 403
    with pytest.raises(AccessDenied) as hidden:
        labels_for(storage, manager, "beta")
    assert hidden.value.status_code == 404
    storage.close()


def test_the_label_sheet_is_a_one_time_pdf_link_and_a_reprint_revokes(tmp_path: Path):
    from datetime import UTC, datetime

    from server import downloads
    from server.console.models.setup import label_sheet_link

    settings = Settings(data_dir=tmp_path)
    build_company(settings)
    storage = Storage(settings.db_path)
    manager = storage.user_by_name("manager")
    assert manager is not None
    token = label_sheet_link(storage, manager, "alpha", datetime.now(UTC))
    sheet = downloads.take(token)
    assert sheet is not None and sheet.path.read_bytes()[:4] == b"%PDF"
    assert downloads.take(token) is None
    label_sheet_link(storage, manager, "alpha", datetime.now(UTC), reprint=True)
    assert set(storage.label_serials("alpha").values()) == {1}
    storage.close()


def test_a_dragged_route_order_saves_as_a_new_version_and_the_old_one_stays(tmp_path: Path):
    from datetime import UTC, datetime

    from server import admin
    from server.console.models.setup import RouteDraft, reorder

    settings = Settings(data_dir=tmp_path)
    build_company(settings)
    storage = Storage(settings.db_path)
    manager = storage.user_by_name("manager")
    assert manager is not None
    route = admin.list_routes(storage, manager, "alpha")[0]
    draft = RouteDraft(route["id"], route["name"], list(route["checkpoint_ids"]), True)
    # The web client reports a drag of the first point to the third place as (0, 2).
    draft.checkpoint_ids = reorder(draft.checkpoint_ids, 0, 2)
    first, second, third = route["checkpoint_ids"][:3]
    assert draft.checkpoint_ids[:3] == [second, third, first]
    saved = admin.save_route(
        storage, manager, "alpha", route["id"], draft.body(), datetime.now(UTC)
    )
    versions = storage.route_versions("alpha")[route["id"]]
    assert saved["version"] == versions[-1].version == versions[-2].version + 1
    assert list(versions[-2].checkpoint_ids[:3]) == [first, second, third]
    assert list(versions[-1].checkpoint_ids[:3]) == [second, third, first]
    any_order = RouteDraft(route["id"], route["name"], draft.checkpoint_ids, False)
    admin.save_route(storage, manager, "alpha", route["id"], any_order.body(), datetime.now(UTC))
    assert storage.route_versions("alpha")[route["id"]][-1].ordered is False
    storage.close()
