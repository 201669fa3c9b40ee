"""Shared by the set-up modules: limits, the refusal type and the audit entry."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from fastapi import HTTPException

from server.storage import Storage, UserRow

__all__ = [
    "MAX_PREVIEW_DAYS",
    "PLAN_MAX_BYTES",
    "PLAN_MAX_PIXELS",
    "PLAN_MAX_SIDE",
    "AdminError",
    "audit",
]


PLAN_MAX_BYTES = 15 * 1024 * 1024
PLAN_MAX_PIXELS = 40_000_000  # a 8000×5000 scan at most; more is refused before decoding
PLAN_MAX_SIDE = 2400  # stored plans are resized to this long side
MAX_PREVIEW_DAYS = 31
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,30}$")


class AdminError(HTTPException):
    """A refused change: 404, 409 (conflicts with what is stored), 413, 415 or 422
    (invalid: `detail` names every problem, separated by "; ")."""


def _invalid(problems: list[str]) -> AdminError:
    return AdminError(422, "; ".join(problems))


def audit(
    storage: Storage,
    user: UserRow,
    site_id: str,
    action: str,
    target: str,
    before: Any,
    after: Any,
    now: datetime,
) -> None:
    storage.add_audit(
        site_id=site_id,
        at=now,
        user_id=user.id,
        action=action,
        target=target,
        before=before,
        after=after,
    )


def _site_json(site: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": site["id"],
        "name": site["name"],
        "tz": site["tz"],
        "address": site.get("address") or "",
        "has_plan": bool(site.get("plan_sha")),
    }
