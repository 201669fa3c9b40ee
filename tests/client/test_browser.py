"""The real web client in headless chromium at phone size (412×915), against real uvicorn.

The fake camera plays a generated label image, so scanning goes through flet-camera's
take_picture and the Python QR decoder exactly as on a phone. Screenshots of each main
screen are kept in test-artifacts/screens/.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
from pathlib import Path

import pytest

from tests.client.browser import CHROMIUM, PHONE, Phone, WebClient, chromium, y4m_from_png
from tests.client.helpers import camera_photo, label_image
from tests.conftest import ALL_PASS, batch, inspection
from tests.factory import PASSWORD

pytestmark = [
    pytest.mark.browser,  # `-m "not browser"` leaves these out
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium"),
]


@pytest.fixture
def phone_for(live_server, tmp_path):
    with contextlib.ExitStack() as opened:

        def open_phone(camera_label: str):
            camera = y4m_from_png(label_image("alpha", camera_label), tmp_path / "camera.y4m")
            client = WebClient(tmp_path / "phone", live_server.url)
            opened.callback(client.stop)  # after the browser closes
            browser = opened.enter_context(chromium(camera))
            context = browser.new_context(
                viewport=PHONE,
                permissions=["camera", "geolocation"],
                geolocation={"latitude": 31.2002, "longitude": 121.4},  # beside checkpoint c01
            )
            return Phone(context.new_page(), client.url)

        yield open_phone


def sign_in(phone: Phone, username: str) -> None:
    phone.sees("巡检通 Rounds")
    phone.shot("00-login")
    phone.type_into("用户名", username)
    phone.type_into("密码", PASSWORD)
    phone.tap("登录")


def server_count(live_server, kind: str) -> int:
    with sqlite3.connect(live_server.settings.db_path) as db:
        if kind == "photos":
            return db.execute("select count(*) from photos").fetchone()[0]
        return db.execute("select count(*) from records where kind = ?", [kind]).fetchone()[0]


def test_guard_walks_a_round_with_camera_scan_checks_and_anomaly_photo(live_server, phone_for):
    phone = phone_for("c01")
    sign_in(phone, "guard")
    phone.sees("今日任务")
    phone.shot("01-guard-today")

    phone.tap("开始")
    phone.sees("进度 0/20")
    phone.shot("02-round")
    phone.page.set_viewport_size({"width": 360, "height": 740})  # a small phone
    phone.shot("02-round-360px")
    phone.page.set_viewport_size(PHONE)

    phone.tap("扫码")  # the label is in front of the camera: it reads by itself, no tap
    phone.sees("点位检查")
    phone.sees("消防设施完好?")
    phone.shot("04-checks")
    # Saved on the phone first; online, it goes up at once, with no tap on "sync now".
    deadline = time.monotonic() + 15
    while server_count(live_server, "scan") == 0 and time.monotonic() < deadline:
        time.sleep(0.3)
    assert server_count(live_server, "scan") == 1

    phone.tap("报告异常")
    phone.sees("异常上报")
    # Choose a type and type a note, then take the photo: neither may be lost.
    phone.page.get_by_role("button", name="异常类型").or_(
        phone.page.get_by_label("异常类型")
    ).first.click()
    phone.page.wait_for_timeout(700)
    phone.page.get_by_text("消防隐患").or_(phone.page.get_by_label("消防隐患")).last.click()
    phone.page.wait_for_timeout(700)
    phone.type_into("备注", "灭火器过期")
    phone.tap("拍照")
    phone.page.wait_for_timeout(3000)
    phone.tap("拍照")
    phone.sees("重拍")
    phone.page.reload()  # a refresh too: the form comes back as it was left
    phone.page.wait_for_selector("#loading", state="detached", timeout=60_000)
    phone.page.wait_for_timeout(2500)
    phone.page.evaluate("document.querySelector('flt-semantics-placeholder')?.click()")
    phone.sees("重拍")
    phone.shot("05-anomaly")
    phone.tap("保存")
    phone.sees("进度 1/20")

    phone.tap("结束巡更")
    phone.type_into("还有点位未巡，请说明原因", "大雨，先结束")
    phone.tap("结束巡更")
    phone.sees("今日任务")
    phone.tap("立即同步")
    phone.sees("已全部上传")
    phone.shot("06-guard-synced")

    assert server_count(live_server, "scan") == 1
    assert server_count(live_server, "anomaly") == 1
    with sqlite3.connect(live_server.settings.db_path) as db:
        [(category, note)] = db.execute(
            "select body ->> '$.category', body ->> '$.note' from records where kind = 'anomaly'"
        ).fetchall()
    assert (category, note) == ("消防隐患", "灭火器过期")
    assert server_count(live_server, "round_finish") == 1
    assert server_count(live_server, "photos") == 1
    with sqlite3.connect(live_server.settings.db_path) as db:
        [(gps, flags)] = db.execute(
            "select body ->> '$.gps', flags from records where kind = 'scan'"
        ).fetchall()
    assert json.loads(gps)["lat"] == pytest.approx(31.2002) and flags == "[]"


def test_supervisor_inspects_an_area_and_a_failed_item_opens_a_rectification(
    live_server, phone_for
):
    phone = phone_for("a01")
    sign_in(phone, "super")
    phone.sees("复检")
    phone.shot("10-supervisor-home")

    phone.tap("扫码检查")
    phone.sees("六清三无")
    # A tall window for the checklist: Flutter names only the controls on screen, and the
    # 48 px answer buttons of ten items do not all fit on a phone's screen.
    phone.page.set_viewport_size({"width": PHONE["width"], "height": 2000})
    phone.page.wait_for_timeout(1500)
    passes = phone.page.get_by_role("button", name="合格", exact=True)
    for i in range(9):
        passes.nth(i).click()
        phone.page.wait_for_timeout(400)
    phone.page.get_by_role("button", name="不合格", exact=True).first.click()
    phone.page.wait_for_timeout(700)
    phone.page.set_viewport_size(PHONE)
    phone.page.wait_for_timeout(1500)
    phone.tap("拍照")
    phone.page.wait_for_timeout(3000)
    phone.tap("拍照")
    phone.sees("已拍照")
    phone.sees("得分 89%")
    phone.shot("11-inspection")
    phone.page.mouse.wheel(0, 3000)
    phone.shot("12-inspection-bottom")  # who fixes it: any cleaner unless one is picked
    phone.tap("提交")
    phone.sees("1 项整改已开出")
    phone.tap("立即同步")
    phone.sees("已全部上传")

    assert server_count(live_server, "inspection") == 1
    assert server_count(live_server, "photos") == 1


def test_cleaner_fixes_a_rectification_with_an_after_photo(live_server, phone_for):
    supervisor = live_server.login("super")
    before = supervisor.post(
        "/api/v1/sites/alpha/photos",
        content=camera_photo(5),
        headers={"Content-Type": "image/jpeg"},
    ).json()["sha256"]
    record = inspection(ALL_PASS | {"floor": "fail"}, {"floor": [before]}, assignee_id="u-cleaner")
    sent = supervisor.post("/api/v1/sync", json=batch(record)).json()
    assert sent["results"][0]["status"] == "accepted"

    phone = phone_for("a01")
    sign_in(phone, "cleaner")
    phone.sees("今日保洁区域")
    phone.sees("Lobby · 地面清洁")
    phone.shot("20-cleaner-home")
    phone.page.get_by_text("Lobby · 地面清洁").or_(
        phone.page.get_by_label("Lobby · 地面清洁")
    ).first.click()
    phone.sees("整改前")
    phone.tap("拍照")
    phone.page.wait_for_timeout(3000)
    phone.tap("拍照")
    phone.sees("重拍")
    phone.shot("21-cleaner-fix")
    phone.tap("提交")
    phone.sees("没有待整改项")
    phone.tap("立即同步")
    phone.sees("已全部上传")
    with sqlite3.connect(live_server.settings.db_path) as db:
        [(action, photos)] = db.execute(
            "select body ->> '$.action', photos from records where kind = 'rectification'"
        ).fetchall()
    assert action == "fixed" and len(json.loads(photos)) == 1
