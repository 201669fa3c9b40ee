"""View-models of the admin screens (no browser): tapping on the plan, ordering a route,
the schedule form, audit lines, and labels behind the same permission check."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.access import AccessDenied
from server.console.models.setup import (
    ScheduleDraft,
    audit_line,
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


def test_an_audit_line_names_what_changed():
    line = audit_line(
        {
            "action": "point.update",
            "target": "c01",
            "before": {"name": "A", "zone": "Z"},
            "after": {"name": "B", "zone": "Z"},
        }
    )
    assert line == "point.update c01: name: 'A' → 'B'"
    worded = audit_line(
        {"action": "point.retire", "target": "c02", "before": None, "after": {"retired": True}},
        lambda action: {"point.retire": "停用点位"}[action],
    )
    assert worded == "停用点位 c02: {'retired': True}"


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
