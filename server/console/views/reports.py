"""Report screens: appraisal (click a score → the facts behind it), exports with
progress, dashboards with charts, and the company view. Thin over
`server/console/models/reports.py`."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import flet as ft
import flet_charts as fch

from domain.appraisal import subject_label, team_label
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
        "rep_appraisal_month": (
            "{month} 考核（点击得分查看明细）",
            "{month} appraisal (tap a score for the facts)",
        ),
        "rep_col_person": ("人员", "Person"),
        "rep_col_team": ("班组", "Team"),
        "rep_col_expected": ("应到", "Due"),
        "rep_col_missed": ("漏检", "Missed"),
        "rep_col_coverage": ("覆盖率", "Coverage"),
        "rep_col_punctuality": ("准时率", "Punctuality"),
        "rep_col_pass_rate": ("合格率", "Pass rate"),
        "rep_col_rect_on_time": ("整改按时率", "Fixed on time"),
        "rep_col_reopened": ("返工", "Reopened"),
        "rep_col_anomalies": ("异常 已关闭/上报", "Anomalies closed/reported"),
        "rep_col_fraud": ("作弊确认", "Fraud"),
        "rep_col_score": ("得分", "Score"),
        "rep_evidence_of": ("{who} 的明细（{count} 条）", "Facts behind {who} ({count})"),
        "rep_back": ("返回", "Back"),
        "rep_nothing_due": ("本月没有需要考核的记录", "Nothing to appraise this month"),
        "rep_export_hint": ("所选时段的数据，按当前筛选导出", "The chosen period's data"),
        "rep_all_xlsx": ("全部表格 XLSX", "All tables XLSX"),
        "rep_visits_csv": ("巡检记录 CSV", "Visits CSV"),
        "rep_inspections_csv": ("品质检查 CSV", "Inspections CSV"),
        "rep_rectifications_csv": ("整改 CSV", "Rectifications CSV"),
        "rep_anomalies_csv": ("异常 CSV", "Anomalies CSV"),
        "rep_appraisal_csv": ("月度考核 CSV", "Appraisal CSV"),
        "rep_report_pdf": ("月度报告 PDF", "Monthly report PDF"),
        "rep_export_ready": ("已生成 {name}", "{name} is ready"),
        "rep_download": ("下载", "Download"),
        "rep_coverage_by_day": ("每日覆盖率", "Coverage by day"),
        "rep_coverage_by_hour": ("各时段覆盖率", "Coverage by hour"),
        "rep_failing_items": ("不合格最多的检查项", "Items failing most"),
        "rep_open_rects": (
            "本期开出的整改：未关闭 {open}，超期 {overdue}",
            "Rectifications opened in the period: open {open}, overdue {overdue}",
        ),
        "rep_anomalies_n": ("上报异常 {n} 起", "{n} anomalies reported"),
        "rep_no_visits_period": (
            "所选时段没有应到的巡更或保洁",
            "No visits were due in this period",
        ),
        "rep_self_vs_company": (
            "项目自检与公司抽检对比",
            "Self-checks vs spot checks",
        ),
        "rep_pareto": ("各项目不合格项排行", "Failing items across sites"),
        "rep_col_overdue": (
            "超期整改（本期开出）",
            "Overdue rectifications (opened in the period)",
        ),
        "rep_col_flagged": ("本期被标记", "Flagged in the period"),
        "rep_col_area": ("区域", "Area"),
        "rep_col_self": ("自检合格率", "Self-check pass rate"),
        "rep_col_company": ("抽检合格率", "Spot-check pass rate"),
        "rep_col_gap": ("差距", "Gap"),
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
                column_spacing=32,  # the appraisal's 12 columns fit a 1366 px screen
            )
        ],
        scroll=ft.ScrollMode.AUTO,
    )


def _bars(items: list[tuple[str, float | None]]) -> ft.Control:
    """Shares (0-1) as a flet-charts bar chart: one bar per item, each labelled with its
    value under its name, a 0-100 % scale on the left; a tap shows the bar's value."""
    return fch.BarChart(
        groups=[
            fch.BarChartGroup(
                x=i,
                rods=[
                    fch.BarChartRod(
                        from_y=0,
                        to_y=value or 0,
                        width=14,
                        color=_level(value),
                        tooltip=f"{label} {_pct(value)}",
                    )
                ],
            )
            for i, (label, value) in enumerate(items)
        ],
        bottom_axis=fch.ChartAxis(
            labels=[
                fch.ChartAxisLabel(
                    value=i,
                    label=ft.Text(
                        f"{label}\n{'—' if value is None else round(value * 100)}",
                        size=10,
                        text_align=ft.TextAlign.CENTER,
                    ),
                )
                for i, (label, value) in enumerate(items)
            ],
            label_size=32,
        ),
        left_axis=fch.ChartAxis(
            labels=[
                fch.ChartAxisLabel(value=v / 100, label=ft.Text(f"{v}%", size=10))
                for v in (0, 50, 100)
            ],
            label_size=40,
        ),
        max_y=1.0,
        height=240,
        expand=True,
    )


def _ranked(items: list[tuple[str, int]], cumulative: bool = False) -> ft.Control:
    """Counts, largest first, as labelled horizontal bars: whole names (items' names are
    long), the count beside each bar and, for a Pareto chart, the running share."""
    top = max((n for _, n in items), default=0) or 1
    total = sum(n for _, n in items) or 1
    rows: list[ft.Control] = []
    running = 0
    for label, n in items:
        running += n
        tail = f"{n}" + (f"  ·  {round(100 * running / total)}%" if cumulative else "")
        rows.append(
            ft.Row(
                [
                    ft.Text(label, width=220, size=14),
                    ft.Container(width=max(4, round(240 * n / top)), height=18, bgcolor=RED),
                    ft.Text(tail, size=14),
                ],
                spacing=8,
            )
        )
    return ft.Column(rows, spacing=6)


def _every_hour(by_hour: list[dict[str, Any]]) -> list[tuple[str, float | None]]:
    """The day's 24 hours in order, those with nothing due empty: evenly spaced bars
    then mean evenly spaced hours."""
    shares = {str(h["key"]).zfill(2): h["coverage"] for h in by_hour}
    return [(f"{hour:02d}", shares.get(f"{hour:02d}")) for hour in range(24)]


def _person_card(
    name: str, team: str, score: ft.Control, labels: list[str], figures: Sequence[ft.Control]
) -> ft.Control:
    """One person's (or team's) appraisal on a phone: the score beside the name, each
    figure under its label, wrapping to the screen's width instead of scrolling sideways."""
    return ft.Container(
        ft.Column(
            [
                ft.Row(
                    [
                        ft.Column(
                            [ft.Text(name, weight=ft.FontWeight.BOLD), ft.Text(team, color=GREY)],
                            spacing=0,
                            expand=True,
                        ),
                        score,
                    ]
                ),
                ft.Row(
                    [
                        ft.Column([ft.Text(label, size=12, color=GREY), figure], spacing=0)
                        for label, figure in zip(labels, figures, strict=True)
                    ],
                    wrap=True,
                    spacing=16,
                    run_spacing=4,
                ),
            ],
            spacing=4,
        ),
        padding=12,
        border=ft.Border.all(1, ft.Colors.OUTLINE_VARIANT),
        border_radius=8,
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
            return message(self.c.t("rep_nothing_due"))
        t = self.c.t
        headers = [
            t(k)
            for k in (
                "rep_col_person",
                "rep_col_team",
                "rep_col_score",
                "rep_col_expected",
                "rep_col_missed",
                "rep_col_coverage",
                "rep_col_punctuality",
                "rep_col_pass_rate",
                "rep_col_rect_on_time",
                "rep_col_reopened",
                "rep_col_anomalies",
                "rep_col_fraud",
            )
        ]
        rows, cards = [], []
        for p in [*data["people"], *data["teams"]]:
            f = p["figures"]
            name = subject_label(p["id"], p["name"], s.lang)
            missed = ft.TextButton(
                str(f["visits"]["missed"]),
                key=f"missed-{p['id']}",
                height=BIG,
                on_click=self.c.act(self._show(p["id"], "coverage")),
            )
            anomalies = ft.TextButton(
                f"{f['anomalies_closed']}/{f['anomalies_reported']}",
                key=f"anomalies-{p['id']}",
                height=BIG,
                on_click=self.c.act(self._show(p["id"], "anomalies")),
            )
            score = ft.TextButton(
                f"{p['score']['total']:.1f}",
                key=f"score-{p['id']}",
                height=BIG,
                on_click=self.c.act(self._show(p["id"], "visits")),
            )
            figures = [
                ft.Text(str(f["visits"]["expected"])),
                missed,
                ft.Text(_pct(f["coverage"]), color=_level(f["coverage"])),
                ft.Text(_pct(f["punctuality"])),
                ft.Text(_pct(f["pass_rate"])),
                ft.Text(_pct(f["rectification_on_time"])),
                ft.Text(str(f["reopened"]), color=RED if f["reopened"] else None),
                anomalies,
                ft.Text(str(f["fraud_confirmed"]), color=RED if f["fraud_confirmed"] else None),
            ]
            team = team_label(p["team"], s.lang)
            if self.c.wide:
                rows.append([ft.Text(name), ft.Text(team), score, *figures])
            else:
                cards.append(_person_card(name, team, score, headers[3:], figures))
        shown = _table(headers, rows) if self.c.wide else ft.Column(cards, spacing=8)
        return ft.Column(
            [ft.Text(t("rep_appraisal_month", month=label), size=20), shown],
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
        count, lines = vm.fact_lines(s.storage, user, site_id, label, s.now(), who, figure, s.lang)
        name = next((u["name"] for u in s.storage.site_users(site_id) if u["id"] == who), who)
        name = subject_label(who, name, s.lang)
        tiles = [
            ft.ListTile(
                title=ft.Text(line.text, color=RED if line.bad else None),
                subtitle=ft.Text(line.detail),
            )
            for line in lines
        ]
        return ft.Column(
            [
                big_button(self.c.t("rep_back"), self.c.act(self._back), icon=ft.Icons.ARROW_BACK),
                ft.Text(self.c.t("rep_evidence_of", who=name, count=count), size=18),
                *tiles,
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
                self.c.t(f"rep_{key}"),
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
                ft.Text(self.c.t("rep_export_ready", name=name), color=GREEN, size=16),
                ft.FilledButton(
                    content=self.c.t("rep_download"),
                    icon=ft.Icons.DOWNLOAD,
                    url=f"/api/v1/downloads/{token}",  # a one-time link (server.downloads)
                    height=BIG,
                    key="export-download",
                ),
            ]
        return ft.Column(
            [
                ft.Text(self.c.t("rep_export_hint"), size=16),
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
            parts.append(message(t("rep_no_visits_period")))
        else:
            parts += [
                ft.Text(
                    f"{t('rep_col_coverage')} {_pct(cov['total']['coverage'])} · "
                    f"{t('rep_col_punctuality')} {_pct(cov['total']['punctuality'])}",
                    size=18,
                ),
                ft.Text(t("rep_coverage_by_day"), size=16),
                _bars([(d["key"][5:], d["coverage"]) for d in cov["by_day"]]),
                ft.Text(t("rep_coverage_by_hour"), size=16),
                _bars(_every_hour(cov["by_hour"])),
            ]
        failing = [r for r in ins["by_item"] if r["failed"]][:10]
        if failing:
            parts += [
                ft.Text(t("rep_failing_items"), size=16),
                _ranked([(r["label"], r["failed"]) for r in failing]),
            ]
        rect = data["rectifications"]
        parts += [
            ft.Text(
                t("rep_open_rects", open=rect["open"], overdue=rect["overdue"]),
                size=16,
                color=RED if rect["overdue"] else None,
            ),
            ft.Text(t("rep_anomalies_n", n=data["anomalies"]["reported"]), size=16),
        ]
        return ft.Column(parts, scroll=ft.ScrollMode.AUTO, expand=True, spacing=12)


class CompanyScreen(ScreenView):
    def build(self) -> ft.Control:
        s = self.c.session
        start, end = s.bounds()
        data = vm.company_table(s.storage, s.user(), start, end, s.now())
        t = self.c.t
        sites = _table(
            [
                t("site"),
                t("rep_col_coverage"),
                t("rep_col_pass_rate"),
                t("rep_col_overdue"),
                t("rep_col_flagged"),
            ],
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
            [
                t("site"),
                t("rep_col_area"),
                t("rep_col_self"),
                t("rep_col_company"),
                t("rep_col_gap"),
            ],
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
        parts: list[ft.Control] = [sites, ft.Text(t("rep_self_vs_company"), size=16), compare]
        if pareto:
            parts += [
                ft.Text(t("rep_pareto"), size=16),
                _ranked([(p["label"], p["failures"]) for p in pareto], cumulative=True),
            ]
        return ft.Column(parts, scroll=ft.ScrollMode.AUTO, expand=True, spacing=12)
