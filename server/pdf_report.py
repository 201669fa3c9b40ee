"""The monthly PDF report of a site (fpdf2, with the bundled CJK font).

Contents: the site's record-chain head (to print on paper: any later edit of the records
changes it), coverage totals, a bar chart of coverage by day, tables of coverage by route
and by person (with each person's appraisal score), inspection pass rate by area and the
items that fail most (with bars), rectifications, anomalies by type, and the coverage map.
An empty month says so instead of printing empty tables.

A Chinese document that leaves the company: every time in the site's time, every person,
template item and state by the names the console shows (`server.names`,
`domain.appraisal.subject_label`, `server.exports.status_word`).
"""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont

from domain.appraisal import subject_label, team_label
from server import appraisal, dashboards
from server.blobs import BlobStore
from server.exports import status_word
from server.label_images import FONT_FILE
from server.names import site_names
from server.storage import Storage

__all__ = ["monthly_report_pdf", "simple_map_png"]

_GREEN, _AMBER, _RED, _GREY = (46, 160, 67), (230, 150, 30), (210, 50, 50), (170, 170, 170)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _colour(value: float | None) -> tuple[int, int, int]:
    if value is None:
        return _GREY
    return _GREEN if value >= 0.95 else _AMBER if value >= 0.8 else _RED


class _Report(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.add_font("cjk", "", str(FONT_FILE))
        self.set_font("cjk", size=10)
        self.title_text = title
        self.set_auto_page_break(True, margin=15)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("cjk", size=8)
        self.set_text_color(120)
        self.cell(0, 6, f"{self.title_text} · 第 {self.page_no()} 页", align="C")
        self.set_text_color(0)

    def heading(self, text: str) -> None:
        if self.get_y() > 250:
            self.add_page()
        self.ln(3)
        self.set_font("cjk", size=13)
        self.cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
        self.set_font("cjk", size=10)

    def line_text(self, text: str, size: int = 10) -> None:
        self.set_font("cjk", size=size)
        self.multi_cell(0, 5.5, text, new_x="LMARGIN", new_y="NEXT")
        self.set_font("cjk", size=10)

    def table_rows(self, headers: list[str], rows: list[list[str]], widths: list[float]) -> None:
        if not rows:
            self.line_text("（本期无数据）")
            return
        self.set_font("cjk", size=9)
        self.set_fill_color(235, 235, 235)
        for h, w in zip(headers, widths, strict=True):
            self.cell(w, 6.5, h, border=1, fill=True, align="C")
        self.ln()
        for row in rows:
            if self.get_y() > 270:
                self.add_page()
            for value, w in zip(row, widths, strict=True):
                self.cell(w, 6, self.fit(value, w - 2), border=1)
            self.ln()
        self.set_font("cjk", size=10)

    def fit(self, text: str, width: float) -> str:
        """`text` in the current font, cut with "…" so it takes at most `width` mm."""
        if self.get_string_width(text) <= width:
            return text
        while text and self.get_string_width(text + "…") > width:
            text = text[:-1]
        return text + "…"

    def bars(
        self,
        items: list[tuple[str, float | None]],
        *,
        scale: float = 1.0,
        unit: str = "%",
        label_width: float = 28,
    ) -> None:
        """Horizontal bars, one per item: value / scale of the width, coloured by level.
        Labels are cut to `label_width` mm so they never run into the bars."""
        if not items:
            return
        self.set_font("cjk", size=8)
        left = self.l_margin + label_width
        width = self.w - self.l_margin - self.r_margin - label_width - 17
        for label, value in items:
            if self.get_y() > 272:
                self.add_page()
            y = self.get_y()
            self.cell(label_width, 4.5, self.fit(label, label_width - 1.5))
            share = 0.0 if value is None else max(0.0, min(1.0, value / scale))
            colour = _colour(value) if unit == "%" else _RED
            self.set_fill_color(*colour)
            if share > 0:
                self.rect(left, y + 0.6, width * share, 3.4, style="F")
            self.set_xy(left + width + 2, y)
            shown = _pct(value) if unit == "%" else f"{value:g}"
            self.cell(15, 4.5, shown, new_x="LMARGIN", new_y="NEXT")
        self.set_font("cjk", size=10)


def simple_map_png(storage: Storage, site_id: str, by_point: dict[str, float | None]) -> bytes:
    """A plain map for when the console's plan render is not available: each placed point
    at its plan position, coloured by its coverage (green ≥ 95 %, amber ≥ 80 %, red
    below, grey with no visits due)."""
    w, h = 1200, 800
    img = Image.new("RGB", (w, h), (245, 245, 245))
    d = ImageDraw.Draw(img)
    font = ImageFont.truetype(str(FONT_FILE), 20)
    unplaced = 0
    for p in storage.points(site_id):
        if p.plan_x is None or p.plan_y is None:
            unplaced += 1
            continue
        x, y = p.plan_x * w, p.plan_y * h
        d.ellipse(
            [x - 12, y - 12, x + 12, y + 12], fill=_colour(by_point.get(p.id)), outline="white"
        )
    if unplaced:
        d.text((10, h - 30), f"未放置在平面图上的点位：{unplaced}", fill=(80, 80, 80), font=font)
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def _map_png(
    storage: Storage,
    blobs: BlobStore | None,
    site_id: str,
    month: appraisal.Month,
    now: datetime,
    by_point: dict[str, float | None],
) -> tuple[bytes, str]:
    """The console's coverage map render when it is installed, else `simple_map_png`."""
    try:
        from server.coverage_map import coverage_map  # the console's map read model
        from server.plan_render import coverage_map_png
    except ImportError:
        return simple_map_png(storage, site_id, by_point), "simple"
    if blobs is None:
        return simple_map_png(storage, site_id, by_point), "simple"
    cmap = coverage_map(storage, site_id, month.start, month.end, now)
    return coverage_map_png(cmap, blobs), "plan"


def monthly_report_pdf(
    storage: Storage,
    site_id: str,
    month: appraisal.Month,
    now: datetime,
    blobs: BlobStore | None = None,
) -> bytes:
    """The site's monthly report as PDF bytes."""
    site = storage.site(site_id)
    if site is None:
        raise KeyError(site_id)
    tz = ZoneInfo(site["tz"])
    names = site_names(storage, site_id)
    dash = dashboards.site_dashboard(storage, site_id, month.start, month.end, now)
    apr = appraisal.month_appraisal(storage, site_id, month, now)
    title = f"{site['name']} 月度报告 {month.label}"
    pdf = _Report(title)
    pdf.add_page()
    pdf.set_font("cjk", size=18)
    pdf.cell(0, 12, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=9)
    pdf.line_text(f"生成时间：{now.astimezone(tz):%Y-%m-%d %H:%M}", 9)
    records, head = storage.chain_head(site_id)
    pdf.line_text(f"记录链：{records} 条记录；链头：{head}", 8)

    cov = dash["coverage"]
    total = cov["total"]
    pdf.heading("一、巡更与保洁覆盖")
    if not total["expected"]:
        pdf.line_text("本月没有应到的巡更或保洁。")
    else:
        pdf.line_text(
            f"应到 {total['expected']} 次；准时 {total['on_time']}，迟到 {total['late']}，"
            f"提前 {total['early']}，漏检 {total['missed']}，未到时 {total['upcoming']}。"
            f"覆盖率 {_pct(total['coverage'])}，准时率 {_pct(total['punctuality'])}。"
        )
        pdf.ln(1)
        pdf.line_text("按日覆盖率", 9)
        pdf.bars([(d["key"][5:], d["coverage"]) for d in cov["by_day"]])
        pdf.ln(2)
        pdf.line_text("按路线/区域", 9)
        pdf.table_rows(
            ["路线/区域", "应到", "准时", "迟到", "漏检", "覆盖率", "准时率"],
            [
                [
                    r["label"],
                    str(r["expected"]),
                    str(r["on_time"]),
                    str(r["late"]),
                    str(r["missed"]),
                    _pct(r["coverage"]),
                    _pct(r["punctuality"]),
                ]
                for r in cov["by_route"]
            ],
            [50, 20, 20, 20, 20, 25, 25],
        )
    pdf.heading("二、人员考核")
    pdf.table_rows(
        ["人员", "班组", "应到", "漏检", "覆盖率", "准时率", "合格率", "得分"],
        [
            [
                subject_label(p["id"], p["name"]),
                team_label(p["team"], "zh"),
                str(p["figures"]["visits"]["expected"]),
                str(p["figures"]["visits"]["missed"]),
                _pct(p["figures"]["coverage"]),
                _pct(p["figures"]["punctuality"]),
                _pct(p["figures"]["pass_rate"]),
                f"{p['score']['total']:.1f}",
            ]
            for p in apr["people"]
        ],
        [34, 22, 18, 18, 22, 22, 22, 22],
    )

    ins = dash["inspections"]
    pdf.heading("三、品质检查")
    if not ins["inspections"]:
        pdf.line_text("本月没有品质检查。")
    else:
        pdf.line_text(f"检查 {ins['inspections']} 次，合格率 {_pct(ins['pass_rate'])}。")
        pdf.table_rows(
            ["区域", "检查次数", "合格项", "适用项", "合格率"],
            [
                [
                    r["label"],
                    str(r["inspections"]),
                    str(r["passed"]),
                    str(r["applicable"]),
                    _pct(r["pass_rate"]),
                ]
                for r in ins["by_area"]
            ],
            [60, 30, 30, 30, 30],
        )
        failing = [r for r in ins["by_item"] if r["failed"]][:10]
        if failing:
            pdf.ln(2)
            pdf.line_text("不合格最多的检查项", 9)
            most = max(r["failed"] for r in failing)
            pdf.bars(
                [(r["label"], float(r["failed"])) for r in failing],
                scale=most,
                unit="",
                label_width=70,
            )

    rect = dash["rectifications"]
    pdf.heading("四、整改")
    pdf.line_text(
        f"本月开单 {rect['opened']}，已关闭 {rect['closed']}（超期关闭 {rect['closed_late']}），"
        f"未关闭 {rect['open']}（超期 {rect['overdue']}），退回 {rect['reopened']} 次。"
    )
    pdf.table_rows(
        ["区域", "检查项", "整改人", "期限", "状态"],
        [
            [
                r["point_name"],
                names.item(r["template_id"], r["template_version"], r["item"]),
                names.person(r["assignee_id"]) or "—",
                f"{datetime.fromisoformat(r['deadline']).astimezone(tz):%Y-%m-%d %H:%M}",
                status_word(r["state"]) + (" · 超期" if r["overdue"] else ""),
            ]
            for r in rect["open_list"][:40]
        ],
        [40, 55, 30, 35, 25],
    )
    anomalies = dash["anomalies"]
    pdf.heading("五、异常")
    pdf.line_text(f"上报 {anomalies['reported']} 起。")
    pdf.table_rows(
        ["类型", "数量"],
        [[a["key"], str(a["count"])] for a in anomalies["by_type"]],
        [60, 30],
    )

    by_point = _point_coverage(storage, site_id, month, now)
    png, kind = _map_png(storage, blobs, site_id, month, now, by_point)
    pdf.add_page()
    pdf.heading("六、覆盖地图")
    if kind == "simple":
        pdf.line_text("（简图：按点位覆盖率着色）", 8)
    pdf.image(io.BytesIO(png), w=pdf.w - pdf.l_margin - pdf.r_margin)
    return bytes(pdf.output())


def _point_coverage(
    storage: Storage, site_id: str, month: appraisal.Month, now: datetime
) -> dict[str, float | None]:
    from server.reports import site_coverage

    coverage, _ = site_coverage(storage, site_id, month.start, month.end, now)
    return {k: t.coverage for k, t in coverage.tally_by(lambda v: v.point_id).items()}
