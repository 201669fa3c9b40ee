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
    "MAX_REASON_CHARS",
    "Review",
    "Standing",
    "Verdict",
    "counts",
    "latest_review",
    "needs_review",
    "review_refusal",
    "standing",
    "voids_follow_up",
]

# Flags that keep a record out of coverage until a reviewer accepts it: the scanned code
# is not this site's genuine label of the point (a forged signature, another site's
# label, or not a Rounds label at all, or a label revoked by a reprint — a photo of it may
# be all that is left), so the scan proves nothing about presence.
HOLDING_FLAGS: frozenset[str] = frozenset(
    {Flag.BAD_SIGNATURE, Flag.FOREIGN_LABEL, Flag.NOT_A_LABEL, Flag.REVOKED_LABEL}
)
MAX_REASON_CHARS = 500


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
    """The latest review decides; with none, a holding flag holds the record back."""
    if review is not None:
        return Standing.COUNTED if review.verdict == Verdict.ACCEPT else Standing.REJECTED
    if HOLDING_FLAGS.intersection(flags):
        return Standing.PENDING
    return Standing.COUNTED


def counts(flags: Iterable[str], review: Review | None) -> bool:
    """Does the record earn coverage? Only when its standing is *counted*."""
    return standing(flags, review) is Standing.COUNTED


def voids_follow_up(flags: Iterable[str], review: Review | None) -> bool:
    """Is what the record opened void? A failed inspection opens rectifications and an
    anomaly opens a ticket; when a reviewer *rejects* the record (latest review decides),
    those are void: kept and shown as evidence, but in no open or overdue list, no
    escalation, no dashboard and no appraisal. Accepted, pending or never reviewed, they
    stand as opened (a soft flag does not hold follow-up work back)."""
    return standing(flags, review) is Standing.REJECTED


def review_refusal(
    flags: Iterable[str],
    verdict: str,
    reason: str,
    *,
    reviewer_id: str | None = None,
    author_id: str | None = None,
) -> str | None:
    """Why a review cannot be recorded as given, or None when it can.

    Only flagged records are reviewed, and never by the person who made them; a verdict is
    accept or reject; a rejection needs a reason (the person whose record it is will ask
    why); a reason is at most 500 characters.
    """
    if not any(True for _ in flags):
        return "only flagged records are reviewed"
    if reviewer_id is not None and reviewer_id == author_id:
        return "nobody reviews their own record"
    if verdict not in (Verdict.ACCEPT, Verdict.REJECT):
        return "verdict must be accept or reject"
    if verdict == Verdict.REJECT and not reason.strip():
        return "a rejection needs a reason"
    if len(reason) > MAX_REASON_CHARS:
        return f"reason is longer than {MAX_REASON_CHARS} characters"
    return None


def needs_review(flags: Iterable[str], review: Review | None) -> bool:
    """Does the record belong in the review queue? Any flag, until someone reviews it."""
    return review is None and any(True for _ in flags)
