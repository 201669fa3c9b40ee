"""Fraud signals: suspicious facts are flagged on a record, never a reason to drop it.

Rules:
- *Clock skew*: the batch's send time is more than 5 minutes from the server's receive
  time; the size of the skew is kept with the record (``clock_skew_seconds``).
- *Future time*: a record made after the batch that carries it was sent.
- *Label*: a "qr" scan whose payload is not this site's genuine label of the point is
  flagged by what is wrong with it (bad signature, another site's label, not a Rounds
  label at all); these flags hold the record out of coverage (`domain.trust`).
- *Far from the point*: the fix is further from the point than the point's radius
  (default 100 m), allowing for the fix's reported accuracy: far only when
  distance − accuracy > radius.
- *Impossible speed*: between this scan and the person's scan just before it (or just
  after it, when an older record arrives late) faster than a run, over more than
  `MIN_SPEED_DISTANCE_M`. Where a scan has no fix, the position of the point it names
  stands in for it, so a phone that never reports GPS is still checked.
- *Seconds apart*: two scans by one person less than 10 s apart.
- *Repeated*: the same person scanned the same point less than 10 minutes before.
- *Burst*: a point scanned 4 or more times (by anyone) within 10 minutes.
- *Photo reused*: a photo identical to, or perceptually near (Hamming distance of the
  64-bit perceptual hashes at most `PHOTO_NEAR_BITS`), one an earlier record used.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

__all__ = [
    "BURST_COUNT",
    "BURST_WINDOW",
    "DEFAULT_RADIUS_M",
    "NEIGHBOUR_WINDOW",
    "PHOTO_NEAR_BITS",
    "REPEAT_WINDOW",
    "Flag",
    "LastScan",
    "PointScan",
    "clock_flags",
    "clock_skew_seconds",
    "distance_m",
    "hamming",
    "is_future",
    "label_flag",
    "point_repeat_flags",
    "scan_flags",
]

CLOCK_SKEW_LIMIT = timedelta(minutes=5)
DEFAULT_RADIUS_M = 100.0
FAR_FROM_POINT_M = DEFAULT_RADIUS_M  # kept for callers of the old name
WALKING_SPEED_LIMIT_MPS = 4.0  # a brisk run; guards walk at 1-1.5 m/s
MIN_SPEED_DISTANCE_M = 50.0  # below this, positions are too rough to judge a speed
RAPID_SCAN_SECONDS = 10
NEIGHBOUR_WINDOW = timedelta(hours=1)  # beyond this, no walk within a site is too fast
REPEAT_WINDOW = timedelta(minutes=10)
BURST_WINDOW = timedelta(minutes=10)
BURST_COUNT = 4
PHOTO_NEAR_BITS = 10  # of 64: a re-saved or slightly cropped copy stays well within this


class Flag(StrEnum):
    CLOCK_SKEW = "clock_skew"
    FUTURE_TIME = "future_device_time"
    FAR_FROM_POINT = "far_from_point"
    TOO_FAST = "impossible_speed"
    RAPID_SCANS = "scans_seconds_apart"
    REPEATED_SCAN = "repeated_scan"
    SCAN_BURST = "scan_burst"
    PHOTO_REUSED = "photo_reused"
    BAD_SIGNATURE = "bad_label_signature"
    FOREIGN_LABEL = "foreign_label"
    NOT_A_LABEL = "not_a_label"
    TYPED_CODE = "typed_code"
    REVOKED_LABEL = "revoked_label"  # a label replaced by a reprint (domain.labels)


_LABEL_FLAGS = {
    "bad_signature": Flag.BAD_SIGNATURE,
    "other_site": Flag.FOREIGN_LABEL,
    "not_ours": Flag.NOT_A_LABEL,
}


def label_flag(reason: str) -> Flag:
    """The flag for a `domain.labels.LabelError` reason (unknown reasons: bad signature)."""
    return _LABEL_FLAGS.get(reason, Flag.BAD_SIGNATURE)


@dataclass(slots=True)  # not frozen: built once per synced record, frozen costs ~2x
class LastScan:
    """The same person's previous scan, where and when.

    `lat`/`lon` is the phone's fix, if it had one; `point_lat`/`point_lon` the position of
    the point it named, which stands in for a missing fix.
    """

    point_id: str
    device_time: datetime
    lat: float | None
    lon: float | None
    point_lat: float | None = None
    point_lon: float | None = None
    accuracy: float = 0.0

    def position(self) -> tuple[float, float, float] | None:
        """(lat, lon, accuracy in metres) of the best position known, or None."""
        if self.lat is not None and self.lon is not None:
            return self.lat, self.lon, self.accuracy
        if self.point_lat is not None and self.point_lon is not None:
            return self.point_lat, self.point_lon, 0.0
        return None


@dataclass(frozen=True, slots=True)
class PointScan:
    """Another scan of the same point: who and when (for repeats and bursts)."""

    user_id: str
    device_time: datetime


_METRES_PER_RADIAN = 6_371_000.0


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Distance in metres on the equirectangular approximation.

    Within a site (a few km) it is within 0.1 % of the great-circle distance, and it runs on
    every scan of a sync batch, so it is kept cheap.
    """
    x = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    y = math.radians(lat2 - lat1)
    return _METRES_PER_RADIAN * math.hypot(x, y)


def clock_skew_seconds(device_sent_at: datetime, received_at: datetime) -> float:
    """How far the device clock is behind (positive) or ahead (negative) of the server's."""
    return round((received_at - device_sent_at).total_seconds(), 1)


def clock_flags(device_sent_at: datetime, received_at: datetime) -> list[str]:
    """Flags for a whole batch: is the device clock far from the server's?

    An offline record can be days old when it arrives, so a record's own time is not
    compared with the server's: the batch's send time is, read just before sending.
    """
    return [Flag.CLOCK_SKEW] if abs(received_at - device_sent_at) > CLOCK_SKEW_LIMIT else []


def is_future(device_time: datetime, device_sent_at: datetime) -> bool:
    """A record made after the batch that carries it was sent: the clock jumped."""
    return device_time > device_sent_at + CLOCK_SKEW_LIMIT


def hamming(a: int, b: int) -> int:
    """Bits that differ between two 64-bit perceptual hashes."""
    return (a ^ b).bit_count()


def scan_flags(
    *,
    device_time: datetime,
    lat: float | None,
    lon: float | None,
    point_lat: float | None,
    point_lon: float | None,
    previous: LastScan | None,
    label_ok: bool,
    typed: bool,
    accuracy: float = 0.0,
    radius_m: float = DEFAULT_RADIUS_M,
    label_problem: str = "bad_signature",
    following: LastScan | None = None,
) -> list[str]:
    """The flags of one scan, judged on its own and against the person's scans next to it
    in time: `previous` (just before) and `following` (just after, already stored)."""
    flags: list[str] = []
    if not label_ok:
        flags.append(label_flag(label_problem))
    if typed:
        flags.append(Flag.TYPED_CODE)
    accuracy = max(accuracy, 0.0)
    fix = (lat, lon) if lat is not None and lon is not None else None
    point = (point_lat, point_lon) if point_lat is not None and point_lon is not None else None
    if fix and point and distance_m(*fix, *point) - accuracy > radius_m:
        flags.append(Flag.FAR_FROM_POINT)
    here = (*fix, accuracy) if fix else (*point, 0.0) if point else None
    for other in (previous, following):
        if other is None:
            continue
        seconds = abs((device_time - other.device_time).total_seconds())
        if seconds < RAPID_SCAN_SECONDS and Flag.RAPID_SCANS not in flags:
            flags.append(Flag.RAPID_SCANS)
        there = other.position()
        if here and there and Flag.TOO_FAST not in flags:
            metres = distance_m(here[0], here[1], there[0], there[1]) - here[2] - there[2]
            if (
                metres > MIN_SPEED_DISTANCE_M
                and metres / max(seconds, 1.0) > WALKING_SPEED_LIMIT_MPS
            ):
                flags.append(Flag.TOO_FAST)
    return flags


def point_repeat_flags(
    device_time: datetime, user_id: str, others: Iterable[PointScan]
) -> list[str]:
    """Repeat and burst flags of a scan, given the other scans of its point near its time.

    `others` are the point's other scans, stored earlier or earlier in the same batch.
    """
    repeat, near = False, 1
    for other in others:
        apart = abs(other.device_time - device_time)
        if apart < BURST_WINDOW:
            near += 1
        if other.user_id == user_id and apart < REPEAT_WINDOW:
            repeat = True
    flags: list[str] = []
    if repeat:
        flags.append(Flag.REPEATED_SCAN)
    if near >= BURST_COUNT:
        flags.append(Flag.SCAN_BURST)
    return flags
