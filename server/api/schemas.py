"""Shapes for the OpenAPI document only: the sync batch, its reply, and error replies.

`/sync` does not parse its body with these (that is `domain.wire`, on the hot path); they
describe the same rules for readers and for schemathesis. Keep them in step with
`domain/wire.py`: `tests/test_openapi.py` checks the wire accepts what they describe.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from domain.wire import (
    MAX_BATCH_RECORDS,
    MAX_CATEGORY_CHARS,
    MAX_DEADLINE_HOURS,
    MAX_GPS_ACCURACY_M,
    MAX_NOTE_CHARS,
    MAX_PHOTOS,
    MAX_TEMPLATE_ITEMS,
)
from server.api.params import DATETIME_PATTERN

__all__ = ["ErrorReply", "SyncBatch", "SyncReply", "ValidationIssue"]

Id = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
Sha = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
Time = Annotated[
    str,
    WithJsonSchema(
        {
            "type": "string",
            "format": "date-time",
            "pattern": DATETIME_PATTERN,
            "description": "ISO 8601 with a UTC offset; from 2020, at most a day after sent_at",
        }
    ),
]
Note = Annotated[str, Field(max_length=MAX_NOTE_CHARS)]
Photos = Annotated[list[Sha], Field(max_length=MAX_PHOTOS)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Gps(_Strict):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    accuracy: float = Field(0, ge=0, le=MAX_GPS_ACCURACY_M, description="metres")


class _Record(_Strict):
    id: Id = Field(description="made on the device; a resend with the same id is a duplicate")
    site_id: Id
    device_time: Time


class ScanRecord(_Record):
    kind: Literal["scan"]
    point_id: Id
    payload: str = Field(min_length=1, max_length=300, description="QR text or typed code")
    method: Literal["qr", "typed"] = "qr"
    round_id: Id | None = None
    gps: Gps | None = None
    photos: Photos = []


class ChecksRecord(_Record):
    kind: Literal["checks"]
    point_id: Id
    scan_id: Id
    answers: dict[str, bool] = Field(max_length=50)
    photos: Photos = []


class AnomalyRecord(_Record):
    kind: Literal["anomaly"]
    category: str = Field("", max_length=MAX_CATEGORY_CHARS)
    note: Note = ""
    point_id: Id | None = None
    scan_id: Id | None = None
    gps: Gps | None = None
    photos: Photos = []


class InspectionRecord(_Record):
    kind: Literal["inspection"]
    point_id: Id
    template_id: Id
    template_version: int = Field(ge=1)
    results: dict[str, Literal["pass", "fail", "na"]] = Field(
        min_length=1, max_length=MAX_TEMPLATE_ITEMS, description="every item of the template"
    )
    item_photos: dict[str, Photos] = Field({}, description="keys: items of the results")
    item_notes: dict[str, Note] = Field({}, description="keys: items of the results")
    assignee_id: Id | None = None
    deadline_hours: int = Field(24, ge=1, le=MAX_DEADLINE_HOURS)


class RectificationRecord(_Record):
    kind: Literal["rectification"]
    inspection_id: Id
    item: str = Field(min_length=1, max_length=64)
    action: Literal["fixed", "rechecked"]
    passed: bool | None = None
    note: Note = ""
    photos: Photos = []


class RoundStartRecord(_Record):
    kind: Literal["round_start"]
    route_id: Id
    schedule_id: Id | None = None
    occurrence: Time | None = None
    route_version: int | None = Field(None, ge=1)
    for_user_id: Id | None = None
    reason: Note = ""


class RoundFinishRecord(_Record):
    kind: Literal["round_finish"]
    round_id: Id
    reason: Note = ""


class HandoverRecord(_Record):
    kind: Literal["handover"]
    note: Note = Field(min_length=1)
    to_user_id: Id | None = None
    photos: Photos = []


class CorrectionRecord(_Record):
    kind: Literal["correction"]
    corrects: Id
    note: Note = Field(min_length=1)


SyncRecord = Annotated[
    ScanRecord
    | ChecksRecord
    | AnomalyRecord
    | InspectionRecord
    | RectificationRecord
    | RoundStartRecord
    | RoundFinishRecord
    | HandoverRecord
    | CorrectionRecord,
    Field(discriminator="kind"),
]


class SyncBatch(_Strict):
    """A batch of device records. Each is checked on its own: a bad one is rejected with a
    reason and the rest are stored."""

    device_id: Id | None = None
    sent_at: Time = Field(description="the phone's clock when sending; at most 30 days ahead")
    records: list[SyncRecord] = Field(max_length=MAX_BATCH_RECORDS)


class RecordResult(BaseModel):
    id: str | None
    status: Literal["accepted", "duplicate", "rejected"]
    reason: str | None = Field(None, description="why it was rejected")
    flags: list[str] | None = Field(None, description="suspicious facts, kept with the record")


class SyncReply(BaseModel):
    results: list[RecordResult]
    server_time: str


class ValidationIssue(BaseModel):
    loc: list[str | int]
    msg: str
    type: str
    input: Any = None
    ctx: dict[str, Any] | None = None


class ErrorReply(BaseModel):
    """Every error answer: a sentence for a person, or for a malformed request the list of
    what was wrong with which parameter."""

    detail: str | list[ValidationIssue]
