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
from server.alert_push import AlertPusher, backoff_delays
from server.console.models.live import alerts_to_show
from server.live import (
    Ack,
    Alert,
    AlertKind,
    acknowledge,
    completion_threshold,
    live_view,
    webhook_url,
)
from server.serve import free_port


def kinds(view) -> dict[AlertKind, list]:
    found: dict[AlertKind, list] = {}
    for a in view.alerts:
        found.setdefault(a.kind, []).append(a)
    return found


def test_a_round_not_started_after_its_grace_is_an_alert_naming_who_was_expected(scenario):
    storage = scenario.storage()
    at_2010 = live_view(storage, "alpha", scenario.local(20, 10))
    (current,) = [r for r in at_2010.in_progress if r.due == scenario.local(20)]
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
    fail_first: ClassVar[int] = 0  # answer 500 to this many posts first

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        cls = type(self)
        cls.received.append(json.loads(body))
        status = cls.status
        if cls.fail_first > 0:
            cls.fail_first -= 1
            status = 500
        self.send_response(status)
        self.end_headers()
        self.wfile.write(b'{"errcode":0}')

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def robot() -> Iterator[tuple[str, type[_Robot]]]:
    handler = type("Robot", (_Robot,), {"received": [], "status": 200, "fail_first": 0})
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/cgi-bin/webhook/send?key=test", handler
    server.shutdown()


def pushed_rows(scenario) -> list[tuple[str, str]]:
    with sqlite3.connect(scenario.settings.db_path) as db:
        return db.execute("select site_id, alert_key from alert_pushes order by 2").fetchall()


def test_new_alerts_are_pushed_once_even_across_a_restart(scenario, robot):
    url, handler = robot
    only_alpha = {"url_of": lambda site: url if site["id"] == "alpha" else None}
    pusher = AlertPusher(scenario.storage, **only_alpha)

    async def rounds(pusher: AlertPusher, at: list[datetime]) -> list[int]:
        started = []
        for now in at:
            started.append(pusher.tick(now))
            await pusher.drain()
        return started

    at = [scenario.local(21, 0), scenario.local(21, 1)]
    assert asyncio.run(rounds(pusher, at)) == [1, 0]  # nothing new the second time
    (message,) = handler.received
    assert message["msgtype"] == "text"
    text = message["text"]["content"]
    assert "湖畔花园" in text and "未按时开始巡更：周界巡逻" in text and "（张伟）" in text
    rows = pushed_rows(scenario)
    assert rows and {site for site, _ in rows} == {"alpha"}
    # A restart (a new pusher over a new connection) remembers what was pushed.
    again = AlertPusher(scenario.storage, **only_alpha)
    assert asyncio.run(rounds(again, [scenario.local(21, 2)])) == [0]
    assert len(handler.received) == 1
    with sqlite3.connect(scenario.settings.db_path) as db, pytest.raises(sqlite3.DatabaseError):
        db.execute("delete from alert_pushes")  # a push cannot be unsent


def test_a_failed_push_is_retried_with_backoff_and_not_posted_twice(scenario, robot):
    url, handler = robot
    handler.fail_first = 2
    pusher = AlertPusher(scenario.storage, url_of=lambda site: url, timeout=2, backoff=0.2)
    assert backoff_delays(4, 0.2, 0.3) == [0.2, 0.3, 0.3]

    async def rounds() -> tuple[list[int], float]:
        loop = asyncio.get_running_loop()
        start = loop.time()
        first = pusher.tick(scenario.local(21, 0))  # returns at once, posts in the background
        took = loop.time() - start
        await asyncio.sleep(0.05)  # the first post failed; its retry waits 0.2 s
        during = pusher.tick(
            scenario.local(
                21,
                0,
            )
        )  # claimed: not posted a second time
        await pusher.drain()
        return [first, during], took

    started, took = asyncio.run(rounds())
    assert started == [1, 0] and took < 0.5
    assert len(handler.received) == 3  # two failures, then 2xx
    assert len({json.dumps(m, sort_keys=True) for m in handler.received}) == 1
    assert pushed_rows(scenario)
    assert pusher.claimed["alpha"] == set()


def test_an_unreachable_robot_times_out_then_the_site_waits_out_a_backoff(scenario):
    dead = f"http://127.0.0.1:{free_port()}/send"
    pusher = AlertPusher(
        scenario.storage, url_of=lambda site: dead, timeout=0.5, attempts=2, backoff=0.05
    )

    async def once() -> tuple[float, int]:
        start = asyncio.get_running_loop().time()
        assert pusher.tick(scenario.local(21, 0)) == 1  # starts the post, returns at once
        took = asyncio.get_running_loop().time() - start
        await asyncio.wait_for(pusher.drain(), timeout=5)
        return took, pusher.tick(scenario.local(21, 0))

    took, next_round = asyncio.run(once())
    assert took < 0.5
    assert next_round == 0  # the site backs off before trying again
    assert pusher.claimed["alpha"] == set() and pusher.failures["alpha"] == 1
    assert pushed_rows(scenario) == []  # nothing counts as pushed


def test_a_lead_sees_every_round_alert_and_only_the_first_overdue_rectifications():
    at = datetime(2026, 11, 1, tzinfo=UTC)
    ack = Ack("王建国", at, "")

    def alert(key: str, kind: AlertKind, acked: bool = False) -> Alert:
        return Alert(key, kind, at, key, "", ack=ack if acked else None)

    fixes = [alert(f"r{i}", AlertKind.OVERDUE_RECTIFICATION, acked=i < 2) for i in range(6)]
    rounds = [alert("late", AlertKind.NOT_STARTED), alert("low", AlertKind.LOW_COMPLETION)]
    shown, left_out = alerts_to_show([fixes[0], rounds[0], *fixes[1:], rounds[1]])
    assert [a.key for a in shown] == ["late", "low", "r2", "r3", "r4"]  # unacknowledged first
    assert left_out == 3
    assert alerts_to_show(rounds) == (rounds, 0)
