"""Exports by content: XLSX cells (real dates and numbers, filters, one sheet per table)
and CSV rows, for the hand-worked month of tests/appraisal_site.py."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from server import exports
from server.appraisal import parse_month
from server.serve import ServerThread
from server.settings import Settings
from tests.appraisal_site import TZ, build
from tests.test_appraisal import login

MONTH = parse_month("2026-03", TZ)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    settings = Settings(data_dir=tmp_path)
    build(settings).close()
    thread = ServerThread(settings).start()
    yield thread.url
    thread.stop()


def _sheet_rows(data: bytes, sheet: str) -> tuple[list[list[object]], object]:
    wb = load_workbook(io.BytesIO(data))
    ws = wb[sheet]
    return [list(r) for r in ws.iter_rows(values_only=True)], ws


def test_visits_xlsx_has_real_dates_numbers_and_filters(server: str) -> None:
    mgr = login(server, "mgr")
    response = mgr.get("/api/v1/sites/tiny/exports/visits.xlsx", params={"month": "2026-03"})
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    rows, ws = _sheet_rows(response.content, "巡检记录")
    header, data = rows[0], rows[1:]
    assert header[:5] == ["应到时间", "路线", "点位", "编码", "状态"]
    assert len(data) == 10  # 4 rounds of 2 checkpoints, 2 lobby cleanings
    assert ws.auto_filter.ref == "A1:J11"
    first = data[0]
    assert first[0] == datetime(2026, 3, 1, 8, 0)  # a real date, in site time
    assert first[1:5] == ["夜巡", "东门", "C1", "准时"]
    assert first[5] == datetime(2026, 3, 1, 8, 10)
    missed = [r for r in data if r[4] == "漏检"]
    # who answers for each miss: g1 by the roster, g2 as walker, cl1 for the lobby
    assert sorted((r[2], r[7], r[8]) for r in missed) == [
        ("一号楼大堂", "CL1", "排班"),
        ("车库入口", "G1", "排班"),
        ("车库入口", "G2", "巡逻人"),
    ]
    # filters as on screen: only g2's misses
    response = mgr.get(
        "/api/v1/sites/tiny/exports/visits.xlsx",
        params={"month": "2026-03", "user_id": "g2", "status": "missed"},
    )
    rows, _ = _sheet_rows(response.content, "巡检记录")
    assert [(r[2], r[7]) for r in rows[1:]] == [("车库入口", "G2")]


def test_all_tables_on_their_own_sheets(server: str) -> None:
    mgr = login(server, "mgr")
    response = mgr.get("/api/v1/sites/tiny/exports/all.xlsx", params={"month": "2026-03"})
    # named by the site's first day, not UTC's (28 February 16:00)
    assert response.headers["content-disposition"].endswith("tiny-all-20260301.xlsx")
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["巡检记录", "品质检查", "整改", "异常", "月度考核"]
    inspections = list(wb["品质检查"].iter_rows(values_only=True))
    # templates and their items by name, never by id or key
    assert [(r[1], r[3], r[4], r[5], r[6], r[8]) for r in inspections[1:]] == [
        ("一号楼大堂", "六清三无", 2, 1, 1, "门窗玻璃清洁"),
        ("一号楼大堂", "六清三无", 2, 0, 0, None),  # an empty cell
    ]
    assert inspections[1][7] == pytest.approx(2 / 3)
    rect = list(wb["整改"].iter_rows(values_only=True))[1:]
    assert [(r[2], r[4], r[6], r[7], r[8]) for r in rect] == [
        ("门窗玻璃清洁", "CL1", "已关闭", False, 1)
    ]
    anomalies = list(wb["异常"].iter_rows(values_only=True))[1:]
    assert [(r[1], r[2], r[3], r[4]) for r in anomalies] == [("G1", "东门", "消防", "灭火器过期")]
    appraisal_ws = wb["月度考核"]
    people = {r[0].value: r for r in appraisal_ws.iter_rows(min_row=2)}
    g1 = people["G1"]
    assert [c.value for c in g1[3:8]] == [6, 4, 1, 0, 1]
    assert g1[8].value == pytest.approx(5 / 6) and g1[8].number_format == "0.0%"
    assert g1[16].value == pytest.approx(38.10)


def test_csv_streams_rows_in_either_language(server: str) -> None:
    mgr = login(server, "mgr")
    response = mgr.get("/api/v1/sites/tiny/exports/visits.csv", params={"month": "2026-03"})
    assert response.headers["content-type"].startswith("text/csv")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")  # so Excel reads the Chinese
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows[0][0] == "应到时间" and len(rows) == 11
    assert rows[1][:5] == ["2026-03-01 08:00:00", "夜巡", "东门", "C1", "准时"]
    response = mgr.get(
        "/api/v1/sites/tiny/exports/appraisal.csv", params={"month": "2026-03", "lang": "en"}
    )
    rows = list(csv.reader(io.StringIO(response.content.decode().removeprefix("\ufeff"))))
    assert rows[0][:3] == ["Person", "Role", "Team"]
    g1 = next(r for r in rows if r[0] == "G1")
    assert (g1[8], g1[16]) == ("0.8333", "38.1")
    assert (g1[1], g1[2]) == ("guard", "Patrol")
    assert [r[0] for r in rows if r[0] in ("Patrol", "Cleaning")] == ["Cleaning", "Patrol"]
    response = mgr.get("/api/v1/sites/tiny/exports/appraisal.csv", params={"month": "2026-03"})
    rows = list(csv.reader(io.StringIO(response.content.decode().removeprefix("\ufeff"))))
    g1 = next(r for r in rows if r[0] == "G1")
    assert (g1[1], g1[2]) == ("秩序维护员", "秩序维护组")  # team names in the UI language
    assert {"秩序维护组", "保洁组"} <= {r[0] for r in rows}
    assert not any("patrol" in cell or "cleaning" in cell for r in rows for cell in r)


def test_exports_check_roles_sites_and_bounds(server: str) -> None:
    base = "/api/v1/sites/tiny/exports"
    assert login(server, "g1").get(f"{base}/visits.csv").status_code == 403
    assert login(server, "cl1").get(f"{base}/all.xlsx").status_code == 403
    other = login(server, "omgr")
    assert other.get(f"{base}/visits.csv").status_code == 404
    assert other.get(f"{base}/all.xlsx").status_code == 404
    mgr = login(server, "mgr")
    assert mgr.get(f"{base}/salaries.csv").status_code == 422
    assert mgr.get(f"{base}/all.csv").status_code == 422
    too_long = {"start": "2025-01-01T00:00:00+08:00", "end": "2026-03-01T00:00:00+08:00"}
    assert mgr.get(f"{base}/visits.csv", params=too_long).status_code == 422
    assert mgr.get(f"{base}/visits.csv", params={"user_id": "x' or 1"}).status_code == 422
    # an empty period is a header and nothing else, not an error
    response = mgr.get(f"{base}/visits.csv", params={"month": "2026-06"})
    assert response.status_code == 200 and response.content.decode().count("\n") == 1


def test_progress_is_reported_day_by_day(tmp_path: Path) -> None:
    storage = build(Settings(data_dir=tmp_path))
    seen: list[float] = []
    t = exports.table(
        storage, "tiny", "visits", MONTH.start, MONTH.end, datetime.now(UTC), progress=seen.append
    )
    assert len(list(t.rows)) == 10
    assert len(seen) == 31 and seen == sorted(seen) and seen[-1] == 1.0
    storage.close()


def test_stream_writer_keeps_types_and_survives_hostile_text(tmp_path: Path) -> None:
    from datetime import date

    from server.xlsx_stream import SheetSpec, write_workbook

    rows = [
        ("  lead & <trail> ", 3, 0.25, True, datetime(2026, 3, 1, 8, 10, 5), date(2026, 3, 2)),
        ("bell\x07null\x00é东门\ud800", -7, float("nan"), False, None, None),
    ]
    path = write_workbook(
        tmp_path / "t.xlsx",
        [
            SheetSpec(
                "a/b:c*?[x]" + "长" * 40,
                ["文本", "整数", "比例", "真假", "时间", "日期"],
                iter(rows),
                frozenset({2}),
            ),
            SheetSpec("a/b:c*?[x]" + "长" * 40, ["x"], iter([])),
        ],
    )
    wb = load_workbook(path)
    first, second = wb.sheetnames
    assert len(first) == 31 and first.startswith("a_b_c__") and second.endswith("(2)")
    ws = wb[first]
    values = [list(r) for r in ws.iter_rows(values_only=True)]
    assert values[0] == ["文本", "整数", "比例", "真假", "时间", "日期"]
    assert values[1] == [
        "  lead & <trail> ",
        3,
        0.25,
        True,
        datetime(2026, 3, 1, 8, 10, 5),
        datetime(2026, 3, 2),
    ]
    assert values[2] == ["bellnullé东门", -7, None, False, None, None]
    assert ws["C2"].number_format == "0.0%" and ws["A1"].font.b
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:F3"
    assert wb[second].auto_filter.ref == "A1:A1"
