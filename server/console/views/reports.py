"""Report screens: appraisal (click a score → the facts behind it), exports with
progress, dashboards with charts, and the company view. Thin over
`server/console/models/reports.py`."""

from __future__ import annotations

import asyncio
from typing import Any

import flet as ft
import flet_charts as fch

from server.console.i18n import register
from server.console.models import reports as vm
from server.console.views.base import BIG, GREEN, GREY, RED, ScreenView, big_button, message
from server.storage import Storage

__all__ = ["AppraisalScreen", "CompanyScreen", "DashboardScreen", "ExportsScreen"]

register(
    {
        "screen_appraisal": ("月度考核", "Appraisal"),
        "screen_exports": ("导出与报告", "Exports"),
        "screen_dashboard": ("数据看板", "Dashboard"),
        "screen_company": ("公司总览", "Company"),
        "appraisal_month": (
            "{month} 考核（点击得分查看明细）",
            "{month} appraisal (tap a score for the facts)",
        ),
        "col_person": ("人员", "Person"),
        "col_team": ("班组", "Team"),
        "col_expected": ("应到", "Due"),
        "col_missed": ("漏检", "Missed"),
        "col_coverage": ("覆盖率", "Coverage"),
        "col_punctuality": ("准时率", "Punctuality"),
        "col_pass_rate": ("合格率", "Pass rate"),
        "col_fraud": ("作弊确认", "Fraud"),
        "col_score": ("得分", "Score"),
        "evidence_of": ("{who} 的明细（{count} 条）", "Facts behind {who} ({count})"),
        "back": ("返回", "Back"),
        "appraisal_nothing": ("本月没有需要考核的记录", "Nothing to appraise this month"),
        "export_hint": ("所选时段的数据，按当前筛选导出", "The chosen period's data"),
        "all_xlsx": ("全部表格 XLSX", "All tables XLSX"),
        "visits_csv": ("巡检记录 CSV", "Visits CSV"),
        "inspections_csv": ("品质检查 CSV", "Inspections CSV"),
        "rectifications_csv": ("整改 CSV", "Rectifications CSV"),
        "anomalies_csv": ("异常 CSV", "Anomalies CSV"),
        "appraisal_csv": ("月度考核 CSV", "Appraisal CSV"),
        "report_pdf": ("月度报告 PDF", "Monthly report PDF"),
        "export_ready": ("已生成 {name}", "{name} is ready"),
        "download": ("下载", "Download"),
        "coverage_by_day": ("每日覆盖率", "Coverage by day"),
        "coverage_by_hour": ("各时段覆盖率", "Coverage by hour"),
        "failing_items": ("不合格最多的检查项", "Items failing most"),
        "open_rects": (
            "未关闭整改 {open}，超期 {overdue}",
            "Open rectifications {open}, overdue {overdue}",
        ),
        "anomalies_n": ("上报异常 {n} 起", "{n} anomalies reported"),
        "no_visits_period": ("所选时段没有应到的巡更或保洁", "No visits were due in this period"),
        "self_vs_company": ("项目自检 vs 公司抽检", "Site self-checks vs company spot checks"),
        "pareto": ("各项目不合格项排行", "Failing items across sites"),
    }
)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _level(value: float | None) -> str:
    if value is None:
        return GREY
    return GREEN if value >= 0.95 else ft.Colors.ORANGE_700 if value >= 0.8 else RED


def _table(headers: list[str], rows: list[list[Any]]) -> ft.Control:
    return ft.Row(
        [
            ft.DataTable(
                columns=[
                    ft.DataColumn(label=ft.Text(h, weight=ft.FontWeight.BOLD)) for h in headers
                ],
                rows=[ft.DataRow(cells=[ft.DataCell(c) for c in row]) for row in rows],
                data_row_min_height=BIG,
            )
        ],
        scroll=ft.ScrollMode.AUTO,
    )


def _bars(items: list[tuple[str, float | None]], max_y: float = 1.0) -> ft.Control:
    """A flet-charts bar chart, one bar per item."""
    return fch.BarChart(
        groups=[
            fch.BarChartGroup(
                x=i,
                rods=[
                    fch.BarChartRod(
                        from_y=0,
                        to_y=value or 0,
                        width=14,
                        color=_level(value) if max_y == 1 else RED,
                    )
                ],
            )
            for i, (_, value) in enumerate(items)
        ],
        bottom_axis=fch.ChartAxis(
            labels=[
                fch.ChartAxisLabel(value=i, label=ft.Text(label, size=10))
                for i, (label, _) in enumerate(items)
            ]
        ),
        max_y=max_y,
        height=220,
        expand=True,
    )


class AppraisalScreen(ScreenView):
    def __init__(self, console: Any) -> None:
        super().__init__(console)
        self.evidence: tuple[str, str] | None = None  # (who, figure)

    def build(self) -> ft.Control:
        s = self.c.session
        user, site_id = s.user(), self.c.site_id
        label = vm.month_label(s.bounds()[0], s.tz())
        if self.evidence is not None:
            return self._evidence(user, site_id, label)
        data = vm.appraisal_table(s.storage, user, site_id, label, s.now())
        if not data["people"]:
            return message(self.c.t("appraisal_nothing"))
        t = self.c.t
        headers = [
            t(k)
            for k in (
                "col_person",
                "col_team",
                "col_expected",
                "col_missed",
                "col_coverage",
                "col_punctuality",
                "col_pass_rate",
                "col_fraud",
                "col_score",
            )
        ]
        rows = []
        for p in [*data["people"], *data["teams"]]:
            f = p["figures"]
            rows.append(
                [
                    ft.Text(p["name"]),
                    ft.Text((p["team"] or "").removeprefix("team:")),
                    ft.Text(str(f["visits"]["expected"])),
                    ft.TextButton(
                        str(f["visits"]["missed"]),
                        key=f"missed-{p['id']}",
                        on_click=self.c.act(self._show(p["id"], "coverage")),
                    ),
                    ft.Text(_pct(f["coverage"]), color=_level(f["coverage"])),
                    ft.Text(_pct(f["punctuality"])),
                    ft.Text(_pct(f["pass_rate"])),
                    ft.Text(str(f["fraud_confirmed"]), color=RED if f["fraud_confirmed"] else None),
                    ft.TextButton(
                        f"{p['score']['total']:.1f}",
                        key=f"score-{p['id']}",
                        on_click=self.c.act(self._show(p["id"], "visits")),
                    ),
                ]
            )
        return ft.Column(
            [ft.Text(t("appraisal_month", month=label), size=20), _table(headers, rows)],
            scroll=ft.ScrollMode.AUTO,
            expand=True,
        )

    def _show(self, who: str, figure: str) -> Any:
        def pick(_: Any) -> None:
            self.evidence = (who, figure)

        return pick

    def _back(self, _: Any) -> None:
        self.evidence = None

    def _evidence(self, user: Any, site_id: str, label: str) -> ft.Control:
        assert self.evidence is not None
        who, figure = self.evidence
        s = self.c.session
        rows = vm.appraisal_evidence(s.storage, user, site_id, label, s.now(), who, figure)
        lines = [
            ft.ListTile(
                title=ft.Text(
                    f"{r['due'][:16].replace('T', ' ')}  {r['point_id']}  {r['status']}",
                    color=RED if r["status"] == "missed" else None,
                ),
                subtitle=ft.Text(
                    f"{r['basis']} · {r['scanned_by'] or '—'} {r['scanned_at'] or ''}"
                ),
            )
            if r["kind"] == "visit"
            else ft.ListTile(title=ft.Text(str(r)))
            for r in rows
        ]
        return ft.Column(
            [
                big_button(self.c.t("back"), self.c.act(self._back), icon=ft.Icons.ARROW_BACK),
                ft.Text(self.c.t("evidence_of", who=who, count=len(rows)), size=18),
                *lines,
            ],
            scroll=ft.ScrollMode.AUTO,
            expand=True,
        )


class ExportsScreen(ScreenView):
    def __init__(self, console: Any) -> None:
        super().__init__(console)
        self.progress = ft.ProgressBar(value=0, visible=False, height=8)
        self.ready: tuple[str, str] | None = None  # (token, file name)
        self.busy = False

    def build(self) -> ft.Control:
        self.c.site_id  # noqa: B018 (the site check: 404 for a site no longer the user's)
        buttons = [
            big_button(
                self.c.t(key),
                self.c.act(self._run(key)),
                key=f"export-{key}",
                filled=key in ("all_xlsx", "report_pdf"),
            )
            for key in vm.EXPORT_CHOICES
        ]
        ready: list[ft.Control] = []
        if self.ready is not None:
            token, name = self.ready
            ready = [
                ft.Text(self.c.t("export_ready", name=name), color=GREEN, size=16),
                ft.FilledButton(
                    content=self.c.t("download"),
                    icon=ft.Icons.DOWNLOAD,
                    url=f"/api/v1/downloads/{token}",  # a one-time link (server.downloads)
                    height=BIG,
                    key="export-download",
                ),
            ]
        return ft.Column(
            [
                ft.Text(self.c.t("export_hint"), size=16),
                ft.Row(buttons, wrap=True),
                self.progress,
                *ready,
            ],
            spacing=16,
            scroll=ft.ScrollMode.AUTO,
        )

    def _run(self, key: str) -> Any:
        async def run(_: Any) -> None:
            if self.busy:
                return
            s = self.c.session
            user, site_id = s.user(), self.c.site_id
            start, end = s.bounds()
            shared: dict[str, float] = {"share": 0.0}
            self.busy, self.ready = True, None
            self.progress.value, self.progress.visible = 0, True
            self.c.page.update()

            def work() -> tuple[str, str]:
                own = Storage(s.storage.path)
                try:
                    return vm.make_export(
                        own,
                        user,
                        site_id,
                        key,
                        start,
                        end,
                        s.now(),
                        lambda v: shared.__setitem__("share", v),
                        s.lang,
                    )
                finally:
                    own.close()

            task = asyncio.ensure_future(asyncio.to_thread(work))
            while not task.done():
                await asyncio.sleep(0.3)
                self.progress.value = shared["share"]
                self.c.page.update()
            try:
                self.ready = task.result()
            finally:
                self.busy, self.progress.visible = False, False

        return run


class DashboardScreen(ScreenView):
    def build(self) -> ft.Control:
        s = self.c.session
        start, end = s.bounds()
        data = vm.dashboard_data(s.storage, s.user(), self.c.site_id, start, end, s.now())
        cov, ins = data["coverage"], data["inspections"]
        t = self.c.t
        parts: list[ft.Control] = []
        if not cov["total"]["expected"]:
            parts.append(message(t("no_visits_period")))
        else:
            parts += [
                ft.Text(
                    f"{t('col_coverage')} {_pct(cov['total']['coverage'])} · "
                    f"{t('col_punctuality')} {_pct(cov['total']['punctuality'])}",
                    size=18,
                ),
                ft.Text(t("coverage_by_day"), size=16),
                _bars([(d["key"][5:], d["coverage"]) for d in cov["by_day"]]),
                ft.Text(t("coverage_by_hour"), size=16),
                _bars([(h["key"], h["coverage"]) for h in cov["by_hour"]]),
            ]
        failing = [r for r in ins["by_item"] if r["failed"]][:10]
        if failing:
            top = max(r["failed"] for r in failing)
            parts += [
                ft.Text(t("failing_items"), size=16),
                _bars([(r["label"][:6], float(r["failed"])) for r in failing], max_y=float(top)),
            ]
        rect = data["rectifications"]
        parts += [
            ft.Text(
                t("open_rects", open=rect["open"], overdue=rect["overdue"]),
                size=16,
                color=RED if rect["overdue"] else None,
            ),
            ft.Text(t("anomalies_n", n=data["anomalies"]["reported"]), size=16),
        ]
        return ft.Column(parts, scroll=ft.ScrollMode.AUTO, expand=True, spacing=12)


class CompanyScreen(ScreenView):
    def build(self) -> ft.Control:
        s = self.c.session
        start, end = s.bounds()
        data = vm.company_table(s.storage, s.user(), start, end, s.now())
        t = self.c.t
        sites = _table(
            [t("site"), t("col_coverage"), t("col_pass_rate"), "超期整改 overdue", "待审 flagged"],
            [
                [
                    ft.Text(x["name"]),
                    ft.Text(_pct(x["coverage"]), color=_level(x["coverage"])),
                    ft.Text(_pct(x["pass_rate"])),
                    ft.Text(str(x["overdue_rectifications"])),
                    ft.Text(str(x["flagged_records"])),
                ]
                for x in data["sites"]
            ],
        )
        compare = _table(
            [t("site"), "区域 area", "自检 self", "抽检 company", "差 gap"],
            [
                [
                    ft.Text(c["site_id"]),
                    ft.Text(c["area"]),
                    ft.Text(_pct(c["self_pass_rate"])),
                    ft.Text(_pct(c["company_pass_rate"])),
                    ft.Text(_pct(c["gap"]), color=RED if (c["gap"] or 0) > 0.1 else None),
                ]
                for c in data["self_vs_company"]
            ],
        )
        pareto = data["pareto"][:10]
        parts: list[ft.Control] = [sites, ft.Text(t("self_vs_company"), size=16), compare]
        if pareto:
            parts += [
                ft.Text(t("pareto"), size=16),
                _bars(
                    [(p["label"][:6], float(p["failures"])) for p in pareto],
                    max_y=float(pareto[0]["failures"]),
                ),
            ]
        return ft.Column(parts, scroll=ft.ScrollMode.AUTO, expand=True, spacing=12)
