"""Schemathesis over every operation of the OpenAPI document (issue 9), signed in.

Bounded by time (ROUNDS_FUZZ_SECONDS, default 60), against a real uvicorn over a temp
database. It must find no 5xx and no failed check (status codes, content types and bodies
as documented, bad input refused, good input accepted, auth enforced).

Where the document cannot say a rule, the expected statuses widen for that operation only:
- coverage, its map and the dashboard: `start` and `end` go together, at most 31 days
  apart (cross-parameter rules);
- sync: records are judged one by one, so a malformed record is "rejected" in a 200 reply
  and never sinks the batch; `sent_at` is bounded against the server's clock (422);
- photo upload: whether bytes are a real image is known only by decoding them (415/413);
- review verdict: a rejection needs a reason, and nobody reviews their own record (422);
- exports: `start` and `end` go together, at most 366 days apart (422);
- appraisal scheme: the weights must add up to 100, and its body is a free object in the
  document (422 for an unknown setting) -- its route could declare a strict body model;
- site set-up (tags admin, people): the rules between fields (a schedule needs times or a
  series, weights add up to 100, a short code unused on the site) are `domain.admin`'s,
  answered 422; plans and spreadsheets are known only by reading them (413/415).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx
from PIL import Image

from server.serve import ServerThread
from server.settings import Settings
from tests.conftest import ALL_PASS, batch, inspection, new_id
from tests.factory import PASSWORD, build_company

SECONDS = int(os.environ.get("ROUNDS_FUZZ_SECONDS", "60"))


def _login(url: str, username: str, device: str) -> str:
    response = httpx.post(
        f"{url}/api/v1/auth/login",
        json={"username": username, "password": PASSWORD, "device_id": device},
    )
    response.raise_for_status()
    return response.json()["token"]


def _config(token: str, logout_token: str, sha: str, record_id: str, ids: dict[str, str]) -> str:
    widen = '["2xx", "3xx", "401", "403", "404", "409", "429"'
    return f"""
workers = 1
# One fixed sequence of cases: every run (and CI) tries what the last one tried.
seed = 20261126
max-time = {SECONDS}
[generation]
database = "none"
[headers]
Authorization = "Bearer {token}"
[parameters]
site_id = "alpha"
point_id = "c01"
sha = "{sha}"
record_id = "{record_id}"
ticket_id = "{ids["ticket"]}"
inspection_id = "{ids["inspection"]}"
item = "floor"
who = "u-guard"
person_id = "u-guard2"
device_id = "fuzz-guard2"

[[operations]]
include-name = "POST /api/v1/auth/logout"
headers = {{ Authorization = "Bearer {logout_token}" }}

# The stateful phase chains operations only by the document's own links (a created
# site, point, route, schedule, template, person or photo → reading or changing it):
# links inferred from field names (a new site's id → an alert's key) reported "created
# resource not found" through links the API never promised.
[phases.stateful]
enabled = true
max-steps = 8
inference.algorithms = []

[[operations]]
include-name = "GET /api/v1/sites/{{site_id}}/coverage"
checks.positive_data_acceptance.expected-statuses = {widen}, "422"]

[[operations]]
include-name = "GET /api/v1/sites/{{site_id}}/coverage-map.png"
checks.positive_data_acceptance.expected-statuses = {widen}, "422"]

[[operations]]
include-name = "GET /api/v1/sites/{{site_id}}/dashboard"
checks.positive_data_acceptance.expected-statuses = {widen}, "422"]

[[operations]]
include-name = "POST /api/v1/sync"
checks.positive_data_acceptance.expected-statuses = {widen}, "422"]
checks.negative_data_rejection.expected-statuses = ["200", "400", "401", "413", "422"]

[[operations]]
include-tag = "admin"
checks.positive_data_acceptance.expected-statuses = {widen}, "413", "415", "422"]

[[operations]]
include-tag = "people"
checks.positive_data_acceptance.expected-statuses = {widen}, "413", "415", "422"]

[[operations]]
include-name = "POST /api/v1/sites/{{site_id}}/reviews/{{record_id}}/verdict"
checks.positive_data_acceptance.expected-statuses = {widen}, "422"]

[[operations]]
include-name = "POST /api/v1/sites/{{site_id}}/tickets/{{ticket_id}}/events"
checks.positive_data_acceptance.expected-statuses = {widen}, "422"]

[[operations]]
include-tag = "rectifications"
checks.positive_data_acceptance.expected-statuses = {widen}, "422"]

[[operations]]
include-name = "PUT /api/v1/sites/{{site_id}}/appraisal/settings"
checks.positive_data_acceptance.expected-statuses = {widen}, "422"]

[[operations]]
include-name = "GET /api/v1/sites/{{site_id}}/exports/{{file_name}}"
checks.positive_data_acceptance.expected-statuses = {widen}, "422"]

[[operations]]
include-name = "POST /api/v1/sites/{{site_id}}/photos"
checks.positive_data_acceptance.expected-statuses = {widen}, "413", "415"]
"""


def test_schemathesis_finds_no_5xx_and_no_failed_check(tmp_path: Path):
    settings = Settings(data_dir=tmp_path / "server")
    build_company(settings)
    server = ServerThread(settings).start()
    try:
        token = _login(server.url, "manager", "fuzz")
        logout_token = _login(server.url, "manager", "fuzz-logout")
        buf = io.BytesIO()
        Image.new("RGB", (64, 48), (200, 80, 30)).save(buf, "JPEG")
        sha = httpx.post(
            f"{server.url}/api/v1/sites/alpha/photos",
            content=buf.getvalue(),
            headers={"Authorization": f"Bearer {token}"},
        ).json()["sha256"]
        # a scan of a forged label, held for review: the review operations have one to read
        now = datetime.now(UTC).isoformat()
        forged = {"id": "forged-1", "kind": "scan", "site_id": "alpha", "device_time": now,
                  "point_id": "c01", "payload": "hello"}  # fmt: skip
        sync = httpx.post(
            f"{server.url}/api/v1/sync",
            json={"sent_at": now, "records": [forged]},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert sync.json()["results"][0]["status"] == "accepted"
        # a ticket (a guard's anomaly) and a rectification (a failed inspection item), so the
        # operations on them reach their rules instead of answering 404
        ids = {"ticket": new_id(), "inspection": new_id()}
        anomaly = {"id": ids["ticket"], "kind": "anomaly", "site_id": "alpha",
                   "device_time": now, "point_id": "c01", "note": "漏水"}  # fmt: skip
        failed = inspection(ALL_PASS | {"floor": "fail"}, {"floor": [sha]}, id=ids["inspection"])
        for username, record in (("guard2", anomaly), ("super", failed)):
            user = {"Authorization": f"Bearer {_login(server.url, username, f'fuzz-{username}')}"}
            reply = httpx.post(f"{server.url}/api/v1/sync", json=batch(record), headers=user)
            assert reply.json()["results"][0]["status"] == "accepted", reply.text
        config = tmp_path / "schemathesis.toml"
        config.write_text(_config(token, logout_token, sha, forged["id"], ids))
        report = tmp_path / "report.json"
        cli = Path(sys.executable).with_name("schemathesis")
        run = subprocess.run(
            [
                str(cli),
                "--config-file",
                str(config),
                "--no-color",
                "run",
                f"{server.url}/openapi.json",
                "--checks",
                "all",
                "--report",
                "json",
                "--report-json-path",
                str(report),
            ],
            capture_output=True,
            text=True,
            timeout=SECONDS + 120,
            cwd=tmp_path,
        )
        # the run signed out only its own second login: it was signed in throughout
        me = httpx.get(f"{server.url}/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200
        gone = {"Authorization": f"Bearer {logout_token}"}
        assert httpx.get(f"{server.url}/api/v1/auth/me", headers=gone).status_code == 401
    finally:
        server.stop()
    summary = json.loads(report.read_text())
    cases = summary["test_cases"]
    phases = {name: phase["status"] for name, phase in summary["phases"].items()}
    print(
        f"schemathesis: {summary['operations']['tested']} operations,"
        f" {cases['generated']} cases, {cases['with_failures']} with failures,"
        f" errors {len(summary['errors'])}, {summary['running_time']:.0f} s; phases {phases}"
    )
    lines = run.stdout.splitlines()
    at = next((i for i, line in enumerate(lines) if "Stateful (in" in line), len(lines))
    print("\n".join(lines[at : at + 40]))  # the stateful phase: which links it walked
    assert summary["operations"]["tested"] == summary["operations"]["total"]
    assert cases["generated"] > 100
    # the stateful phase ran through the document's links (not skipped for want of time)
    assert phases["stateful"] == "success", (phases, run.stdout[-3000:])
    assert summary["failures"] == [] and summary["errors"] == [], run.stdout[-6000:]
    assert run.returncode == 0, run.stdout[-6000:]
