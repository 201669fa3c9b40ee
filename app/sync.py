"""Talking to the server over httpx: login, config pull, photo upload, outbox push.

The outbox goes up oldest first in batches; photos a record refers to go up before the
record. Each record's result from the server settles it (sent, or rejected with a reason a
person can act on); a network failure settles nothing, so the next attempt sends the same
records again and the server's per-id dedupe makes that harmless.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from app.store import LocalStore

__all__ = [
    "AuthExpired",
    "LoginThrottled",
    "Offline",
    "ServerBusy",
    "ServerClient",
    "SyncError",
    "SyncReport",
    "backoff_seconds",
    "sync_once",
]

BATCH = 200


class SyncError(Exception):
    """A sync problem, worded for the person holding the phone."""


class Offline(SyncError):
    """The server cannot be reached (no network, server down)."""


class ServerBusy(Offline):
    """The server answered with an error of its own (5xx): worth backing off for."""


class AuthExpired(SyncError):
    pass


class LoginThrottled(SyncError):
    """Too many failed sign-ins for this name: the server asks to wait."""


def backoff_seconds(failures: int) -> float:
    """5 s, 10 s, 20 s … up to 5 minutes between attempts while the server answers with
    errors of its own; 30 s between routine syncs when all is well."""
    return min(300.0, 5.0 * 2 ** max(0, failures - 1)) if failures else 30.0


class ServerClient:
    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.AsyncClient(
            base_url=base_url, headers=headers, timeout=20, transport=transport
        )

    async def close(self) -> None:
        await self.http.aclose()

    async def _request(self, method: str, url: str, **kw: Any) -> httpx.Response:
        try:
            response = await self.http.request(method, url, **kw)
        except httpx.TransportError as exc:
            raise Offline("offline: the server cannot be reached") from exc
        if response.status_code == 401 and not url.endswith("/login"):
            raise AuthExpired("your login expired or was revoked — sign in again")
        if response.status_code >= 500:
            raise ServerBusy(f"the server had a problem ({response.status_code}); will retry")
        return response

    @staticmethod
    def _ok(response: httpx.Response, what: str) -> Any:
        """The JSON of a 2xx answer; anything else becomes a SyncError naming `what`, so a
        server of another version or a proxy's error page never crashes the app."""
        if not response.is_success:
            try:
                detail = response.json().get("detail", "")
            except ValueError:
                detail = response.text[:200]
            raise SyncError(f"{what} refused ({response.status_code}): {detail}")
        try:
            return response.json()
        except ValueError as exc:
            raise SyncError(f"{what}: the server's answer is not JSON") from exc

    async def probe(self) -> bool:
        """Whether the server answers at all: one small request with a short timeout,
        cheap enough to repeat every few seconds while offline."""
        try:
            response = await self.http.get("/healthz", timeout=3)
        except httpx.TransportError:
            return False
        return response.status_code < 500

    async def login(self, username: str, password: str, device_id: str) -> dict[str, Any]:
        response = await self._request(
            "POST",
            "/api/v1/auth/login",
            json={"username": username, "password": password, "device_id": device_id},
        )
        if response.status_code in (401, 422):
            raise SyncError("wrong username or password")
        if response.status_code == 429:
            raise LoginThrottled(response.json().get("detail", ""))
        return self._ok(response, "login")

    async def config(self, etag: str | None) -> tuple[dict[str, Any] | None, str | None]:
        headers = {"If-None-Match": etag} if etag else {}
        response = await self._request("GET", "/api/v1/config", headers=headers)
        if response.status_code == 304:
            return None, etag
        return self._ok(response, "config"), response.headers.get("etag")

    async def upload_photo(self, site_id: str, data: bytes, sha: str) -> None:
        response = await self._request(
            "POST",
            f"/api/v1/sites/{site_id}/photos",
            content=data,
            headers={"Content-Type": "image/jpeg", "X-Content-SHA256": sha},
        )
        self._ok(response, "photo upload")

    async def push(self, records: list[dict[str, Any]], sent_at: datetime) -> list[dict[str, Any]]:
        response = await self._request(
            "POST", "/api/v1/sync", json={"sent_at": sent_at.isoformat(), "records": records}
        )
        return self._ok(response, "sync")["results"]

    async def rectifications(self, site_id: str) -> list[dict[str, Any]]:
        response = await self._request("GET", f"/api/v1/sites/{site_id}/rectifications")
        return self._ok(response, "rectifications")["data"]

    async def my_records(self, site_id: str, since: datetime) -> list[dict[str, Any]]:
        response = await self._request(
            "GET", f"/api/v1/sites/{site_id}/my-records", params={"since": since.isoformat()}
        )
        return self._ok(response, "my records")["data"]

    async def photo(self, site_id: str, sha: str) -> bytes | None:
        response = await self._request("GET", f"/api/v1/sites/{site_id}/photos/{sha}")
        return response.content if response.status_code == 200 else None


@dataclass(frozen=True, slots=True)
class SyncReport:
    sent: int
    rejected: list[tuple[str, str]]  # (record kind, reason)


async def sync_once(
    store: LocalStore, client: ServerClient, now: datetime | None = None
) -> SyncReport:
    """Push the whole outbox, then pull config and rectifications."""
    sent, rejected = 0, []
    while batch := store.pending(BATCH):
        for sha, site_id in store.photos_to_upload(s for r in batch for s in r.photos):
            data = store.photo_path(sha).read_bytes()
            await client.upload_photo(site_id, data, sha)
            store.mark_uploaded(sha)
        results = await client.push([r.record for r in batch], datetime.now(UTC))
        store.mark(results, datetime.now(UTC))
        sent += sum(1 for r in results if r["status"] != "rejected")
        kinds = {r.id: r.kind for r in batch}
        rejected += [
            (kinds.get(r["id"], "?"), r["reason"]) for r in results if r["status"] == "rejected"
        ]
    config, etag = await client.config(store.get("config_etag"))
    if config is not None:
        store.put(config=config, config_etag=etag)
    at = now or datetime.now(UTC)
    user = store.get("user") or {}
    for site in (config or store.get("config") or {}).get("sites", []):
        mine = await client.my_records(site["id"], at - timedelta(hours=36))
        store.put(**{f"my_records:{site['id']}": mine})
        if user.get("role") in ("cleaner", "cleaning_supervisor", "manager", "admin"):
            store.put(**{f"rectifications:{site['id']}": await client.rectifications(site["id"])})
    store.put(last_sync=at.isoformat(), sync_error="")
    store.prune(timedelta(days=7), at)
    return SyncReport(sent, rejected)
