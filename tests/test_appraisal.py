"""Monthly appraisal (考核) against a month worked out by hand (tests/appraisal_site.py).

By hand, for March 2026 with the default scheme (40/30/20/10; targets 95/90/90/90 %;
2 points off per percentage point below target; 10 per confirmed fraud flag, 2 per reopen):

g1 answers for 6 visits: the round he walked (c1 on time, c2 late), the round nobody
started that he was rostered to (c1 met by g2 on time, c2 missed) and the round handed to
g2 for him (both on time): met 5 of 6 = 83.33 %, on time 4 of 5 = 80 %.
  coverage 40 − 2 × 11.667 = 16.667; punctuality 30 − 2 × 10 = 10; no inspections or
  rectifications, so the 70 points that apply are rescaled: 26.667 / 70 × 100 = 38.10.
g2 answers for the round he walked himself: c1 early, c2 missed: 1 of 2, 0 of 1 on time;
  both KPIs floor at 0; one confirmed fraud flag; score 0.
cl1 answers for the lobby: 1 of 2 (on time); inspections of the lobby 4 of 5 items pass;
  the glass rectification closed on time after one send-back.
  coverage 0; punctuality 30; pass rate 20 − 2 × 10 = 0; on time 10 → 40; −2 reopen = 38.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from domain.appraisal import (
    DEFAULT_SETTINGS,
    AppraisalInputs,
    scheme_for_site,
    settings_from_dict,
    team_label,
)
from server import appraisal
from server.serve import ServerThread
from server.settings import Settings
from server.storage import Storage
from tests.appraisal_site import PASSWORD, TZ, build, local

MONTH = appraisal.parse_month("2026-03", TZ)


@pytest.fixture
def tiny(tmp_path: Path) -> Iterator[Storage]:
    storage = build(Settings(data_dir=tmp_path))
    yield storage
    storage.close()


def _by_id(rows: list[dict]) -> dict[str, dict]:
    return {r["id"]: r for r in rows}


def test_hand_computed_month(tiny: Storage) -> None:
    result = appraisal.month_appraisal(tiny, "tiny", MONTH, datetime.now(UTC))
    people = _by_id(result["people"])
    assert set(people) == {"g1", "g2", "cl1"}  # the supervisor and manager answer for nothing
    g1, g2, cl1 = people["g1"], people["g2"], people["cl1"]
    assert g1["figures"]["visits"] == {
        "expected": 6,
        "on_time": 4,
        "late": 1,
        "early": 0,
        "missed": 1,
        "upcoming": 0,
        "coverage": pytest.approx(5 / 6),
        "punctuality": pytest.approx(0.8),
    }
    assert g1["figures"]["anomalies_reported"] == 1
    assert g1["score"]["total"] == pytest.approx(38.10)
    assert g1["score"]["parts"]["coverage"]["earned"] == pytest.approx(40 - 2 * (95 - 500 / 6))
    assert g1["score"]["parts"]["pass_rate"]["earned"] is None

    assert (g2["figures"]["visits"]["expected"], g2["figures"]["visits"]["early"]) == (2, 1)
    assert g2["figures"]["coverage"] == 0.5 and g2["figures"]["punctuality"] == 0
    assert g2["figures"]["fraud_confirmed"] == 1
    assert g2["score"]["deductions"]["fraud_confirmed"] == 10
    assert g2["score"]["total"] == 0

    f = cl1["figures"]
    assert (f["coverage"], f["punctuality"]) == (0.5, 1.0)
    assert (f["inspections"], f["items_passed"], f["items_applicable"]) == (2, 4, 5)
    assert f["rectifications"] == f["rectifications_on_time"] == 1
    assert f["reopened"] == 1
    assert cl1["score"]["total"] == pytest.approx(38.0)

    teams = _by_id(result["teams"])
    patrol = teams["team:patrol"]["figures"]
    assert (patrol["visits"]["expected"], patrol["visits"]["missed"]) == (8, 2)
    assert patrol["coverage"] == 0.75
    assert patrol["punctuality"] == pytest.approx(4 / 6)
    assert teams["team:cleaning"]["figures"]["pass_rate"] == pytest.approx(0.8)


def test_each_visit_names_why_its_person_answers_for_it(tiny: Storage) -> None:
    rows = appraisal.appraisal_details(tiny, "tiny", MONTH, datetime.now(UTC), "g1", "coverage")
    assert len(rows) == 6
    basis = sorted((r["due"][:16], r["point_id"], r["basis"], r["status"]) for r in rows)
    assert [b[2] for b in basis] == ["walker"] * 2 + ["rostered"] * 2 + ["handed_over"] * 2
    missed = [r for r in rows if r["status"] == "missed"]
    assert [(m["point_id"], m["basis"]) for m in missed] == [("c2", "rostered")]
    # the visit g2 met for g1's unstarted round counts for g1, and shows who scanned it
    assert any(r["scanned_by"] == "g2" and r["basis"] == "rostered" for r in rows)
    frauds = appraisal.appraisal_details(
        tiny, "tiny", MONTH, datetime.now(UTC), "g2", "fraud_confirmed"
    )
    assert [(x["reviewer_id"], x["reason"]) for x in frauds] == [("mgr", "不在现场")]
    rect = appraisal.appraisal_details(tiny, "tiny", MONTH, datetime.now(UTC), "cl1", "reopened")
    assert [(r["item"], r["reopened"], r["on_time"]) for r in rect] == [("glass", 1, True)]
    team = appraisal.appraisal_details(
        tiny, "tiny", MONTH, datetime.now(UTC), "team:patrol", "visits"
    )
    assert len(team) == 8


def test_settings_are_bounded_and_partial() -> None:
    changed = settings_from_dict({"points_per_percent": 1}, DEFAULT_SETTINGS)
    assert changed.points_per_percent == 1 and changed.weights == DEFAULT_SETTINGS.weights
    for bad in (
        {"weights": {"coverage": 50}},  # no longer adds up to 100
        {"targets": {"coverage": 2}},
        {"weights": {"bogus": 1}},
        {"fraud_deduction": "ten"},
        {"nonsense": 1},
    ):
        with pytest.raises(ValueError):
            settings_from_dict(bad)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    settings = Settings(data_dir=tmp_path)
    build(settings).close()
    thread = ServerThread(settings).start()
    yield thread.url
    thread.stop()


def login(url: str, user: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=30)
    token = client.post(
        "/api/v1/auth/login", json={"username": user, "password": PASSWORD, "device_id": "d"}
    ).json()["token"]
    client.headers["Authorization"] = f"Bearer {token}"
    return client


def test_appraisal_over_http_with_roles_and_sites(server: str) -> None:
    path = "/api/v1/sites/tiny/appraisal"
    mgr = login(server, "mgr")
    body = mgr.get(path, params={"month": "2026-03"}).json()
    assert _by_id(body["people"])["g1"]["score"]["total"] == pytest.approx(38.10)
    details = mgr.get(f"{path}/g1/details", params={"month": "2026-03", "figure": "coverage"})
    assert details.json()["count"] == 6
    # The company scheme is the company's: a site manager may not change it (403), the
    # quality department (a company role) may. A more lenient scheme: 1 point per
    # percentage point → g1: (28.33 + 20) / 70 = 69.05
    assert mgr.put(f"{path}/settings", json={"points_per_percent": 1}).status_code == 403
    qa = login(server, "qa")
    assert qa.put(f"{path}/settings", json={"points_per_percent": 1}).status_code == 200
    body = mgr.get(path, params={"month": "2026-03"}).json()
    assert _by_id(body["people"])["g1"]["score"]["total"] == pytest.approx(69.05)
    assert qa.put(f"{path}/settings", json={"weights": {"coverage": 99}}).status_code == 422
    for bad in ("2026-13", "1999-01", "march", "2026-3"):
        assert mgr.get(path, params={"month": bad}).status_code == 422
    assert mgr.get(f"{path}/g1/details", params={"figure": "salary"}).status_code == 422

    # Roles: field staff 403, a lead reads, only company roles set the scheme.
    guard = login(server, "g1")
    assert guard.get(path).status_code == 403
    assert guard.get(f"{path}/g1/details").status_code == 403
    lead = login(server, "lead")
    assert lead.get(path, params={"month": "2026-03"}).status_code == 200
    assert lead.put(f"{path}/settings", json={"points_per_percent": 5}).status_code == 403
    assert login(server, "sup").put(f"{path}/settings", json={}).status_code == 403
    # Sites: another site's manager gets 404 for all of it, like a site that does not exist.
    other = login(server, "omgr")
    for response in (
        other.get(path),
        other.get(f"{path}/g1/details"),
        other.get(f"{path}/settings"),
        other.put(f"{path}/settings", json={}),
        other.get("/api/v1/sites/nowhere/appraisal"),
    ):
        assert response.status_code == 404


def test_a_team_rostered_as_such_answers_for_unstarted_rounds() -> None:
    from datetime import time as clock

    from domain.appraisal import appraise, attribute
    from domain.coverage import expected_visits, judge
    from domain.models import RouteVersion, Schedule, TargetKind
    from tests.appraisal_site import local

    route = RouteVersion("r", 1, "R", local(1, 0), ("p1", "p2"))
    night = Schedule(
        "n",
        1,
        "tiny",
        TargetKind.ROUTE,
        "r",
        local(1, 0),
        local(2, 0),
        fixed_times=(clock(22),),
        responsible_team="夜班",
    )
    visits, rounds = expected_visits([night], {"r": [route]}, TZ, local(1, 0), local(2, 0))
    attributed = attribute(judge(visits, rounds, [], {}, local(3, 0)), [night])
    assert [(a.responsible, a.basis) for a in attributed] == [("team:夜班", "rostered_team")] * 2
    result = appraise(AppraisalInputs(visits=attributed), {})
    assert result.teams["team:夜班"].visits.missed == 2


def test_a_closed_ticket_counts_as_closed_with_its_time_to_close(tiny: Storage) -> None:
    def g1() -> dict:
        result = appraisal.month_appraisal(tiny, "tiny", MONTH, datetime.now(UTC))
        return _by_id(result["people"])["g1"]["figures"]

    assert (g1()["anomalies_reported"], g1()["anomalies_closed"]) == (1, 0)
    assert g1()["anomaly_hours_to_close"] is None
    (anomaly,) = tiny.records("tiny", ["anomaly"], MONTH.start, MONTH.end)
    step = {"site_id": "tiny", "target_kind": "anomaly", "target_id": anomaly.id}
    tiny.add_ticket_event(**step, action="assign", actor_id="mgr", at=local(1, 9), assignee_id="g1")
    assert g1()["anomalies_closed"] == 0  # assigned is not closed
    tiny.add_ticket_event(**step, action="close", actor_id="g1", at=local(1, 10, 15), note="换新")
    f = g1()
    assert (f["anomalies_closed"], f["anomaly_hours_to_close"]) == (1, 2.0)
    result = appraisal.month_appraisal(tiny, "tiny", MONTH, datetime.now(UTC))
    assert _by_id(result["teams"])["team:patrol"]["figures"]["anomalies_closed"] == 1
    facts = appraisal.appraisal_details(
        tiny, "tiny", MONTH, datetime.now(UTC), "g1", "anomalies_closed"
    )
    assert [(a["id"], a["status"], a["closed_by"], a["hours_to_close"]) for a in facts] == [
        (anomaly.id, "closed", "g1", 2.0)
    ]
    # Reopened: open again, nothing closed, and the closed list is empty.
    tiny.add_ticket_event(**step, action="reopen", actor_id="mgr", at=local(1, 11), note="没换")
    assert (g1()["anomalies_closed"], g1()["anomaly_hours_to_close"]) == (0, None)
    assert (
        appraisal.appraisal_details(
            tiny, "tiny", MONTH, datetime.now(UTC), "g1", "anomalies_closed"
        )
        == []
    )


def test_team_names_follow_the_language() -> None:
    assert team_label("team:patrol", "zh") == "秩序维护组"
    assert team_label("cleaning", "en") == "Cleaning"
    assert team_label("team:夜班", "en") == "夜班"  # a roster's own team name, as written
    assert team_label(None) == ""


def test_site_weights_override_only_the_company_weights() -> None:
    company = settings_from_dict({"points_per_percent": 1})
    site = {"coverage": 70, "punctuality": 30, "inspection": 0, "rectification": 0}
    scheme = scheme_for_site(company, site)
    assert dict(scheme.weights) == {
        "coverage": 70,
        "punctuality": 30,
        "pass_rate": 0,
        "rectification_on_time": 0,
    }
    assert scheme.points_per_percent == 1 and scheme.targets == company.targets
    for bad in (None, {}, {"coverage": 100}, {**site, "coverage": 60}, {**site, "coverage": "x"}):
        assert scheme_for_site(company, bad) is company


def test_site_weights_from_site_settings_score_that_site(server: str) -> None:
    path = "/api/v1/sites/tiny/appraisal"
    mgr = login(server, "mgr")

    def g1_total() -> float:
        body = mgr.get(path, params={"month": "2026-03"}).json()
        return float(_by_id(body["people"])["g1"]["score"]["total"])

    assert g1_total() == pytest.approx(38.10)
    weights = {"coverage": 70, "punctuality": 30, "inspection": 0, "rectification": 0}
    saved = mgr.put("/api/v1/sites/tiny/settings", json={"appraisal_weights": weights})
    assert saved.status_code == 200, saved.text
    # g1: coverage 70 − 2 × 11.667 = 46.67, punctuality 30 − 2 × 10 = 10 → 56.67 of 100
    assert g1_total() == pytest.approx(56.67)
    body = mgr.get(path, params={"month": "2026-03"}).json()
    assert body["site_weights"] is True and body["settings"]["weights"]["coverage"] == 70
    # The company's deductions still apply: quality makes them lenient, the site's weights stay.
    assert login(server, "qa").put(f"{path}/settings", json={"points_per_percent": 1}).is_success
    assert g1_total() == pytest.approx(70 - 11.667 + 30 - 10, abs=0.01)
    # {} clears the site's weights: the company's apply again.
    assert mgr.put("/api/v1/sites/tiny/settings", json={"appraisal_weights": {}}).is_success
    assert mgr.get("/api/v1/sites/tiny/settings").json()["appraisal_weights"] is None
    assert g1_total() == pytest.approx(69.05)
    # Site weights are site set-up: a lead cannot set them, another site's manager sees 404.
    lead = login(server, "lead")
    assert (
        lead.put("/api/v1/sites/tiny/settings", json={"appraisal_weights": weights}).status_code
        == 403
    )
    other = login(server, "omgr")
    assert (
        other.put("/api/v1/sites/tiny/settings", json={"appraisal_weights": weights}).status_code
        == 404
    )


def test_m013_clears_only_auto_stored_default_site_weights(tmp_path: Path) -> None:
    storage = build(Settings(data_dir=tmp_path))
    auto = {"coverage": 40, "punctuality": 30, "inspection": 20, "rectification": 10}
    own = {"coverage": 70, "punctuality": 30, "inspection": 0, "rectification": 0}
    storage.update_site("tiny", {"settings": {"grace_minutes": 5, "appraisal_weights": auto}})
    storage.update_site("other", {"settings": {"appraisal_weights": own}})
    storage.db.execute("delete from _sqlite_migrations where name = 'm013_site_weights_unset'")
    storage.db.conn.commit()
    storage.close()
    storage = Storage(Settings(data_dir=tmp_path).db_path)  # applies m013 again
    assert storage.site_settings_json("tiny") == {"grace_minutes": 5, "appraisal_weights": None}
    assert storage.site_settings_json("other")["appraisal_weights"] == own
    storage.close()


def test_console_lists_the_tickets_behind_anomalies_closed(tiny: Storage) -> None:
    from server.console.models import reports as vm

    (anomaly,) = tiny.records("tiny", ["anomaly"], MONTH.start, MONTH.end)
    tiny.add_ticket_event(
        site_id="tiny",
        target_kind="anomaly",
        target_id=anomaly.id,
        action="close",
        actor_id="mgr",
        at=local(1, 9, 45),
        note="已更换",
    )
    mgr = tiny.user("mgr")
    assert mgr is not None
    count, lines = vm.fact_lines(
        tiny, mgr, "tiny", "2026-03", datetime.now(UTC), "g1", "anomalies", "zh"
    )
    assert count == 1
    assert lines[0].text == "03-01 08:15  东门  消防  已关闭" and not lines[0].bad
    assert lines[0].detail == "03-01 09:45 MGR 1.5 h"
