from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.signals import (
    Flag,
    LastScan,
    PointScan,
    clock_flags,
    clock_skew_seconds,
    distance_m,
    hamming,
    is_future,
    label_flag,
    point_repeat_flags,
    scan_flags,
)
from domain.trust import (
    HOLDING_FLAGS,
    Review,
    Standing,
    Verdict,
    counts,
    latest_review,
    review_refusal,
    standing,
)

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


def test_far_uses_the_points_own_radius_less_the_fix_accuracy():
    # 31.2015 is ~167 m north of the point
    assert flags(lat=31.2015, accuracy=10) == [Flag.FAR_FROM_POINT]
    assert flags(lat=31.2015, accuracy=80) == []  # 167 - 80 < 100: the fix may be right
    assert flags(lat=31.2015, accuracy=10, radius_m=200) == []
    assert flags(lat=31.2005, accuracy=0, radius_m=30) == [Flag.FAR_FROM_POINT]  # 56 m
    assert flags(lat=31.2015, accuracy=-500) == [Flag.FAR_FROM_POINT]  # no negative slack


def test_impossible_speed_without_any_fix_uses_the_points_positions():
    prev = LastScan("p0", T0 - timedelta(seconds=30), None, None, 31.196, 121.4)  # 445 m
    assert flags(lat=None, lon=None, previous=prev) == [Flag.TOO_FAST]
    walked = LastScan("p0", T0 - timedelta(minutes=6), None, None, 31.196, 121.4)
    assert flags(lat=None, lon=None, previous=walked) == []
    # the phone's fix of the previous scan beats its point's position
    fixed = LastScan("p0", T0 - timedelta(seconds=30), 31.1999, 121.4, 31.196, 121.4)
    assert flags(lat=None, lon=None, previous=fixed) == []


def test_a_late_record_is_judged_against_the_scan_after_it_too():
    later = LastScan("p9", T0 + timedelta(seconds=5), 31.19, 121.4)  # 1.1 km, 5 s after
    assert flags(following=later) == [Flag.RAPID_SCANS, Flag.TOO_FAST]
    before = LastScan("p0", T0 - timedelta(minutes=20), 31.2, 121.4)
    assert flags(previous=before, following=later) == [Flag.RAPID_SCANS, Flag.TOO_FAST]


def test_speed_allows_for_the_accuracy_of_both_fixes():
    prev = LastScan("p0", T0 - timedelta(seconds=20), 31.1990, 121.4, accuracy=30)  # 111 m
    assert flags(previous=prev) == [Flag.TOO_FAST]
    assert flags(previous=prev, accuracy=40) == []  # 111 - 30 - 40 = 41 m: too rough to judge


def test_repeats_and_bursts_of_one_point():
    nine = [T0 + timedelta(minutes=m) for m in range(9)]
    seen: list[PointScan] = []
    got = []
    for at in nine:
        got.append(point_repeat_flags(at, "u1", seen))
        seen.append(PointScan("u1", at))
    assert got[0] == [] and got[1] == got[2] == [Flag.REPEATED_SCAN]
    assert all(g == [Flag.REPEATED_SCAN, Flag.SCAN_BURST] for g in got[3:])
    thirty_s = point_repeat_flags(T0 + timedelta(seconds=30), "u1", [PointScan("u1", T0)])
    assert thirty_s == [Flag.REPEATED_SCAN]
    # another person at the same point, or the same person 11 minutes later: fine
    assert point_repeat_flags(T0, "u2", [PointScan("u1", T0)]) == []
    assert point_repeat_flags(T0 + timedelta(minutes=11), "u1", [PointScan("u1", T0)]) == []
    # four phones scanning one label within minutes: a burst, though none repeats
    others = [PointScan(f"u{i}", T0 + timedelta(minutes=i)) for i in range(3)]
    assert point_repeat_flags(T0 + timedelta(minutes=3), "u9", others) == [Flag.SCAN_BURST]


def test_label_problems_have_their_own_flags_and_all_hold():
    assert flags(label_ok=False, label_problem="other_site") == [Flag.FOREIGN_LABEL]
    assert flags(label_ok=False, label_problem="not_ours") == [Flag.NOT_A_LABEL]
    assert label_flag("bad_signature") == Flag.BAD_SIGNATURE
    label_flags = {label_flag(r) for r in ("bad_signature", "other_site", "not_ours")}
    assert label_flags | {Flag.REVOKED_LABEL} == HOLDING_FLAGS  # a reprint revokes a label


def test_clock_skew_size_and_hamming():
    assert clock_skew_seconds(T0, T0 + timedelta(minutes=7, seconds=3)) == 423.0
    assert clock_skew_seconds(T0 + timedelta(seconds=90), T0) == -90.0
    assert hamming(0b1011, 0b0001) == 2 and hamming(2**64 - 1, 0) == 64


def test_standing_and_review_rules():
    at = T0
    accept = Review("r", Verdict.ACCEPT, "", "u", at)
    reject = Review("r", Verdict.REJECT, "no", "u", at + timedelta(minutes=1))
    assert standing(["not_a_label"], None) is Standing.PENDING
    assert latest_review([reject, accept]) is reject
    assert not counts(["not_a_label"], None) and counts(["not_a_label"], accept)
    assert not counts(["far_from_point"], reject) and counts(["far_from_point"], None)
    assert review_refusal([], "accept", "") == "only flagged records are reviewed"
    assert review_refusal(["clock_skew"], "reject", " ") == "a rejection needs a reason"
    assert review_refusal(["clock_skew"], "accept", "x" * 501) is not None
    assert review_refusal(["clock_skew"], "accept", "") is None
    own = review_refusal(["clock_skew"], "accept", "", reviewer_id="u1", author_id="u1")
    assert own == "nobody reviews their own record"


def _lat_at(metres: float) -> float:
    """A latitude `metres` north of the point at 31.2, 121.4 (by `distance_m` itself)."""
    return 31.2 + metres / distance_m(31.2, 121.4, 32.2, 121.4)


def test_each_signal_holds_to_its_boundary():
    # seconds apart: under 10 s is rapid, 10 s is not
    assert flags(previous=LastScan("p0", T0 - timedelta(seconds=10), 31.2, 121.4)) == []
    near = LastScan("p0", T0 - timedelta(seconds=9.9), 31.2, 121.4)
    assert flags(previous=near) == [Flag.RAPID_SCANS]
    # repeats and bursts count scans less than 10 minutes apart
    ten = [PointScan("u1", T0 - timedelta(minutes=10))]
    assert point_repeat_flags(T0, "u1", ten) == []
    three = [PointScan(f"u{i}", T0 - timedelta(minutes=10)) for i in range(3)]
    assert point_repeat_flags(T0, "u9", three) == []
    # far: beyond the radius, with no slack when the phone gave no accuracy
    d = distance_m(31.2015, 121.4, 31.2, 121.4)
    assert flags(lat=31.2015, radius_m=d) == []
    assert flags(lat=31.2015, radius_m=d - 0.5) == [Flag.FAR_FROM_POINT]
    # speed from the points' own positions, which carry no uncertainty: 50.5 m in 1 s
    there = LastScan("p0", T0 - timedelta(seconds=1), None, None, _lat_at(50.5), 121.4)
    assert Flag.TOO_FAST in flags(lat=None, lon=None, previous=there)
    assert there.position() == (there.point_lat, 121.4, 0.0)


def test_half_a_position_is_no_position():
    # a fix without its longitude (or a point without one) is not a place
    assert flags(lat=31.3, lon=None) == []
    assert flags(point_lat=31.3, point_lon=None) == []
    half = LastScan("p0", T0, 31.19, None, 31.2, 121.4)
    assert half.position() == (31.2, 121.4, 0.0)
    assert LastScan("p0", T0, None, None, 31.2, None).position() is None


def test_an_unknown_label_problem_counts_as_a_bad_signature():
    assert label_flag("something new") == Flag.BAD_SIGNATURE
