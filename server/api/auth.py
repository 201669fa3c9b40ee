"""Login and logout: a revocable bearer token per device."""

from __future__ import annotations

import math
import secrets
import time
from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from server.api.deps import AppSettings, CurrentCaller, Store, hash_token
from server.passwords import hash_password, needs_rehash, verify_password
from server.throttle import LoginThrottle

router = APIRouter(prefix="/auth", tags=["auth"])


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=128)
    device_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")


class UserPublic(BaseModel):
    id: str
    username: str
    name: str
    role: str
    site_ids: list[str]


class LoginResponse(BaseModel):
    token: str
    user: UserPublic


# Checked when the username is unknown, so that a wrong name costs as long as a wrong
# password and the answer's timing does not tell which names exist.
_DUMMY_HASH = hash_password("no such user")


@router.post(
    "/login",
    responses={
        401: {"description": "wrong username or password"},
        429: {"description": "too many failed logins, wait"},
    },
)
async def login(
    body: LoginRequest, request: Request, storage: Store, settings: AppSettings
) -> LoginResponse:
    throttle: LoginThrottle = request.app.state.login_throttle
    now = time.monotonic()
    wait = throttle.wait_seconds(body.username, now)
    if wait > 0:
        raise HTTPException(
            429,
            f"too many failed logins: try again in {math.ceil(wait / 60)} min",
            headers={"Retry-After": str(math.ceil(wait))},
        )
    user = storage.user_by_name(body.username)
    password_ok = verify_password(user.password_hash if user else _DUMMY_HASH, body.password)
    if user is None or not password_ok:
        throttle.failed(body.username, now)
        raise HTTPException(401, "wrong username or password")
    throttle.succeeded(body.username)
    if needs_rehash(user.password_hash):
        storage.set_password_hash(user.id, hash_password(body.password))
    token = secrets.token_urlsafe(settings.token_bytes)
    storage.add_token(hash_token(token), user.id, body.device_id, datetime.now(UTC))
    return LoginResponse(
        token=token,
        user=UserPublic(
            id=user.id,
            username=user.username,
            name=user.name,
            role=user.role,
            site_ids=list(user.site_ids),
        ),
    )


@router.post("/logout", status_code=204)
async def logout(caller: CurrentCaller, storage: Store) -> None:
    storage.revoke_token(caller.token_hash, datetime.now(UTC))


@router.get("/me")
async def me(caller: CurrentCaller) -> UserPublic:
    u = caller.user
    return UserPublic(
        id=u.id, username=u.username, name=u.name, role=u.role, site_ids=list(u.site_ids)
    )
