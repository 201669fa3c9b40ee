"""One browser's console session: who signed in, which site and period they look at.

The session keeps the user's *id* only; every action reads the user again
(`ConsoleSession.user`), so a deactivated account or a changed role or site list takes
effect on the next click, exactly as a revoked token does for the API.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from server import access
from server.blobs import BlobStore
from server.console.models.period import Period
from server.settings import Settings
from server.storage import Storage, UserRow

__all__ = ["ConsoleSession", "SiteChoice"]


@dataclass(frozen=True, slots=True)
class SiteChoice:
    id: str
    name: str


@dataclass(slots=True)
class ConsoleSession:
    storage: Storage
    settings: Settings
    user_id: str | None = None
    site_id: str | None = None
    lang: str = "zh"
    period: Period = field(default_factory=Period)
    blobs: BlobStore | None = None  # photos and plans

    @property
    def signed_in(self) -> bool:
        return self.user_id is not None

    def user(self) -> UserRow:
        """The signed-in user as stored now; signed out (401) if gone or deactivated."""
        user = self.storage.user(self.user_id) if self.user_id else None
        if user is None:
            self.sign_out()
            raise access.AccessDenied(401, "sign in again")
        return user

    def sign_in(self, user: UserRow) -> None:
        self.user_id = user.id
        self.site_id = user.site_ids[0] if user.site_ids else None

    def sign_out(self) -> None:
        self.user_id = None
        self.site_id = None

    def sites(self) -> list[SiteChoice]:
        """The sites this user may pick: their own, nothing else."""
        user = self.user()
        return [SiteChoice(s["id"], s["name"]) for s in self.storage.sites(user.site_ids)]

    def choose_site(self, site_id: str) -> None:
        access.require_site(self.user(), site_id)
        self.site_id = site_id

    def tz(self) -> ZoneInfo:
        site = self.storage.site(self.site_id) if self.site_id else None
        return ZoneInfo(site["tz"]) if site else ZoneInfo("Asia/Shanghai")

    def now(self) -> datetime:
        return datetime.now(UTC)

    def bounds(self) -> tuple[datetime, datetime]:
        return self.period.bounds(self.now(), self.tz())
