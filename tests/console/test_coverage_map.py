"""The coverage map: statuses, gaps and who missed what, the PNG render's marker colours
at the points' positions, and the API route with its permission checks."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, date, datetime, timedelta

from PIL import Image

from domain.models import PointKind
from domain.presence import MapStatus, ShareBand
from domain.trust import Standing
from server.blobs import LocalBlobStore
from server.console.models.coverage import nearest_marker
from server.console.models.period import Period
from server.coverage_map import MapFilter, Marker, coverage_map, point_detail
from server.plan_render import (
    BAND_COLOURS,
    GAP_COLOURS,
    LEGEND_HEIGHT,
    STATUS_COLOURS,
    coverage_map_png,
)
from server.storage import StoredRecord
from tests.console.scenario import AREA_POSITION, POSITIONS, TZ, Scenario, build


def day_shift(s: Scenario) -> tuple[datetime, datetime]:
    return Period("shift", s.day).bounds(datetime.now(UTC), TZ)


def markers(s: Scenario, start: datetime, end: datetime, flt: MapFilter | None = None):
    storage = s.storage()
    cmap = coverage_map(storage, "alpha", start, end, datetime.now(UTC), flt)
    return cmap, {m.point_id: m for m in cmap.markers}


def test_each_point_shows_how_its_visits_went(scenario):
    cmap, by_id = markers(scenario, *day_shift(scenario))
    status = {pid: m.status for pid, m in by_id.items()}
    assert status == {
        "c01": MapStatus.ON_TIME,
        "c02": MapStatus.ON_TIME,
        "c03": MapStatus.ON_TIME,
        "c04": MapStatus.LATE,
        "c05": MapStatus.PENDING,  # its scan's label failed: held for review, not counted
        "c06": MapStatus.MISSED,
        "c99": MapStatus.NONE,  # not on any route
        "a01": MapStatus.ON_TIME,
    }
    assert by_id["c06"].responsible == ("张伟",)  # the round's walker missed it
    assert by_id["c05"].pending == 1
    assert [m.point_id for m in cmap.unplaced] == ["c99"]
    assert not cmap.empty and cmap.plan_sha


def test_the_whole_day_counts_the_round_nobody_started(scenario):
    _, by_id = markers(scenario, *Period("day", scenario.day).bounds(datetime.now(UTC), TZ))
    assert by_id["c01"].status is MapStatus.MISSED and by_id["c01"].missed == 1
    assert by_id["c01"].responsible == ()  # nobody walked the 20:00 round: nobody known yet
    assert by_id["c06"].missed == 2


def test_filters_by_route_kind_area_type_and_person(scenario):
    start, end = day_shift(scenario)
    _, by_route = markers(scenario, start, end, MapFilter(route_id="r1"))
    assert set(by_route) == set(POSITIONS)
    _, areas = markers(scenario, start, end, MapFilter(kind=PointKind.AREA))
    assert set(areas) == {"a01"}
    _, typed = markers(scenario, start, end, MapFilter(area_type="six-clean-three-none"))
    assert set(typed) == {"a01"}
    _, cleaner = markers(scenario, start, end, MapFilter(person_id="u-cleaner"))
    assert cleaner["a01"].status is MapStatus.ON_TIME
    assert cleaner["c01"].status is MapStatus.NONE  # the cleaner had nothing to do with it
    _, nobody = markers(scenario, start, end, MapFilter(route_id="no-such-route"))
    assert nobody == {}


def test_gaps_are_the_longest_stretch_without_an_accepted_scan(scenario):
    start, end = day_shift(scenario)
    _, by_id = markers(scenario, start, end)
    c01 = by_id["c01"].gap
    assert c01 is not None and c01.start == scenario.local(8, 5) and c01.end == end
    c05 = by_id["c05"].gap  # the held scan is not presence
    assert c05 is not None and (c05.start, c05.end) == (start, end)


def test_an_empty_period_says_so(scenario):
    before = Period("month", date(2025, 12, 1)).bounds(datetime.now(UTC), TZ)
    cmap, _ = markers(scenario, *before)  # before any schedule began
    assert cmap.empty and cmap.expected == 0
    past = Period("day", scenario.day - timedelta(days=3)).bounds(datetime.now(UTC), TZ)
    cmap, _ = markers(scenario, *past)
    assert not cmap.empty  # visits were due (and missed)


def test_a_point_detail_lists_visits_scans_and_flags(scenario):
    start, end = day_shift(scenario)
    storage = scenario.storage()
    now = datetime.now(UTC)
    c05 = point_detail(storage, "alpha", "c05", start, end, now)
    assert c05 is not None
    (visit,) = c05.visits
    assert visit.status.value == "missed" and visit.responsible == "张伟"
    assert visit.pending_scan_id == c05.scans[0].id
    (held,) = c05.scans
    assert held.standing is Standing.PENDING and "bad_label_signature" in held.flags
    c04 = point_detail(storage, "alpha", "c04", start, end, now)
    assert c04 is not None
    assert [(v.status.value, v.scanned_by) for v in c04.visits] == [("late", "张伟")]
    assert point_detail(storage, "alpha", "b01", start, end, now) is None  # beta's point


def pixel(png: bytes, x: float, y: float) -> tuple[int, int, int]:
    img = Image.open(io.BytesIO(png)).convert("RGB")
    w, h = img.width, img.height - LEGEND_HEIGHT
    return img.getpixel((round(x * w), round(y * h)))


def rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def test_the_png_has_each_marker_in_its_colour_at_its_position(scenario):
    storage = scenario.storage()
    cmap = coverage_map(storage, "alpha", *day_shift(scenario), datetime.now(UTC))
    png = coverage_map_png(cmap, LocalBlobStore(scenario.settings.blob_dir))
    for m in cmap.placed:
        assert pixel(png, m.x, m.y) == rgb(STATUS_COLOURS[m.status]), m.point_id
    assert pixel(png, 0.02, 0.02) == (235, 240, 230)  # the plan itself
    gaps = coverage_map_png(cmap, LocalBlobStore(scenario.settings.blob_dir), gaps=True)
    assert pixel(gaps, *POSITIONS["c06"]) == rgb(GAP_COLOURS[2])  # 12 h with nobody
    assert pixel(gaps, *AREA_POSITION) == rgb(GAP_COLOURS[2])  # 09:05 → 20:00, 8-12 h


def _free_scan(s: Scenario, point: str, at: datetime) -> StoredRecord:
    return StoredRecord(
        uuid.uuid4().hex,
        "scan",
        "alpha",
        "u-guard",
        "d-guard",
        at,
        at,
        point,
        None,
        {"method": "qr", "payload": "x", "gps": None, "round_id": None},
        [],
        [],
    )


def test_a_day_colours_each_marker_by_the_share_of_its_visits_covered(scenario):
    """Over a day (or week, month) one miss no longer paints a point red: the colour is
    the share of its visits met (green all on time, light green >= 90 %, amber down to
    the site's threshold, red below), pending review and not yet due kept."""
    s = scenario
    storage = s.storage()
    storage.insert_records(
        [
            _free_scan(s, "c01", s.local(20, 5)),  # on time: both of c01's rounds
            _free_scan(s, "c04", s.local(20, 5)),  # late at 08:00, on time at 20:00
            _free_scan(s, "c02", s.local(21, 10)),  # late for the 20:00 round
        ]
    )
    day = Period("day", s.day).bounds(datetime.now(UTC), TZ)
    cmap = coverage_map(storage, "alpha", *day, datetime.now(UTC))
    by_id = {m.point_id: m for m in cmap.markers}
    assert cmap.by_share and cmap.threshold == 0.7
    bands = {pid: m.band for pid, m in by_id.items()}
    assert bands == {
        "c01": ShareBand.ALL_ON_TIME,
        "c02": ShareBand.COVERED,  # both met, one late
        "c03": ShareBand.POOR,  # 1 of 2: below 70 %
        "c04": ShareBand.COVERED,
        "c05": ShareBand.POOR,  # its held 08:00 visit waits; the 20:00 one was missed
        "c06": ShareBand.POOR,
        "c99": ShareBand.NONE,
        "a01": ShareBand.ALL_ON_TIME,
    }
    assert by_id["c03"].status is MapStatus.MISSED  # the detail still says what was missed
    png = coverage_map_png(cmap, LocalBlobStore(s.settings.blob_dir))
    for m in cmap.placed:
        assert pixel(png, m.x, m.y) == rgb(BAND_COLOURS[m.band]), m.point_id
    assert pixel(png, *POSITIONS["c01"]) == rgb("#2E7D32")  # green
    assert pixel(png, *POSITIONS["c04"]) == rgb("#9CCC65")  # light green
    assert pixel(png, *POSITIONS["c06"]) == rgb("#D32F2F")  # red
    # the legend shows the bands (its first dot is all on time's green)
    legend = Image.open(io.BytesIO(png)).convert("RGB")
    assert legend.getpixel((32, legend.height - LEGEND_HEIGHT + 64)) == rgb("#2E7D32")
    # the site's own threshold: at 40 % half covered is amber, no longer red
    storage.update_site("alpha", {"settings": {"completion_threshold": 0.4}})
    cmap = coverage_map(storage, "alpha", *day, datetime.now(UTC))
    c03 = next(m for m in cmap.markers if m.point_id == "c03")
    assert c03.band is ShareBand.SHORT
    png = coverage_map_png(cmap, LocalBlobStore(s.settings.blob_dir))
    assert pixel(png, *POSITIONS["c03"]) == rgb("#FFB300")  # amber
    # a shift keeps the per-visit status colours
    shift = coverage_map(storage, "alpha", *day_shift(s), datetime.now(UTC))
    assert not shift.by_share and all(m.band is None for m in shift.markers)


def test_a_week_with_few_misses_is_not_all_red(scenario):
    s = scenario
    storage = s.storage()
    week = Period("week", s.day).bounds(datetime.now(UTC), TZ)
    start, end = week
    scans, day = [], start
    while day < end:  # every round of the week walked on time, bar c06 on Wednesday 20:00
        local = day.astimezone(TZ)
        for hour in (8, 20):
            at = local.replace(hour=hour, minute=10)
            for pid in POSITIONS:
                if not (pid == "c06" and at.date() == s.day and hour == 20):
                    scans.append(_free_scan(s, pid, at))
        day += timedelta(days=1)
    storage.insert_records(scans)
    cmap = coverage_map(storage, "alpha", start, end, datetime.now(UTC))
    by_id = {m.point_id: m for m in cmap.markers}
    assert by_id["c01"].band is ShareBand.ALL_ON_TIME
    assert by_id["c06"].missed == 1 and by_id["c06"].band is ShareBand.COVERED  # 13 of 14
    assert by_id["c06"].status is MapStatus.MISSED
    png = coverage_map_png(cmap, LocalBlobStore(s.settings.blob_dir))
    assert pixel(png, *POSITIONS["c06"]) == rgb("#9CCC65")


def test_a_site_without_a_plan_still_renders(tmp_path):
    from server.settings import Settings

    s = build(Settings(data_dir=tmp_path / "s"), plan=False)
    storage = s.storage()
    cmap = coverage_map(storage, "alpha", *day_shift(s), datetime.now(UTC))
    png = coverage_map_png(cmap, LocalBlobStore(s.settings.blob_dir))
    assert pixel(png, *POSITIONS["c06"]) == rgb(STATUS_COLOURS[MapStatus.MISSED])
    assert Image.open(io.BytesIO(png)).size == (1600, 1200 + LEGEND_HEIGHT)


def test_the_api_serves_the_png_to_those_who_read_reports(live):
    s = live.scenario
    params = {"period": "shift", "date": s.day.isoformat()}
    manager = live.login("manager")
    r = manager.get("/api/v1/sites/alpha/coverage-map.png", params=params)
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert pixel(r.content, *POSITIONS["c06"]) == rgb(STATUS_COLOURS[MapStatus.MISSED])
    assert pixel(r.content, *POSITIONS["c01"]) == rgb(STATUS_COLOURS[MapStatus.ON_TIME])
    gaps = manager.get(
        "/api/v1/sites/alpha/coverage-map.png", params=params | {"gaps": "true", "lang": "en"}
    )
    assert pixel(gaps.content, *POSITIONS["c06"]) == rgb(GAP_COLOURS[2])
    assert live.login("lead").get("/api/v1/sites/alpha/coverage-map.png").status_code == 200
    assert live.login("guard").get("/api/v1/sites/alpha/coverage-map.png").status_code == 403
    other = live.login("beta-manager")
    assert other.get("/api/v1/sites/alpha/coverage-map.png").status_code == 404
    assert other.get("/api/v1/sites/nowhere/coverage-map.png").status_code == 404
    bad = manager.get("/api/v1/sites/alpha/coverage-map.png", params={"route": "x" * 100})
    assert bad.status_code == 422


def test_a_tap_opens_the_nearest_marker_not_the_one_drawn_last() -> None:
    def marker(point_id: str, x: float | None, y: float | None) -> Marker:
        return Marker(point_id, point_id, PointKind.CHECKPOINT, "", x, y, MapStatus.ON_TIME)

    # On a 390 px phone plan, B01 and A01 are 7 px apart; A01 is drawn after B01.
    markers = [marker("B01", 0.50, 0.50), marker("A01", 0.518, 0.50), marker("X", None, None)]
    assert nearest_marker(markers, 195, 150, 390, 300, 36) == "B01"  # on B01's dot
    assert nearest_marker(markers, 203, 150, 390, 300, 36) == "A01"  # on A01's dot
    assert nearest_marker(markers, 195, 190, 390, 300, 36) is None  # 40 px away: nothing
