"""Every field flow without a UI: FieldApp on a real local store, against real uvicorn."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from app.qr import decode_qr
from app.state import PROBE_SECONDS, Refusal
from app.sync import ServerClient
from domain.coverage import RoundState
from tests.client.helpers import Clock, camera_photo, field_app, label_image, round_due
from tests.factory import PASSWORD, label

DEAD = "http://127.0.0.1:9"  # nothing listens there: the phone is offline


def run(coro):
    return asyncio.run(coro)


def signed_in(live_server, tmp_path, username, **kw):
    app = field_app(tmp_path / username, **kw)
    run(app.login(live_server.url, username, PASSWORD))
    return app


def server_rows(live_server, sql):
    with sqlite3.connect(live_server.settings.db_path) as db:
        return db.execute(sql).fetchall()


def test_first_login_needs_the_network_and_the_right_password(live_server, tmp_path):
    app = field_app(tmp_path / "a")
    with pytest.raises(Refusal) as offline:
        run(app.login(DEAD, "guard", PASSWORD))
    assert offline.value.key == "first_login_needs_network"
    with pytest.raises(Refusal) as wrong:
        run(app.login(live_server.url, "guard", "nope"))
    assert wrong.value.key == "wrong_login"
    assert not app.signed_in
    run(app.login(live_server.url, "guard", PASSWORD))
    assert app.signed_in and app.role == "guard" and app.site["id"] == "alpha"


def test_guard_round_with_checks_anomaly_and_finish(live_server, tmp_path):
    due = round_due(hours_back=2)
    walking = Clock(due, step=timedelta(minutes=1))  # the guard's phone, a minute a tap
    app = signed_in(live_server, tmp_path, "guard", clock=walking)
    rounds = app.today_rounds()
    assert rounds and all(r.route_id == "r1" for r in rounds)
    [item] = [r for r in rounds if r.due == due]
    assert item.state is RoundState.NOT_STARTED
    active = app.start_round("r1", item)
    assert (active.done, active.total) == (0, 20)

    [payload] = decode_qr(label_image("alpha", "c01"))
    point, scan_id = app.scan_checkpoint(payload)
    assert point["id"] == "c01"
    app.answer_checks("c01", scan_id, {"消防设施完好?": False})
    photo = app.take_photo(camera_photo(1), point["name"])
    app.report_anomaly("c01", scan_id, "消防隐患", "灭火器过期", photo)
    app.scan_checkpoint("CODE02", method="typed")
    assert app.active_round().done == 2

    for bad, key in [
        (payload, "already_scanned"),
        (label("beta", "b01"), "other_site"),
        (label("alpha", "c03")[:-5] + "AAAAA", "bad_signature"),
        ("https://weixin.qq.com/x", "not_ours"),
        (label("alpha", "a01"), "not_on_route"),
    ]:
        with pytest.raises(Refusal) as refused:
            app.scan_checkpoint(bad)
        assert refused.value.key == key
    with pytest.raises(Refusal) as no_reason:
        app.finish_round()
    assert no_reason.value.key == "finish_reason"
    app.finish_round("雨太大，地下车库积水")
    assert app.active_round() is None
    app.handover("东门门禁故障，已报修")

    assert app.status().pending == 7
    report = run(app.sync())
    assert report is not None and report.sent == 7 and report.rejected == []
    assert app.status().pending == 0 and app.status().photos_waiting == 0
    kinds = dict(server_rows(live_server, "select kind, count(*) from records group by kind"))
    assert kinds == {
        "round_start": 1,
        "scan": 2,
        "checks": 1,
        "anomaly": 1,
        "round_finish": 1,
        "handover": 1,
    }
    assert server_rows(live_server, "select count(*) from photos") == [(1,)]
    flags = server_rows(live_server, "select flags from records where kind = 'scan'")
    assert sorted(flags) == [('["typed_code"]',), ("[]",)]
    started = next(r for r in app.today_rounds() if r.key == item.key)
    assert started.state is RoundState.INCOMPLETE and started.done == 2


def test_everything_is_saved_offline_and_sent_once_later(live_server, tmp_path):
    app = signed_in(live_server, tmp_path, "guard")
    offline = field_app(tmp_path / "guard", server_url=DEAD)  # same phone, no network
    offline.start_round("r1")
    for i in range(1, 6):
        offline.scan_checkpoint(label("alpha", f"c{i:02d}"))
    assert run(offline.sync()) is None
    status = offline.status()
    assert status.offline and status.pending == 6 and status.error == "offline_error"
    for _ in range(8):  # however long the server stays away, the phone keeps probing
        assert offline.next_sync_in() == PROBE_SECONDS
        run(offline.sync())
    assert not run(offline.reachable())
    assert run(app.reachable())

    for _ in range(2):
        run(app.sync())
    assert server_rows(live_server, "select count(*) from records where kind = 'scan'") == [(5,)]
    assert app.status().pending == 0 and not app.status().offline


def test_cleaning_inspection_rectification_fix_and_recheck(live_server, tmp_path):
    supervisor = signed_in(live_server, tmp_path, "super")
    cleaner = signed_in(live_server, tmp_path, "cleaner")

    inspection = supervisor.start_inspection(label("alpha", "a01"))
    keys = [i["key"] for i in inspection.template["items"]]
    assert inspection.template["id"] == "six-clean-three-none" and len(keys) == 9
    inspection.results = dict.fromkeys(keys, "pass")
    inspection.results |= {"floor": "fail", "no_cobwebs": "na"}
    with pytest.raises(Refusal) as refused:
        supervisor.submit_inspection(inspection)
    assert refused.value.key == "fail_needs_photo"
    inspection.photos["floor"] = [supervisor.take_photo(camera_photo(2), "Lobby")]
    assert inspection.score == 7 / 8
    assert [c["id"] for c in supervisor.cleaners()] == ["u-cleaner", "u-cleaner2"]
    inspection.assignee_id = "u-cleaner"
    assert supervisor.submit_inspection(inspection) == 1
    run(supervisor.sync())

    run(cleaner.sync())
    [rect] = cleaner.my_rectifications()
    assert (rect["item"], rect["point_name"]) == ("floor", "Lobby")
    before = run(cleaner.photo(rect["before_photos"][0]))  # the supervisor's, from the server
    assert before == supervisor.store.photo_path(rect["before_photos"][0]).read_bytes()
    cleaner.fix_rectification(rect, cleaner.take_photo(camera_photo(3), "Lobby"))
    assert cleaner.my_rectifications() == []  # fixed locally, before any sync
    run(cleaner.sync())

    run(supervisor.sync())
    [to_check] = supervisor.recheck_queue()
    supervisor.recheck(to_check, passed=False, note="墙角仍有污渍")
    run(supervisor.sync())
    run(cleaner.sync())
    [again] = cleaner.my_rectifications()
    assert again["reopened"] == 1
    cleaner.fix_rectification(again, cleaner.take_photo(camera_photo(4), "Lobby"))
    run(cleaner.sync())
    run(supervisor.sync())
    supervisor.recheck(supervisor.recheck_queue()[0], passed=True)
    run(supervisor.sync())
    run(cleaner.sync())
    assert cleaner.my_rectifications() == [] and supervisor.recheck_queue() == []


def test_critical_point_needs_a_photo_with_its_checks(live_server, tmp_path):
    app = signed_in(live_server, tmp_path, "guard")
    app.start_round("r1")
    point, scan_id = app.scan_checkpoint(label("alpha", "c20"))
    with pytest.raises(Refusal) as refused:
        app.answer_checks("c20", scan_id, {"消防设施完好?": True})
    assert refused.value.key == "photo_required"
    photo = app.take_photo(camera_photo(9), point["name"])
    app.answer_checks("c20", scan_id, {"消防设施完好?": True}, photo)
    assert run(app.sync()).rejected == []
    assert server_rows(live_server, "select photos from records where kind = 'checks'") == [
        (f'["{photo}"]',)
    ]


def test_cleaner_scans_areas_not_checkpoints(live_server, tmp_path):
    cleaner = signed_in(live_server, tmp_path, "cleaner")
    [(area, due, done)] = cleaner.areas_today()
    assert area["id"] == "a01" and len(due) == 2 and done == 0
    assert cleaner.scan_area(label("alpha", "a01"))["name"] == "Lobby"
    with pytest.raises(Refusal) as refused:
        cleaner.scan_area(label("alpha", "c01"))
    assert refused.value.key == "not_an_area"
    assert cleaner.areas_today()[0][2] == 1


def test_revoked_login_asks_to_sign_in_again(live_server, tmp_path):
    app = signed_in(live_server, tmp_path, "guard")
    token = app.store.get("token")
    httpx.post(
        f"{live_server.url}/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"}
    )
    app.start_round("r1")
    assert run(app.sync()) is None
    assert app.store.get("needs_login") and app.status().error == "login_expired"
    assert app.status().pending == 1  # nothing lost: it goes up after signing in again
    run(app.login(live_server.url, "guard", PASSWORD))
    assert app.status().pending == 0


def test_record_the_server_refuses_is_shown_not_retried_forever(live_server, tmp_path):
    app = signed_in(live_server, tmp_path, "guard")
    app._record("checks", point_id="c01", scan_id="never-made", answers={"x": True})
    report = run(app.sync())
    assert report.rejected == [("checks", "checks must follow a scan of the same point")]
    assert app.status().rejected == 1 and app.status().pending == 0
    assert run(app.sync()).sent == 0


def test_the_device_clock_decides_rounds_shown_today(live_server, tmp_path):
    start = datetime.now(UTC) - timedelta(days=1)
    app = signed_in(live_server, tmp_path, "guard", clock=lambda: start)
    dues = [r.due for r in app.today_rounds()]
    assert all(start - timedelta(hours=12) <= d < start + timedelta(hours=12) for d in dues)


def test_someone_on_two_sites_switches_between_them(live_server, tmp_path):
    from server.storage import Storage

    storage = Storage(live_server.settings.db_path)
    storage.db.table("user_sites").insert({"user_id": "u-manager", "site_id": "beta"})
    storage.close()
    app = signed_in(live_server, tmp_path, "manager")
    assert app.site["id"] == "alpha"
    app.choose_site("beta")
    assert app.site["id"] == "beta" and app.identify(label("beta", "b01"))["id"] == "b01"
    with pytest.raises(Refusal) as refused:
        app.identify(label("alpha", "c01"))
    assert refused.value.key == "other_site"
    app.start_round("rb")
    with pytest.raises(Refusal):
        app.choose_site("alpha")


def test_a_new_phone_shows_the_work_done_on_the_old_one(live_server, tmp_path):
    due = round_due(hours_back=2)
    old = signed_in(live_server, tmp_path / "old", "guard", clock=Clock(due))
    [item] = [r for r in old.today_rounds() if r.due == due]
    old.start_round("r1", item)
    old.scan_checkpoint(label("alpha", "c01"))
    run(old.sync())

    new = signed_in(live_server, tmp_path / "new", "guard", clock=Clock(due))
    [same] = [r for r in new.today_rounds() if r.key == item.key]
    assert (same.done, same.round_id) == (1, old.store.get("active_round"))
    assert same.state is RoundState.IN_PROGRESS

    cleaner_old = signed_in(live_server, tmp_path / "old", "cleaner")
    cleaner_old.scan_area(label("alpha", "a01"))
    run(cleaner_old.sync())
    cleaner_new = signed_in(live_server, tmp_path / "new", "cleaner")
    assert cleaner_new.areas_today()[0][2] == 1


def test_my_records_are_only_mine_and_only_recent(live_server, tmp_path):
    guard = signed_in(live_server, tmp_path, "guard")
    guard.start_round("r1")
    run(guard.sync())
    other = live_server.login("guard2")
    since = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    response = other.get("/api/v1/sites/alpha/my-records", params={"since": since})
    assert response.json() == {"data": [], "count": 0}
    mine = live_server.login("guard").get("/api/v1/sites/alpha/my-records", params={"since": since})
    assert [r["kind"] for r in mine.json()["data"]] == ["round_start"]
    outsider = live_server.login("beta-guard")
    assert (
        outsider.get("/api/v1/sites/alpha/my-records", params={"since": since}).status_code == 404
    )


def test_a_server_of_another_version_is_a_sync_error_not_a_crash(live_server, tmp_path):
    app = signed_in(live_server, tmp_path, "guard")
    real = httpx.AsyncHTTPTransport()

    class OlderServer(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            if request.url.path.endswith("/my-records"):
                return httpx.Response(404, json={"detail": "Not Found"})
            return await real.handle_async_request(request)

    app.client_factory = lambda url, token: ServerClient(url, token, transport=OlderServer())
    app.start_round("r1")
    assert run(app.sync()) is None
    assert app.status().error == "server_refused"
    assert app.status().detail == "my records refused (404): Not Found"
    assert app.status().pending == 0  # what could be sent was sent


def test_a_lost_photo_file_is_reported_and_sync_keeps_trying(live_server, tmp_path):
    app = signed_in(live_server, tmp_path, "guard")
    photo = app.take_photo(camera_photo(11), "Checkpoint 1")
    app.report_anomaly("c01", None, "其他", "", photo)
    app.store.photo_path(photo).unlink()
    assert run(app.sync()) is None
    assert app.status().error == "photo_unreadable"
    assert app.status().pending == 1 and app.next_sync_in() == 15.0


def test_unsent_records_stay_with_the_person_who_made_them(live_server, tmp_path):
    phone = tmp_path / "shared-phone"
    guard = signed_in(live_server, phone, "guard")
    offline = field_app(phone / "guard", server_url=DEAD)
    offline.start_round("r1")
    guard.logout()
    assert guard.user["username"] == "guard"  # remembered: the pending record is theirs
    with pytest.raises(Refusal) as refused:
        run(guard.login(live_server.url, "cleaner", PASSWORD))
    assert refused.value.key == "pending_for_other" and refused.value.params == {"name": "Guard"}
    run(guard.login(live_server.url, "guard", PASSWORD))  # their own login sends it
    assert guard.status().pending == 0
    assert server_rows(live_server, "select user_id from records") == [("u-guard",)]
    guard.logout()
    run(guard.login(live_server.url, "cleaner", PASSWORD))
    assert guard.role == "cleaner"


def test_too_many_wrong_passwords_say_so(live_server, tmp_path):
    app = field_app(tmp_path / "a")
    for _ in range(5):
        with pytest.raises(Refusal):
            run(app.login(live_server.url, "guard", "guess"))
    with pytest.raises(Refusal) as refused:
        run(app.login(live_server.url, "guard", PASSWORD))
    assert refused.value.key == "too_many_logins"


def test_only_server_errors_make_the_phone_back_off(live_server, tmp_path):
    app = signed_in(live_server, tmp_path, "guard")

    class Failing(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            return httpx.Response(503, text="busy")

    app.client_factory = lambda url, token: ServerClient(url, token, transport=Failing())
    app.start_round("r1")
    waits = []
    for _ in range(3):
        run(app.sync())
        waits.append(app.next_sync_in())
    assert waits == [5.0, 10.0, 20.0] and app.status().error == "server_error"
