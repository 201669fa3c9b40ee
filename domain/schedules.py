"""Expanding schedules into occurrences, in the site's time zone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.models import Schedule

__all__ = ["current_shift", "local_day_bounds", "occurrences", "period_bounds"]


def _series(schedule: Schedule, day: date, tz: ZoneInfo) -> Iterator[datetime]:
    for t in schedule.fixed_times:
        yield datetime.combine(day, t, tzinfo=tz)
    if schedule.every_minutes and schedule.start is not None and schedule.end is not None:
        first = datetime.combine(day, schedule.start, tzinfo=tz)
        last = datetime.combine(day, schedule.end, tzinfo=tz)
        if last <= first:
            last += timedelta(days=1)
        step = timedelta(minutes=schedule.every_minutes)
        at = first
        while at < last:
            yield at
            at += step


def occurrences(schedule: Schedule, tz: ZoneInfo, start: datetime, end: datetime) -> list[datetime]:
    """UTC start times of `schedule` in [start, end), limited to its effective span."""
    lo = max(start, schedule.effective_from)
    hi = end if schedule.effective_to is None else min(end, schedule.effective_to)
    if lo >= hi:
        return []
    # A series starting the day before `lo` can still run into it (overnight rounds).
    day = lo.astimezone(tz).date() - timedelta(days=1)
    last_day = hi.astimezone(tz).date()
    found: set[datetime] = set()
    while day <= last_day:
        if day.weekday() in schedule.weekdays:
            for local in _series(schedule, day, tz):
                at = local.astimezone(UTC)
                if lo <= at < hi:
                    found.add(at)
        day += timedelta(days=1)
    return sorted(found)


def local_day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """UTC bounds of one local calendar day."""
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def period_bounds(
    kind: str, day: date, tz: ZoneInfo, shift_start: time = time(8), shift_hours: int = 12
) -> tuple[datetime, datetime]:
    """UTC bounds of the day, shift, ISO week or month that contains local `day`.

    A shift starts at `shift_start` on `day` (day shift 08:00–20:00 by default; pass
    20:00 for the night shift, which runs into the next day).
    """
    if kind == "day":
        return local_day_bounds(day, tz)
    if kind == "shift":
        start = datetime.combine(day, shift_start, tzinfo=tz)
        return start.astimezone(UTC), (start + timedelta(hours=shift_hours)).astimezone(UTC)
    if kind == "week":
        monday = day - timedelta(days=day.weekday())
        return local_day_bounds(monday, tz)[0], local_day_bounds(monday + timedelta(days=6), tz)[1]
    if kind == "month":
        first = day.replace(day=1)
        next_first = (first + timedelta(days=32)).replace(day=1)
        return local_day_bounds(first, tz)[0], local_day_bounds(next_first, tz)[0]
    raise ValueError(f"unknown period {kind!r}: use day, shift, week or month")


def current_shift(
    now: datetime, tz: ZoneInfo, day_start: time = time(8), shift_hours: int = 12
) -> tuple[datetime, datetime]:
    """UTC bounds of the shift that `now` falls in: day shift from `day_start` (08:00 in
    the site's time) for `shift_hours`, then the night shift into the next morning."""
    local = now.astimezone(tz)
    start = datetime.combine(local.date(), day_start, tzinfo=tz)
    while start > local:
        start -= timedelta(hours=shift_hours)
    while start + timedelta(hours=shift_hours) <= local:
        start += timedelta(hours=shift_hours)
    return start.astimezone(UTC), (start + timedelta(hours=shift_hours)).astimezone(UTC)
