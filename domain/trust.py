"""Which records count: flags, reviews and a record's standing.

Suspicious facts are flagged, never silently rejected (DOMAIN.md). Most flags are *soft*:
the record counts and is shown for review (far from the point, too fast, seconds apart,
photo reused, typed code, clock skew). A few *hold* the record: it proves nothing about
presence (a label that fails its signature or names another site), so it is kept as
evidence but earns no coverage until a reviewer accepts it. A review is itself a record
(kind ``review``, ``refers_to`` the reviewed record, who, when and why); the latest
review of a record decides.

This module is the one place both the coverage reads and the console's review queue ask.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from domain.signals import Flag

__all__ = [
    "HOLDING_FLAGS",
    "Review",
    "Standing",
    "Verdict",
    "latest_review",
    "needs_review",
    "standing",
]

# Flags that keep a record out of coverage until a reviewer accepts it.
HOLDING_FLAGS: frozenset[str] = frozenset({Flag.BAD_SIGNATURE})


class Verdict(StrEnum):
    ACCEPT = "accept"
    REJECT = "reject"


class Standing(StrEnum):
    COUNTED = "counted"  # no holding flag, or a reviewer accepted it
    PENDING = "pending_review"  # a holding flag and no review yet: evidence, not coverage
    REJECTED = "rejected"  # a reviewer rejected it: never counts


@dataclass(frozen=True, slots=True)
class Review:
    record_id: str  # the reviewed record
    verdict: Verdict
    reason: str
    reviewer_id: str
    at: datetime


def latest_review(reviews: Iterable[Review]) -> Review | None:
    """The review that decides: the most recent one (a reviewer may change their mind)."""
    return max(reviews, key=lambda r: r.at, default=None)


def standing(flags: Iterable[str], review: Review | None) -> Standing:
    if review is not None:
        return Standing.COUNTED if review.verdict == Verdict.ACCEPT else Standing.REJECTED
    if HOLDING_FLAGS.intersection(flags):
        return Standing.PENDING
    return Standing.COUNTED


def needs_review(flags: Iterable[str], review: Review | None) -> bool:
    """Does the record belong in the review queue? Any flag, until someone reviews it."""
    return review is None and any(True for _ in flags)
