"""Date and time query parameters, checked in one place.

Pydantic on its own reads `since=0` or `date=0.0` as the Unix epoch and lets
`date=9999-12-31` through to arithmetic that overflows. These types take ISO 8601 text
only (times with a UTC offset) and the years 2020-2099 that records may carry
(`domain.wire.EARLIEST`/`LATEST`); anything else is a 422 saying why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import Depends, HTTPException, Query
from pydantic import BeforeValidator, WithJsonSchema

from domain.schedules import period_bounds
from domain.wire import EARLIEST, LATEST, TimeBounds, WireError, parse_time
from server.api.deps import CurrentCaller, Store, require_reports

__all__ = [
    "DATETIME_PATTERN",
    "DATE_PATTERN",
    "MAX_PERIOD",
    "IsoDate",
    "IsoDateTime",
    "IsoTime",
    "resolve_period",
]

DATE_PATTERN = r"^20[2-9][0-9]-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
DATETIME_PATTERN = (
    r"^20[2-9][0-9]-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?"
    r"(Z|[+-](0[0-9]|1[0-4]):[0-5][0-9])$"
)
TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"
# The shapes alone (any year), so that a far year gets its own clear message.
_DATE_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_DATETIME_SHAPE = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})", re.ASCII
)
_TIME_SHAPE = re.compile(TIME_PATTERN)


def _iso_date(value: object) -> date:
    if not isinstance(value, str) or not _DATE_SHAPE.fullmatch(value):
        raise ValueError(f"not a date (YYYY-MM-DD): {str(value)[:20]!r}")
    try:
        parsed = date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"not a date (YYYY-MM-DD): {value[:20]!r}") from exc
    if not EARLIEST.date() <= parsed < LATEST.date():
        raise ValueError(f"date must be from {EARLIEST.date()} to {LATEST.year - 1}-12-31")
    return parsed


# Any local time in the years 2020-2099, whatever its offset (records lie in 2020-2100 UTC).
_QUERY_TIMES = TimeBounds(EARLIEST - timedelta(days=1), LATEST + timedelta(days=1))


def _iso_datetime(value: object) -> datetime:
    if not isinstance(value, str) or not _DATETIME_SHAPE.fullmatch(value):
        raise ValueError(f"not an ISO 8601 time with seconds and a UTC offset: {str(value)[:40]!r}")
    try:
        return parse_time(value, "time", _QUERY_TIMES)
    except WireError as exc:
        raise ValueError(f"{exc} (ISO 8601 with a UTC offset, years 2020-2099)") from exc


def _iso_time(value: object) -> time:
    if not isinstance(value, str) or not _TIME_SHAPE.fullmatch(value):
        raise ValueError(f"not a time of day (HH:MM): {str(value)[:20]!r}")
    try:
        parsed = time.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"not a time of day (HH:MM): {value[:20]!r}") from exc
    return parsed


IsoDate = Annotated[
    date,
    BeforeValidator(_iso_date),
    WithJsonSchema({"type": "string", "format": "date", "pattern": DATE_PATTERN}),
]
"""A calendar date, YYYY-MM-DD, from 2020-01-01 to 2099-12-31."""

IsoDateTime = Annotated[
    datetime,
    BeforeValidator(_iso_datetime),
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": DATETIME_PATTERN}),
]
"""An ISO 8601 time with a UTC offset, from 2020 to 2099."""

IsoTime = Annotated[
    time,
    BeforeValidator(_iso_time),
    WithJsonSchema({"type": "string", "pattern": TIME_PATTERN}),
]
"""A time of day, HH:MM or HH:MM:SS, without an offset."""


MAX_PERIOD = timedelta(days=31)


def resolve_period(
    tz: ZoneInfo,
    now: datetime,
    period: str,
    day: date | None,
    shift_start: time,
    start: datetime | None,
    end: datetime | None,
) -> tuple[datetime, datetime]:
    """A report's [start, end): either a `period` around local `day` (today if None), or
    an explicit `start` and `end` with UTC offsets, at most 31 days apart (else 422)."""
    if start is not None or end is not None:
        if start is None or end is None or start.tzinfo is None or end.tzinfo is None:
            raise HTTPException(422, "give both start and end, with UTC offsets")
        if not timedelta(0) < end - start <= MAX_PERIOD:
            raise HTTPException(422, "end must be after start, at most 31 days later")
        return start, end
    return period_bounds(period, day or now.astimezone(tz).date(), tz, shift_start)


@dataclass(frozen=True, slots=True)
class ReportPeriod:
    start: datetime
    end: datetime
    now: datetime


async def _report_period(
    site_id: str,
    caller: CurrentCaller,
    storage: Store,
    period: Literal["day", "shift", "week", "month"] = "day",
    day: Annotated[
        IsoDate | None, Query(alias="date", description="local date; today if left out")
    ] = None,
    shift_start: Annotated[IsoTime, Query(description="start of the shift, local time")] = time(8),
    start: IsoDateTime | None = None,
    end: IsoDateTime | None = None,
) -> ReportPeriod:
    """The period a site's report covers, once the caller may read the site's reports."""
    require_reports(caller, site_id)
    site = storage.site(site_id)
    assert site is not None
    now = datetime.now(UTC)
    start, end = resolve_period(ZoneInfo(site["tz"]), now, period, day, shift_start, start, end)
    return ReportPeriod(start, end, now)


SiteReportPeriod = Annotated[ReportPeriod, Depends(_report_period)]
"""Query parameters shared by every report of a period: either a `period` around `date`
(site time), or an explicit `start` and `end` (with UTC offsets; at most 31 days)."""
