"""Login, tokens, roles and site isolation over real HTTP."""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from server.login import hash_token, issue_token, token_user
from server.serve import ServerThread
from server.settings import Settings
from server.storage import Storage
from tests.conftest import LiveServer
from tests.factory import PASSWORD, build_company


def test_wrong_password_and_unknown_user_get_the_same_401(live_server):
    with httpx.Client(base_url=live_server.url) as client:
        for username, password in (("guard", "nope"), ("ghost", "x")):
            response = client.post(
                "/api/v1/auth/login",
                json={"username": username, "password": password, "device_id": "d1"},
            )
            assert response.status_code == 401
            assert response.json()["detail"] == "wrong username or password"


def test_passwords_are_stored_as_argon2_hashes(live_server):
    with sqlite3.connect(live_server.settings.db_path) as db:
        hashes = [r[0] for r in db.execute("select password_hash from users")]
    assert all(h.startswith("$argon2id$") for h in hashes)


@pytest.mark.parametrize("header", [None, "Bearer not-a-token", "Basic abc"])
def test_requests_without_a_live_token_are_refused(live_server, header):
    headers = {"Authorization": header} if header else {}
    response = httpx.get(f"{live_server.url}/api/v1/config", headers=headers)
    assert response.status_code == 401


def test_logout_revokes_the_device_token(live_server):
    guard = live_server.login("guard")
    assert guard.get("/api/v1/auth/me").json()["role"] == "guard"
    assert guard.post("/api/v1/auth/logout").status_code == 204
    response = guard.get("/api/v1/auth/me")
    assert response.status_code == 401 and "sign in again" in response.json()["detail"]


def test_config_holds_only_the_callers_sites_and_answers_304_when_unchanged(live_server):
    guard = live_server.login("guard")
    response = guard.get("/api/v1/config")
    config = response.json()
    assert [s["id"] for s in config["sites"]] == ["alpha"]
    site = config["sites"][0]
    assert {p["id"] for p in site["points"]} >= {"c01", "a01"}
    assert "label_key" not in site and site["label_public_key"]
    assert site["routes"][0]["checkpoint_ids"][:2] == ["c01", "c02"]
    assert {t["id"] for t in site["templates"]} >= {"six-clean-three-none"}
    again = guard.get("/api/v1/config", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/sites/alpha/coverage",
        "/api/v1/sites/alpha/rectifications",
        # The plan and a photo exist only once made: tests/test_catches.py asks for real ones.
    ],
)
def test_another_sites_objects_answer_404_like_missing_ones(live_server, path):
    outsider = live_server.login("beta-manager")
    response = outsider.get(path)
    missing = outsider.get(path.replace("alpha", "no-such-site"))
    assert response.status_code == missing.status_code == 404
    assert response.json() == missing.json()


def test_field_staff_cannot_read_reports(live_server):
    for username in ("guard", "cleaner"):
        response = live_server.login(username).get("/api/v1/sites/alpha/coverage")
        assert response.status_code == 403
    assert live_server.login("manager").get("/api/v1/sites/alpha/coverage").status_code == 200


def test_managers_print_labels_that_the_phone_reads_and_guards_cannot(live_server):
    from app.qr import decode_qr
    from tests.factory import label

    response = live_server.login("manager").get("/api/v1/sites/alpha/points/c05/label.png")
    assert response.headers["content-type"] == "image/png"
    assert decode_qr(response.content) == [label("alpha", "c05")]
    guard = live_server.login("guard")
    assert guard.get("/api/v1/sites/alpha/points/c05/label.png").status_code == 403
    manager = live_server.login("manager")
    assert manager.get("/api/v1/sites/alpha/points/nope/label.png").status_code == 404


@pytest.fixture
def slow_login_server(settings):
    """A server whose login delays start at 10 minutes, so no delay runs out mid-test
    however slow the machine is, and an address is slowed after 10 attempts."""
    quick = replace(settings, login_base_delay=600, login_address_attempts=10)
    server = ServerThread(quick).start()
    yield LiveServer(server.url, settings)
    server.stop()


def _from(live_server, address: str) -> httpx.Client:
    """A client whose requests come from `address` (any 127.x.y.z reaches the server)."""
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=live_server.url, transport=transport, timeout=30)


def _attempt(client: httpx.Client, username: str, password: str) -> httpx.Response:
    return client.post(
        "/api/v1/auth/login",
        json={"username": username, "password": password, "device_id": "d1"},
    )


def test_an_attacker_is_slowed_down_but_the_owner_signs_in_from_elsewhere(slow_login_server):
    with (
        _from(slow_login_server, "127.0.0.2") as attacker,
        _from(slow_login_server, "127.0.0.3") as owner,
    ):
        codes = [_attempt(attacker, "manager", f"guess{i}").status_code for i in range(50)]
        assert codes[:5] == [401] * 5 and set(codes[5:]) == {429}
        blocked = _attempt(attacker, "manager", PASSWORD)  # even the right password waits
        assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) >= 1
        assert "try again" in blocked.json()["detail"]
        assert _attempt(owner, "manager", PASSWORD).status_code == 200
        assert _attempt(attacker, "cleaner", PASSWORD).status_code == 200  # other names


def test_a_good_login_resets_the_throttle(slow_login_server):
    with _from(slow_login_server, "127.0.0.4") as client:
        assert [_attempt(client, "guard", "typo").status_code for _ in range(4)] == [401] * 4
        assert _attempt(client, "guard", PASSWORD).status_code == 200
        # Five more typos are free again: the good login forgot the earlier four.
        assert [_attempt(client, "guard", "typo").status_code for _ in range(5)] == [401] * 5
        assert _attempt(client, "guard", "typo").status_code == 429


def test_spraying_many_names_from_one_address_is_slowed_down(slow_login_server):
    with (
        _from(slow_login_server, "127.0.0.5") as sprayer,
        _from(slow_login_server, "127.0.0.6") as other,
    ):
        codes = [_attempt(sprayer, f"user{i}", "123456").status_code for i in range(11)]
        assert codes[:10] == [401] * 10 and codes[10] == 429
        assert _attempt(other, "guard", PASSWORD).status_code == 200


def test_concurrent_guesses_cannot_all_slip_past_the_throttle(slow_login_server):
    async def flood() -> list[int]:
        transport = httpx.AsyncHTTPTransport(local_address="127.0.0.7")
        async with httpx.AsyncClient(
            base_url=slow_login_server.url, transport=transport, timeout=60
        ) as client:
            responses = await asyncio.gather(
                *(
                    client.post(
                        "/api/v1/auth/login",
                        json={"username": "manager", "password": f"g{i}", "device_id": "d"},
                    )
                    for i in range(20)
                )
            )
        return [r.status_code for r in responses]

    codes = asyncio.run(flood())
    assert codes.count(401) == 5 and codes.count(429) == 15


def test_old_tokens_expire(live_server):
    guard = live_server.login("guard")
    assert guard.get("/api/v1/auth/me").status_code == 200
    with sqlite3.connect(live_server.settings.db_path) as db:
        db.execute("update tokens set created_at = '2020-01-01T00:00:00.000000+00:00'")
    assert guard.get("/api/v1/auth/me").status_code == 401


def test_a_kept_token_signs_in_until_revoked_expired_or_deactivated(tmp_path):
    """The console's reload path: `token_user` is the API's token check, whole."""
    settings = Settings(data_dir=tmp_path)
    build_company(settings)
    storage = Storage(settings.db_path)
    now = datetime.now(UTC)
    manager = storage.user_by_name("manager")
    assert manager is not None
    token = issue_token(storage, settings, manager.id, "console", now)
    assert token_user(storage, settings, token, now) == manager
    assert token_user(storage, settings, token + "x", now) is None
    late = now + timedelta(days=settings.token_days, seconds=1)
    assert token_user(storage, settings, token, late) is None  # expired
    storage.revoke_token(hash_token(token), now)
    assert token_user(storage, settings, token, now) is None  # signed out
    again = issue_token(storage, settings, manager.id, "console", now)
    storage.update_person(manager.id, {"active": 0})
    assert token_user(storage, settings, again, now) is None  # deactivated
    storage.close()


def test_an_admin_set_password_must_be_changed_and_changing_it_signs_out_other_devices(
    live_server,
):
    manager = live_server.login("manager")
    made = manager.post(
        "/api/v1/sites/alpha/people",
        json={"username": "newlead", "name": "新队长", "role": "guard_lead"},
    )
    assert made.status_code == 201, made.text
    one_time = made.json()["one_time_password"]

    def login(password: str, device: str) -> httpx.Response:
        return httpx.post(
            f"{live_server.url}/api/v1/auth/login",
            json={"username": "newlead", "password": password, "device_id": device},
        )

    first = login(one_time, "phone").json()
    assert first["must_change_password"] is True
    other = login(one_time, "tablet").json()["token"]
    me = httpx.Client(
        base_url=live_server.url, headers={"Authorization": f"Bearer {first['token']}"}
    )
    change = "/api/v1/auth/password"
    wrong = me.post(change, json={"current_password": "nope", "new_password": "x" * 10})
    assert wrong.status_code == 401
    short = me.post(change, json={"current_password": one_time, "new_password": "short"})
    assert short.status_code == 422 and "8-128" in short.json()["detail"]
    same = me.post(change, json={"current_password": one_time, "new_password": one_time})
    assert same.status_code == 422
    done = me.post(change, json={"current_password": one_time, "new_password": "only-mine-2026"})
    assert done.status_code == 204
    assert me.get("/api/v1/auth/me").status_code == 200  # this device stays signed in
    tablet = httpx.get(
        f"{live_server.url}/api/v1/auth/me", headers={"Authorization": f"Bearer {other}"}
    )
    assert tablet.status_code == 401  # every other device is signed out
    assert login(one_time, "phone").status_code == 401
    again = login("only-mine-2026", "phone").json()
    assert again["must_change_password"] is False
    # A manager's reset hands out a new one-time password: to be changed again.
    reset = manager.post(f"/api/v1/sites/alpha/people/{made.json()['id']}/password", json={})
    assert login(reset.json()["one_time_password"], "phone").json()["must_change_password"]
