"""Inspection scores and the life of a rectification (整改 → 复检)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from domain.models import Role

__all__ = [
    "CLEANING_ROLES",
    "ItemResult",
    "Rectification",
    "RectificationEvent",
    "RectificationState",
    "fix_refusal",
    "inspection_score",
    "recheck_refusal",
    "rectification_state",
]


class ItemResult(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    NA = "na"


def inspection_score(results: Mapping[str, ItemResult | str]) -> float | None:
    """Passed ÷ applicable: N/A never inflates a score; None when nothing applied."""
    applicable = [r for r in results.values() if r != ItemResult.NA]
    if not applicable:
        return None
    return sum(1 for r in applicable if r == ItemResult.PASS) / len(applicable)


class RectificationState(StrEnum):
    OPEN = "open"  # waiting for the cleaner's fix
    FIXED = "fixed"  # waiting for the re-check
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class RectificationEvent:
    action: str  # "fixed" or "rechecked"
    user_id: str
    at: datetime
    passed: bool | None = None  # for "rechecked"
    photos: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True, slots=True)
class Rectification:
    id: str
    state: RectificationState
    reopened: int
    overdue: bool
    fixed_by: str | None
    closed_at: datetime | None


def rectification_state(
    rect_id: str, deadline: datetime, events: Sequence[RectificationEvent], now: datetime
) -> Rectification:
    """Replay the events of one rectification, opened by a failed inspection item."""
    state, reopened, fixed_by, closed_at = RectificationState.OPEN, 0, None, None
    for event in sorted(events, key=lambda e: e.at):
        if event.action == "fixed" and state is RectificationState.OPEN:
            state, fixed_by = RectificationState.FIXED, event.user_id
        elif event.action == "rechecked" and state is RectificationState.FIXED:
            if event.passed:
                state, closed_at = RectificationState.CLOSED, event.at
            else:
                state, reopened = RectificationState.OPEN, reopened + 1
    done_by = closed_at or now
    overdue = done_by > deadline if state is RectificationState.CLOSED else now > deadline
    return Rectification(rect_id, state, reopened, overdue, fixed_by, closed_at)


def recheck_refusal(current: Rectification, action: str, user_id: str) -> str | None:
    """Why an event cannot apply now, or None when it can."""
    if current.state is RectificationState.CLOSED:
        return "rectification is already closed"
    if action == "fixed" and current.state is not RectificationState.OPEN:
        return "rectification is waiting for its re-check, not a fix"
    if action == "rechecked":
        if current.state is not RectificationState.FIXED:
            return "rectification has not been fixed yet"
        if current.fixed_by == user_id:
            return "the re-check must be done by someone other than the person who fixed it"
    return None


CLEANING_ROLES = frozenset({Role.CLEANER, Role.CLEANING_SUPERVISOR})


def fix_refusal(assignee_id: str | None, user_id: str, role: Role) -> str | None:
    """Why this person may not mark a rectification fixed, or None when they may.

    An assigned rectification is fixed by its assignee alone; an unassigned one by anyone
    of the site's cleaning roles (a cleaner or a cleaning supervisor), never by a guard.
    """
    if assignee_id is not None:
        return None if user_id == assignee_id else "this rectification is assigned to someone else"
    if role not in CLEANING_ROLES:
        return "only cleaning staff can fix a rectification"
    return None
