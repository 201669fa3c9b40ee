"""The console's small view-models: the period picker and the words."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from server.console.i18n import duration, register, t
from server.console.models.period import Period

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)  # Wednesday 10:00 in Shanghai


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)  # type: ignore[misc]


def test_today_is_the_local_day():
    assert Period().bounds(NOW, TZ) == (local(2026, 3, 4), local(2026, 3, 5))


@pytest.mark.parametrize(
    ("period", "bounds"),
    [
        (Period("day", date(2026, 3, 1)), (local(2026, 3, 1), local(2026, 3, 2))),
        (Period("shift", date(2026, 3, 1)), (local(2026, 3, 1, 8), local(2026, 3, 1, 20))),
        (
            Period("shift", date(2026, 3, 1), night=True),
            (local(2026, 3, 1, 20), local(2026, 3, 2, 8)),
        ),
        (Period("week", date(2026, 3, 4)), (local(2026, 3, 2), local(2026, 3, 9))),
        (Period("month", date(2026, 2, 14)), (local(2026, 2, 1), local(2026, 3, 1))),
    ],
)
def test_periods_have_their_local_bounds(period, bounds):
    assert period.bounds(NOW, TZ) == bounds


def test_stepping_back_and_forth():
    week = Period("week").step(-1, NOW, TZ)
    assert week.bounds(NOW, TZ) == (local(2026, 2, 23), local(2026, 3, 2))
    assert Period().step(-1, NOW, TZ) == Period("day", date(2026, 3, 3))
    month = Period("month", date(2026, 1, 31)).step(1, NOW, TZ)
    assert month.bounds(NOW, TZ) == (local(2026, 2, 1), local(2026, 3, 1))
    assert Period("month", date(2026, 1, 15)).step(-1, NOW, TZ).day == date(2025, 12, 1)


def test_labels():
    assert Period("week", date(2026, 3, 4)).label(NOW, TZ) == "2026-03-02 – 2026-03-08"
    assert Period().label(NOW, TZ) == "2026-03-04"
    assert Period("shift", date(2026, 3, 1), night=True).label(NOW, TZ) == (
        "2026-03-01 20:00 – 08:00"
    )


def test_words_in_both_languages_and_screens_bring_their_own():
    assert t("sign_in") == "登录" and t("sign_in", "en") == "Sign in"
    register({"test_words": ("测试 {n}", "test {n}")})
    assert t("test_words", "zh", n=2) == "测试 2"
    register({"test_words": ("测试 {n}", "test {n}")})  # the same again is fine
    with pytest.raises(ValueError, match="already registered"):
        register({"test_words": ("别的", "other")})
    assert t("no_such_key") == "no_such_key"


def test_durations_read_as_people_say_them() -> None:
    assert duration(0) == "0 秒" and duration(59.9) == "59 秒"
    assert duration(60) == "1 分钟" and duration(3599) == "59 分钟"
    assert duration(9458) == "2 小时 37 分" and duration(-9458) == "2 小时 37 分"
    assert duration(2 * 86_400 - 1) == "47 小时 59 分"
    assert duration(3 * 86_400 + 4 * 3600 + 59) == "3 天 4 小时"
    assert duration(92_664, "en") == "25 h 44 min"
