"""The live view screen's data and its one action, acknowledging an alert, each after
the API's permission check (`server.access.require_reports`)."""

from __future__ import annotations

from server import access, live
from server.console.models.session import ConsoleSession

__all__ = ["acknowledge", "load_live"]


def load_live(session: ConsoleSession) -> live.LiveView:
    user = session.user()
    site_id = session.site_id or ""
    access.require_reports(user, site_id)
    return live.live_view(session.storage, site_id, session.now())


def acknowledge(session: ConsoleSession, key: str, comment: str) -> live.Alert:
    """Record the acknowledgement; LookupError when the alert is gone, AlertRefused for a
    comment over 500 characters."""
    user = session.user()
    site_id = session.site_id or ""
    access.require_reports(user, site_id)
    return live.acknowledge(session.storage, site_id, user.id, key, comment, session.now())
