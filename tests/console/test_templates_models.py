"""The "Inspection templates" screen's view-model: editing a draft (add, remove, reword,
reorder by drag or up/down), publishing versions through the API's checks, company
templates kept by the quality department, and past inspections keeping their version."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from server.access import AccessDenied
from server.console.models import templates as vm
from server.console.models import tickets as tickets_vm
from server.passwords import hash_password
from tests.console.scenario import Scenario, send
from tests.console.test_console_access import session_of

DEFAULT = "six-clean-three-none"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [(0, 2, "bca"), (2, 0, "cab"), (1, 1, "abc"), (0, 3, "abc"), (-1, 0, "abc")],
)
def test_a_drag_moves_the_item_to_its_final_place(old, new, expected):
    assert "".join(vm.reorder(list("abc"), old, new)) == expected


def test_a_draft_adds_removes_rewords_and_reorders_items_keeping_keys():
    draft = vm.TemplateDraft.of(
        {
            "id": "t",
            "version": 3,
            "name_zh": "巡检",
            "items": [
                {"key": "a", "group": "六清", "label_zh": "地面"},
                {"key": "b", "group": "六清", "label_zh": "墙面"},
                {"key": "item3", "group": "三无", "label_zh": "杂物"},
            ],
        }
    )
    draft.add_item("电梯")
    assert draft.items[-1].key == "item4" and draft.items[-1].group == "三无"
    draft.reword(0, "地面干净")
    draft.move(0, 1)  # down
    draft.move(0, -1)  # already first: stays
    draft.drag(3, 0)
    draft.remove(2)
    draft.remove(9)  # out of range: nothing
    body = draft.body()
    assert [i["key"] for i in body["items"]] == ["item4", "b", "item3"]
    assert body["items"][0]["label_zh"] == "电梯"
    draft.reword(1, "  墙面无污渍 ")
    assert draft.body()["items"][1]["label_zh"] == "墙面无污渍"


def _labels(scenario: Scenario) -> dict[str, str]:
    manager = session_of(scenario, "manager")
    return {r["item"]: r["item_zh"] for r in tickets_vm.load_rectifications(manager)["data"]}


def test_publishing_a_new_version_leaves_past_inspections_with_theirs(scenario):
    admin = session_of(scenario, "admin")
    storage, user = admin.storage, admin.user()
    before = _labels(scenario)
    listed = {t["id"]: t for t in vm.load_site_templates(storage, user, "alpha")}
    draft = vm.TemplateDraft.of(listed[DEFAULT])
    assert listed[DEFAULT]["editable"] and draft.version == 1
    floor = next(i for i, item in enumerate(draft.items) if item.key == "floor")
    draft.reword(floor, "地面无积水、无垃圾")
    draft.drag(floor, 0)
    removed = draft.items[-1].key
    draft.remove(len(draft.items) - 1)
    draft.add_item("电梯轿厢干净")
    done = vm.publish(storage, user, "alpha", draft, datetime.now(UTC))
    assert done["version"] == 2 and done["items"][0]["label_zh"] == "地面无积水、无垃圾"
    assert removed not in {i["key"] for i in done["items"]}

    # The lobby-floor rectification was opened on version 1: it keeps version 1's words.
    assert _labels(scenario) == before and before["floor"] != "地面无积水、无垃圾"
    # A phone that was offline still sends an inspection made on version 1 (with the
    # item version 2 removed): accepted.
    v1 = next(t for t in storage.templates("alpha") if (t.id, t.version) == (DEFAULT, 1))
    assert removed in {i.key for i in v1.items}
    late = {
        "id": uuid.uuid4().hex,
        "kind": "inspection",
        "site_id": "alpha",
        "device_time": datetime.now(UTC).isoformat(),
        "point_id": "a01",
        "template_id": DEFAULT,
        "template_version": 1,
        "results": {i.key: "pass" for i in v1.items},
        "item_photos": {},
        "item_notes": {},
    }
    send(storage, "super", [late])
    listed = {t["id"]: t for t in vm.load_site_templates(storage, user, "alpha")}
    assert listed[DEFAULT]["version"] == 2 and listed[DEFAULT]["scope"] == "site"


def test_who_may_edit_which_templates(scenario):
    storage = scenario.storage()
    storage.add_user(
        user_id="u-quality",
        company_id="acme",
        username="quality",
        name="品质部",
        role="quality",
        password_hash=hash_password("quality-pass-1"),
        site_ids=["alpha", "beta"],
    )
    storage.close()
    for name, status in (("guard", 403), ("cleaner", 403), ("lead", 403), ("super", 403)):
        s = session_of(scenario, name)
        with pytest.raises(AccessDenied) as refused:
            vm.load_site_templates(s.storage, s.user(), "alpha")
        assert refused.value.status_code == status, name
    other = session_of(scenario, "beta-manager", "beta")
    with pytest.raises(AccessDenied) as refused:
        vm.load_site_templates(other.storage, other.user(), "alpha")
    assert refused.value.status_code == 404

    quality = session_of(scenario, "quality")
    assert vm.may_keep_company_templates(quality.user())
    company = vm.TemplateDraft(target="company", name_zh="集团标准")
    company.add_item("消防通道畅通")
    made = vm.publish(quality.storage, quality.user(), "alpha", company, datetime.now(UTC))
    assert made["id"].startswith("c") and made["version"] == 1
    assert [t["id"] for t in vm.load_company_templates(quality.storage, quality.user())] == [
        made["id"]
    ]

    admin = session_of(scenario, "admin")
    assert not vm.may_keep_company_templates(admin.user())
    seen = {t["id"]: t for t in vm.load_site_templates(admin.storage, admin.user(), "alpha")}
    assert seen[made["id"]]["scope"] == "company" and not seen[made["id"]]["editable"]
    as_site = vm.TemplateDraft.of(seen[made["id"]], "site")
    as_company = vm.TemplateDraft.of(seen[made["id"]], "company")
    for draft in (as_site, as_company):
        with pytest.raises(AccessDenied) as refused:
            vm.publish(admin.storage, admin.user(), "alpha", draft, datetime.now(UTC))
        assert refused.value.status_code == 403
