"""Dashboard data and the company view, by content, for the hand-worked month."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from server.serve import ServerThread
from server.settings import Settings
from tests.appraisal_site import build, local, rec
from tests.test_appraisal import login


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    settings = Settings(data_dir=tmp_path)
    storage = build(settings)
    # The quality department spot-checks the lobby: floor passes, glass fails.
    storage.insert_records(
        [
            rec(
                [100],
                "inspection",
                "qa",
                local(2, 15),
                "a1",
                photos=("p9",),
                results={"floor": "pass", "glass": "fail"},
                item_photos={"glass": ["p9"]},
                item_notes={},
                template_id="six-clean-three-none",
                template_version=1,
                assignee_id=None,
                deadline_hours=24,
            )
        ]
    )
    storage.close()
    thread = ServerThread(settings).start()
    yield thread.url
    thread.stop()


def _by_key(rows: list[dict]) -> dict[str, dict]:
    return {r["key"]: r for r in rows}


def test_site_dashboard_breakdowns(server: str) -> None:
    mgr = login(server, "mgr")
    body = mgr.get("/api/v1/sites/tiny/dashboard", params={"month": "2026-03"}).json()
    cov = body["coverage"]
    assert (cov["total"]["expected"], cov["total"]["missed"]) == (10, 3)
    assert _by_key(cov["by_route"])["r1"]["coverage"] == 0.75
    assert _by_key(cov["by_route"])["r1"]["label"] == "夜巡"
    assert _by_key(cov["by_person"])["g1"]["coverage"] == pytest.approx(5 / 6)
    assert [d["key"] for d in cov["by_day"]] == ["2026-03-01", "2026-03-02"]
    hours = _by_key(cov["by_hour"])
    assert (hours["08"]["expected"], hours["09"]["expected"], hours["20"]["expected"]) == (4, 2, 4)
    ins = body["inspections"]
    assert ins["inspections"] == 3
    # the item that fails most comes first, with its Chinese label
    top = ins["by_item"][0]
    assert (top["key"], top["failed"], top["label"]) == ("glass", 2, "门窗玻璃清洁")
    assert _by_key(ins["by_area"])["a1"]["pass_rate"] == pytest.approx(5 / 7)
    assert body["rectifications"]["opened"] == 2 and body["rectifications"]["reopened"] == 1
    assert body["anomalies"]["by_type"] == [{"key": "消防", "count": 1}]


def test_company_view_compares_self_checks_with_spot_checks(server: str) -> None:
    qa = login(server, "qa")
    body = qa.get("/api/v1/company/dashboard", params={"month": "2026-03"}).json()
    sites = {s["site_id"]: s for s in body["sites"]}
    assert set(sites) == {"tiny", "other"}
    assert sites["tiny"]["pass_rate"] == pytest.approx(5 / 7)
    assert sites["tiny"]["flagged_records"] == 1
    assert sites["other"]["coverage"] is None  # nothing scheduled there: no figure, no error
    (row,) = body["self_vs_company"]
    assert (row["area"], row["self_pass_rate"], row["company_pass_rate"]) == (
        "一号楼大堂",
        pytest.approx(0.8),
        0.5,
    )
    assert row["gap"] == pytest.approx(0.3)
    assert body["pareto"][0]["key"] == "glass" and body["pareto"][0]["cumulative"] == 1.0


def test_dashboards_check_roles_and_sites(server: str) -> None:
    assert login(server, "g1").get("/api/v1/sites/tiny/dashboard").status_code == 403
    assert login(server, "omgr").get("/api/v1/sites/tiny/dashboard").status_code == 404
    assert login(server, "lead").get("/api/v1/company/dashboard").status_code == 403
    assert login(server, "g1").get("/api/v1/company/dashboard").status_code == 403
    # another site's manager sees only their own site in the company view
    body = login(server, "omgr").get("/api/v1/company/dashboard").json()
    assert [s["site_id"] for s in body["sites"]] == ["other"]
    mgr = login(server, "mgr")
    assert mgr.get("/api/v1/sites/tiny/dashboard", params={"month": "2026-13"}).status_code == 422
