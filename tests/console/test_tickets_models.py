"""The tickets and rectifications screens' view-models: the API's permission rules for
every action (another site 404, field roles 403), and what the screens show."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import struct
import zlib
from collections.abc import Callable
from typing import Any

import pytest
from PIL import Image, ImageDraw

from server.access import AccessDenied
from server.console.models import tickets as vm
from server.console.models.session import ConsoleSession
from server.photos import PhotoRejected
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
    "closing photo": lambda s, d: vm.upload_closing_photo(s, _jpeg(9)),
}


def _jpeg(seed: int, size: tuple[int, int] = (800, 600)) -> bytes:
    """A real photo-like JPEG (a different picture for each seed)."""
    img = Image.new("RGB", size, (seed * 30 % 256, 90, 160))
    draw = ImageDraw.Draw(img)
    for i in range(10):
        draw.ellipse([i * 70, i * 40 + seed, i * 70 + 60, i * 40 + 60], fill=(200, i * 25, 40))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85)
    return out.getvalue()


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


def _bomb_png(width: int = 20000, height: int = 20000) -> bytes:
    """A ~100-byte PNG whose header claims width×height pixels."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def test_a_ticket_is_closed_with_a_photo_uploaded_from_the_console(scenario, data):
    lead = session_of(scenario, "lead")
    jpeg = _jpeg(3)
    sha = vm.upload_closing_photo(lead, jpeg)
    assert sha == hashlib.sha256(jpeg).hexdigest()
    stored = lead.storage.photo(["alpha"], sha)
    assert stored is not None and stored["mime"] == "image/jpeg" and stored["width"] == 800
    assert vm.upload_closing_photo(lead, jpeg) == sha  # the same photo again is harmless
    closed = vm.ticket_step(lead, data.light, "close", "", None, sha)
    assert closed["status"] == "closed" and closed["closing_photo"] == sha
    (event,) = closed["events"]
    assert (event["action"], event["photo"], event["actor_name"]) == ("close", sha, "王建国")
    # the history the screen shows carries the photo; the photo reads back through the
    # screens' permission-checked thumbnail path
    assert vm.load_ticket(lead, data.light)["events"][0]["photo"] == sha


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"<html><script>alert(1)</script></html>", id="html"),
        pytest.param(_bomb_png(), id="decompression-bomb"),
        pytest.param(_jpeg(4) + b"<script>alert(1)</script>" * 10, id="jpeg-with-html"),
    ],
)
def test_the_console_refuses_what_the_api_refuses(scenario, data, bad: bytes):
    lead = session_of(scenario, "lead")
    with pytest.raises(PhotoRejected) as refused:
        vm.upload_closing_photo(lead, bad)
    assert refused.value.status == 415


def test_a_photo_over_the_size_limit_is_refused(scenario, data):
    lead = session_of(scenario, "lead")
    big = _jpeg(5, (4000, 3000))
    lead.settings = dataclasses.replace(lead.settings, max_photo_bytes=len(big) - 1)
    with pytest.raises(PhotoRejected) as refused:
        vm.upload_closing_photo(lead, big)
    assert refused.value.status == 413


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
