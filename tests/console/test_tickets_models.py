"""The tickets and rectifications screens' view-models: the API's permission rules for
every action (another site 404, field roles 403), and what the screens show."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from server.access import AccessDenied
from server.console.models import tickets as vm
from server.console.models.session import ConsoleSession
from tests.console.scenario import Scenario
from tests.console.test_console_access import session_of
from tests.console.tickets_data import Anomalies, add_anomalies

Action = Callable[[ConsoleSession, Anomalies], Any]
ACTIONS: dict[str, Action] = {
    "tickets": lambda s, d: vm.load_tickets(s),
    "ticket": lambda s, d: vm.load_ticket(s, d.light),
    "ticket step": lambda s, d: vm.ticket_step(s, d.light, "comment", "看过"),
    "rectifications": lambda s, d: vm.load_rectifications(s),
    "rectification": lambda s, d: vm.load_rectification(s, d.rectification),
    "rectification step": lambda s, d: vm.rectification_step(s, d.rectification, "comment", "催"),
    "people": lambda s, d: vm.site_people(s),
}


def _status(action: Action, session: ConsoleSession, data: Anomalies) -> int:
    try:
        action(session, data)
    except AccessDenied as denied:
        return denied.status_code
    return 200


@pytest.fixture
def data(scenario: Scenario) -> Anomalies:
    return add_anomalies(scenario)


def test_every_action_is_refused_for_another_site_and_field_roles(scenario, data):
    for name, action in ACTIONS.items():
        assert _status(action, session_of(scenario, "beta-manager", "alpha"), data) == 404, name
        for field in ("guard", "cleaner"):
            assert _status(action, session_of(scenario, field), data) == 403, (name, field)
        assert _status(action, session_of(scenario, "lead"), data) == 200, name


def test_the_screens_data_overdue_first_escalation_counted_and_steps_recorded(scenario, data):
    manager = session_of(scenario, "manager")
    page = vm.load_tickets(manager)
    assert page["data"][0]["id"] == data.fire_exit and page["data"][0]["overdue"]
    vm.ticket_step(manager, data.light, "close", "换了灯泡")
    assert vm.load_ticket(manager, data.light)["status"] == "closed"
    assert data.light not in {t["id"] for t in vm.load_tickets(manager)["data"]}
    assert data.light in {t["id"] for t in vm.load_tickets(manager, "closed")["data"]}
    rects = vm.load_rectifications(manager)
    assert rects["counts"]["escalated"] == 1 and rects["data"][0]["escalated"]
    assert vm.load_rectifications(manager, "escalated")["count"] == 1
    detail = vm.load_rectification(manager, data.rectification)
    assert detail is not None and detail["history"][0]["photos"]
    assert vm.load_ticket(manager, "nope") is None
    with pytest.raises(KeyError):
        vm.rectification_step(manager, "nope/floor", "comment", "x")


def test_the_site_settings_decide_what_is_overdue_and_what_escalates(scenario, data):
    """The fire exit (30 h old) is overdue under the 24 h default and not under 48 h; the
    floor rectification (two days past its deadline) escalates under 24 h, not under 72 h."""
    from datetime import UTC, datetime

    from server import admin

    manager = session_of(scenario, "manager")
    storage = scenario.storage()
    owner = storage.user_by_name("admin")
    assert owner is not None
    shown = admin.site_settings(storage, owner, "alpha")
    assert shown["anomaly_response_hours"] == 24 and shown["rectification_escalate_hours"] == 24

    def fire_exit_overdue() -> bool:
        page = vm.load_tickets(manager)["data"]
        return next(t for t in page if t["id"] == data.fire_exit)["overdue"]

    assert fire_exit_overdue() and vm.load_rectifications(manager)["counts"]["escalated"] == 1
    changes = {"anomaly_response_hours": 48, "rectification_escalate_hours": 72}
    admin.update_settings(storage, owner, "alpha", changes, datetime.now(UTC))
    assert not fire_exit_overdue()
    assert vm.load_rectifications(manager)["counts"]["escalated"] == 0
    admin.update_settings(
        storage, owner, "alpha", {"anomaly_response_hours": 12}, datetime.now(UTC)
    )
    assert fire_exit_overdue()
    for bad in (0, 721, True, "x"):
        with pytest.raises(admin.AdminError):
            admin.update_settings(
                storage, owner, "alpha", {"rectification_escalate_hours": bad}, datetime.now(UTC)
            )
    storage.close()
