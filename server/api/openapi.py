"""The OpenAPI document says what the API does: every error answer and the sync body.

Routes declare their own particular errors (`responses=` on the decorator, e.g. 413 or 415);
this adds the ones that follow from how a route is built, so none is forgotten:
401 where a login is needed, 404 where a site is named (another site's data is 404 too),
422 where there is anything to validate, 400 where a JSON body may not parse. Every error
answer is `ErrorReply`.

Links (OpenAPI `links`) say which answer feeds which later request, only where the API
promises it: a created site, point, route, schedule, template, person or photo can be read
or changed next by the id its 201 answer gives. Nothing is linked by a name that merely
looks alike (a sync's record id is not a ticket unless the record was an accepted anomaly).
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.openapi.utils import get_openapi
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from server.api.schemas import ErrorReply, SyncBatch

__all__ = ["ERROR_DESCRIPTIONS", "install_openapi"]

ERROR_DESCRIPTIONS = {
    400: "the request is malformed",
    401: "sign in again: the login is missing, expired or revoked",
    403: "your role may not do this",
    404: "not found (another site's data is not found either)",
    413: "the body is over its size limit",
    415: "not an accepted kind of file",
    422: "a parameter or body field is invalid; detail says which and why",
    429: "too many attempts: wait (Retry-After)",
    503: "the server is busy: try again (Retry-After)",
}
_REF = {"$ref": "#/components/schemas/ErrorReply"}


def _add_models(schemas: dict[str, Any]) -> None:
    for model in (ErrorReply, SyncBatch):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)


_CONSTRAINTS = {"pattern", "format", "enum", "minLength", "maxLength", "anyOf", "const"}


def _can_fail(parameter: dict[str, Any]) -> bool:
    """Whether a value of this parameter can be refused (any text fits a plain string)."""
    schema = parameter.get("schema", {})
    return schema.get("type") != "string" or bool(_CONSTRAINTS & schema.keys())


def _document_errors(path: str, operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    json_body = "application/json" in operation.get("requestBody", {}).get("content", {})
    can_fail = json_body or any(map(_can_fail, operation.get("parameters", [])))
    if not can_fail and responses.get("422", {}).get("description") == "Validation Error":
        del responses["422"]  # FastAPI adds it for any parameter, even one any text fits
    codes = {int(code) for code in responses if code.isdigit() and int(code) >= 400}
    if operation.get("security"):
        codes.add(401)
    if "{site_id}" in path:
        codes.add(404)
    if can_fail:
        codes.add(422)
    if json_body:
        codes.add(400)  # a body that is not JSON at all
    for code in sorted(codes):
        entry = responses.setdefault(str(code), {})
        if entry.get("description") in (None, "", "Validation Error"):
            entry["description"] = ERROR_DESCRIPTIONS.get(code, "error")
        entry["content"] = {"application/json": {"schema": _REF}}


_SITE = "/api/v1/sites/{site_id}"
_IN_SITE = {"site_id": "$request.path.site_id"}
# (method, path of the creating operation): links of its 201 answer, each
# name -> (method, path of the next operation, its parameters from the request/answer)
_LINKS: dict[tuple[str, str], dict[str, tuple[str, str, dict[str, str]]]] = {
    ("post", "/api/v1/sites"): {
        "UpdateSite": ("patch", _SITE, {"site_id": "$response.body#/id"}),
        **{
            f"{verb}Site{what.title()}": (
                method,
                f"{_SITE}/{what}",
                {"site_id": "$response.body#/id"},
            )
            for verb, method, what in (
                ("Get", "get", "settings"),
                ("Put", "put", "settings"),
                ("List", "get", "points"),
                ("AddTo", "post", "points"),
                ("List", "get", "routes"),
                ("AddTo", "post", "routes"),
                ("List", "get", "schedules"),
                ("AddTo", "post", "schedules"),
                ("List", "get", "templates"),
                ("AddTo", "post", "templates"),
                ("List", "get", "people"),
                ("AddTo", "post", "people"),
                ("Get", "get", "audit"),
            )
        },
    },
    ("post", f"{_SITE}/points"): {
        f"{verb}Point": (
            method,
            f"{_SITE}/points/{{point_id}}{tail}",
            _IN_SITE | {"point_id": "$response.body#/id"},
        )
        for verb, method, tail in (
            ("Update", "patch", ""),
            ("Retire", "post", "/retire"),
            ("HistoryOf", "get", "/history"),
            ("LabelOf", "get", "/label.png"),
        )
    },
    ("post", f"{_SITE}/routes"): {
        "UpdateRoute": (
            "put",
            f"{_SITE}/routes/{{route_id}}",
            _IN_SITE | {"route_id": "$response.body#/id"},
        ),
    },
    ("post", f"{_SITE}/schedules"): {
        f"{verb}Schedule": (
            method,
            f"{_SITE}/schedules/{{schedule_id}}{tail}",
            _IN_SITE | {"schedule_id": "$response.body#/id"},
        )
        for verb, method, tail in (
            ("Update", "put", ""),
            ("PreviewChangeOf", "post", "/preview"),
            ("End", "post", "/end"),
        )
    },
    ("post", f"{_SITE}/templates"): {
        "PublishTemplate": (
            "post",
            f"{_SITE}/templates/{{template_id}}/versions",
            _IN_SITE | {"template_id": "$response.body#/id"},
        ),
    },
    ("post", f"{_SITE}/people"): {
        f"{verb}Person": (
            method,
            f"{_SITE}/people/{{person_id}}{tail}",
            _IN_SITE | {"person_id": "$response.body#/id"},
        )
        for verb, method, tail in (
            ("Update", "patch", ""),
            ("ResetPasswordOf", "post", "/password"),
            ("Deactivate", "post", "/deactivate"),
            ("DevicesOf", "get", "/devices"),
        )
    },
    ("post", f"{_SITE}/photos"): {
        "GetPhoto": (
            "get",
            f"{_SITE}/photos/{{sha}}",
            _IN_SITE | {"sha": "$response.body#/sha256"},
        ),
    },
}


def _add_links(paths: dict[str, Any]) -> None:
    """The `links` of each creating operation's 201 answer (see `_LINKS`)."""
    for (method, path), links in _LINKS.items():
        answer = paths[path][method]["responses"]["201"]
        answer["links"] = {
            name: {"operationId": paths[to_path][to_method]["operationId"], "parameters": params}
            for name, (to_method, to_path, params) in links.items()
        }


def _methods_by_path(app: FastAPI) -> list[tuple[re.Pattern[str], set[str]]]:
    """Each documented path as a pattern, with its methods (computed once)."""
    cached = getattr(app.state, "methods_by_path", None)
    if cached is None:
        cached = [
            (re.compile(re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(path))), set(ops))
            for path, ops in app.openapi().get("paths", {}).items()
        ]
        app.state.methods_by_path = cached
    return cached


async def _http_error(request: Request, exc: Exception) -> Response:
    """FastAPI's own error answer, except that a 405 lists in `Allow` the methods of every
    route on the path (Starlette names only the first route's, e.g. GET but not POST)."""
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 405:
        path = request.url.path
        allowed = {
            method.upper()
            for pattern, methods in _methods_by_path(request.app)
            if pattern.fullmatch(path)
            for method in methods
        }
        if allowed:
            exc.headers = {**(exc.headers or {}), "Allow": ", ".join(sorted(allowed))}
    return await http_exception_handler(request, exc)


def install_openapi(app: FastAPI) -> None:
    """Make `app.openapi()` build the document with the additions above (once, cached),
    and 405 answers list every allowed method."""
    app.add_exception_handler(StarletteHTTPException, _http_error)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        _add_models(schema.setdefault("components", {}).setdefault("schemas", {}))
        for path, operations in schema.get("paths", {}).items():
            for operation in operations.values():
                _document_errors(path, operation)
        _add_links(schema.get("paths", {}))
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
