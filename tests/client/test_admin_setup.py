"""Issue 8's done-when flow in a real headless browser: from an empty server, the first
admin signs in to the console, creates a site (the first-run form), uploads a plan,
places points by tapping on it, builds a route and a schedule (preview checked first),
imports people from an XLSX (per-row report, then confirm) and opens the label sheet;
a guard then signs in on the field app with the imported account and walks the new
route by typing the labels' short codes. Screens: test-artifacts/screens/admin-*.png.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import httpx
import pytest
from openpyxl import Workbook
from PIL import Image, ImageDraw

from server.bootstrap import create_admin
from server.serve import ServerThread
from server.settings import Settings
from server.storage import Storage
from tests.client.browser import ARTEFACTS, CHROMIUM, PHONE, Phone, WebClient, launch_args

pytestmark = pytest.mark.browser
WIDE = {"width": 1400, "height": 1000}


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


class Console:
    def __init__(self, page, url: str) -> None:
        self.page = page
        page.goto(url)
        page.wait_for_selector("#loading", state="detached", timeout=60_000)
        page.wait_for_timeout(2500)
        page.evaluate("document.querySelector('flt-semantics-placeholder')?.click()")
        page.wait_for_timeout(500)

    def tap(self, name: str, exact: bool = False) -> None:
        try:
            self.page.get_by_role("button", name=name, exact=exact).first.click(timeout=15_000)
        except Exception:
            self.shot("admin-failed")
            raise
        self.page.wait_for_timeout(900)

    def type_into(self, label: str, text: str, nth: int = 0) -> None:
        box = self.page.get_by_role("textbox", name=label).nth(nth)
        box.click()
        self.page.wait_for_timeout(200)
        self.page.keyboard.press("Control+A")
        self.page.keyboard.type(text, delay=15)

    def sees(self, text: str, timeout: float = 15_000) -> None:
        try:
            self.page.get_by_text(text).or_(self.page.get_by_label(text)).first.wait_for(
                timeout=timeout
            )
        except Exception:
            self.shot("admin-failed")
            raise

    def shot(self, name: str) -> None:
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        self.page.wait_for_timeout(600)
        self.page.screenshot(path=str(ARTEFACTS / f"{name}.png"))

    def upload(self, button: str, path: Path) -> None:
        with self.page.expect_file_chooser(timeout=15_000) as chooser:
            self.page.get_by_role("button", name=button).first.click()
        chooser.value.set_files(str(path))
        self.page.wait_for_timeout(2500)


def test_from_an_empty_server_an_admin_sets_a_site_up_in_the_console(tmp_path: Path):
    from playwright.sync_api import sync_playwright

    settings = Settings(data_dir=tmp_path / "server")
    settings.data_dir.mkdir(parents=True)
    storage = Storage(settings.db_path)
    password = create_admin(storage, "boss", "Lake Property")
    storage.close()
    server = ServerThread(settings).start()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=launch_args(None))
            page = browser.new_page(viewport=WIDE)
            c = Console(page, f"{server.url}/console/")
            c.type_into("用户名", "boss")
            c.type_into("密码", password)
            c.tap("登录")
            c.sees("欢迎！先创建您的第一个项目（小区）")
            c.shot("admin-01-first-run")
            c.type_into("项目名称", "湖滨小区")
            c.type_into("地址", "湖滨路1号")
            c.tap("创建项目")
            c.sees("还没有平面图：请上传 PNG 或 JPEG")
            c.upload("上传平面图", _plan(tmp_path / "plan.png"))
            c.sees("点击平面图放置新点位")
            # Tap three places on the plan.
            box = _plan_box(page)
            for n, (fx, fy, name, kind) in enumerate(
                [
                    (0.2, 0.3, "东门岗", "checkpoint"),
                    (0.6, 0.3, "地库入口", "checkpoint"),
                    (0.4, 0.75, "1号楼大堂", "area"),
                ]
            ):
                page.mouse.click(box[0] + fx * box[2], box[1] + fy * box[3])
                page.wait_for_timeout(900)
                c.type_into("点位名称", name)
                if kind == "area":
                    c.tap("保洁区域")  # the first template is chosen for it
                c.tap("添加点位")
                c.sees(f"{n + 1} 个点位")
            c.shot("admin-02-points-on-plan")

            c.tap("路线与排班")
            c.type_into("路线名称", "夜间巡逻")
            c.tap("+ 东门岗")
            c.tap("+ 地库入口")
            c.tap("上移")
            c.tap("保存路线（新版本）")
            c.sees("夜间巡逻 · 第 1 版")
            c.tap("保存排班")
            c.sees("请先预览再保存")
            c.tap("每隔N小时")  # a round every hour, all day: one is always open
            c.type_into("每隔几小时", "1")
            c.type_into("开始", "00:00")
            c.type_into("结束", "00:00")
            c.tap("预览未来7天")
            c.sees("未来7天共 168 次")
            c.shot("admin-03-schedule-preview")
            c.tap("保存排班")
            c.sees("停止")

            c.tap("人员账号")
            c.upload("从表格导入人员（XLSX/CSV）", _people(tmp_path / "people.xlsx"))
            c.sees("5 行可以导入，0 行有错误")
            c.shot("admin-04-import-report")
            c.tap("确认导入")
            c.sees("张三 (g1)")
            c.shot("admin-05-people")
            c.tap("站点与点位")
            c.tap("打印二维码标签")
            page.wait_for_timeout(2500)
            c.shot("admin-06-labels")
            c.tap("OK", exact=True)
            c.tap("操作日志")
            c.sees("import.people")
            c.shot("admin-07-audit")
            browser.close()
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
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=launch_args(None))
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
                    phone.tap("夜间巡逻", exact=True)
                except Exception:
                    phone.shot("admin-failed-phone")
                    raise
                phone.sees(f"进度 0/{len(route)}")
                try:
                    for n, point_id in enumerate(route, start=1):
                        phone.tap("扫码")
                        phone.type_into("标签下方的编码", codes[point_id])
                        phone.page.keyboard.press("Enter")
                        phone.sees("下一个点")
                        phone.shot("admin-09-guard-walks-new-route")
                        phone.tap("下一个点")
                        if n < len(route):
                            phone.sees(f"进度 {n}/{len(route)}")
                except Exception:
                    phone.shot("admin-failed-phone")
                    raise
                browser.close()
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
