"""The tickets and rectifications screens' data and actions, over `server.tickets` and
`server.rectification_followup` after the API's permission checks (`server.access`):
reading needs `require_reports`, a follow-up step `require_reviews`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from server import access, rectification_followup, tickets
from server.console.models.session import ConsoleSession
from server.photos import PhotoRejected, store_photo

__all__ = [
    "load_rectification",
    "load_rectifications",
    "load_ticket",
    "load_tickets",
    "rectification_step",
    "site_people",
    "ticket_step",
    "upload_closing_photo",
    "upload_recheck_photo",
]

DAYS = 60


def _read(session: ConsoleSession) -> str:
    site_id = session.site_id or ""
    access.require_reports(session.user(), site_id)
    return site_id


def _write(session: ConsoleSession) -> str:
    site_id = session.site_id or ""
    access.require_reviews(session.user(), site_id)
    return site_id


def load_tickets(
    session: ConsoleSession, status: tickets.StatusFilter = "active"
) -> dict[str, Any]:
    site_id, now = _read(session), session.now()
    return tickets.ticket_list(
        session.storage, site_id, now, since=now - timedelta(days=DAYS), status=status, limit=200
    )


def load_ticket(session: ConsoleSession, ticket_id: str) -> dict[str, Any] | None:
    return tickets.ticket_detail(session.storage, _read(session), ticket_id, session.now())


def ticket_step(
    session: ConsoleSession,
    ticket_id: str,
    action: str,
    note: str = "",
    assignee_id: str | None = None,
    photo: str | None = None,
) -> dict[str, Any]:
    """KeyError for no such ticket on the site; tickets.TicketRefused says why not.
    `photo` (closing a ticket) is the SHA-256 `upload_closing_photo` returned."""
    site_id = _write(session)
    return tickets.add_ticket_event(
        session.storage,
        site_id,
        ticket_id,
        actor=session.user(),
        action=action,
        now=session.now(),
        note=note,
        assignee_id=assignee_id,
        photo=photo,
    )


def upload_closing_photo(session: ConsoleSession, data: bytes | None) -> str:
    """Keep a ticket's closing photo picked in the browser, through the API's upload
    path (`server.photos.store_photo`: size limit, image types, bomb and hidden-data
    checks), after the same permission check as a follow-up step; returns its SHA-256.
    Raises PhotoRejected (the message says why) and AccessDenied."""
    return _keep_photo(session, _write(session), data)


def upload_recheck_photo(session: ConsoleSession, rect_id: str, data: bytes | None) -> str:
    """Keep a re-check's photo picked in the browser, as `upload_closing_photo` does, but
    only for who may re-check this rectification now (the API's rule: a cleaning
    supervisor, manager or admin, not who fixed it, and only once it is fixed). Raises
    AccessDenied, FollowUpRefused, KeyError (no such rectification) and PhotoRejected."""
    site_id = _write(session)
    rectification_followup.may_recheck(
        session.storage, site_id, rect_id, session.user(), session.now()
    )
    return _keep_photo(session, site_id, data)


def _keep_photo(session: ConsoleSession, site_id: str, data: bytes | None) -> str:
    if session.blobs is None:
        raise PhotoRejected("photo storage is not available", 503)
    if not data:
        raise PhotoRejected("the file is empty", 415)
    stored = store_photo(
        session.storage,
        session.blobs,
        session.settings,
        site_id=site_id,
        user_id=session.user().id,
        data=data,
        at=session.now(),
    )
    return stored.sha256


def load_rectifications(
    session: ConsoleSession, state: rectification_followup.StateFilter = "active"
) -> dict[str, Any]:
    return rectification_followup.followup_list(
        session.storage, _read(session), session.now(), days=DAYS, state=state
    )


def load_rectification(session: ConsoleSession, rect_id: str) -> dict[str, Any] | None:
    return rectification_followup.followup_detail(
        session.storage, _read(session), rect_id, session.now()
    )


def rectification_step(
    session: ConsoleSession,
    rect_id: str,
    action: str,
    note: str = "",
    assignee_id: str | None = None,
    passed: bool | None = None,
    photo: str | None = None,
) -> dict[str, Any]:
    """KeyError for no such rectification on the site; FollowUpRefused says why not.
    `photo` (a re-check) is the SHA-256 `upload_recheck_photo` returned."""
    site_id = _write(session)
    return rectification_followup.follow_up(
        session.storage,
        site_id,
        rect_id,
        actor=session.user(),
        action=action,
        now=session.now(),
        note=note,
        assignee_id=assignee_id,
        passed=passed,
        photo=photo,
    )


def site_people(session: ConsoleSession) -> list[dict[str, str]]:
    """Who a ticket or rectification can be assigned to: the site's active members."""
    return session.storage.site_users(_read(session))
