"""The OpenAPI document says what the API does: every error answer and the sync body.

Routes declare their own particular errors (`responses=` on the decorator, e.g. 413 or 415);
this adds the ones that follow from how a route is built, so none is forgotten:
401 where a login is needed, 404 where a site is named (another site's data is 404 too),
422 where there is anything to validate, 400 where a JSON body may not parse. Every error
answer is `ErrorReply`.
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
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
