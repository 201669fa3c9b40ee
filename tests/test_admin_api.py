"""Site set-up over HTTP (issue 8): each action's permissions, validation, plan upload
refusals, versions and retirement, people and devices, the audit log and bulk import.

One server for the module (sign-ins cost an argon2 hash each); tests that change people
make their own.
"""

from __future__ import annotations

import io
import sqlite3
import struct
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from openpyxl import Workbook
from PIL import Image

from server.passwords import hash_password
from server.serve import ServerThread
from server.settings import Settings
from server.storage import Storage
from tests.conftest import LiveServer
from tests.factory import PASSWORD, build_company

A = "/api/v1/sites/alpha"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("admin") / "server")
    build_company(settings)
    storage = Storage(settings.db_path)
    storage.add_user(
        user_id="u-admin",
        company_id="acme",
        username="admin",
        name="Admin",
        role="admin",
        password_hash=hash_password(PASSWORD),
        site_ids=["alpha"],
    )
    storage.add_user(
        user_id="u-quality",
        company_id="acme",
        username="quality",
        name="Quality",
        role="quality",
        password_hash=hash_password(PASSWORD),
        site_ids=["alpha", "beta"],
    )
    storage.close()
    thread = ServerThread(settings).start()
    yield LiveServer(thread.url, settings)
    thread.stop()


@pytest.fixture(scope="module")
def clients(server: LiveServer) -> dict[str, httpx.Client]:
    names = ("admin", "manager", "guard", "super", "beta-manager", "quality")
    return {u: server.login(u) for u in names}


def _png(size: tuple[int, int] = (400, 300)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (240, 240, 230)).save(buf, "PNG")
    return buf.getvalue()


def _bomb_png(width: int = 60_000, height: int = 60_000) -> bytes:
    """A PNG whose header claims 3.6 gigapixels, in a few hundred bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\0" * 4096)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


# Every admin action: (method, path, json body or raw bytes).
ACTIONS = [
    ("PATCH", "", {"address": "1 Lake Road"}),
    ("GET", "/settings", None),
    ("PUT", "/settings", {"grace_minutes": 20}),
    ("PUT", "/plan", _png()),
    ("GET", "/points", None),
    ("POST", "/points", {"name": "New gate", "kind": "checkpoint"}),
    ("PATCH", "/points/c01", {"name": "Gate 1"}),
    ("POST", "/points/c02/retire", None),
    ("GET", "/points/c01/history", None),
    ("GET", "/routes", None),
    ("POST", "/routes", {"name": "R", "checkpoint_ids": ["c03"]}),
    ("PUT", "/routes/r1", {"checkpoint_ids": ["c03", "c04"]}),
    ("GET", "/schedules", None),
    ("POST", "/schedule-preview", {"target_id": "r1", "fixed_times": ["09:00"]}),
    ("POST", "/schedules", {"target_id": "r1", "fixed_times": ["09:00"]}),
    ("PUT", "/schedules/s1", {"fixed_times": ["10:00"]}),
    ("POST", "/schedules/s1/end", None),
    ("GET", "/templates", None),
    ("POST", "/templates", {"name_zh": "新", "items": [{"key": "a", "label_zh": "地面"}]}),
    ("POST", "/templates/six-clean-three-none/copy", None),
    ("GET", "/people", None),
    ("POST", "/people", {"username": "x1", "name": "X", "role": "guard"}),
    ("PATCH", "/people/u-guard2", {"name": "G2"}),
    ("POST", "/people/u-guard2/password", {}),
    ("POST", "/people/u-guard2/deactivate", None),
    ("GET", "/people/u-guard2/devices", None),
    ("POST", "/people/u-guard2/devices/d1/sign-out", None),
    ("GET", "/audit", None),
    ("GET", "/import/people/template.xlsx", None),
    ("POST", "/import/people/check", b"username,name,role\nz1,Z,guard\n"),
    ("POST", f"/import/people/confirm?token={'0' * 64}", b"username,name,role\n"),
]


def _send(client: httpx.Client, method: str, path: str, body: object) -> httpx.Response:
    if isinstance(body, bytes):
        return client.request(method, A + path, content=body)
    return client.request(method, A + path, json=body)


@pytest.mark.parametrize(
    ("method", "path", "body"), ACTIONS, ids=[f"{m} {p}" for m, p, _ in ACTIONS]
)
def test_field_staff_get_403_and_other_sites_404(clients, method, path, body):
    for user, status in (("guard", 403), ("super", 403), ("beta-manager", 404)):
        response = _send(clients[user], method, path, body)
        assert response.status_code == status, (user, response.text)


def test_nothing_changed_by_the_refused_actions(clients):
    """After every refusal above, the audit log holds no entry by a refused caller."""
    entries = clients["admin"].get(f"{A}/audit").json()
    assert all(e["user_id"] in ("u-admin", "u-manager") for e in entries)


def test_plan_upload_refuses_bad_input_and_stores_a_resized_plan(clients):
    admin = clients["admin"]
    assert admin.put(f"{A}/plan", content=b"<html>not an image</html>").status_code == 415
    assert admin.put(f"{A}/plan", content=_bomb_png()).status_code in (413, 422)
    assert admin.put(f"{A}/plan", content=b"\0" * (16 * 1024 * 1024)).status_code == 413
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, "GIF")
    assert admin.put(f"{A}/plan", content=gif.getvalue()).status_code == 415
    ok = admin.put(f"{A}/plan", content=_png((5000, 2500)))
    assert ok.status_code == 200, ok.text
    assert (ok.json()["width"], ok.json()["height"]) == (2400, 1200)
    served = admin.get(f"{A}/plan")
    assert Image.open(io.BytesIO(served.content)).size == (2400, 1200)


def test_sites_are_created_with_a_valid_time_zone_and_the_creator_on_them(server, clients):
    admin = clients["admin"]
    bad = admin.post("/api/v1/sites", json={"name": "X", "tz": "Mars/Olympus"})
    assert bad.status_code == 422 and "time zone" in bad.json()["detail"]
    made = admin.post(
        "/api/v1/sites", json={"id": "riverside", "name": "江畔", "tz": "Asia/Shanghai"}
    )
    assert made.status_code == 201, made.text
    again = server.login("admin")  # the token's user row is read per request
    assert "riverside" in [s["id"] for s in again.get("/api/v1/sites").json()]
    assert clients["guard"].post("/api/v1/sites", json={"name": "G"}).status_code == 403


def test_settings_have_defaults_and_refuse_bad_values(clients):
    manager = clients["manager"]
    defaults = manager.get(f"{A}/settings").json()
    assert defaults["completion_threshold"] == 0.7
    bad = manager.put(
        f"{A}/settings",
        json={
            "completion_threshold": 3,
            "appraisal_weights": {
                "coverage": 50,
                "punctuality": 30,
                "inspection": 20,
                "rectification": 10,
            },
        },
    )
    assert bad.status_code == 422
    assert (
        "completion_threshold" in bad.json()["detail"] and "add up to 100" in bad.json()["detail"]
    )
    ok = manager.put(f"{A}/settings", json={"gps_radius_m": 50})
    assert (
        ok.json()["gps_radius_m"] == 50 and ok.json()["grace_minutes"] == defaults["grace_minutes"]
    )


def test_points_keep_history_short_codes_are_unique_and_used_points_retire(clients, server):
    admin = clients["admin"]
    dup = admin.post(f"{A}/points", json={"name": "Dup", "short_code": "code-01"})
    assert dup.status_code == 422 and "already used" in dup.json()["detail"]
    made = admin.post(f"{A}/points", json={"name": "东门", "plan_x": 0.2, "plan_y": 0.3})
    assert made.status_code == 201, made.text
    point = made.json()
    assert len(point["short_code"]) == 6 and point["radius_m"] == 50  # the site's setting
    renamed = admin.patch(f"{A}/points/{point['id']}", json={"name": "东门岗"}).json()
    assert renamed["version"] == 2
    history = admin.get(f"{A}/points/{point['id']}/history").json()
    assert [h["point"]["name"] for h in history] == ["东门", "东门岗"]
    # Never used: deleted. On a current route: refused. With a past: retired.
    assert admin.post(f"{A}/points/{point['id']}/retire").json()["deleted"] is True
    on_route = admin.post(f"{A}/points/c05/retire")
    assert on_route.status_code == 409
    area = admin.post(f"{A}/points/a01/retire").json()
    assert area["retired"] is True
    ids = [p["id"] for p in admin.get(f"{A}/points").json()]
    assert "a01" not in ids
    assert "a01" in [p["id"] for p in admin.get(f"{A}/points?include_retired=true").json()]
    config = server.login("guard").get("/api/v1/config").json()
    assert "a01" not in [p["id"] for p in config["sites"][0]["points"]]
    assert "s-lobby" not in [s["id"] for s in admin.get(f"{A}/schedules").json()]


def test_routes_version_and_refuse_unknown_points(clients):
    admin = clients["admin"]
    bad = admin.post(f"{A}/routes", json={"name": "R", "checkpoint_ids": ["c01", "nope", "c01"]})
    assert bad.status_code == 422
    assert "twice" in bad.json()["detail"] and "nope" in bad.json()["detail"]
    made = admin.post(
        f"{A}/routes",
        json={
            "name": "夜巡",
            "checkpoint_ids": ["c06", "c07"],
            "ordered": True,
            "not_before": {"c07": 10},
        },
    ).json()
    changed = admin.put(f"{A}/routes/{made['id']}", json={"checkpoint_ids": ["c07", "c06"]}).json()
    assert changed["version"] == 2 and changed["not_before"] == {"c07": 10}


def test_schedule_preview_warns_of_no_visits_and_overlaps(clients):
    admin = clients["admin"]
    first = {
        "target_id": "r1",
        "fixed_times": ["09:00"],
        "window_minutes": 60,
        "responsible_user_id": "u-guard",
        "name": "早班",
    }
    saved = admin.post(f"{A}/schedules", json=first)
    assert saved.status_code == 201, saved.text
    overlap = admin.post(
        f"{A}/schedule-preview?days=7",
        json=first | {"fixed_times": ["09:30"], "name": "另一"},
    ).json()
    assert overlap["count"] == 7 and len(overlap["per_day"]) == 7
    assert [w["code"] for w in overlap["warnings"]] == ["overlap"]
    assert overlap["warnings"][0]["schedule_id"] == saved.json()["schedule"]["id"]
    series = admin.post(
        f"{A}/schedule-preview?days=2",
        json={"target_id": "r1", "every_minutes": 120, "start": "20:00", "end": "06:00"},
    ).json()
    assert series["count"] == 10  # 20, 22, 0, 2, 4 — two nights
    invalid = admin.post(f"{A}/schedule-preview", json={"target_id": "r1"})
    assert invalid.status_code == 422 and "fixed times" in invalid.json()["detail"]


def test_people_reset_deactivate_and_sign_out_a_device(server, clients):
    admin = clients["admin"]
    made = admin.post(f"{A}/people", json={"username": "guard9", "name": "九", "role": "guard"})
    assert made.status_code == 201, made.text
    person = made.json()
    one_time = person["one_time_password"]
    assert one_time and len(one_time) == 12
    pin = admin.post(
        f"{A}/people",
        json={"username": "lead9", "name": "L", "role": "guard_lead", "password": "123456"},
    )
    assert pin.status_code == 422 and "PIN" in pin.json()["detail"]
    escalate = clients["manager"].post(
        f"{A}/people", json={"username": "boss", "name": "B", "role": "admin"}
    )
    assert escalate.status_code == 422 and "only an admin" in escalate.json()["detail"]
    phone = server.login("guard9", one_time)
    assert phone.get("/api/v1/auth/me").status_code == 200
    devices = admin.get(f"{A}/people/{person['id']}/devices").json()
    assert [d["device_id"] for d in devices] == ["dev-guard9"]
    out = admin.post(f"{A}/people/{person['id']}/devices/dev-guard9/sign-out").json()
    assert out["signed_out"] == 1
    assert phone.get("/api/v1/auth/me").status_code == 401
    reset = admin.post(f"{A}/people/{person['id']}/password", json={"password": "654321"}).json()
    assert reset["one_time_password"] is None
    phone = server.login("guard9", "654321")
    admin.post(f"{A}/people/{person['id']}/deactivate")
    assert phone.get("/api/v1/auth/me").status_code == 401
    with pytest.raises(httpx.HTTPStatusError):
        server.login("guard9", "654321")


def test_the_audit_log_records_before_and_after_and_is_append_only(server, clients):
    admin = clients["admin"]
    admin.patch(f"{A}/points/c10", json={"name": "Checkpoint ten"})
    entry = admin.get(f"{A}/audit?limit=1").json()[0]
    assert entry["action"] == "point.update" and entry["user_id"] == "u-admin"
    assert (entry["before"]["name"], entry["after"]["name"]) == ("Checkpoint 10", "Checkpoint ten")
    assert clients["guard"].get(f"{A}/audit").status_code == 403
    db = sqlite3.connect(Path(server.settings.db_path))
    for sql in ("update audit set action = 'x'", "delete from audit"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.execute(sql)
    db.close()


def _xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def test_import_reports_each_bad_row_and_stores_nothing_until_confirmed(clients):
    admin = clients["admin"]
    template = admin.get(f"{A}/import/people/template.xlsx")
    assert template.status_code == 200 and template.content[:2] == b"PK"
    header = ["username 登录名", "name 姓名", "role 角色", "password 密码"]
    bad = _xlsx(
        [
            header,
            ["imp1", "甲", "保安", ""],
            ["guard", "重名", "guard", ""],
            ["imp2", "乙", "pilot", ""],
            ["imp1", "丙", "cleaner", ""],
        ]
    )
    report = admin.post(f"{A}/import/people/check", content=bad).json()
    assert [r["ok"] for r in report["rows"]] == [True, False, False, False]
    assert "taken" in report["rows"][1]["errors"][0]
    assert "role" in report["rows"][2]["errors"][0]
    assert report["token"] is None
    people_before = admin.get(f"{A}/people").json()
    forced = admin.post(f"{A}/import/people/confirm?token={'a' * 64}", content=bad)
    assert forced.status_code == 409
    assert admin.get(f"{A}/people").json() == people_before

    good = _xlsx([header, ["imp1", "甲", "保安", ""], ["imp2", "乙", "cleaner", "123456"]])
    checked = admin.post(f"{A}/import/people/check", content=good).json()
    assert checked["ok"] == 2 and checked["token"]
    done = admin.post(f"{A}/import/people/confirm?token={checked['token']}", content=good)
    assert done.status_code == 201, done.text
    created = done.json()["created"]
    assert [c["username"] for c in created] == ["imp1", "imp2"]
    assert created[0]["one_time_password"] and created[1]["one_time_password"] is None
    again = admin.post(f"{A}/import/people/confirm?token={checked['token']}", content=good)
    assert again.status_code == 422  # the names are taken now: nothing half-imported


def test_the_server_answers_other_requests_while_an_import_hashes_passwords(server, clients):
    """A 20-person import hashes 20 passwords (argon2, ~0.2 s of CPU each). Hashed on the
    event loop, no other request is answered until the import is done; hashed in worker
    threads, /healthz keeps answering in the meantime (counted, not timed)."""
    admin = clients["admin"]
    header = ["username 登录名", "name 姓名", "role 角色", "password 密码"]
    rows = [[f"bulk{i:02d}", f"批量{i}", "guard", ""] for i in range(20)]
    sheet = _xlsx([header, *rows])
    checked = admin.post(f"{A}/import/people/check", content=sheet).json()
    assert checked["ok"] == 20 and checked["token"]
    finished = threading.Event()
    answered_during: list[int] = []

    def poll() -> None:
        with httpx.Client(base_url=server.url, timeout=60) as probe:
            while not finished.is_set():
                status = probe.get("/healthz").status_code
                if not finished.is_set():
                    answered_during.append(status)

    poller = threading.Thread(target=poll)
    poller.start()
    try:
        done = admin.post(
            f"{A}/import/people/confirm?token={checked['token']}", content=sheet, timeout=300
        )
    finally:
        finished.set()
        poller.join()
    assert done.status_code == 201, done.text
    assert len(done.json()["created"]) == 20
    assert all(c["one_time_password"] for c in done.json()["created"])
    assert answered_during.count(200) >= 10, answered_during


def test_point_import_from_csv(clients):
    admin = clients["admin"]
    csv = (
        "kind,name,zone,plan_x,plan_y,checks,template_id\n"
        "checkpoint,北门,园区,0.1,0.9,消防设施完好?;门禁正常?,\n"
        "area,大堂,1号楼,0.5,0.5,,six-clean-three-none\n"
        "area,车库,B1,2,0.5,,\n"
    )
    report = admin.post(f"{A}/import/points/check", content=csv.encode()).json()
    assert [r["ok"] for r in report["rows"]] == [True, True, False]
    errors = " ".join(report["rows"][2]["errors"])
    assert "plan_x" in errors and "template" in errors
    fixed = csv.replace("车库,B1,2,0.5,,", "车库,B1,0.2,0.5,,six-clean-three-none").encode()
    checked = admin.post(f"{A}/import/points/check", content=fixed).json()
    done = admin.post(f"{A}/import/points/confirm?token={checked['token']}", content=fixed)
    assert done.status_code == 201, done.text
    names = {p["name"]: p for p in admin.get(f"{A}/points").json()}
    assert names["北门"]["checks"] == ["消防设施完好?", "门禁正常?"]


def test_a_spreadsheet_bomb_or_junk_is_refused(clients):
    admin = clients["admin"]
    junk = admin.post(f"{A}/import/people/check", content=b"PK\x03\x04 not a zip at all")
    assert junk.status_code == 415
    buf = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/huge.xml", b"\0" * (60 * 1024 * 1024))
    assert admin.post(f"{A}/import/people/check", content=buf.getvalue()).status_code == 413


@pytest.mark.parametrize("name", ["bad\x00name", "tab\tname", "\u202egate"])
def test_names_that_would_break_labels_are_refused(clients, name):
    response = clients["admin"].post(
        f"{A}/points",
        content=f'{{"name": "{name.encode("unicode_escape").decode()}"}}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422


def test_the_audit_log_pages_back_and_bounds_its_cursor(clients):
    admin = clients["admin"]
    newest = admin.get(f"{A}/audit?limit=2").json()
    older = admin.get(f"{A}/audit?limit=2&before_id={newest[-1]['id']}").json()
    assert older and older[0]["id"] < newest[-1]["id"]
    assert admin.get(f"{A}/audit?before_id={2**70}").status_code == 422


def test_company_templates_are_kept_by_quality_used_by_every_site_and_copied_not_edited(
    server, clients
):
    admin, quality = clients["admin"], clients["quality"]
    body = {
        "name_zh": "集团巡检标准",
        "items": [
            {"key": "floor", "group": "六清", "label_zh": "地面清洁"},
            {"key": "bins", "group": "三无", "label_zh": "垃圾桶无满溢"},
        ],
    }
    for who in ("admin", "manager", "guard", "beta-manager"):
        refused = clients[who].post("/api/v1/company/templates", json=body)
        assert refused.status_code == 403, (who, refused.text)
    assert clients["guard"].get("/api/v1/company/templates").status_code == 403
    strict = quality.post("/api/v1/company/templates", json=body | {"photo": True})
    assert strict.status_code == 422
    default_id = quality.post(
        "/api/v1/company/templates", json=body | {"id": "six-clean-three-none"}
    )
    assert default_id.status_code == 409
    made = quality.post("/api/v1/company/templates", json=body)
    assert made.status_code == 201, made.text
    cid = made.json()["id"]
    assert made.json()["version"] == 1

    for client, site in ((admin, "alpha"), (clients["beta-manager"], "beta")):
        listed = {t["id"]: t for t in client.get(f"/api/v1/sites/{site}/templates").json()}
        assert listed[cid]["scope"] == "company" and not listed[cid]["editable"]
    edit = admin.post(f"{A}/templates/{cid}/versions", json=body)
    assert edit.status_code == 403 and "copy" in edit.json()["detail"]

    copied = admin.post(f"{A}/templates/{cid}/copy")
    assert copied.status_code == 201, copied.text
    assert copied.json()["id"] != cid and copied.json()["items"] == made.json()["items"]
    listed = {t["id"]: t for t in admin.get(f"{A}/templates").json()}
    assert listed[copied.json()["id"]]["scope"] == "site"

    # Reword, reorder and remove: version 2; version 1 stays for past inspections.
    v2_body = {
        "name_zh": "集团巡检标准",
        "items": [{"key": "bins", "group": "三无", "label_zh": "垃圾桶无满溢、无异味"}],
    }
    v2 = quality.post(f"/api/v1/company/templates/{cid}/versions", json=v2_body)
    assert v2.status_code == 201 and v2.json()["version"] == 2
    assert [t["version"] for t in quality.get("/api/v1/company/templates").json()] == [2]
    assert admin.post("/api/v1/company/templates/nope/versions", json=v2_body).status_code == 403
    assert quality.post("/api/v1/company/templates/nope/versions", json=v2_body).status_code == 404
    storage = Storage(server.settings.db_path)
    versions = {(t.id, t.version): t for t in storage.templates("beta")}
    storage.close()
    assert [i.key for i in versions[(cid, 1)].items] == ["floor", "bins"]
    assert [i.label_zh for i in versions[(cid, 2)].items] == ["垃圾桶无满溢、无异味"]
    entries = [e for e in admin.get(f"{A}/audit").json() if e["target"] == copied.json()["id"]]
    assert entries and entries[0]["action"] == "template.publish"


def test_a_site_edits_a_default_template_as_its_own_version_others_keep_theirs(clients):
    admin = clients["admin"]
    before = {t["id"]: t for t in admin.get(f"{A}/templates").json()}
    default = before["six-clean-three-none"]
    assert default["scope"] in ("default", "site") and default["editable"]
    items = default["items"]
    edited = [dict(items[1]), dict(items[0]) | {"label_zh": "楼道地面干净"}, *items[3:]]
    edited.append({"key": "lift", "group": "六清", "label_zh": "电梯轿厢干净"})
    body = {"name_zh": default["name_zh"], "name_en": default["name_en"], "items": edited}
    done = admin.post(f"{A}/templates/six-clean-three-none/versions", json=body)
    assert done.status_code == 201, done.text
    after = {t["id"]: t for t in admin.get(f"{A}/templates").json()}["six-clean-three-none"]
    assert after["version"] == default["version"] + 1 and after["scope"] == "site"
    assert [i["key"] for i in after["items"]] == [i["key"] for i in edited]
    beta = clients["beta-manager"].get("/api/v1/sites/beta/templates").json()
    assert next(t for t in beta if t["id"] == "six-clean-three-none")["version"] == 1
