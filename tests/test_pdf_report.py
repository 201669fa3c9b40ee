"""The monthly PDF report, checked by its extracted text (pypdf) and its map image."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime, time
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from pypdf import PdfReader

from domain.models import Schedule, TargetKind
from server.appraisal import parse_month
from server.pdf_report import monthly_report_pdf
from server.serve import ServerThread
from server.settings import Settings
from server.storage import Storage
from tests.appraisal_site import TZ, build, local, rec
from tests.test_appraisal import login


@pytest.fixture
def tiny(tmp_path: Path) -> Iterator[Storage]:
    storage = build(Settings(data_dir=tmp_path))
    yield storage
    storage.close()


def _text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_month_report_content(tiny: Storage) -> None:
    data = monthly_report_pdf(tiny, "tiny", parse_month("2026-03", TZ), datetime.now(UTC))
    assert data.startswith(b"%PDF")
    text = _text(data)
    assert "小小苑 月度报告 2026-03" in text
    records, head = tiny.chain_head("tiny")
    assert head in text.replace("\n", "") and f"{records} 条记录" in text
    assert "应到 10 次" in text and "漏检 3" in text and "覆盖率 70.0%" in text
    assert "夜巡" in text and "一号楼大堂" in text  # by route or area
    for name, score in (("G1", "38.1"), ("CL1", "38.0")):
        assert name in text and score in text
    assert "检查 2 次，合格率 80.0%" in text
    assert "门窗玻璃清洁" in text  # the item that fails most
    assert "本月开单 1，已关闭 1" in text
    assert "消防" in text
    assert "覆盖地图" in text
    reader = PdfReader(io.BytesIO(data))
    images = [img for page in reader.pages for img in page.images]
    assert images, "the coverage map is in the report"


def test_empty_month_says_so(tiny: Storage) -> None:
    text = _text(monthly_report_pdf(tiny, "tiny", parse_month("2026-07", TZ), datetime.now(UTC)))
    assert "本月没有应到的巡更或保洁" in text and "本月没有品质检查" in text


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    settings = Settings(data_dir=tmp_path)
    build(settings).close()
    thread = ServerThread(settings).start()
    yield thread.url
    thread.stop()


def test_pdf_over_http_with_roles_and_sites(server: str) -> None:
    path = "/api/v1/sites/tiny/exports/monthly-report.pdf"
    response = login(server, "mgr").get(path, params={"month": "2026-03"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert "小小苑 月度报告 2026-03" in _text(response.content)
    assert login(server, "g1").get(path).status_code == 403
    assert login(server, "omgr").get(path).status_code == 404
    assert login(server, "mgr").get(path, params={"month": "26-03"}).status_code == 422


def _open_rectification(storage: Storage) -> None:
    """An inspection late on 2 March (site time) failing two items, one with a long name,
    for 刘芳, a cleaner known by id u-liufang; its 24 h deadline passes unfixed."""
    storage.add_user(
        user_id="u-liufang",
        company_id="acme",
        username="liufang",
        name="刘芳",
        role="cleaner",
        password_hash="x",
        site_ids=["tiny"],
    )
    storage.insert_records(
        [
            rec(
                [100],
                "inspection",
                "sup",
                local(2, 23, 30),
                "a1",
                template_id="six-clean-three-none",
                template_version=1,
                results={"floor": "pass", "handrails": "fail", "fixtures": "fail"},
                item_notes={},
                item_photos={},
                assignee_id="u-liufang",
                deadline_hours=24,
            )
        ]
    )


def test_the_report_names_items_people_and_states_in_site_time(tiny: Storage) -> None:
    """walk4 bug 3: item keys, user ids, raw states, UTC deadlines and "Generated" time,
    "(unassigned)" and English headings are gone from the document that leaves the
    company."""
    _open_rectification(tiny)
    tiny.add_schedule(  # a noon round nobody is rostered to: its misses are （未指派）
        Schedule(
            "s-noon",
            1,
            "tiny",
            TargetKind.ROUTE,
            "r1",
            fixed_times=(time(12),),
            effective_from=local(1, 0),
            effective_to=local(2, 0),
        )
    )
    now = datetime(2026, 3, 5, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    data = monthly_report_pdf(tiny, "tiny", parse_month("2026-03", TZ), now)
    text = _text(data)
    assert "生成时间：2026-03-05 09:00" in text
    assert "扶手栏杆清洁" in text and "handrails" not in text and "fixtures" not in text
    assert "刘芳" in text and "u-liufang" not in text
    assert "2026-03-03 23:30" in text and "2026-03-03 15:30" not in text  # the deadline
    assert "待整改 · 超期" in text and "open" not in text
    assert "（未指派）" in text and "(unassigned)" not in text  # the missed lobby visit
    _, head = tiny.chain_head("tiny")
    people = {u["name"] for u in tiny.site_users("tiny")}
    words = set(re.findall(r"[A-Za-z][A-Za-z0-9]+", text.replace("\n", "").replace(head, "")))
    assert words <= {n for n in people if n.isascii()}, words  # no English, but names


def test_chart_labels_stop_before_their_bars(tiny: Storage) -> None:
    """Long item names (公共设施清洁（消防栓箱…）) are cut with "…" before the bar."""
    _open_rectification(tiny)
    data = monthly_report_pdf(
        tiny, "tiny", parse_month("2026-03", TZ), datetime(2026, 3, 5, tzinfo=UTC)
    )
    pdf = pdfium.PdfDocument(data)
    checked = 0
    for page in pdf:
        chars = page.get_textpage()
        boxes = [chars.get_charbox(i) for i in range(chars.count_chars())]
        for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_PATH]):
            left, bottom, _right, top = obj.get_bounds()
            if not 8 < top - bottom < 11:  # the bars are 3.4 mm high; table borders are not
                continue
            row = [b for b in boxes if bottom <= (b[1] + b[3]) / 2 <= top and b[0] < left]
            assert all(b[2] <= left + 0.5 for b in row), "a label runs into its bar"
            checked += bool(row)
    assert checked >= 3  # the three failing items' bars, at least
    assert "公共设施清洁（消防栓箱、信报箱、开关面板、标识牌）" not in _text(data)
    assert "公共设施清洁" in _text(data)
