"""One browser flow: a manager opens the rectifications screen (the escalated lobby floor
first, with its before and after photos: the cleaner has fixed it) and re-checks it with
a comment and a photo picked in the browser; then the tickets screen, opens the overdue
fire-exit ticket and closes it with a comment and a closing photo (real JPEGs through
the file chooser). Screenshots: console-rectifications.png, console-tickets.png."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from server.serve import ServerThread
from server.storage import Storage
from tests.console.scenario import Scenario
from tests.console.test_console_browser import WIDE, Console
from tests.console.tickets_data import add_anomalies, fix_rectification
from tests.driver import chromium

pytestmark = pytest.mark.browser


def _photo(path: Path, colour: tuple[int, int, int]) -> str:
    img = Image.new("RGB", (800, 600), colour)
    ImageDraw.Draw(img).rectangle([100, 100, 500, 400], fill=(230, 230, 60))
    img.save(path, "JPEG", quality=85)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_manager_rechecks_a_rectification_and_closes_a_ticket(scenario: Scenario, tmp_path):
    data = add_anomalies(scenario)
    fix_rectification(scenario, data)
    jpeg, recheck_jpeg = tmp_path / "完工.jpg", tmp_path / "复检.jpg"
    sha, recheck_sha = _photo(jpeg, (40, 140, 90)), _photo(recheck_jpeg, (90, 40, 140))
    server = ServerThread(scenario.settings).start()
    try:
        with chromium() as browser:
            page = browser.new_page(viewport=WIDE)
            console = Console(page, f"{server.url}/console/")
            console.sign_in("manager")
            console.nav("整改跟进")
            console.sees("超期已升级给您", timeout=30_000)
            console.tap_text("地面清洁", exact=False)
            console.sees("超期升级至经理")
            page.get_by_role("textbox", name="备注 / 复检意见").first.click()
            page.keyboard.type("地面已干净")
            console.upload("添加复检照片", recheck_jpeg)
            console.sees("更换复检照片", timeout=20_000)
            console.shot("console-rectifications")
            page.get_by_role("button", name="复检合格并关闭").first.click()
            console.sees("地面已干净", timeout=20_000)  # in its history now
            console.nav("异常工单")
            console.sees("消防通道堵塞", timeout=30_000)
            console.tap_text("消防通道堵塞", exact=False)
            page.get_by_role("textbox", name="备注").first.click()
            page.keyboard.type("已清理通道")
            console.upload("添加完工照片", jpeg)
            console.sees("更换完工照片", timeout=20_000)
            page.get_by_role("button", name="关闭工单").first.click()
            page.wait_for_timeout(2500)
            console.sees("已清理通道")
            console.shot("console-tickets")
    finally:
        server.stop()
    storage = Storage(scenario.settings.db_path)
    try:
        rows = storage.ticket_events("alpha", "anomaly", [data.fire_exit])[data.fire_exit]
        assert [(r.action, r.actor_id, r.note, r.photo) for r in rows] == [
            ("close", "u-manager", "已清理通道", sha)
        ]
        assert storage.photos_on_site("alpha", [sha])
        inspection = data.rectification.split("/")[0]
        (recheck,) = [
            r
            for r in storage.records_referring_to([inspection])
            if r.body.get("action") == "rechecked"
        ]
        assert (recheck.user_id, recheck.body["passed"], recheck.body["note"]) == (
            "u-manager",
            True,
            "地面已干净",
        )
        assert recheck.photos == [recheck_sha]
    finally:
        storage.close()
