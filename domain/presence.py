"""How a point looks on the coverage map: its status for a period, and its longest gap.

Rules:
- A point's *map status* for a period is the most urgent status among its expected
  visits: missed, then pending review (a visit that only a scan held for review would
  meet, or a held scan of the point), then late, early, on time, and not yet due; a
  point with no visit expected in the period is *none*. One miss in a week shows the point red: the
  detail lists every visit.
- A point's *gap* is the longest stretch in the period with no accepted scan of it:
  the intervals between consecutive accepted scans inside [start, stop), counting from
  `start` to the first scan and from the last scan to `stop`, where `stop` is the
  earlier of the period's end and now. A period still in the future has no gap. Scans
  held for review or rejected are not presence; a voluntary or unscheduled scan is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from domain.coverage import VisitStatus

__all__ = ["GAP_LEVELS", "Gap", "MapStatus", "gap_level", "longest_gap", "map_status"]


class MapStatus(StrEnum):
    MISSED = "missed"
    PENDING = "pending_review"
    LATE = "late"
    EARLY = "early"
    ON_TIME = "on_time"
    UPCOMING = "upcoming"
    NONE = "none"


_ORDER = (
    MapStatus.MISSED,
    MapStatus.PENDING,
    MapStatus.LATE,
    MapStatus.EARLY,
    MapStatus.ON_TIME,
    MapStatus.UPCOMING,
)


def map_status(statuses: Iterable[VisitStatus | MapStatus], pending: int = 0) -> MapStatus:
    """The most urgent of a point's visit statuses; a visit that only a scan held for
    review would meet counts as pending review (not missed), and so do `pending` held
    scans that meet no visit."""
    seen = {MapStatus(s.value) for s in statuses}
    if pending:
        seen.add(MapStatus.PENDING)
    for status in _ORDER:
        if status in seen:
            return status
    return MapStatus.NONE


@dataclass(frozen=True, slots=True)
class Gap:
    """The longest stretch with nobody at a point: [start, end)."""

    start: datetime
    end: datetime

    @property
    def length(self) -> timedelta:
        return self.end - self.start


def longest_gap(
    scan_times: Iterable[datetime], start: datetime, end: datetime, now: datetime
) -> Gap | None:
    """The longest interval between accepted scans within [start, min(end, now)).

    None when the period has not begun. Scans outside the interval are ignored; with no
    scan inside it the whole interval is the gap. The earliest of equally long gaps wins.
    """
    stop = min(end, now)
    if stop <= start:
        return None
    best = Gap(start, start)
    last = start
    for at in sorted(t for t in scan_times if start <= t < stop):
        if at - last > best.length:
            best = Gap(last, at)
        last = at
    if stop - last > best.length:
        best = Gap(last, stop)
    return best


# Gap view colours: at most this long is level 0 (fine), 1, 2; longer is level 3 (worst).
GAP_LEVELS: tuple[timedelta, ...] = (timedelta(hours=4), timedelta(hours=8), timedelta(hours=12))


def gap_level(gap: Gap | None, levels: tuple[timedelta, ...] = GAP_LEVELS) -> int | None:
    """0 (short) … len(levels) (longest): how worrying a gap is; None without a gap."""
    if gap is None:
        return None
    for i, limit in enumerate(levels):
        if gap.length <= limit:
            return i
    return len(levels)
