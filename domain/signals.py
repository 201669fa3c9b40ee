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
    "is_future",
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


@dataclass(slots=True)  # not frozen: built once per synced record, frozen costs ~2x
class LastScan:
    """The same person's previous scan, where and when."""

    point_id: str
    device_time: datetime
    lat: float | None
    lon: float | None


_METRES_PER_RADIAN = 6_371_000.0


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Distance in metres on the equirectangular approximation.

    Within a site (a few km) it is within 0.1 % of the great-circle distance, and it runs on
    every scan of a sync batch, so it is kept cheap.
    """
    x = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    y = math.radians(lat2 - lat1)
    return _METRES_PER_RADIAN * math.hypot(x, y)


def clock_flags(device_sent_at: datetime, received_at: datetime) -> list[str]:
    """Flags for a whole batch: is the device clock far from the server's?

    An offline record can be days old when it arrives, so a record's own time is not
    compared with the server's: the batch's send time is, read just before sending.
    """
    return [Flag.CLOCK_SKEW] if abs(received_at - device_sent_at) > CLOCK_SKEW_LIMIT else []


def is_future(device_time: datetime, device_sent_at: datetime) -> bool:
    """A record made after the batch that carries it was sent: the clock jumped."""
    return device_time > device_sent_at + CLOCK_SKEW_LIMIT


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
) -> list[str]:
    flags: list[str] = []
    if not label_ok:
        flags.append(Flag.BAD_SIGNATURE)
    if typed:
        flags.append(Flag.TYPED_CODE)
    here = (lat, lon) if lat is not None and lon is not None else None
    if (
        here
        and point_lat is not None
        and point_lon is not None
        and distance_m(*here, point_lat, point_lon) > FAR_FROM_POINT_M
    ):
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
