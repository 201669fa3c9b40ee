"""Dashboard read models: the figures behind the console's charts and the monthly PDF.

- Coverage and punctuality by route, person (who answers for each visit, as in the
  appraisal), local day and hour of the due time.
- Inspection pass rate by area, area type (the area's inspection template) and template
  item, with each item's failures (which item fails most).
- Rectifications open and overdue; anomalies by type, with time to close where tickets
  close them.
- The company view: a company role's sites side by side, site self-checks against
  company spot checks (inspections by `Role.QUALITY`) of the same areas, and the Pareto of
  failing items across sites.

Used by the API (`server/api/dashboards.py`), the console and `server/pdf_report.py`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from domain.appraisal import attribute
from domain.coverage import Tally
from domain.models import Role
from domain.scoring import ItemResult
from domain.wire import RecordKind
from server import reports
from server.storage import Storage

__all__ = [
    "company_view",
    "coverage_dashboard",
    "inspection_dashboard",
    "issues_dashboard",
    "pareto",
    "site_dashboard",
]


def _rate(num: int, den: int) -> float | None:
    return num / den if den else None


def coverage_dashboard(
    storage: Storage, site_id: str, start: datetime, end: datetime, now: datetime
) -> dict[str, Any]:
    """Coverage and punctuality tallies by route, person, local day and local hour."""
    coverage, tz = reports.site_coverage(storage, site_id, start, end, now)
    attributed = attribute(coverage, storage.schedules(site_id))
    names = {u["id"]: u["name"] for u in storage.site_users(site_id)}
    routes = {rid: vs[-1].name for rid, vs in storage.route_versions(site_id).items() if vs}
    points = {p.id: p.name for p in storage.points(site_id)}
    by: dict[str, dict[str, Tally]] = {
        k: defaultdict(Tally) for k in ("route", "person", "day", "hour")
    }
    for av in attributed:
        v = av.visit
        local = v.due.astimezone(tz)
        by["route"][v.route_id or f"area:{v.point_id}"].add(v.status)
        by["person"][av.responsible or ""].add(v.status)
        by["day"][local.date().isoformat()].add(v.status)
        by["hour"][f"{local.hour:02d}"].add(v.status)

    def label(kind: str, key: str) -> str:
        if kind == "route":
            return points.get(key[5:], key) if key.startswith("area:") else routes.get(key, key)
        if kind == "person":
            return names.get(key, key) if key else "—"
        return key

    return {
        "total": coverage.total().as_dict(),
        **{
            f"by_{kind}": [
                {"key": key, "label": label(kind, key), **tally.as_dict()}
                for key, tally in sorted(tallies.items())
            ]
            for kind, tallies in by.items()
        },
    }


def _inspections(
    storage: Storage, site_id: str, start: datetime, end: datetime
) -> list[tuple[str, str, str, dict[str, str], str]]:
    """(point id, template id, inspector id, results, inspector role) of each inspection."""
    roles = {u["id"]: u["role"] for u in storage.site_users(site_id)}
    out = []
    for r in storage.records(site_id, [RecordKind.INSPECTION], start, end):
        results = r.body.get("results")
        if isinstance(results, dict):
            out.append(
                (
                    r.point_id or "",
                    r.body.get("template_id") or "",
                    r.user_id,
                    results,
                    roles.get(r.user_id, ""),
                )
            )
    return out


def _pass_table(
    rows: Iterable[tuple[str, dict[str, str]]], label: dict[str, str]
) -> list[dict[str, Any]]:
    passed: Counter[str] = Counter()
    applicable: Counter[str] = Counter()
    count: Counter[str] = Counter()
    for key, results in rows:
        count[key] += 1
        for result in results.values():
            if result != ItemResult.NA:
                applicable[key] += 1
                passed[key] += result == ItemResult.PASS
    return [
        {
            "key": key,
            "label": label.get(key, key),
            "inspections": count[key],
            "passed": passed[key],
            "applicable": applicable[key],
            "pass_rate": _rate(passed[key], applicable[key]),
        }
        for key in sorted(count)
    ]


def _item_labels(storage: Storage, site_id: str) -> dict[str, str]:
    labels: dict[str, str] = {}
    for template in storage.templates(site_id):
        for item in template.items:
            labels[item.key] = item.label_zh
    return labels


def inspection_dashboard(
    storage: Storage, site_id: str, start: datetime, end: datetime
) -> dict[str, Any]:
    """Pass rate by area, area type (template) and item; items by failures, most first."""
    rows = _inspections(storage, site_id, start, end)
    points = {p.id: p.name for p in storage.points(site_id)}
    templates = {t.id: t.name_zh for t in storage.templates(site_id)}
    items = _item_labels(storage, site_id)
    by_item = _pass_table(
        ((key, {key: result}) for _, _, _, results, _ in rows for key, result in results.items()),
        items,
    )
    for row in by_item:
        row["failed"] = row["applicable"] - row["passed"]
    by_item.sort(key=lambda r: (-r["failed"], r["key"]))
    return {
        "inspections": len(rows),
        "pass_rate": _pass_table((("all", r[3]) for r in rows), {})[0]["pass_rate"]
        if rows
        else None,
        "by_area": _pass_table(((r[0], r[3]) for r in rows), points),
        "by_area_type": _pass_table(((r[1], r[3]) for r in rows), templates),
        "by_item": by_item,
    }


def issues_dashboard(
    storage: Storage, site_id: str, start: datetime, end: datetime, now: datetime
) -> dict[str, Any]:
    """Rectifications opened in the period (open, overdue, closed, reopened) and anomalies
    by type. Anomalies' time to close needs tickets that close them: `closed` and
    `hours_to_close` stay empty until such records exist."""
    rects = [
        r
        for r in reports.rectifications(storage, site_id, now, start, include_closed=True)
        if datetime.fromisoformat(r["opened_at"]) < end
    ]
    anomalies = list(storage.records(site_id, [RecordKind.ANOMALY], start, end))
    rejected = reports.rejected_ids(storage, site_id, anomalies)
    anomalies = [a for a in anomalies if a.id not in rejected]  # rejected on review
    by_type = Counter((a.body.get("category") or "—") for a in anomalies)
    return {
        "rectifications": {
            "opened": len(rects),
            "open": sum(1 for r in rects if r["state"] != "closed"),
            "overdue": sum(1 for r in rects if r["overdue"] and r["state"] != "closed"),
            "closed": sum(1 for r in rects if r["state"] == "closed"),
            "closed_late": sum(1 for r in rects if r["overdue"] and r["state"] == "closed"),
            "reopened": sum(r["reopened"] for r in rects),
            "open_list": [r for r in rects if r["state"] != "closed"],
        },
        "anomalies": {
            "reported": len(anomalies),
            "by_type": [{"key": k, "count": n} for k, n in by_type.most_common()],
            "closed": None,
            "hours_to_close": None,
        },
    }


def site_dashboard(
    storage: Storage, site_id: str, start: datetime, end: datetime, now: datetime
) -> dict[str, Any]:
    """Everything the month dashboard draws, in one read."""
    return {
        "site_id": site_id,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "coverage": coverage_dashboard(storage, site_id, start, end, now),
        "inspections": inspection_dashboard(storage, site_id, start, end),
        **issues_dashboard(storage, site_id, start, end, now),
    }


def pareto(counts: Counter[str], labels: dict[str, str]) -> list[dict[str, Any]]:
    """Failing items, most first, with each one's share and the running share."""
    total = sum(counts.values())
    out, running = [], 0
    for key, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        running += n
        out.append(
            {
                "key": key,
                "label": labels.get(key, key),
                "failures": n,
                "share": n / total,
                "cumulative": running / total,
            }
        )
    return out


def company_view(
    storage: Storage, site_ids: Iterable[str], start: datetime, end: datetime, now: datetime
) -> dict[str, Any]:
    """The sites side by side (coverage, pass rate, open overdue rectifications, flagged
    records waiting for review), self-checks against company spot checks per area, and the
    Pareto of failing items across the sites. `site_ids` are the caller's sites."""
    sites, comparison = [], []
    failures: Counter[str] = Counter()
    labels: dict[str, str] = {}
    for site in storage.sites(site_ids):
        site_id = site["id"]
        coverage, _ = reports.site_coverage(storage, site_id, start, end, now)
        rows = _inspections(storage, site_id, start, end)
        labels.update(_item_labels(storage, site_id))
        rects = reports.rectifications(storage, site_id, now, start)
        held = storage.scan_standings(site_id, start, end).pending
        flagged = storage.flagged_count(site_id, start, end)
        all_rows = _pass_table((("all", r[3]) for r in rows), {})
        sites.append(
            {
                "site_id": site_id,
                "name": site["name"],
                "coverage": coverage.total().coverage,
                "punctuality": coverage.total().punctuality,
                "inspections": len(rows),
                "pass_rate": all_rows[0]["pass_rate"] if all_rows else None,
                "overdue_rectifications": sum(1 for r in rects if r["overdue"]),
                "flagged_records": flagged,
                "held_for_review": len(held),
            }
        )
        for _, _, _, results, _ in rows:
            failures.update(k for k, v in results.items() if v == ItemResult.FAIL)
        points = {p.id: p.name for p in storage.points(site_id)}
        self_checks = _pass_table(((r[0], r[3]) for r in rows if r[4] != Role.QUALITY), points)
        spot = {
            row["key"]: row
            for row in _pass_table(((r[0], r[3]) for r in rows if r[4] == Role.QUALITY), points)
        }
        for row in self_checks:
            company = spot.get(row["key"])
            if company is None:
                continue
            comparison.append(
                {
                    "site_id": site_id,
                    "point_id": row["key"],
                    "area": row["label"],
                    "self_pass_rate": row["pass_rate"],
                    "self_inspections": row["inspections"],
                    "company_pass_rate": company["pass_rate"],
                    "company_inspections": company["inspections"],
                    "gap": None
                    if row["pass_rate"] is None or company["pass_rate"] is None
                    else row["pass_rate"] - company["pass_rate"],
                }
            )
    comparison.sort(key=lambda c: -(c["gap"] or 0))
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "sites": sites,
        "self_vs_company": comparison,
        "pareto": pareto(failures, labels),
    }
