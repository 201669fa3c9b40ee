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
- Over a day or longer (a day, a week, a month) a point is coloured by its *share band*
  instead (`share_band`): one miss among 60 visits of a week is not the same as none
  made, so a single miss no longer turns a point red; its detail still lists every visit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from domain.coverage import VisitStatus

__all__ = [
    "COVERED_SHARE",
    "GAP_LEVELS",
    "SHARE_BAND_PERIOD",
    "Gap",
    "MapStatus",
    "ShareBand",
    "gap_level",
    "longest_gap",
    "map_status",
    "share_band",
    "uses_share_bands",
]


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


class ShareBand(StrEnum):
    """How well a point was covered over a day or longer (see `share_band`)."""

    ALL_ON_TIME = "all_on_time"
    COVERED = "covered"
    SHORT = "short"
    POOR = "poor"
    PENDING = "pending_review"
    UPCOMING = "upcoming"
    NONE = "none"


COVERED_SHARE = 0.9  # at least this share of the visits due met: "covered"
SHARE_BAND_PERIOD = timedelta(hours=20)  # a day (23–25 h with DST) or longer; a shift is not


def uses_share_bands(start: datetime, end: datetime) -> bool:
    """Markers of a period a day long or longer are coloured by share band; a shorter one
    (a shift: a point has a visit or two) by the most urgent visit status (`map_status`)."""
    return end - start >= SHARE_BAND_PERIOD


def share_band(
    *,
    expected: int,
    on_time: int,
    met: int,
    upcoming: int,
    held: int = 0,
    pending: int = 0,
    threshold: float = 0.7,
) -> ShareBand:
    """A point's share band for a period, from its visits' counts.

    `expected` visits in the period, `met` of them met (on time, late or early), `on_time`
    of those on time, `upcoming` not yet due, `held` that only a scan held for review
    would meet, `pending` held scans of the point. Visits not yet due and held visits are
    neither met nor missed: the share is met / (expected − upcoming − held).

    - nothing expected: *none* (*pending review* if held scans wait);
    - nothing judged yet: *pending review* if held visits or scans wait, else *upcoming*;
    - share below the site's completion `threshold` (default 70 %): *poor* (red);
    - held scans or visits wait for a reviewer: *pending review*;
    - every visit due met on time: *all on time* (green);
    - at least `COVERED_SHARE` (90 %) met: *covered* (light green);
    - else (between the threshold and 90 %): *short* (amber).
    """
    if expected == 0:
        return ShareBand.PENDING if pending else ShareBand.NONE
    judged = expected - upcoming - held
    if judged <= 0:
        return ShareBand.PENDING if held or pending else ShareBand.UPCOMING
    share = met / judged
    if share < threshold:
        return ShareBand.POOR
    if held or pending:
        return ShareBand.PENDING
    if on_time == judged:
        return ShareBand.ALL_ON_TIME
    if share >= COVERED_SHARE:
        return ShareBand.COVERED
    return ShareBand.SHORT
