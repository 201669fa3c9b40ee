"""The live view screen's data and its one action, acknowledging an alert, each after
the API's permission check (`server.access.require_reports`)."""

from __future__ import annotations

from collections.abc import Sequence

from server import access, live
from server.console.models.session import ConsoleSession

__all__ = ["RECTIFICATIONS_SHOWN", "acknowledge", "alerts_to_show", "load_live"]

RECTIFICATIONS_SHOWN = 3  # overdue rectifications shown as alerts; the rest are counted


def alerts_to_show(
    alerts: Sequence[live.Alert], rectifications: int = RECTIFICATIONS_SHOWN
) -> tuple[list[live.Alert], int]:
    """The alerts a lead sees, and how many overdue rectifications are left out.

    Round alerts all show, in order. Overdue rectifications (a site can have dozens, weeks
    old) show only the first few, those not yet acknowledged first, so the rounds in
    progress stay on screen; the rest are counted, and the rectifications screen has them.
    """
    overdue = live.AlertKind.OVERDUE_RECTIFICATION
    rounds = [a for a in alerts if a.kind is not overdue]
    fixes = sorted((a for a in alerts if a.kind is overdue), key=lambda a: a.ack is not None)
    return rounds + fixes[:rectifications], max(0, len(fixes) - rectifications)


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
