"""One browser flow over the report screens on the demo data: a manager opens the month's
appraisal, taps a score to see the facts behind it, opens the dashboard's charts, makes
an XLSX export (with progress, then a download link) and the company view. Screenshots
go to test-artifacts/screens/console-*.png."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from server.demo import DEMO_PASSWORD, build_demo
from server.serve import ServerThread
from server.settings import Settings
from tests.driver import ARTEFACTS, FlutterPage, chromium

pytestmark = pytest.mark.browser


@pytest.fixture
def console_page(tmp_path: Path) -> Iterator[Page]:
    settings = Settings(data_dir=tmp_path / "server")
    build_demo(settings, days=10)
    server = ServerThread(settings).start()
    try:
        with chromium() as browser:
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            yield FlutterPage(page, f"{server.url}/console/").page
    finally:
        server.stop()


def _find(page, text: str):  # type: ignore[no-untyped-def]
    return page.get_by_text(text).or_(page.get_by_label(text)).first


def _shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(1500)
    page.screenshot(path=str(ARTEFACTS / f"console-{name}.png"))


def _open(page, title: str) -> None:  # type: ignore[no-untyped-def]
    _find(page, title).click()
    page.wait_for_timeout(1500)


def test_manager_appraisal_dashboard_export_company(console_page) -> None:
    page = console_page
    page.get_by_role("textbox", name="用户名").click()
    page.keyboard.type("manager", delay=20)
    page.get_by_role("textbox", name="密码").click()
    page.keyboard.type(DEMO_PASSWORD, delay=20)
    page.get_by_role("button", name="登录").first.click()
    page.wait_for_timeout(3000)

    _open(page, "月度考核")
    _find(page, "点击得分查看明细").wait_for(timeout=60_000)
    _shot(page, "appraisal")
    page.get_by_role("button", name=re.compile(r"^\d{1,3}\.\d$")).first.click()
    _find(page, "的明细").wait_for(timeout=60_000)
    _shot(page, "appraisal-facts")

    _open(page, "数据看板")
    _find(page, "每日覆盖率").wait_for(timeout=60_000)
    page.wait_for_timeout(8000)  # charts animate, the font loads
    _shot(page, "dashboard")

    _open(page, "导出与报告")
    page.get_by_role("button", name="全部表格 XLSX").first.click()
    _find(page, "已生成").wait_for(timeout=120_000)
    _shot(page, "exports")

    _open(page, "公司总览")
    _find(page, "项目自检与公司抽检对比").wait_for(timeout=60_000)
    _shot(page, "company")
