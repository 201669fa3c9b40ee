"""The live view: rounds in progress, alerts with who was expected, acknowledgements
(append-only, over the API too), and pushing alerts to a group-robot webhook."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from domain.coverage import RoundState
from server.alert_push import AlertPusher
from server.live import AlertKind, acknowledge, completion_threshold, live_view, webhook_url
from server.serve import free_port


def kinds(view) -> dict[AlertKind, list]:
    found: dict[AlertKind, list] = {}
    for a in view.alerts:
        found.setdefault(a.kind, []).append(a)
    return found


def test_a_round_not_started_after_its_grace_is_an_alert_naming_who_was_expected(scenario):
    storage = scenario.storage()
    at_2010 = live_view(storage, "alpha", scenario.local(20, 10))
    (current,) = at_2010.in_progress
    assert current.state is RoundState.NOT_STARTED and current.total == 6
    assert AlertKind.NOT_STARTED not in kinds(at_2010)  # still within its grace
    at_2100 = live_view(storage, "alpha", scenario.local(21, 0))
    (alert,) = kinds(at_2100)[AlertKind.NOT_STARTED]
    assert alert.subject == "周界巡逻" and alert.expected == "张伟"  # walked the 08:00 one
    assert alert.at == scenario.local(20, 30)


def test_a_round_below_the_completion_threshold_is_an_alert(scenario):
    storage = scenario.storage()
    view = live_view(storage, "alpha", scenario.local(21, 0))
    (low,) = kinds(view)[AlertKind.LOW_COMPLETION]
    assert low.detail == "4/6" and low.expected == "张伟"  # c05's held scan does not count
    assert view.threshold == 0.7


def test_overdue_rectifications_are_alerts(scenario):
    view = live_view(scenario.storage(), "alpha", datetime.now(UTC))
    (rect,) = kinds(view)[AlertKind.OVERDUE_RECTIFICATION]
    assert rect.subject == "1号楼大堂" and rect.detail == "地面清洁" and rect.expected == "刘芳"


def test_in_progress_rounds_show_progress(scenario):
    view = live_view(scenario.storage(), "alpha", scenario.local(8, 20))
    (current,) = view.in_progress
    assert (current.state, current.done, current.total, current.walker) == (
        RoundState.IN_PROGRESS,
        4,  # what is stored counts, whenever it was synced
        6,
        "张伟",
    )
    later = live_view(scenario.storage(), "alpha", scenario.local(15, 0))
    assert [r.due for r in later.next_due] == [scenario.local(20)]


def test_acknowledging_keeps_who_when_and_why_and_never_rewrites(scenario):
    storage = scenario.storage()
    now = scenario.local(21, 0)
    (alert,) = kinds(live_view(storage, "alpha", now))[AlertKind.NOT_STARTED]
    acknowledge(storage, "alpha", "u-lead", alert.key, "张伟病假，已安排李强", now)
    view = live_view(storage, "alpha", now)
    acked = next(a for a in view.alerts if a.key == alert.key)
    assert acked.ack is not None and acked.ack.by == "王建国"
    assert acked.ack.comment == "张伟病假，已安排李强" and acked.ack.at == now
    assert acked not in view.open_alerts and view.alerts[-1] is acked  # listed last, greyed
    with pytest.raises(LookupError):
        acknowledge(storage, "alpha", "u-lead", "not_started:nothing", "", now)
    with pytest.raises(ValueError, match="longer"):
        acknowledge(storage, "alpha", "u-lead", alert.key, "x" * 501, now)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        storage.db.execute("update alert_acks set comment = 'changed'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        storage.db.execute("delete from alert_acks")


def test_settings_are_read_tolerantly():
    assert completion_threshold(None) == 0.7
    assert completion_threshold({"settings": '{"completion_threshold": 0.85}'}) == 0.85
    assert completion_threshold({"settings": '{"completion_threshold": 7}'}) == 0.7
    assert completion_threshold({"settings": "not json"}) == 0.7
    assert webhook_url({"settings": '{"alert_webhook_url": "https://qyapi.example/x"}'})
    assert webhook_url({"settings": '{"alert_webhook_url": "file:///etc/passwd"}'}) is None


def test_the_api_lists_alerts_and_takes_acknowledgements(live):
    lead = live.login("lead")
    view = lead.get("/api/v1/sites/alpha/live").json()
    rect = next(a for a in view["alerts"] if a["kind"] == "overdue_rectification")
    r = lead.post("/api/v1/sites/alpha/alerts/ack", json={"key": rect["key"], "comment": "已催"})
    assert r.status_code == 201 and r.json()["acknowledged_by"] == "王建国"
    again = lead.get("/api/v1/sites/alpha/live").json()
    acked = next(a for a in again["alerts"] if a["key"] == rect["key"])
    assert acked["ack"]["by"] == "王建国" and acked["ack"]["comment"] == "已催"
    missing = lead.post("/api/v1/sites/alpha/alerts/ack", json={"key": "nope"})
    assert missing.status_code == 404
    too_long = lead.post(
        "/api/v1/sites/alpha/alerts/ack", json={"key": rect["key"], "comment": "x" * 501}
    )
    assert too_long.status_code == 422
    guard = live.login("guard")
    assert guard.get("/api/v1/sites/alpha/live").status_code == 403
    assert (
        guard.post("/api/v1/sites/alpha/alerts/ack", json={"key": rect["key"]}).status_code == 403
    )
    other = live.login("beta-manager")
    assert other.get("/api/v1/sites/alpha/live").status_code == 404
    assert (
        other.post("/api/v1/sites/alpha/alerts/ack", json={"key": rect["key"]}).status_code == 404
    )


class _Robot(BaseHTTPRequestHandler):
    received: ClassVar[list[dict]] = []
    status: ClassVar[int] = 200

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(json.loads(body))
        self.send_response(type(self).status)
        self.end_headers()
        self.wfile.write(b'{"errcode":0}')

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def robot() -> Iterator[tuple[str, type[_Robot]]]:
    handler = type("Robot", (_Robot,), {"received": [], "status": 200})
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/cgi-bin/webhook/send?key=test", handler
    server.shutdown()


def test_new_alerts_are_pushed_once_to_the_group_robot(scenario, robot):
    url, handler = robot
    storage = scenario.storage()
    pusher = AlertPusher(
        lambda: storage, url_of=lambda site: url if site["id"] == "alpha" else None
    )

    async def rounds() -> list[int]:
        started = [pusher.tick(scenario.local(21, 0))]
        await pusher.drain()
        started.append(pusher.tick(scenario.local(21, 1)))  # nothing new
        await pusher.drain()
        return started

    assert asyncio.run(rounds()) == [1, 0]
    (message,) = handler.received
    assert message["msgtype"] == "text"
    text = message["text"]["content"]
    assert "湖畔花园" in text and "未按时开始巡更：周界巡逻" in text and "（张伟）" in text


def test_a_failed_push_is_retried_and_never_holds_anything_up(scenario, robot):
    url, handler = robot
    handler.status = 500
    storage = scenario.storage()
    pusher = AlertPusher(lambda: storage, url_of=lambda site: url, timeout=2)

    async def rounds() -> list[int]:
        first = pusher.tick(scenario.local(21, 0))
        await pusher.drain()
        handler.status = 200
        second = pusher.tick(scenario.local(21, 1))
        await pusher.drain()
        return [first, second]

    assert asyncio.run(rounds()) == [1, 1]
    assert len(handler.received) == 2


def test_an_unreachable_robot_times_out(scenario):
    storage = scenario.storage()
    dead = f"http://127.0.0.1:{free_port()}/send"
    pusher = AlertPusher(lambda: storage, url_of=lambda site: dead, timeout=0.5)

    async def once() -> float:
        start = asyncio.get_running_loop().time()
        assert pusher.tick(scenario.local(21, 0)) == 1  # starts the post, returns at once
        took = asyncio.get_running_loop().time() - start
        await asyncio.wait_for(pusher.drain(), timeout=5)
        return took

    assert asyncio.run(once()) < 0.5
    assert pusher.pushed["alpha"] == set()  # not pushed: tried again next round
