"""The audit log."""

from __future__ import annotations

from typing import Any

from server.access import require_admin
from server.storage import Storage, UserRow

__all__ = [
    "audit_log",
]


# -- the audit log -------------------------------------------------------------------------


def audit_log(
    storage: Storage, user: UserRow, site_id: str, limit: int = 200, before_id: int | None = None
) -> list[dict[str, Any]]:
    """A site's admin changes, newest first (managers and admins)."""
    require_admin(user, site_id)
    names = {p.id: p.name for p in storage.people(site_id)}
    return [
        {
            "id": e.id,
            "at": e.at,
            "user_id": e.user_id,
            "user_name": names.get(e.user_id, e.user_id),
            "action": e.action,
            "target": e.target,
            "before": e.before,
            "after": e.after,
        }
        for e in storage.audit(site_id, max(1, min(limit, 1000)), before_id)
    ]
