"""The console in a real headless browser, served by the server at /console.

A manager opens last week's coverage map for the guard who walked it, sees which
checkpoints were missed and by whom (marker pixel colours at the points' positions, on
screen and in the PNG render), opens the gap view, and reviews the held scan; a lead sees
a round not started in red and acknowledges it; a guard is sent to the phone app.
Screenshots of every screen go to test-artifacts/screens/console-*.png.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, time, timedelta

import pytest
from PIL import Image
from playwright.sync_api import Page

from domain.models import Schedule, TargetKind
from domain.presence import ShareBand
from server.plan_render import BAND_COLOURS, GAP_COLOURS, LEGEND_HEIGHT
from server.serve import ServerThread
from tests.console.conftest import Live
from tests.console.scenario import PASSWORD, POSITIONS, TZ
from tests.driver import FlutterPage, chromium

pytestmark = pytest.mark.browser

WIDE = {"width": 1280, "height": 860}
PHONE = {"width": 412, "height": 915}


def rgb(hex_colour: str) -> tuple[int, int, int]:
    return (int(hex_colour[1:3], 16), int(hex_colour[3:5], 16), int(hex_colour[5:7], 16))


class Console(FlutterPage):
    """The console in a page."""

    failure_shot = "console-failed"

    def __init__(self, page: Page, url: str) -> None:
        super().__init__(page, url, settle_ms=2000)

    def sign_in(self, username: str) -> None:
        self.page.get_by_role("textbox", name="用户名").click()
        self.page.keyboard.type(username)
        self.page.get_by_role("textbox", name="密码").click()
        self.page.keyboard.type(PASSWORD)
        self.page.get_by_role("button", name="登录").click()
        self.page.wait_for_timeout(2500)

    def tap_text(self, text: str, exact: bool = True) -> None:
        self.page.get_by_text(text, exact=exact).first.click()
        self.page.wait_for_timeout(1500)

    def nav(self, name: str) -> None:
        self.page.get_by_role("button", name=name).first.click()
        self.page.wait_for_timeout(2000)

    def marker_pixel(self, screen: bytes, point_id: str) -> tuple[int, int, int]:
        box = self.page.get_by_text(f"点位 {point_id} ").first.bounding_box()
        assert box is not None, point_id
        img = Image.open(io.BytesIO(screen)).convert("RGB")
        return img.getpixel(
            (round(box["x"] + box["width"] / 2), round(box["y"] + box["height"] / 2))
        )


def png_pixel(png: bytes, x: float, y: float) -> tuple[int, int, int]:
    img = Image.open(io.BytesIO(png)).convert("RGB")
    return img.getpixel((round(x * img.width), round(y * (img.height - LEGEND_HEIGHT))))


@pytest.fixture
def console_live(scenario):
    # A round of the route due 20 minutes ago that nobody started: the lead's alert.
    storage = scenario.storage()
    due = (datetime.now(UTC) - timedelta(minutes=20)).astimezone(TZ)
    storage.add_schedule(
        Schedule(
            "s-now",
            1,
            "alpha",
            TargetKind.ROUTE,
            "r1",
            datetime.now(UTC) - timedelta(days=2),
            fixed_times=(time(due.hour, due.minute),),
            window_minutes=60,
            grace_minutes=10,
        )
    )
    storage.close()
    server = ServerThread(scenario.settings).start()
    yield Live(server.url, scenario)
    server.stop()


def test_manager_reads_last_weeks_map_and_a_lead_acknowledges_a_round_not_started(
    console_live,
):
    live = console_live
    with chromium() as browser:
        page = browser.new_context(viewport=WIDE).new_page()
        c = Console(page, f"{live.url}/console/")
        c.shot("console-01-sign-in")
        c.sign_in("manager")
        c.sees("巡检覆盖图")

        # Last week, only what guard 张伟 walked or was responsible for.
        c.tap_text("周")
        page.get_by_label("上一段").click()
        page.wait_for_timeout(1500)
        page.get_by_role("button", name="人员").first.click()
        page.wait_for_timeout(800)
        page.get_by_role("button", name="张伟", exact=True).last.click()
        page.wait_for_timeout(2500)
        screen = c.shot("console-02-coverage-last-week")
        # A week: each marker by the share of its visits covered (his one visit of each)
        expected = {
            "c01": ShareBand.ALL_ON_TIME,
            "c04": ShareBand.COVERED,  # met, late
            "c05": ShareBand.PENDING,  # only a held scan would meet it
            "c06": ShareBand.POOR,  # missed
        }
        for point, band in expected.items():
            assert c.marker_pixel(screen, point) == rgb(BAND_COLOURS[band]), point

        # Who missed c06: tap it.
        page.get_by_text("点位 c06 ").first.click()
        page.wait_for_timeout(2000)
        c.sees("负责人：张伟")
        c.shot("console-03-coverage-detail")

        # The same map as a PNG, for reports.
        manager = live.login("manager")
        png = manager.get(
            "/api/v1/sites/alpha/coverage-map.png",
            params={"period": "week", "date": live.scenario.day.isoformat(), "person": "u-guard"},
        ).content
        for point, band in expected.items():
            assert png_pixel(png, *POSITIONS[point]) == rgb(BAND_COLOURS[band]), point

        # Gap view: nobody saw any of them for more than 12 hours that week.
        page.get_by_role("button", name="空档视图").click()
        page.wait_for_timeout(2500)
        screen = c.shot("console-04-gap-view")
        assert c.marker_pixel(screen, "c01") == rgb(GAP_COLOURS[-1])

        # Review the held scan at c05: accept it with a reason.
        c.nav("待审核")
        c.sees("二维码签名无效")
        c.tap_text("二维码签名无效", exact=False)
        c.sees("同一人前后30分钟的扫码")
        c.shot("console-05-review")
        page.get_by_role("textbox", name="理由（驳回必填）").click()
        page.keyboard.type("标签破损，已现场核实")
        page.get_by_role("button", name="通过").first.click()
        page.wait_for_timeout(2000)
        c.sees("已审核 1")
        report = manager.get(
            "/api/v1/sites/alpha/coverage",
            params={"period": "day", "date": live.scenario.day.isoformat()},
        ).json()
        c05 = [v for v in report["visits"] if v["point_id"] == "c05" and v["scan_id"]]
        assert len(c05) == 1  # the accepted scan now counts

        # A lead: the round not started is red, with who was expected; acknowledge it.
        page.get_by_role("button", name="退出登录").click()
        page.wait_for_timeout(1500)
        c.sign_in("lead")
        c.nav("实时监控")
        c.sees("未按时开始")
        c.sees("应由 张伟")
        c.shot("console-06-live")
        page.get_by_role("button", name="确认").first.click()
        page.wait_for_timeout(1000)
        page.get_by_role("textbox", name="备注（可选）").click()
        page.keyboard.type("已电话联系，马上开始")
        page.get_by_role("button", name="确认").last.click()
        page.wait_for_timeout(2000)
        c.sees("王建国 已于")
        c.shot("console-07-live-acknowledged")
        alerts = manager.get("/api/v1/sites/alpha/live").json()["alerts"]
        # The route's own 08:00/20:00 round may also be late at the hour this runs; the
        # lead acknowledged exactly one of them.
        (alert,) = [a for a in alerts if a["kind"] == "not_started" and a["ack"]]
        assert alert["ack"]["by"] == "王建国" and alert["ack"]["comment"] == "已电话联系，马上开始"

        # A reload (F5) keeps the lead signed in, on the same screen.
        c.reload()
        c.sees("王建国 已于")
        assert page.get_by_role("textbox", name="密码").count() == 0

        # English, then a guard is sent to the phone app.
        c.tap_text("English")
        c.sees("Live")
        c.shot("console-08-live-english")
        c.tap_text("中文")
        page.get_by_role("button", name="退出登录").click()
        page.wait_for_timeout(1500)
        c.sign_in("guard")
        c.sees("请使用手机App")
        c.shot("console-09-field-role")
        page.get_by_role("button", name="退出登录").click()
        page.wait_for_timeout(1500)
        c.reload()  # signed out: the reload asks who it is
        c.sees("用户名")

        # A phone: the menu opens a drawer.
        phone = browser.new_context(viewport=PHONE).new_page()
        p = Console(phone, f"{live.url}/console/")
        p.sign_in("manager")
        p.sees("巡检覆盖图")
        p.shot("console-10-phone-coverage")
        phone.mouse.click(30, 28)  # the menu button, top left
        phone.wait_for_timeout(1200)
        p.shot("console-11-phone-menu")
