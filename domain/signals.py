"""Fraud signals: suspicious facts are flagged on a record, never a reason to drop it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

__all__ = [
    "Flag",
    "LastScan",
    "clock_flags",
    "distance_m",
    "scan_flags",
]

CLOCK_SKEW_LIMIT = timedelta(minutes=5)
FAR_FROM_POINT_M = 100.0
WALKING_SPEED_LIMIT_MPS = 4.0  # a brisk run; guards walk at 1-1.5 m/s
RAPID_SCAN_SECONDS = 10


class Flag(StrEnum):
    CLOCK_SKEW = "clock_skew"
    FUTURE_TIME = "future_device_time"
    FAR_FROM_POINT = "far_from_point"
    TOO_FAST = "impossible_speed"
    RAPID_SCANS = "scans_seconds_apart"
    PHOTO_REUSED = "photo_reused"
    BAD_SIGNATURE = "bad_label_signature"
    TYPED_CODE = "typed_code"


@dataclass(frozen=True, slots=True)
class LastScan:
    """The same person's previous scan, where and when."""

    point_id: str
    device_time: datetime
    lat: float | None
    lon: float | None


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    r = 6_371_000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def clock_flags(
    device_time: datetime, device_sent_at: datetime, received_at: datetime
) -> list[Flag]:
    """Flags about the device clock, judged from when the batch left the phone.

    An offline record can be days old when it arrives, so the record's own time is not
    compared with the server's: the batch's send time is, since it was read just before
    sending.
    """
    flags = []
    if abs(received_at - device_sent_at) > CLOCK_SKEW_LIMIT:
        flags.append(Flag.CLOCK_SKEW)
    if device_time > device_sent_at + CLOCK_SKEW_LIMIT:
        flags.append(Flag.FUTURE_TIME)
    return flags


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
) -> list[Flag]:
    flags = []
    if not label_ok:
        flags.append(Flag.BAD_SIGNATURE)
    if typed:
        flags.append(Flag.TYPED_CODE)
    here = (lat, lon) if lat is not None and lon is not None else None
    known_point = point_lat is not None and point_lon is not None
    if here and known_point and distance_m(*here, point_lat, point_lon) > FAR_FROM_POINT_M:
        flags.append(Flag.FAR_FROM_POINT)
    if previous is not None:
        seconds = abs((device_time - previous.device_time).total_seconds())
        if seconds < RAPID_SCAN_SECONDS:
            flags.append(Flag.RAPID_SCANS)
        if here and previous.lat is not None and previous.lon is not None:
            metres = distance_m(*here, previous.lat, previous.lon)
            if metres > FAR_FROM_POINT_M and metres / max(seconds, 1.0) > WALKING_SPEED_LIMIT_MPS:
                flags.append(Flag.TOO_FAST)
    return flags
