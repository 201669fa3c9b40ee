"""Login and logout: a revocable bearer token per device."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from server.api.deps import AppSettings, CurrentCaller, Store
from server.login import LoginGate, change_own_password, check_login, issue_token

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
    must_change_password: bool = Field(
        description="the password was set by an admin: the owner should choose their own"
    )


class PasswordChange(BaseModel):
    current_password: str = Field(min_length=1, max_length=128)
    new_password: str = Field(min_length=1, max_length=128)


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
    user = await check_login(
        LoginGate.of(request.app.state),
        username=body.username,
        password=body.password,
        address=client_address(request),
    )
    token = issue_token(storage, settings, user.id, body.device_id, datetime.now(UTC))
    return LoginResponse(
        token=token,
        user=UserPublic(
            id=user.id,
            username=user.username,
            name=user.name,
            role=user.role,
            site_ids=list(user.site_ids),
        ),
        must_change_password=storage.password_to_change(user.id),
    )


@router.post(
    "/password",
    status_code=204,
    responses={
        401: {"description": "the current password is wrong, or the login expired"},
        422: {"description": "the new password breaks the rules (8-128 characters, or a PIN)"},
        429: {"description": "too many failed attempts from this address, wait"},
        503: {"description": "too many logins at once, try again"},
    },
)
async def change_password(
    body: PasswordChange,
    request: Request,
    caller: CurrentCaller,
) -> None:
    """Choose one's own password: every other device of this person is signed out."""
    await change_own_password(
        LoginGate.of(request.app.state),
        user=caller.user,
        current=body.current_password,
        new=body.new_password,
        address=client_address(request),
        keep_token_hash=caller.token_hash,
        now=datetime.now(UTC),
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
