"""Checking a username and password: the one path the API's login and the console share.

- Every attempt counts against the throttle (`server.throttle`) before the hash is
  checked; a throttled name or address is refused with how long to wait (429).
- An unknown name costs the same argon2 check as a wrong password, so the answer's
  timing does not tell which names exist; both answer 401 with the same words.
- Hashes are checked in a worker thread, at most `login_hash_threads` at once; when too
  many logins already wait for a slot the answer is 503 at once.
- A hash made with older parameters is replaced on a good login.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

import anyio
import anyio.to_thread
from fastapi import HTTPException

from domain.admin import credential_problem, parse_role
from domain.models import Role
from server.passwords import hash_password, needs_rehash, verify_password
from server.settings import Settings
from server.storage import Storage, UserRow
from server.throttle import LoginThrottle

__all__ = [
    "LoginGate",
    "LoginRefused",
    "change_own_password",
    "check_login",
    "hash_token",
    "issue_token",
    "token_holder",
    "token_user",
    "wait_text",
]

T = TypeVar("T")

# Checked when the username is unknown, so that a wrong name costs as long as a wrong
# password and the answer's timing does not tell which names exist.
_DUMMY_HASH = hash_password("no such user")


class LoginRefused(HTTPException):
    """401 wrong name or password, 429 throttled (`retry_after` seconds), 503 busy."""

    def __init__(self, status_code: int, detail: str, retry_after: float = 0.0) -> None:
        headers = {"Retry-After": str(math.ceil(retry_after))} if retry_after > 0 else None
        super().__init__(status_code, detail, headers=headers)
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class LoginGate:
    """What every password check goes through: the store, the limits, the server's one
    throttle and its hash worker slots (kept on the app's state)."""

    storage: Storage
    settings: Settings
    throttle: LoginThrottle
    limiter: anyio.CapacityLimiter

    @classmethod
    def of(cls, state: Any) -> LoginGate:
        """The gate of a running server, from its `app.state`."""
        return cls(state.storage, state.settings, state.login_throttle, state.hash_limiter)


async def _off_loop(limiter: anyio.CapacityLimiter, queue: int, fn: Callable[[], T]) -> T:
    """Run a password hash in a worker thread; argon2 takes ~0.2 s of CPU and on the
    event loop would stall every other request."""
    if limiter.statistics().tasks_waiting >= queue:
        raise LoginRefused(503, "the server is busy: try again", retry_after=2)
    return await anyio.to_thread.run_sync(fn, limiter=limiter)


def wait_text(seconds: float) -> str:
    return f"{math.ceil(seconds)} s" if seconds < 60 else f"{math.ceil(seconds / 60)} min"


async def check_login(gate: LoginGate, *, username: str, password: str, address: str) -> UserRow:
    """The active user with this name and password, or `LoginRefused`."""
    storage, settings, throttle, limiter = gate.storage, gate.settings, gate.throttle, gate.limiter
    now = time.monotonic()
    wait = throttle.wait_seconds(username, address, now)
    if wait > 0:
        raise LoginRefused(
            429, f"too many failed logins: try again in {wait_text(wait)}", retry_after=wait
        )
    throttle.attempt(username, address, now)
    user = storage.user_by_name(username)
    stored_hash = user.password_hash if user else _DUMMY_HASH
    queue = settings.login_queue
    password_ok = await _off_loop(limiter, queue, lambda: verify_password(stored_hash, password))
    if user is None or not password_ok:
        raise LoginRefused(401, "wrong username or password")
    throttle.succeeded(username, address, now)
    if needs_rehash(user.password_hash):
        new_hash = await _off_loop(limiter, queue, lambda: hash_password(password))
        storage.set_password_hash(user.id, new_hash)
    return user


async def change_own_password(
    gate: LoginGate,
    *,
    user: UserRow,
    current: str,
    new: str,
    address: str,
    keep_token_hash: str | None,
    now: datetime,
) -> int:
    """The signed-in person sets their own password: the current one is checked as a
    login is (same throttle, same worker threads), the new one by the rules an admin's
    must follow, and every other sign-in of theirs is revoked. How many were revoked."""
    await check_login(gate, username=user.username, password=current, address=address)
    problem = credential_problem(new, parse_role(user.role) or Role.GUARD)
    if problem is None and new == current:
        problem = "the new password must differ from the current one"
    if problem is not None:
        raise LoginRefused(422, problem)
    new_hash = await _off_loop(gate.limiter, gate.settings.login_queue, lambda: hash_password(new))
    with gate.storage.transaction():
        gate.storage.set_own_password(user.id, new_hash)
        return gate.storage.revoke_device(user.id, None, now, keep_hash=keep_token_hash)


def hash_token(token: str) -> str:
    """Tokens are stored hashed: a copy of the database signs nobody in."""
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(
    storage: Storage, settings: Settings, user_id: str, device_id: str, now: datetime
) -> str:
    """A new sign-in token for `user_id` on `device_id` (a phone, or a console browser):
    valid for `settings.token_days` unless revoked ("sign out this device")."""
    token = secrets.token_urlsafe(settings.token_bytes)
    storage.add_token(hash_token(token), user_id, device_id, now)
    return token


def token_holder(
    storage: Storage, settings: Settings, token_hash: str, now: datetime
) -> tuple[UserRow, str] | None:
    """(user, device id) a hashed token signs in; None if it is unknown, revoked, expired,
    or its user is deactivated. The API checks every request with it (`api.deps`), the
    console a kept sign-in. Reads are cached until the next write other than a record
    insert (a login, a logout, a user changed...): the server is the only process writing
    its data folder."""
    found = storage.cached(("token", token_hash), lambda: storage.token_info(token_hash))
    if found is None or found[2] < now - timedelta(days=settings.token_days):
        return None
    user = storage.cached(("user", found[0]), lambda: storage.user(found[0]))
    return None if user is None else (user, found[1])


def token_user(storage: Storage, settings: Settings, token: str, now: datetime) -> UserRow | None:
    """Whom a token signs in (see `token_holder`)."""
    held = token_holder(storage, settings, hash_token(token), now)
    return None if held is None else held[0]
