from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.signals import Flag, LastScan, clock_flags, distance_m, is_future, scan_flags

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


def test_distance_matches_known_lengths():
    assert 111_000 < distance_m(31.0, 121.0, 32.0, 121.0) < 111_400  # a degree of latitude
    # 1 km east at Shanghai's latitude, against the haversine figure of 1000.0 m
    assert abs(distance_m(31.2, 121.4, 31.2, 121.4 + 1000 / 95_184.7) - 1000.0) < 1.0


def test_batch_sent_days_after_its_records_is_not_clock_skew():
    sent = T0 + timedelta(days=3)
    assert clock_flags(sent, sent + timedelta(seconds=2)) == []
    assert not is_future(T0, sent)


def test_device_clock_far_from_server_is_flagged():
    assert clock_flags(T0, T0 + timedelta(hours=1)) == [Flag.CLOCK_SKEW]
    assert is_future(T0 + timedelta(hours=2), T0)


def flags(**kw):
    base = dict(
        device_time=T0,
        lat=31.2,
        lon=121.4,
        point_lat=31.2,
        point_lon=121.4,
        previous=None,
        label_ok=True,
        typed=False,
    )
    return scan_flags(**(base | kw))


def test_clean_scan_has_no_flags():
    assert flags() == []


def test_scan_far_from_its_point():
    assert flags(lat=31.21) == [Flag.FAR_FROM_POINT]


def test_impossible_walking_speed_and_seconds_apart():
    prev = LastScan("p0", T0 - timedelta(seconds=5), 31.19, 121.4)  # 1.1 km in 5 s
    assert set(flags(previous=prev)) == {Flag.TOO_FAST, Flag.RAPID_SCANS}
    walked = LastScan("p0", T0 - timedelta(minutes=20), 31.195, 121.4)  # 550 m in 20 min
    assert flags(previous=walked) == []


def test_bad_label_and_typed_code_are_flagged():
    assert flags(label_ok=False) == [Flag.BAD_SIGNATURE]
    assert flags(typed=True) == [Flag.TYPED_CODE]
