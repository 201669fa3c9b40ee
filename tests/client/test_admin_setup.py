"""Issue 8's done-when flow in a real headless browser: from an empty server, the first
admin signs in to the console, creates a site (the first-run form), uploads a plan,
places 10 checkpoints and 3 cleaning areas by tapping on it, builds a route and a
schedule (preview checked first), edits the 六清三无 template and publishes version 2,
imports 5 people from an XLSX (per-row report, then confirm) and opens the label sheet;
a guard then signs in on the field app with the imported account and walks the new
route by typing the labels' short codes. Screens: test-artifacts/screens/admin-*.png.

Robust to a loaded machine: each step waits for what it should bring; a tap whose effect
did not come is tapped again, judged by the server's data where a second tap would
otherwise add something twice.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from openpyxl import Workbook
from PIL import Image, ImageDraw

from server.bootstrap import create_admin
from server.serve import ServerThread
from server.settings import Settings
from server.storage import Storage
from tests.client.browser import PHONE, Phone, WebClient
from tests.driver import FlutterPage, chromium

pytestmark = pytest.mark.browser
WIDE = {"width": 1400, "height": 1200}  # the admin's navigation rail has 14 screens
CHECKPOINTS = [
    "东门岗",
    "西门岗",
    "南门岗",
    "北门岗",
    "地库入口",
    "1号楼",
    "2号楼",
    "3号楼",
    "会所",
    "泵房",
]
AREAS = ["1号楼大堂", "中心花园", "垃圾站"]
ROUTE = ["东门岗", "地库入口", "会所", "泵房"]


def _plan(path: Path) -> Path:
    img = Image.new("RGB", (1200, 800), (236, 240, 228))
    d = ImageDraw.Draw(img)
    for box in ([100, 100, 400, 300], [600, 120, 1000, 360], [200, 480, 700, 700]):
        d.rectangle(box, fill=(210, 200, 180), outline=(110, 90, 70), width=4)
    img.save(path, "PNG")
    return path


def _people(path: Path) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["username 登录名", "name 姓名", "role 角色", "password 密码"])
    sheet.append(["g1", "张三", "保安", "135790"])
    sheet.append(["g2", "李四", "guard", ""])
    sheet.append(["c1", "王芳", "保洁员", ""])
    sheet.append(["c2", "陈静", "cleaner", ""])
    sheet.append(["lead1", "赵队", "guard_lead", ""])
    book.save(path)
    return path


class Console(FlutterPage):
    failure_shot = "admin-failed"
    wait_ms = 15_000

    def tap(self, name: str, exact: bool = False) -> None:
        try:
            self.page.get_by_role("button", name=name, exact=exact).first.click(timeout=15_000)
        except Exception:
            self.shot("admin-failed")
            raise
        self.page.wait_for_timeout(900)

    def tap_once(self, name: str, done: Callable[[], bool], exact: bool = False) -> None:
        """Tap a button that stores something, until the server has it (`done`): tapped
        again only when nothing was stored, so a slow tap never stores twice."""
        for _ in range(3):
            with contextlib.suppress(Exception):
                self.page.get_by_role("button", name=name, exact=exact).first.click(timeout=8000)
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                if done():
                    self.page.wait_for_timeout(400)
                    return
                time.sleep(0.3)
        self.shot("admin-failed")
        raise AssertionError(f"tapping {name!r} stored nothing")

    def type_into(self, label: str, text: str, nth: int = 0) -> None:
        box = self.page.get_by_role("textbox", name=label).nth(nth)
        box.click()
        self.page.wait_for_timeout(200)
        self.page.keyboard.press("Control+A")
        self.page.keyboard.type(text, delay=15)


def test_from_an_empty_server_an_admin_sets_a_site_up_in_the_console(tmp_path: Path):
    settings = Settings(data_dir=tmp_path / "server")
    settings.data_dir.mkdir(parents=True)
    storage = Storage(settings.db_path)
    password = create_admin(storage, "boss", "Lake Property")
    storage.close()
    server = ServerThread(settings).start()
    try:
        with chromium() as browser:
            page = browser.new_page(viewport=WIDE)
            c = Console(page, f"{server.url}/console/")
            c.type_into("用户名", "boss")
            c.type_into("密码", password)
            c.tap("登录")
            # The one-time password was printed for someone else to read: choose one's own.
            c.sees("请先设置一个只有您知道的新密码")
            c.type_into("当前密码", password)
            c.type_into("新密码（至少 8 个字符）", "Lakeside-2026!")
            c.type_into("再次输入新密码", "Lakeside-2026!")
            c.tap("保存新密码")
            c.sees("欢迎！先创建您的第一个项目（小区）")
            c.shot("admin-01-first-run")
            c.type_into("项目名称", "湖滨小区")
            c.type_into("地址", "湖滨路1号")
            c.tap("创建项目")
            c.sees("还没有平面图：请上传 PNG 或 JPEG")
            c.upload("上传平面图", _plan(tmp_path / "plan.png"))
            c.sees("点击平面图放置新点位")
            # Tap 13 places on the plan: 10 checkpoints, then 3 cleaning areas.
            box = _plan_box(page)
            spots = [(0.1 + 0.2 * (i % 5), 0.2 + 0.3 * (i // 5)) for i in range(13)]
            names = CHECKPOINTS + AREAS

            def stored_points() -> int:
                with sqlite3.connect(settings.db_path) as db:
                    return db.execute("select count(*) from points").fetchone()[0]

            for n, ((fx, fy), name) in enumerate(zip(spots, names, strict=True)):
                where = page.get_by_text("位置 ").first
                for _ in range(3):
                    page.mouse.click(box[0] + fx * box[2], box[1] + fy * box[3])
                    with contextlib.suppress(Exception):
                        where.wait_for(timeout=8000)
                        break
                c.type_into("点位名称", name)
                if name == AREAS[0]:  # an area: its checks come from a template (the first)
                    checks = page.get_by_role("textbox", name="检查项")
                    for _ in range(3):
                        if checks.count() == 0:
                            break
                        c.tap("保洁区域")
                        page.wait_for_timeout(1500)
                    assert checks.count() == 0
                c.tap_once("添加点位", lambda n=n: stored_points() == n + 1)
                c.sees(f"{n + 1} 个点位")
            c.shot("admin-02-points-on-plan")

            c.tap_until("路线与排班", "路线名称")
            c.type_into("路线名称", "夜间巡逻")
            for n, name in enumerate(ROUTE, start=1):
                c.tap_until(f"+ {name}", f"{n}. {name}", exact=True)
            # The up/down buttons (the accessible alternative to dragging): 地库入口 up.
            c.tap_until("上移", f"1. {ROUTE[1]}", nth=1)
            c.tap_until("上移", f"1. {ROUTE[0]}", nth=1)  # and back
            c.tap_until("保存路线（新版本）", "夜间巡逻 · 第 1 版")
            c.tap_until("保存排班", "请先预览再保存")
            c.tap_until("每隔N小时", "每隔几小时")  # a round every hour: one is always open
            c.type_into("每隔几小时", "1")
            c.type_into("开始", "00:00")
            c.type_into("结束", "00:00")
            c.tap_until("预览未来7天", "未来7天共 168 次")
            c.shot("admin-03-schedule-preview")
            c.tap_until("保存排班", "停止")
            c.sees("· 夜间巡逻 · ")  # the saved schedule names its route, not the route's id

            # The inspection template: reword an item, add one, publish version 2.
            c.tap_until("巡检模板", "本项目使用的模板")
            c.tap_until("六清三无 · 第 1 版", "检查内容")
            c.type_into("检查内容", "楼道、大堂地面干净无积水")
            items = page.get_by_role("textbox", name="检查内容")
            before = items.count()
            for _ in range(3):
                c.tap("添加检查项")
                with contextlib.suppress(Exception):
                    items.nth(before).wait_for(timeout=10_000)
                    break
            assert items.count() == before + 1
            c.type_into("检查内容", "电梯轿厢干净", nth=before)
            c.shot("admin-05a-template-editor")
            c.tap_until("发布新版本", "六清三无 · 第 2 版")
            c.shot("admin-05b-template-published")

            c.tap_until("账号管理", "从表格导入人员（XLSX/CSV）")
            c.upload("从表格导入人员（XLSX/CSV）", _people(tmp_path / "people.xlsx"))
            c.sees("5 行可以导入，0 行有错误")
            c.shot("admin-04-import-report")
            c.tap("确认导入")
            c.sees("张三 (g1)", timeout=30_000)  # five passwords hashed meanwhile
            c.shot("admin-05-people")
            c.tap_until("站点与点位", "打印二维码标签")
            c.tap_until("打印二维码标签", "重印全部标签")
            page.wait_for_timeout(2500)
            c.shot("admin-06-labels")
            c.tap("关闭", exact=True)
            c.tap_until("操作日志", "发布模板")
            c.sees("导入人员")  # the people screen is gone: this is the log
            c.shot("admin-07-audit")
        # The imported guard walks the new route on the field app, typing the codes
        # printed under the labels.
        guard = httpx.post(
            f"{server.url}/api/v1/auth/login",
            json={"username": "g1", "password": "135790", "device_id": "api-g1"},
        )
        assert guard.status_code == 200, guard.text
        config = httpx.get(
            f"{server.url}/api/v1/config",
            headers={"Authorization": f"Bearer {guard.json()['token']}"},
        ).json()
        site = config["sites"][0]
        assert [r["name"] for r in site["routes"]] == ["夜间巡逻"]
        codes = {p["id"]: p["short_code"] for p in site["points"]}
        route = site["routes"][0]["checkpoint_ids"]
        client = WebClient(tmp_path / "phone", server.url)
        try:
            with chromium() as browser:
                context = browser.new_context(viewport=PHONE, permissions=["camera"])
                phone = Phone(context.new_page(), client.url)
                phone.type_into("用户名", "g1")
                phone.type_into("密码", "135790")
                phone.tap("登录")
                phone.sees("夜间巡逻")
                phone.shot("admin-08-guard-today")
                # The hourly rounds start from the next hour (the schedule is effective
                # from when it was saved); an extra round of the new route starts now.
                try:
                    # The extra round's button ends today's list: by day, below the fold.
                    extra = phone.page.get_by_role("button", name="夜间巡逻", exact=True)
                    for _ in range(12):
                        if extra.count():
                            break
                        phone.page.mouse.move(200, 600)
                        phone.page.mouse.wheel(0, 800)
                        phone.page.wait_for_timeout(500)
                    phone.tap("夜间巡逻", exact=True)
                except Exception:
                    phone.shot("admin-failed-phone")
                    raise
                phone.sees(f"进度 0/{len(route)}")
                try:
                    for n, point_id in enumerate(route, start=1):
                        phone.tap_until("扫码", "标签下方的编码")
                        phone.type_into("标签下方的编码", codes[point_id])
                        phone.page.keyboard.press("Enter")
                        phone.sees("下一个点", timeout=20_000)
                        phone.shot("admin-09-guard-walks-new-route")
                        if n < len(route):  # a lost tap is tapped again
                            phone.tap_until("下一个点", f"进度 {n}/{len(route)}")
                        else:
                            phone.tap("下一个点")
                except Exception:
                    phone.shot("admin-failed-phone")
                    raise
        finally:
            client.stop()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with sqlite3.connect(settings.db_path) as db:
                scans = db.execute("select count(*) from records where kind = 'scan'").fetchone()[0]
            if scans == len(route):
                break
            time.sleep(0.5)
        assert scans == len(route)
    finally:
        server.stop()


def _plan_box(page) -> tuple[float, float, float, float]:
    """(x, y, width, height) of the plan image on screen, by its accessible name."""
    box = page.get_by_role("img", name="项目平面图").first.bounding_box()
    assert box is not None
    return box["x"], box["y"], box["width"], box["height"]
