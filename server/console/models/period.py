"""The period a console screen shows: today, a shift, a day, a week or a month.

Bounds come from `domain.schedules.period_bounds` in the site's time zone, exactly as the
coverage API computes them, so a screen and an export of the same period agree.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from domain.schedules import period_bounds

__all__ = ["PERIOD_KINDS", "Period", "PeriodKind"]

PeriodKind = Literal["today", "shift", "day", "week", "month"]
PERIOD_KINDS: tuple[PeriodKind, ...] = ("today", "shift", "day", "week", "month")
DAY_SHIFT, NIGHT_SHIFT = time(8), time(20)


@dataclass(frozen=True, slots=True)
class Period:
    """A choice of period. `day` is a local date in it (None: today)."""

    kind: PeriodKind = "today"
    day: date | None = None
    night: bool = False  # for a shift: the 20:00–08:00 one

    def local_day(self, now: datetime, tz: ZoneInfo) -> date:
        today = now.astimezone(tz).date()
        return today if self.kind == "today" or self.day is None else self.day

    def bounds(self, now: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """UTC [start, end) of the period."""
        day = self.local_day(now, tz)
        if self.kind in ("today", "day"):
            return period_bounds("day", day, tz)
        if self.kind == "shift":
            return period_bounds("shift", day, tz, NIGHT_SHIFT if self.night else DAY_SHIFT)
        return period_bounds(self.kind, day, tz)

    def step(self, direction: int, now: datetime, tz: ZoneInfo) -> Period:
        """The period before (-1) or after (+1) this one, of the same kind."""
        day = self.local_day(now, tz)
        if self.kind == "month":
            first = day.replace(day=1)
            moved = (
                (first - timedelta(days=1)).replace(day=1)
                if direction < 0
                else (first + timedelta(days=32)).replace(day=1)
            )
        else:
            days = 7 if self.kind == "week" else 1
            moved = day + timedelta(days=days * direction)
        kind: PeriodKind = "day" if self.kind == "today" else self.kind
        return replace(self, kind=kind, day=moved)

    def label(self, now: datetime, tz: ZoneInfo) -> str:
        """Language-neutral text of the period, e.g. 2026-11-16 – 2026-11-22."""
        start, end = self.bounds(now, tz)
        first = start.astimezone(tz)
        last = (end - timedelta(microseconds=1)).astimezone(tz)
        if self.kind == "shift":
            return f"{first:%Y-%m-%d %H:%M} – {end.astimezone(tz):%H:%M}"
        if first.date() == last.date():
            return f"{first:%Y-%m-%d}"
        return f"{first:%Y-%m-%d} – {last:%Y-%m-%d}"
