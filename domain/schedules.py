"""Expanding schedules into occurrences, in the site's time zone."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.models import Schedule

__all__ = [
    "PreviewWarning",
    "SchedulePreview",
    "current_shift",
    "local_day_bounds",
    "occurrences",
    "period_bounds",
    "preview",
]


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


@dataclass(frozen=True, slots=True)
class PreviewWarning:
    """Something an admin should see before saving: `code` is no_visits, self_overlap or
    overlap (with `schedule_id` and the first clashing local time `at`)."""

    code: str
    message: str
    schedule_id: str | None = None
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class SchedulePreview:
    occurrences: list[datetime]  # UTC starts of the expected visits
    per_day: dict[date, int]  # local date → how many
    warnings: list[PreviewWarning]


def preview(
    draft: Schedule,
    tz: ZoneInfo,
    start: datetime,
    days: int,
    others: Sequence[Schedule] = (),
) -> SchedulePreview:
    """The visits `draft` would produce over `days` days from `start`, with warnings.

    Rules: a schedule that produces no visit in the period warns `no_visits`; one whose
    windows run into each other (every 30 minutes with a 60-minute window) warns
    `self_overlap`; one whose windows overlap a window of any of `others` (the
    responsible person's other schedules, the caller picks them) warns `overlap` once per
    other schedule, naming the first clash. A warning never stops saving.
    """
    end = start + timedelta(days=days)
    live = replace(draft, effective_from=min(draft.effective_from, start), effective_to=None)
    found = occurrences(live, tz, start, end)
    per_day: dict[date, int] = {}
    for at in found:
        day = at.astimezone(tz).date()
        per_day[day] = per_day.get(day, 0) + 1
    warnings: list[PreviewWarning] = []
    if not found:
        warnings.append(PreviewWarning("no_visits", f"no visits in the next {days} days"))
    window = timedelta(minutes=draft.window_minutes)
    if any(b - a < window for a, b in itertools.pairwise(found)):
        warnings.append(
            PreviewWarning("self_overlap", "visits come before the previous window closes")
        )
    for other in others:
        if other.id == draft.id:
            continue
        theirs = occurrences(other, tz, start, end)
        other_window = timedelta(minutes=other.window_minutes)
        clash = _first_clash(found, window, theirs, other_window)
        if clash is not None:
            local = clash.astimezone(tz)
            warnings.append(
                PreviewWarning(
                    "overlap",
                    f"overlaps {other.name or other.id} at {local:%Y-%m-%d %H:%M}",
                    other.id,
                    clash,
                )
            )
    return SchedulePreview(found, per_day, warnings)


def _first_clash(
    mine: list[datetime], window: timedelta, theirs: list[datetime], their_window: timedelta
) -> datetime | None:
    """The first of `mine` whose window [at, at + window) meets one of `theirs`."""
    j = 0
    for at in mine:
        while j < len(theirs) and theirs[j] + their_window <= at:
            j += 1
        if j < len(theirs) and theirs[j] < at + window:
            return at
    return None
