"""Login and logout: a revocable bearer token per device."""

from __future__ import annotations

import math
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

import anyio
import anyio.to_thread
from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from server.api.deps import AppSettings, CurrentCaller, Store, hash_token
from server.passwords import hash_password, needs_rehash, verify_password
from server.settings import Settings
from server.throttle import LoginThrottle

router = APIRouter(prefix="/auth", tags=["auth"])

T = TypeVar("T")


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


async def _off_loop(request: Request, settings: Settings, fn: Callable[[], T]) -> T:
    """Run a password hash in a worker thread, at most `login_hash_threads` at once.

    argon2 takes ~0.2 s of CPU; on the event loop it would stall every other request.
    When too many logins already wait for a slot the answer is 503 at once.
    """
    limiter: anyio.CapacityLimiter = request.app.state.hash_limiter
    if limiter.statistics().tasks_waiting >= settings.login_queue:
        raise HTTPException(503, "the server is busy: try again", headers={"Retry-After": "2"})
    return await anyio.to_thread.run_sync(fn, limiter=limiter)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post(
    "/login",
    responses={
        401: {"description": "wrong username or password"},
        429: {"description": "too many failed logins from this address, wait"},
        503: {"description": "too many logins at once, try again"},
    },
)
async def login(
    body: LoginRequest, request: Request, storage: Store, settings: AppSettings
) -> LoginResponse:
    throttle: LoginThrottle = request.app.state.login_throttle
    address = client_address(request)
    now = time.monotonic()
    wait = throttle.wait_seconds(body.username, address, now)
    if wait > 0:
        raise HTTPException(
            429,
            f"too many failed logins: try again in {_wait_text(wait)}",
            headers={"Retry-After": str(math.ceil(wait))},
        )
    throttle.attempt(body.username, address, now)
    user = storage.user_by_name(body.username)
    stored_hash = user.password_hash if user else _DUMMY_HASH
    password_ok = await _off_loop(
        request, settings, lambda: verify_password(stored_hash, body.password)
    )
    if user is None or not password_ok:
        raise HTTPException(401, "wrong username or password")
    throttle.succeeded(body.username, address, now)
    if needs_rehash(user.password_hash):
        new_hash = await _off_loop(request, settings, lambda: hash_password(body.password))
        storage.set_password_hash(user.id, new_hash)
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


def _wait_text(seconds: float) -> str:
    return f"{math.ceil(seconds)} s" if seconds < 60 else f"{math.ceil(seconds / 60)} min"


@router.post("/logout", status_code=204)
async def logout(caller: CurrentCaller, storage: Store) -> None:
    storage.revoke_token(caller.token_hash, datetime.now(UTC))


@router.get("/me")
async def me(caller: CurrentCaller) -> UserPublic:
    u = caller.user
    return UserPublic(
        id=u.id, username=u.username, name=u.name, role=u.role, site_ids=list(u.site_ids)
    )
