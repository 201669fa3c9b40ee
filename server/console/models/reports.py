"""View-models of the console's report screens: appraisal (考核) with the facts behind
each figure, exports with progress, dashboards and the company view.

Plain functions over `Storage`, each calling the same permission check as the API route
first (`server.access`), then the same read model (`server.appraisal`, `server.exports`,
`server.dashboards`, `server.pdf_report`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from server import access, appraisal, dashboards, downloads, exports
from server.pdf_report import monthly_report_pdf
from server.storage import Storage, UserRow

__all__ = [
    "EXPORT_CHOICES",
    "appraisal_evidence",
    "appraisal_table",
    "company_table",
    "dashboard_data",
    "fact_lines",
    "make_export",
    "month_label",
]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# key → (table or None for the PDF report, file kind)
EXPORT_CHOICES: dict[str, tuple[str, str]] = {
    "all_xlsx": ("all", "xlsx"),
    "visits_csv": ("visits", "csv"),
    "inspections_csv": ("inspections", "csv"),
    "rectifications_csv": ("rectifications", "csv"),
    "anomalies_csv": ("anomalies", "csv"),
    "appraisal_csv": ("appraisal", "csv"),
    "report_pdf": ("report", "pdf"),
}


def month_label(start: datetime, tz: ZoneInfo) -> str:
    """The month (YYYY-MM) the chosen period starts in, in site time."""
    return start.astimezone(tz).strftime("%Y-%m")


def _month(storage: Storage, site_id: str, label: str) -> appraisal.Month:
    site = storage.site(site_id)
    assert site is not None
    return appraisal.parse_month(label, ZoneInfo(site["tz"]))


def appraisal_table(
    storage: Storage, user: UserRow, site_id: str, label: str, now: datetime
) -> dict[str, Any]:
    """The month's appraisal, as the API gives it."""
    access.require_reports(user, site_id)
    return appraisal.month_appraisal(storage, site_id, _month(storage, site_id, label), now)


def appraisal_evidence(
    storage: Storage,
    user: UserRow,
    site_id: str,
    label: str,
    now: datetime,
    who: str,
    figure: str,
) -> list[dict[str, Any]]:
    """The facts behind one figure (click a score, see the visits behind it)."""
    access.require_reports(user, site_id)
    month = _month(storage, site_id, label)
    return appraisal.appraisal_details(storage, site_id, month, now, who, figure)


@dataclass(frozen=True, slots=True)
class FactLine:
    text: str
    detail: str
    bad: bool  # a miss, a failed item, a late/overdue rectification, a confirmed flag


_WORDS = {
    "on_time": ("准时", "on time"),
    "late": ("迟到", "late"),
    "early": ("提前", "early"),
    "missed": ("漏检", "missed"),
    "upcoming": ("未到时", "not yet due"),
    "walker": ("巡逻人", "walked it"),
    "handed_over": ("代巡，原责任人", "handed over, owner"),
    "rostered": ("排班", "rostered"),
    "rostered_team": ("排班班组", "rostered team"),
    "scanner": ("打卡人", "scanned it"),
    "nobody": ("无人", "nobody"),
    "open": ("待处理", "open"),
    "in_progress": ("处理中", "in progress"),
    "closed": ("已关闭", "closed"),
}
MAX_FACT_LINES = 300


def fact_lines(
    storage: Storage,
    user: UserRow,
    site_id: str,
    label: str,
    now: datetime,
    who: str,
    figure: str,
    lang: str = "zh",
) -> tuple[int, list[FactLine]]:
    """The facts behind a figure as lines to read: site time, point and people by name,
    misses first; (how many facts, at most `MAX_FACT_LINES` lines)."""
    facts = appraisal_evidence(storage, user, site_id, label, now, who, figure)
    site = storage.site(site_id)
    assert site is not None
    tz = ZoneInfo(site["tz"])
    points = {p.id: p.name for p in storage.points(site_id)}
    names = {u["id"]: u["name"] for u in storage.site_users(site_id)}
    i = 0 if lang == "zh" else 1

    def word(key: str) -> str:
        return _WORDS.get(key, (key, key))[i]

    def local(text: str | None) -> str:
        return datetime.fromisoformat(text).astimezone(tz).strftime("%m-%d %H:%M") if text else ""

    lines = []
    for f in facts:
        if f["kind"] == "visit":
            by = names.get(f["scanned_by"], f["scanned_by"] or "—")
            lines.append(
                FactLine(
                    f"{local(f['due'])}  {points.get(f['point_id'], f['point_id'])}  "
                    f"{word(f['status'])}",
                    f"{word(f['basis'])} · {by} {local(f['scanned_at'])}".strip(),
                    f["status"] == "missed",
                )
            )
        elif f["kind"] == "inspection":
            lines.append(
                FactLine(
                    f"{local(f['at'])}  {points.get(f['point_id'], f['point_id'])}  "
                    f"{f['passed']}/{f['applicable']}",
                    ", ".join(f["failed_items"]),
                    bool(f["failed_items"]),
                )
            )
        elif f["kind"] == "rectification":
            lines.append(
                FactLine(
                    f"{local(f['opened_at'])}  {points.get(f['point_id'], f['point_id'])}  "
                    f"{f['item']}  {f['state']}",
                    f"↺ {f['reopened']}",
                    f["overdue"] or bool(f["reopened"]),
                )
            )
        elif f["kind"] == "anomaly":
            closed = f["closed_at"] is not None
            closer = names.get(f["closed_by"], f["closed_by"] or "")
            hours = f"{f['hours_to_close']:g} h" if closed else ""
            lines.append(
                FactLine(
                    f"{local(f['at'])}  {points.get(f['point_id'] or '', f['point_id'] or '')}  "
                    f"{f['category']}  {word(f['status'])}",
                    f"{local(f['closed_at'])} {closer} {hours}".strip() if closed else "",
                    not closed,
                )
            )
        else:
            lines.append(FactLine(f"{local(f['at'])}  {f['kind']}", str(f.get("reason", "")), True))
    lines.sort(key=lambda line: not line.bad)  # misses and failures first, stable in time
    return len(facts), lines[:MAX_FACT_LINES]


def make_export(
    storage: Storage,
    user: UserRow,
    site_id: str,
    choice: str,
    start: datetime,
    end: datetime,
    now: datetime,
    progress: Callable[[float], None] | None = None,
    lang: str = "zh",
) -> tuple[str, str]:
    """Make the chosen file for the period; returns (one-time download token, file name).

    Call it in a worker thread with a `Storage` of its own (exports take seconds); the
    permission check runs here, on the user as stored now."""
    access.require_reports(user, site_id)
    table, kind = EXPORT_CHOICES[choice]
    site = storage.site(site_id)
    assert site is not None
    label = month_label(start, ZoneInfo(site["tz"]))  # the site's month, not UTC's
    stem = f"{site_id}-{table}-{label}"
    if kind == "pdf":
        month = _month(storage, site_id, label)
        path = exports.temp_path(".pdf")
        path.write_bytes(monthly_report_pdf(storage, site_id, month, now))
        if progress:
            progress(1.0)
        name = f"{site_id}-{month.label}.pdf"
        return downloads.offer(path, name, "application/pdf"), name
    names = list(exports.TABLES) if table == "all" else [table]
    shares = [0.0] * len(names)

    def part(i: int) -> Callable[[float], None]:
        def report(share: float) -> None:
            shares[i] = share
            if progress:
                progress(sum(shares) / len(shares))

        return report

    tables = [
        exports.table(storage, site_id, n, start, end, now, lang=lang, progress=part(i))
        for i, n in enumerate(names)
    ]
    if kind == "xlsx":
        path = exports.write_xlsx(tables)
        return downloads.offer(path, f"{stem}.xlsx", XLSX), f"{stem}.xlsx"
    path = exports.temp_path(".csv")
    with Path(path).open("wb") as out:
        for chunk in exports.csv_chunks(tables[0]):
            out.write(chunk)
    return downloads.offer(path, f"{stem}.csv", "text/csv"), f"{stem}.csv"


def dashboard_data(
    storage: Storage, user: UserRow, site_id: str, start: datetime, end: datetime, now: datetime
) -> dict[str, Any]:
    access.require_reports(user, site_id)
    return dashboards.site_dashboard(storage, site_id, start, end, now)


def company_table(
    storage: Storage, user: UserRow, start: datetime, end: datetime, now: datetime
) -> dict[str, Any]:
    """The company view over the user's own sites of their company."""
    access.require_company(user)
    sites = [s["id"] for s in storage.sites(user.site_ids) if s["company_id"] == user.company_id]
    return dashboards.company_view(storage, sites, start, end, now)
