"""The month-coverage speedups change no figure: the report's tallies equal a
straightforward per-visit recount, on a seeded site with held (pending) scans."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.coverage_month import TZ, build
from domain.trust import HOLDING_FLAGS
from server.reports import coverage_report, site_coverage
from server.storage import Storage, StoredRecord

FIELDS = ("expected", "on_time", "late", "early", "missed", "upcoming")


def _recount(visits: list[dict[str, Any]], key: str | None) -> dict[str, dict[str, Any]]:
    """The reference: one plain loop over the report's own visits, ratios as defined."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(FIELDS, 0))
    for v in visits:
        k = "total" if key is None else v[key]
        if k is None:
            continue
        counts[k]["expected"] += 1
        counts[k][v["status"]] += 1
    out: dict[str, dict[str, Any]] = {}
    for k in sorted(counts):
        c = counts[k]
        met = c["on_time"] + c["late"] + c["early"]
        judged = c["expected"] - c["upcoming"]
        out[k] = {
            **c,
            "coverage": met / judged if judged else None,
            "punctuality": c["on_time"] / met if met else None,
        }
    return out


def test_month_tallies_equal_a_plain_recount_with_pending_scans(tmp_path: Path) -> None:
    start = datetime(2026, 10, 1, tzinfo=TZ).astimezone(UTC)
    end = datetime(2026, 10, 4, tzinfo=TZ).astimezone(UTC)
    now = datetime(2026, 10, 3, 15, tzinfo=TZ).astimezone(UTC)  # some visits upcoming
    storage = Storage(tmp_path / "seed.db")
    build(storage, start, end)
    flag = sorted(HOLDING_FLAGS)[0]
    held = [
        StoredRecord(
            uuid.uuid4().hex,
            "scan",
            "big",
            "u99",
            "d",
            start + timedelta(hours=h, minutes=1),
            end,
            f"c{h:03d}",
            None,
            {"method": "qr", "payload": "x", "gps": None, "round_id": None},
            [],
            [flag],
        )
        for h in range(1, 40, 3)
    ]
    storage.insert_records(held)
    report = coverage_report(storage, "big", start, end, now)
    visits = report["visits"]
    assert len(visits) > 5000
    assert {v["status"] for v in visits} >= {"on_time", "late", "missed", "upcoming"}
    totals = report["totals"]
    assert totals["total"] == _recount(visits, None)["total"]
    assert totals["by_route"] == _recount([v for v in visits if v["route_id"]], "route_id")
    areas = [v for v in visits if not v["route_id"]]
    assert totals["by_area"] == _recount(areas, "point_id")
    checkpoints = [v for v in visits if v["route_id"]]
    assert totals["by_checkpoint"] == _recount(checkpoints, "point_id")
    assert totals["by_person"] == _recount(visits, "scanned_by")
    for v in visits:
        v["day"] = datetime.fromisoformat(v["due"]).astimezone(TZ).date().isoformat()
    assert totals["by_day"] == _recount(visits, "day")
    # the trust fields: held scans are counted apart, never as met
    assert report["pending_review"], "held scans are reported as pending review"
    pending_ids = {v["pending_scan_id"] for v in visits if v["pending_scan_id"]}
    assert pending_ids <= {r.id for r in held}
    assert not {v["scan_id"] for v in visits} & {r.id for r in held}
    # the same coverage through the read the console and dashboards share
    coverage, _ = site_coverage(storage, "big", start, end, now)
    assert coverage.total().as_dict() == totals["total"]
    storage.close()
