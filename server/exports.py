"""Exports of a site's period: visits, inspections, rectifications, anomalies and the
monthly appraisal figures, as CSV or XLSX.

Rows are produced a day at a time (coverage is judged per local day), so memory stays
flat however long the period: CSV is streamed as it is made, XLSX is streamed by our own
small writer (`server.xlsx_stream`, ~10× faster than openpyxl's write-only mode) into a
temporary file. Times are the site's local time (a real date in
XLSX, ``YYYY-MM-DD HH:MM:SS`` in CSV), shares are numbers from 0 to 1.

Used by the API (`server/api/exports.py`) and the console, after the same checks.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from domain.appraisal import TEAM_PREFIX, attribute, subject_label, team_label
from domain.schedules import local_day_bounds
from domain.scoring import inspection_score
from domain.wire import RecordKind
from server import appraisal, reports
from server.names import SiteNames, site_names
from server.storage import Storage
from server.xlsx_stream import SheetSpec, write_workbook

__all__ = [
    "MAX_DAYS",
    "TABLES",
    "ExportFilters",
    "Table",
    "csv_chunks",
    "status_word",
    "table",
    "temp_path",
    "write_xlsx",
]

MAX_DAYS = 366  # a year at most per export
TABLES = ("visits", "inspections", "rectifications", "anomalies", "appraisal")
Progress = Callable[[float], None]

# column key → (中文, English)
_HEAD = {
    "due": ("应到时间", "Due"),
    "route": ("路线", "Route"),
    "point": ("点位", "Point"),
    "code": ("编码", "Code"),
    "status": ("状态", "Status"),
    "scanned_at": ("打卡时间", "Scanned at"),
    "scanned_by": ("打卡人", "Scanned by"),
    "responsible": ("责任人", "Responsible"),
    "basis": ("责任依据", "Why responsible"),
    "out_of_order": ("顺序异常", "Out of order"),
    "at": ("时间", "Time"),
    "inspector": ("检查人", "Inspector"),
    "template": ("模板", "Template"),
    "passed": ("合格项", "Passed"),
    "failed": ("不合格项", "Failed"),
    "na": ("不适用", "N/A"),
    "score": ("得分", "Score"),
    "failed_items": ("不合格内容", "Failed items"),
    "item": ("检查项", "Item"),
    "opened_at": ("开单时间", "Opened"),
    "opened_by": ("开单人", "Opened by"),
    "assignee": ("整改人", "Assignee"),
    "deadline": ("期限", "Deadline"),
    "state": ("状态", "State"),
    "overdue": ("超期", "Overdue"),
    "reopened": ("退回次数", "Reopened"),
    "fixed_by": ("完成人", "Fixed by"),
    "reporter": ("上报人", "Reported by"),
    "category": ("类型", "Type"),
    "note": ("说明", "Note"),
    "photos": ("照片数", "Photos"),
    "person": ("人员", "Person"),
    "role": ("角色", "Role"),
    "team": ("班组", "Team"),
    "expected": ("应到", "Expected"),
    "on_time": ("准时", "On time"),
    "late": ("迟到", "Late"),
    "early": ("提前", "Early"),
    "missed": ("漏检", "Missed"),
    "coverage": ("覆盖率", "Coverage"),
    "punctuality": ("准时率", "Punctuality"),
    "pass_rate": ("合格率", "Pass rate"),
    "rect_on_time": ("整改按时率", "Rectified on time"),
    "anomalies": ("上报异常", "Anomalies"),
    "anomalies_closed": ("已关闭异常", "Anomalies closed"),
    "fraud": ("确认作弊", "Fraud confirmed"),
    "total": ("考核得分", "Score"),
}
_STATUS_ZH = {
    "on_time": "准时",
    "late": "迟到",
    "early": "提前",
    "missed": "漏检",
    "upcoming": "未到时",
    "open": "待整改",
    "fixed": "待复检",
    "closed": "已关闭",
    "void": "已作废",
    "walker": "巡逻人",
    "handed_over": "代巡(原责任人)",
    "rostered": "排班",
    "rostered_team": "排班班组",
    "scanner": "打卡人",
    "nobody": "无人",
    "guard": "秩序维护员",
    "guard_lead": "保安队长",
    "cleaner": "保洁员",
    "cleaning_supervisor": "保洁主管",
    "manager": "项目经理",
    "admin": "管理员",
    "quality": "品质部",
}


def status_word(value: str, lang: str = "zh") -> str:
    """A stored state, status or role (``open``, ``missed``, ``guard``…) as files name it in
    the language; an unknown value as stored."""
    return _STATUS_ZH.get(value, value) if lang == "zh" else value


_TITLE = {
    "visits": ("巡检记录", "Visits"),
    "inspections": ("品质检查", "Inspections"),
    "rectifications": ("整改", "Rectifications"),
    "anomalies": ("异常", "Anomalies"),
    "appraisal": ("月度考核", "Appraisal"),
}
# The columns that hold shares (0..1): formatted as percentages in XLSX.
_PERCENT = {"score", "coverage", "punctuality", "pass_rate", "rect_on_time"}


@dataclass(frozen=True, slots=True)
class ExportFilters:
    """As chosen on screen; a filter left None keeps everything."""

    route_id: str | None = None
    point_id: str | None = None
    user_id: str | None = None  # the responsible person, inspector, assignee or reporter
    status: str | None = None  # a visit's status or a rectification's state


@dataclass(slots=True)
class Table:
    name: str
    title: str
    columns: list[str]
    headers: list[str]
    rows: Iterator[tuple[Any, ...]]


@dataclass(slots=True)
class _Context:
    storage: Storage
    site_id: str
    tz: ZoneInfo
    start: datetime
    end: datetime
    now: datetime
    filters: ExportFilters
    lang: str
    progress: Progress | None
    points: dict[str, tuple[str, str]]  # id → (name, short code)
    names: SiteNames  # templates, their items and people by name
    routes: dict[str, str]

    def local(self, at: datetime | None) -> datetime | None:
        return at.astimezone(self.tz).replace(tzinfo=None) if at else None

    def word(self, value: str) -> str:
        return status_word(value, self.lang)

    def user(self, user_id: str | None) -> str:
        return self.names.people.get(user_id, user_id) if user_id else ""  # per row: inline

    def report(self, share: float) -> None:
        if self.progress is not None:
            self.progress(min(1.0, max(0.0, share)))


def _context(
    storage: Storage,
    site_id: str,
    start: datetime,
    end: datetime,
    now: datetime,
    filters: ExportFilters,
    lang: str,
    progress: Progress | None,
) -> _Context:
    site = storage.site(site_id)
    if site is None:
        raise KeyError(site_id)
    if not timedelta(0) < end - start <= timedelta(days=MAX_DAYS):
        raise ValueError(f"the period must be from 1 second to {MAX_DAYS} days")
    routes = {
        rid: versions[-1].name
        for rid, versions in storage.route_versions(site_id).items()
        if versions
    }
    return _Context(
        storage,
        site_id,
        ZoneInfo(site["tz"]),
        start,
        end,
        now,
        filters,
        lang,
        progress,
        {p.id: (p.name, p.short_code) for p in storage.points(site_id)},
        site_names(storage, site_id),
        routes,
    )


def _days(ctx: _Context) -> Iterator[tuple[datetime, datetime]]:
    """[start, end) cut at local midnights."""
    at = ctx.start
    while at < ctx.end:
        next_midnight = local_day_bounds(at.astimezone(ctx.tz).date(), ctx.tz)[1]
        stop = min(next_midnight, ctx.end)
        yield at, stop
        at = stop


def _visits(ctx: _Context) -> Iterator[tuple[Any, ...]]:
    f = ctx.filters
    schedules = ctx.storage.schedules(ctx.site_id)
    span = (ctx.end - ctx.start).total_seconds()
    for lo, hi in _days(ctx):
        coverage, _ = reports.site_coverage(ctx.storage, ctx.site_id, lo, hi, ctx.now)
        attributed = attribute(coverage, schedules)
        attributed.sort(key=lambda a: (a.visit.due, a.visit.route_id or "", a.visit.seq))
        for av in attributed:
            v = av.visit
            if f.route_id is not None and v.route_id != f.route_id:
                continue
            if f.point_id is not None and v.point_id != f.point_id:
                continue
            if f.status is not None and v.status.value != f.status:
                continue
            if f.user_id is not None and f.user_id not in (
                av.responsible,
                v.scan.user_id if v.scan else None,
            ):
                continue
            name, code = ctx.points.get(v.point_id, (v.point_id, ""))
            yield (
                ctx.local(v.due),
                ctx.routes.get(v.route_id, v.route_id) if v.route_id else "",
                name,
                code,
                ctx.word(v.status.value),
                ctx.local(v.scan.device_time) if v.scan else None,
                ctx.user(v.scan.user_id) if v.scan else "",
                ctx.user(av.responsible),
                ctx.word(av.basis),
                v.out_of_order,
            )
        ctx.report((hi - ctx.start).total_seconds() / span)


def _inspections(ctx: _Context) -> Iterator[tuple[Any, ...]]:
    f = ctx.filters
    for r in ctx.storage.records(
        ctx.site_id, [RecordKind.INSPECTION], ctx.start, ctx.end, user_id=f.user_id
    ):
        if f.point_id is not None and r.point_id != f.point_id:
            continue
        results = r.body["results"]
        template_id, version = r.body["template_id"], r.body.get("template_version")
        failed = [
            ctx.names.item(template_id, version, k, ctx.lang)
            for k, v in results.items()
            if v == "fail"
        ]
        yield (
            ctx.local(r.device_time),
            ctx.points.get(r.point_id or "", (r.point_id or "", ""))[0],
            ctx.user(r.user_id),
            ctx.names.template(template_id, ctx.lang),
            sum(1 for v in results.values() if v == "pass"),
            len(failed),
            sum(1 for v in results.values() if v == "na"),
            inspection_score(results),
            ("、" if ctx.lang == "zh" else ", ").join(failed),
        )
    ctx.report(1.0)


def _rectifications(ctx: _Context) -> Iterator[tuple[Any, ...]]:
    f = ctx.filters
    rows = reports.rectifications(
        ctx.storage, ctx.site_id, ctx.now, ctx.start, f.user_id, include_closed=True
    )
    for rect in sorted(rows, key=lambda r: r["opened_at"]):
        opened = datetime.fromisoformat(rect["opened_at"])
        if opened >= ctx.end:
            continue
        if f.point_id is not None and rect["point_id"] != f.point_id:
            continue
        if f.status is not None and rect["state"] != f.status:
            continue
        yield (
            ctx.local(opened),
            rect["point_name"],
            ctx.names.item(rect["template_id"], rect["template_version"], rect["item"], ctx.lang),
            ctx.user(rect["opened_by"]),
            ctx.user(rect["assignee_id"]),
            ctx.local(datetime.fromisoformat(rect["deadline"])),
            ctx.word(rect["state"]),
            rect["overdue"],
            rect["reopened"],
            ctx.user(rect["fixed_by"]),
        )
    ctx.report(1.0)


def _anomalies(ctx: _Context) -> Iterator[tuple[Any, ...]]:
    f = ctx.filters
    for r in ctx.storage.records(
        ctx.site_id, [RecordKind.ANOMALY], ctx.start, ctx.end, user_id=f.user_id
    ):
        if f.point_id is not None and r.point_id != f.point_id:
            continue
        yield (
            ctx.local(r.device_time),
            ctx.user(r.user_id),
            ctx.points.get(r.point_id or "", (r.point_id or "", ""))[0],
            r.body.get("category") or "",
            r.body.get("note") or "",
            len(r.photos),
        )
    ctx.report(1.0)


def _appraisal(ctx: _Context) -> Iterator[tuple[Any, ...]]:
    """The figures of the month that contains the period's start."""
    label = ctx.start.astimezone(ctx.tz).strftime("%Y-%m")
    month = appraisal.parse_month(label, ctx.tz)
    result = appraisal.month_appraisal(ctx.storage, ctx.site_id, month, ctx.now)
    for row in [*result["people"], *result["teams"]]:
        if ctx.filters.user_id is not None and row["id"] != ctx.filters.user_id:
            continue
        fig, visits = row["figures"], row["figures"]["visits"]
        team = row["team"] or (row["id"] if row["id"].startswith(TEAM_PREFIX) else None)
        yield (
            subject_label(row["id"], row["name"], ctx.lang),
            ctx.word(row["role"] or ""),
            team_label(team, ctx.lang),
            visits["expected"],
            visits["on_time"],
            visits["late"],
            visits["early"],
            visits["missed"],
            fig["coverage"],
            fig["punctuality"],
            fig["pass_rate"],
            fig["rectification_on_time"],
            fig["reopened"],
            fig["anomalies_reported"],
            fig["anomalies_closed"],
            fig["fraud_confirmed"],
            row["score"]["total"],
        )
    ctx.report(1.0)


_SPECS: dict[str, tuple[list[str], Callable[[_Context], Iterator[tuple[Any, ...]]]]] = {
    "visits": (
        [
            "due",
            "route",
            "point",
            "code",
            "status",
            "scanned_at",
            "scanned_by",
            "responsible",
            "basis",
            "out_of_order",
        ],
        _visits,
    ),
    "inspections": (
        ["at", "point", "inspector", "template", "passed", "failed", "na", "score", "failed_items"],
        _inspections,
    ),
    "rectifications": (
        [
            "opened_at",
            "point",
            "item",
            "opened_by",
            "assignee",
            "deadline",
            "state",
            "overdue",
            "reopened",
            "fixed_by",
        ],
        _rectifications,
    ),
    "anomalies": (["at", "reporter", "point", "category", "note", "photos"], _anomalies),
    "appraisal": (
        [
            "person",
            "role",
            "team",
            "expected",
            "on_time",
            "late",
            "early",
            "missed",
            "coverage",
            "punctuality",
            "pass_rate",
            "rect_on_time",
            "reopened",
            "anomalies",
            "anomalies_closed",
            "fraud",
            "total",
        ],
        _appraisal,
    ),
}


def table(
    storage: Storage,
    site_id: str,
    name: str,
    start: datetime,
    end: datetime,
    now: datetime,
    filters: ExportFilters | None = None,
    lang: str = "zh",
    progress: Progress | None = None,
) -> Table:
    """One table's headers and (lazy) rows. Raises KeyError for an unknown site or table,
    ValueError for a period that is empty or longer than `MAX_DAYS`."""
    if name not in _SPECS:
        raise KeyError(name)
    ctx = _context(storage, site_id, start, end, now, filters or ExportFilters(), lang, progress)
    columns, rows = _SPECS[name]
    i = 0 if lang == "zh" else 1
    return Table(name, _TITLE[name][i], columns, [_HEAD[c][i] for c in columns], rows(ctx))


def _csv_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float):
        return round(value, 4)
    return "" if value is None else value


def csv_chunks(t: Table, rows_per_chunk: int = 2000) -> Iterator[bytes]:
    """The table as UTF-8 CSV (with a BOM, so Excel reads the Chinese), a chunk at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(t.headers)
    for n, row in enumerate(t.rows, start=1):
        writer.writerow([_csv_value(v) for v in row])
        if n % rows_per_chunk == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def temp_path(suffix: str) -> Path:
    """A new empty temporary file for an export (the caller deletes it)."""
    fd, name = tempfile.mkstemp(prefix="rounds-export-", suffix=suffix)
    os.close(fd)
    return Path(name)


def write_xlsx(tables: list[Table], path: Path | None = None) -> Path:
    """One sheet per table, header row frozen with filters, real dates and numbers, streamed
    row by row (flat memory) by `server.xlsx_stream` to `path` or a temporary file."""
    if path is None:
        path = temp_path(".xlsx")
    return write_workbook(
        path,
        (
            SheetSpec(
                t.title,
                t.headers,
                t.rows,
                frozenset(i for i, c in enumerate(t.columns) if c in _PERCENT),
                [20.0 if c in _DATE_COLUMNS else 14.0 for c in t.columns],
            )
            for t in tables
        ),
    )


_DATE_COLUMNS = {"due", "scanned_at", "at", "opened_at", "deadline"}
