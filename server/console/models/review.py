"""The review queue screen's data and its action (accept or reject a flagged record),
over `server.review` after the API's permission check (`server.access.require_reviews`)."""

from __future__ import annotations

from typing import Any, Literal

from server import access, review
from server.console.models.session import ConsoleSession

__all__ = ["PAGE", "decide", "load_counts", "load_item", "load_queue"]

PAGE = 30


def _site(session: ConsoleSession) -> str:
    user = session.user()
    site_id = session.site_id or ""
    access.require_reviews(user, site_id)
    return site_id


def load_queue(
    session: ConsoleSession,
    state: Literal["unreviewed", "reviewed", "all"] = "unreviewed",
    held_only: bool = False,
    offset: int = 0,
) -> dict[str, Any]:
    site_id = _site(session)
    return review.review_queue(
        session.storage, site_id, state=state, held_only=held_only, limit=PAGE, offset=offset
    )


def load_counts(session: ConsoleSession) -> dict[str, int]:
    return review.queue_counts(session.storage, _site(session))


def load_item(session: ConsoleSession, record_id: str) -> dict[str, Any] | None:
    return review.review_item(session.storage, _site(session), record_id)


def decide(session: ConsoleSession, record_id: str, verdict: str, reason: str) -> dict[str, Any]:
    """Record the verdict as a new review record; KeyError for no such record of this
    site, review.ReviewRefused when it cannot be recorded as given (the message says why)."""
    site_id = _site(session)
    return review.record_review(
        session.storage,
        site_id,
        record_id,
        reviewer=session.user(),
        verdict=verdict,
        reason=reason,
        now=session.now(),
        device_id="console",
    )
