"""The OpenAPI document describes the sync body and every error answer (issue 9)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from domain.wire import WireError, parse_record
from server.api.schemas import SyncBatch
from server.main import create_app
from server.settings import Settings

NOW = datetime(2026, 3, 2, 9, tzinfo=UTC).isoformat()
SHA = "c" * 64
RECORDS = [
    {"kind": "scan", "point_id": "c01", "payload": "x", "gps": {"lat": 31.2, "lon": 121.4}},
    {"kind": "checks", "point_id": "c01", "scan_id": "s1", "answers": {"q": True}},
    {"kind": "anomaly", "note": "leak", "photos": [SHA]},
    {
        "kind": "inspection",
        "point_id": "a01",
        "template_id": "t",
        "template_version": 1,
        "results": {"floor": "fail", "walls": "pass"},
        "item_photos": {"floor": [SHA]},
        "item_notes": {"floor": "wet"},
    },
    {"kind": "rectification", "inspection_id": "i1", "item": "floor", "action": "fixed",
     "photos": [SHA]},
    {"kind": "round_start", "route_id": "r1", "schedule_id": "s1", "occurrence": NOW},
    {"kind": "round_finish", "round_id": "r1"},
    {"kind": "handover", "note": "keys at the desk"},
    {"kind": "correction", "corrects": "x1", "note": "wrong point"},
]  # fmt: skip


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return create_app(Settings(data_dir=tmp_path_factory.mktemp("server"))).openapi()


def test_every_record_kind_the_wire_accepts_fits_the_documented_body():
    records = [{"id": f"r{i}", "site_id": "alpha", "device_time": NOW} | r for i, r in
               enumerate(RECORDS)]  # fmt: skip
    for record in records:
        parse_record(record)
    SyncBatch.model_validate({"sent_at": NOW, "records": records})
    kinds = {r["kind"] for r in records}
    assert len(kinds) == 9


@pytest.mark.parametrize(
    "record",
    [
        {"kind": "scan", "point_id": "c01", "payload": "x", "gps": {"lat": 31.2, "lon": 1,
                                                                       "accuracy": -5}},
        {"kind": "inspection", "point_id": "a01", "template_id": "t", "template_version": 0,
         "results": {"floor": "pass"}},
        {"kind": "handover", "note": ""},
    ],
)  # fmt: skip
def test_what_the_document_refuses_the_wire_refuses(record):
    record = {"id": "r1", "site_id": "alpha", "device_time": NOW} | record
    with pytest.raises(ValidationError):
        SyncBatch.model_validate({"sent_at": NOW, "records": [record]})
    with pytest.raises(WireError):
        parse_record(record)


def test_sync_documents_its_body_and_reply(document):
    sync = document["paths"]["/api/v1/sync"]["post"]
    body = sync["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/SyncBatch"}
    schemas = document["components"]["schemas"]
    assert {"SyncBatch", "ScanRecord", "InspectionRecord", "SyncReply"} <= set(schemas)
    assert sorted(sync["responses"]) == ["200", "400", "401", "413", "422"]


def test_every_error_answer_is_one_documented_shape(document):
    error = {"$ref": "#/components/schemas/ErrorReply"}
    seen = 0
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            codes = {int(c) for c in operation["responses"]}
            if operation.get("security"):
                assert 401 in codes, (method, path)
            if "{site_id}" in path:
                assert 404 in codes, (method, path)
            for code, response in operation["responses"].items():
                if int(code) >= 400:
                    assert response["content"]["application/json"]["schema"] == error
                    seen += 1
    assert seen > 30
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_a_405_lists_every_method_of_the_path(live_server):
    manager = live_server.login("manager")
    response = manager.request("OPTIONS", "/api/v1/sites/alpha/points")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"
    assert response.json() == {"detail": "Method Not Allowed"}
    assert manager.delete("/api/v1/sync").headers["allow"] == "POST"


def test_links_lead_from_a_created_thing_to_reading_or_changing_it(document):
    """The stateful fuzz phase follows only these links: each names a real operation and
    fills exactly its path parameters, from the request's site and the 201 answer's id."""
    operations = {
        op["operationId"]: (path, method)
        for path, ops in document["paths"].items()
        for method, op in ops.items()
    }
    links = {
        (method, path): operation["responses"]["201"]["links"]
        for path, ops in document["paths"].items()
        for method, operation in ops.items()
        if "links" in operation["responses"].get("201", {})
    }
    assert len(links) == 7
    assert sum(map(len, links.values())) >= 25
    for (method, path), named in links.items():
        assert method == "post"
        for link in named.values():
            target, _ = operations[link["operationId"]]
            params = set(re.findall(r"{(\w+)}", target))
            assert set(link["parameters"]) == params, (path, target)
            for name, expression in link["parameters"].items():
                assert expression.startswith(("$response.body#/", "$request.path.")), expression
                if expression.startswith("$request.path."):
                    assert f"{{{name}}}" in path  # the created thing's own site
    photo = links[("post", "/api/v1/sites/{site_id}/photos")]["GetPhoto"]
    assert photo["parameters"]["sha"] == "$response.body#/sha256"


@pytest.mark.parametrize("username", ["guard", "cleaner", "beta-manager", "manager"])
def test_every_operation_answers_each_role_only_with_documented_codes(live_server, username):
    """Every operation, called by each kind of caller with the plainest request (no body
    or an empty one, made-up ids), answers with a status its document lists: a role
    refused (403), another site (404) or an incomplete body (422) included."""
    client = live_server.login(username)
    document = client.get("/openapi.json").json()
    values = {"site_id": "alpha", "point_id": "c01", "kind": "points", "file_name": "visits.csv"}
    undocumented = []
    for path, operations in document["paths"].items():
        if path == "/api/v1/auth/logout":
            continue  # it would sign this client out
        url = re.sub(r"{(\w+)}", lambda m: values.get(m.group(1), "x1"), path)
        for method, operation in operations.items():
            body = {} if "requestBody" in operation else None
            status = client.request(method.upper(), url, json=body).status_code
            if str(status) not in operation["responses"]:
                undocumented.append(f"{method.upper()} {path}: {status}")
    assert undocumented == [], undocumented
