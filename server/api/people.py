"""People, their devices, and bulk import over HTTP. Thin: `server.people` and
`server.imports` check the caller (another site → 404, a role that does not administer →
403), validate, write and audit."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from server import imports, people
from server.access import require_admin
from server.api.deps import CurrentCaller, Store, read_body

router = APIRouter(prefix="/sites/{site_id}", tags=["people"])

Id = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,40}$")]
_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "only managers and admins manage people"},
    409: {"description": "conflicts with what is stored"},
}
_FILE = {
    "requestBody": {
        "required": True,
        "content": {
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            "text/csv": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _now() -> datetime:
    return datetime.now(UTC)


class PersonIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    username: Annotated[str, Field(max_length=32)]
    name: Annotated[str, Field(max_length=40)]
    role: Annotated[str, Field(max_length=30)]
    site_ids: Annotated[list[Id], Field(max_length=50)] | None = None
    password: Annotated[str, Field(max_length=128)] | None = Field(
        None,
        description="8+ characters, or a 6-digit PIN for guards and cleaners; made when left out",
    )


class PersonEdit(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    name: Annotated[str, Field(max_length=40)] | None = None
    role: Annotated[str, Field(max_length=30)] | None = None
    site_ids: Annotated[list[Id], Field(max_length=50)] | None = None


class SecretIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    password: Annotated[str, Field(max_length=128)] | None = None


@router.get("/people", responses=_ERRORS)
async def list_people(site_id: str, caller: CurrentCaller, storage: Store) -> list[dict[str, Any]]:
    """The site's people, active or not."""
    return people.list_people(storage, caller.user, site_id)


@router.post("/people", status_code=201, responses=_ERRORS)
async def create_person(
    site_id: str, body: PersonIn, caller: CurrentCaller, storage: Store
) -> dict[str, Any]:
    """A new account; `one_time_password` is shown once when no password was given."""
    data = {k: v for k, v in body.model_dump().items() if v is not None}
    return people.create_person(storage, caller.user, site_id, data, _now())


@router.patch("/people/{person_id}", responses=_ERRORS)
async def update_person(
    site_id: str, person_id: str, body: PersonEdit, caller: CurrentCaller, storage: Store
) -> dict[str, Any]:
    data = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    return people.update_person(storage, caller.user, site_id, person_id, data, _now())


@router.post("/people/{person_id}/password", responses=_ERRORS)
async def reset_password(
    site_id: str, person_id: str, body: SecretIn, caller: CurrentCaller, storage: Store
) -> dict[str, Any]:
    """Set or reset a password or PIN (made and shown once when left out); signs the
    person out on every device."""
    return people.reset_secret(storage, caller.user, site_id, person_id, body.password, _now())


@router.post("/people/{person_id}/deactivate", responses=_ERRORS)
async def deactivate_person(
    site_id: str, person_id: str, caller: CurrentCaller, storage: Store
) -> dict[str, Any]:
    return people.deactivate_person(storage, caller.user, site_id, person_id, _now())


@router.get("/people/{person_id}/devices", responses=_ERRORS)
async def list_devices(
    site_id: str, person_id: str, caller: CurrentCaller, storage: Store
) -> list[dict[str, Any]]:
    return people.list_devices(storage, caller.user, site_id, person_id)


@router.post("/people/{person_id}/devices/{device_id}/sign-out", responses=_ERRORS)
async def sign_out_device(
    site_id: str, person_id: str, device_id: str, caller: CurrentCaller, storage: Store
) -> dict[str, Any]:
    """Sign a lost phone out: its tokens are revoked, its next request is refused."""
    return people.sign_out_device(storage, caller.user, site_id, person_id, device_id, _now())


@router.get(
    "/import/{kind}/template.xlsx",
    response_class=Response,
    responses=_ERRORS | {200: {"content": {_XLSX: {}}}},
)
async def import_template(
    site_id: str, kind: Literal["points", "people"], caller: CurrentCaller
) -> Response:
    """An empty spreadsheet with the import's columns and one example row."""
    require_admin(caller.user, site_id)
    return Response(
        imports.template_xlsx(kind),
        media_type=_XLSX,
        headers={"Content-Disposition": f'attachment; filename="rounds-{kind}.xlsx"'},
    )


@router.post(
    "/import/{kind}/check",
    responses=_ERRORS | {413: {"description": "over 2 MB"}, 415: {"description": "not XLSX/CSV"}},
    openapi_extra=_FILE,
)
async def check_import(
    site_id: str,
    kind: Literal["points", "people"],
    request: Request,
    caller: CurrentCaller,
    storage: Store,
) -> dict[str, Any]:
    """Upload an XLSX or CSV (raw body): the per-row report of what it would create and
    what is wrong, and a `token` to confirm it with when every row is good. Stores nothing."""
    require_admin(caller.user, site_id)
    data = await read_body(request, imports.MAX_IMPORT_BYTES)
    return imports.check_import(storage, caller.user, site_id, kind, data)


@router.post(
    "/import/{kind}/confirm",
    status_code=201,
    responses=_ERRORS | {413: {"description": "over 2 MB"}, 415: {"description": "not XLSX/CSV"}},
    openapi_extra=_FILE,
)
async def confirm_import(
    site_id: str,
    kind: Literal["points", "people"],
    request: Request,
    caller: CurrentCaller,
    storage: Store,
    token: Annotated[str, Query(pattern=r"^[0-9a-f]{64}$")],
) -> dict[str, Any]:
    """The same file again with the check's token: every row is stored in one
    transaction, or none (409: not the checked file; 422: a row is wrong now)."""
    require_admin(caller.user, site_id)
    data = await read_body(request, imports.MAX_IMPORT_BYTES)
    limiter = request.app.state.hash_limiter
    return await imports.confirm_import_off_loop(
        storage, caller.user, site_id, kind, data, token, _now(), limiter
    )
