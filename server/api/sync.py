"""Sync push: a batch of device records, one result each."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from server.api.deps import AppSettings, CurrentCaller, Store, json_response, read_body
from server.api.schemas import SyncReply
from server.ingest import BatchError, ingest_batch

router = APIRouter(tags=["sync"])


@router.post(
    "/sync",
    response_class=Response,
    responses={
        200: {"model": SyncReply, "content": {"application/json": {}}},
        400: {"description": "the body is not JSON"},
        413: {"description": "the batch is over the size limit"},
        422: {"description": "the batch as a whole is malformed, or sent_at is impossible"},
    },
    # The body is read by domain.wire on the hot path; SyncBatch only documents it.
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SyncBatch"}}},
        }
    },
)
async def push(
    request: Request, caller: CurrentCaller, storage: Store, settings: AppSettings
) -> Response:
    """Store a batch `{device_id?, sent_at, records: [...]}`.

    Each record's result is accepted (with any flags), duplicate (already stored: safe to
    forget locally) or rejected with a reason (will never be accepted as sent).
    """
    raw = await read_body(request, settings.max_batch_bytes)
    try:
        batch = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise HTTPException(400, f"batch is not valid JSON: {exc}") from exc
    try:
        results = ingest_batch(storage, caller.user, caller.device_id, batch, datetime.now(UTC))
    except BatchError as exc:
        raise HTTPException(422, str(exc)) from exc
    # Plain JSON: the results are already simple dicts, so FastAPI's response
    # validation would only cost time on the hottest route.
    return json_response({"results": results, "server_time": datetime.now(UTC).isoformat()})
