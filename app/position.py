"""The phone's position for scans: the latest GPS fix, never a stale one.

The screens feed every fix the device reports (the position stream while moving, and a
fresh request every few seconds while standing still); a scan takes the newest fix only
if it is younger than `MAX_FIX_AGE`, with its accuracy. An old fix is no fix: a scan
without a position is honest, a scan with the position of ten minutes ago is not.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

__all__ = ["MAX_FIX_AGE", "REFRESH_SECONDS", "Fix", "PositionKeeper"]

MAX_FIX_AGE = 30.0  # seconds: older than this, a fix is not attached to a scan
REFRESH_SECONDS = 10.0  # how often a fresh fix is asked for while the app is open


@dataclass(frozen=True, slots=True)
class Fix:
    lat: float
    lon: float
    accuracy: float  # metres; 0 when the device does not say
    at: float  # monotonic seconds when it was taken

    def as_record(self) -> dict[str, float]:
        return {"lat": self.lat, "lon": self.lon, "accuracy": self.accuracy}


class PositionKeeper:
    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], datetime] = lambda: datetime.now(UTC),
        max_age: float = MAX_FIX_AGE,
    ) -> None:
        self.clock, self.wall, self.max_age = clock, wall, max_age
        self.fix: Fix | None = None

    def update(
        self,
        lat: float | None,
        lon: float | None,
        accuracy: float | None = None,
        taken_at: datetime | None = None,
    ) -> None:
        """A fix from the device; one without a position, or already too old when it
        arrives (a cached "last known" fix), is ignored."""
        if lat is None or lon is None:
            return
        age = 0.0
        if taken_at is not None and taken_at.tzinfo is not None:  # naive: zone unknown
            age = max(0.0, (self.wall() - taken_at).total_seconds())
            if age > self.max_age:
                return
        self.fix = Fix(float(lat), float(lon), float(accuracy or 0.0), self.clock() - age)

    def for_scan(self) -> dict[str, float] | None:
        """The fix to record with a scan now: the newest, if fresh; else none."""
        if self.fix is None or self.clock() - self.fix.at > self.max_age:
            return None
        return self.fix.as_record()
