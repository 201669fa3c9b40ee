"""The monthly PDF report, checked by its extracted text (pypdf) and its map image."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

from server.appraisal import parse_month
from server.pdf_report import monthly_report_pdf
from server.serve import ServerThread
from server.settings import Settings
from server.storage import Storage
from tests.appraisal_site import TZ, build
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
