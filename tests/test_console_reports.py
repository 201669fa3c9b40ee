"""The console's report screens: view-models by content and permission, one-time
download links, and each screen building its controls for the hand-worked month."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from server import downloads
from server.access import AccessDenied
from server.console.models import reports as vm
from server.console.models.period import Period
from server.console.models.session import ConsoleSession
from server.console.views.reports import (
    AppraisalScreen,
    CompanyScreen,
    DashboardScreen,
    ExportsScreen,
)
from server.serve import ServerThread
from server.settings import Settings
from server.storage import Storage
from tests.appraisal_site import TZ, build

NOW = datetime.now(UTC)
MARCH = (datetime(2026, 3, 1, tzinfo=TZ), datetime(2026, 4, 1, tzinfo=TZ))


@pytest.fixture
def tiny(tmp_path: Path) -> Iterator[Storage]:
    storage = build(Settings(data_dir=tmp_path))
    yield storage
    storage.close()


def _user(storage: Storage, user_id: str) -> Any:
    user = storage.user(user_id)
    assert user is not None
    return user


def test_view_models_check_roles_and_sites(tiny: Storage) -> None:
    mgr = _user(tiny, "mgr")
    table = vm.appraisal_table(tiny, mgr, "tiny", "2026-03", NOW)
    assert {p["id"] for p in table["people"]} == {"g1", "g2", "cl1"}
    facts = vm.appraisal_evidence(tiny, mgr, "tiny", "2026-03", NOW, "g1", "coverage")
    assert len(facts) == 6
    for user_id, site, status in (("g1", "tiny", 403), ("omgr", "tiny", 404)):
        with pytest.raises(AccessDenied) as denied:
            vm.appraisal_table(tiny, _user(tiny, user_id), site, "2026-03", NOW)
        assert denied.value.status_code == status
        with pytest.raises(AccessDenied):
            vm.make_export(tiny, _user(tiny, user_id), site, "visits_csv", *MARCH, NOW)
        with pytest.raises(AccessDenied):
            vm.dashboard_data(tiny, _user(tiny, user_id), site, *MARCH, NOW)
    with pytest.raises(AccessDenied) as denied:
        vm.company_table(tiny, _user(tiny, "lead"), *MARCH, NOW)
    assert denied.value.status_code == 403
    company = vm.company_table(tiny, _user(tiny, "qa"), *MARCH, NOW)
    assert {s["site_id"] for s in company["sites"]} == {"tiny", "other"}


def test_exports_report_progress_and_download_once(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    storage = build(settings)
    seen: list[float] = []
    token, name = vm.make_export(
        storage, _user(storage, "mgr"), "tiny", "all_xlsx", *MARCH, NOW, seen.append
    )
    assert name == "tiny-all-2026-03.xlsx" and seen[-1] == pytest.approx(1.0)
    # walk4 bug 4: a month east of UTC starts the day before in UTC; the file is named
    # after the site's month, like the PDF
    _, csv_name = vm.make_export(storage, _user(storage, "mgr"), "tiny", "visits_csv", *MARCH, NOW)
    assert csv_name == "tiny-visits-2026-03.csv"
    pdf_token, pdf_name = vm.make_export(
        storage, _user(storage, "mgr"), "tiny", "report_pdf", *MARCH, NOW
    )
    assert pdf_name == "tiny-2026-03.pdf"
    storage.close()
    server = ServerThread(settings).start()
    try:
        with httpx.Client(base_url=server.url) as client:
            first = client.get(f"/api/v1/downloads/{token}")
            assert first.status_code == 200
            wb = load_workbook(io.BytesIO(first.content))
            assert "月度考核" in wb.sheetnames
            assert client.get(f"/api/v1/downloads/{token}").status_code == 404  # used
            assert client.get(f"/api/v1/downloads/{'x' * 22}").status_code == 404
            pdf = client.get(f"/api/v1/downloads/{pdf_token}")
            assert pdf.content.startswith(b"%PDF")
    finally:
        server.stop()
    assert downloads.take(token) is None


class _Console:
    """What a screen asks of the console, without a browser."""

    def __init__(self, storage: Storage, settings: Settings, user_id: str) -> None:
        self.session = ConsoleSession(storage, settings, user_id=user_id, site_id="tiny")
        self.session.period = Period("month", date(2026, 3, 1))
        self.page = None
        self.wide = True  # a desk's window; False: a phone's

    @property
    def site_id(self) -> str:
        return "tiny"

    def t(self, key: str, **params: object) -> str:
        from server.console.i18n import t

        return t(key, "zh", **params)

    def act(self, fn: Any) -> Any:
        return fn


def _texts(control: Any) -> list[str]:
    """Every string value in a control tree."""
    found: list[str] = []
    seen: set[int] = set()

    def walk(node: Any) -> None:
        if id(node) in seen:
            return
        seen.add(id(node))
        if isinstance(node, str):
            found.append(node)
        elif isinstance(node, list | tuple):
            for item in node:
                walk(item)
        elif hasattr(node, "__dataclass_fields__"):
            for name in node.__dataclass_fields__:
                if not name.startswith("_") and name not in ("parent", "page"):
                    walk(getattr(node, name, None))

    walk(control)
    return found


def test_screens_build_from_the_view_models(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    storage = build(settings)
    console: Any = _Console(storage, settings, "mgr")
    appraisal = AppraisalScreen(console)
    texts = _texts(appraisal.build())
    assert "G1" in texts and "38.1" in texts and "83.3%" in texts
    assert "整改按时率" in texts and "返工" in texts  # every weighted figure has a column
    console.wide = False  # on a phone: the same figures, each under its label
    phone = _texts(appraisal.build())
    assert "G1" in phone and "38.1" in phone and "83.3%" in phone and "覆盖率" in phone
    console.wide = True
    appraisal.evidence = ("g1", "coverage")  # what a click on G1's score does
    texts = _texts(appraisal.build())
    assert "G1 的明细（6 条）" in texts
    misses = [t for t in texts if "漏检" in t]
    assert misses == ["03-01 20:00  车库入口  漏检"]  # in site time, by name, first
    assert "排班 · G2 03-01 20:10" in texts  # met by g2 in g1's rostered round
    assert any("漏检" in t or "覆盖率" in t for t in _texts(DashboardScreen(console).build()))
    assert any("全部表格 XLSX" in t for t in _texts(ExportsScreen(console).build()))
    qa: Any = _Console(storage, settings, "qa")
    assert "小小苑" in _texts(CompanyScreen(qa).build())
    storage.close()


def test_export_screen_runs_with_progress(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    storage = build(settings)
    console: Any = _Console(storage, settings, "mgr")

    class _Page:
        def update(self) -> None:
            pass

    console.page = _Page()
    screen = ExportsScreen(console)
    asyncio.run(screen._run("visits_csv")(None))
    assert screen.ready is not None and screen.ready[1].endswith(".csv")
    entry = downloads.take(screen.ready[0])
    assert entry is not None and "东门" in entry.path.read_text(encoding="utf-8-sig")
    entry.path.unlink()
    storage.close()
