"""`domain.admin`'s set-up rules on their own: what a template or schedule form may hold,
and the exact words each refusal gives the admin (the console shows them as they are)."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

import pytest

from domain.admin import SetupError, SiteSettings, check_schedule, check_template
from domain.models import Schedule, TargetKind, Template, TemplateItem
from domain.tickets import MAX_HOURS

T0 = datetime(2026, 3, 2, tzinfo=UTC)


def _problems(call: Any, *args: Any, **kwargs: Any) -> list[str]:
    with pytest.raises(SetupError) as caught:
        call(*args, **kwargs)
    assert str(caught.value) == "; ".join(caught.value.problems)
    return caught.value.problems


# -- templates ----------------------------------------------------------------------------------


def test_a_template_keeps_its_fields_trimmed_and_items_in_order():
    items = [
        {
            "key": " floor ",
            "group": " 六清" + "x" * 30,
            "label_zh": " 地面 ",
            "label_en": " Floor ",
        },
        {"label_zh": "墙面", "label_en": "w" * 100},  # no key: item2
    ]
    got = check_template({"name_zh": " 保洁 ", "name_en": " Cleaning ", "items": items}, "t-1", 3)
    assert got == Template(
        "t-1",
        3,
        "保洁",
        "Cleaning",
        (
            TemplateItem("floor", ("六清" + "x" * 30)[:20], "地面", "Floor"),
            TemplateItem("item2", "", "墙面", "w" * 80),
        ),
    )


def test_a_template_names_at_their_limits_pass():
    forty = [{"key": f"k{n}", "label_zh": "项" * 60} for n in range(40)]
    got = check_template({"name_zh": "名" * 40, "name_en": "e" * 60, "items": forty}, "a" * 40, 1)
    assert len(got.items) == 40 and got.name_zh == "名" * 40 and got.name_en == "e" * 60
    assert check_template({"name_zh": "名", "items": [{"label_zh": "项"}]}, "t", 1).name_en == ""


@pytest.mark.parametrize(
    ("data", "template_id", "problems"),
    [
        (
            {"name_zh": "名", "items": [{"label_zh": "项"}]},
            "bad id",
            ["template id must be 1-40 letters, digits, '-' or '_'"],
        ),
        (
            {"name_zh": "名", "items": [{"label_zh": "项"}]},
            "a" * 41,
            ["template id must be 1-40 letters, digits, '-' or '_'"],
        ),
        (
            {"name_zh": "", "items": [{"label_zh": "项"}]},
            "t",
            ["name_zh is required (at most 40), name_en at most 60 characters"],
        ),
        (
            {"name_zh": "名" * 41, "items": [{"label_zh": "项"}]},
            "t",
            ["name_zh is required (at most 40), name_en at most 60 characters"],
        ),
        (
            {"name_zh": "名", "name_en": "e" * 61, "items": [{"label_zh": "项"}]},
            "t",
            ["name_zh is required (at most 40), name_en at most 60 characters"],
        ),
        (
            {"name_zh": "名\x00", "items": [{"label_zh": "项"}]},
            "t",
            ["name_zh is required (at most 40), name_en at most 60 characters"],
        ),
        ({"name_zh": "名", "items": []}, "t", ["a template has 1-40 items"]),
        ({"name_zh": "名", "items": "floor"}, "t", ["a template has 1-40 items"]),
        (
            {"name_zh": "名", "items": [{"label_zh": "项"}] * 41},
            "t",
            ["a template has 1-40 items"],
        ),
        ({"name_zh": "名", "items": ["floor"]}, "t", ["item 1 is not an object"]),
        (
            {"name_zh": "名", "items": [{"label_zh": "项"}, {"key": "a b", "label_zh": "项"}]},
            "t",
            ["item 2: key of letters/digits and a label_zh of 1-60 characters"],
        ),
        (
            {"name_zh": "名", "items": [{"key": "a", "label_zh": ""}]},
            "t",
            ["item 1: key of letters/digits and a label_zh of 1-60 characters"],
        ),
        (
            {"name_zh": "名", "items": [{"key": "a", "label_zh": "项" * 61}]},
            "t",
            ["item 1: key of letters/digits and a label_zh of 1-60 characters"],
        ),
        (
            {"name_zh": "名", "items": [{"key": "a", "label_zh": "项\x07"}]},
            "t",
            ["item 1: key of letters/digits and a label_zh of 1-60 characters"],
        ),
        (
            {
                "name_zh": "名",
                "items": [{"key": "a", "label_zh": "x"}, {"key": "a", "label_zh": "y"}],
            },
            "t",
            ["item keys must be unique"],
        ),
        (
            {"items": None},
            "",
            [
                "template id must be 1-40 letters, digits, '-' or '_'",
                "name_zh is required (at most 40), name_en at most 60 characters",
                "a template has 1-40 items",
            ],
        ),
    ],
)
def test_a_template_refusal_lists_each_problem(data, template_id, problems):
    assert _problems(check_template, data, template_id, 1) == problems


# -- schedules ----------------------------------------------------------------------------------

TARGETS = {"route": ["r1"], "area": ["a01"]}
SETTINGS = SiteSettings(grace_minutes=7, early_minutes=9)


def _schedule(data: dict[str, Any], schedule_id: str = "s1") -> Schedule:
    return check_schedule(
        data,
        schedule_id=schedule_id,
        version=2,
        site_id="alpha",
        effective_from=T0,
        targets=TARGETS,
        people=["u-guard"],
        settings=SETTINGS,
    )


def test_a_fixed_time_schedule_takes_the_sites_allowances_when_left_out():
    got = _schedule({"target_id": "r1", "fixed_times": "20:00, 08:00，08:00;12:30:45"})
    assert got == Schedule(
        "s1",
        2,
        "alpha",
        TargetKind.ROUTE,
        "r1",
        T0,
        None,
        (time(8), time(12, 30), time(20)),
        None,
        None,
        None,
        frozenset(range(7)),
        60,
        7,
        9,
        "",
        None,
        "",
    )


def test_a_series_schedule_keeps_every_field_given():
    got = _schedule(
        {
            "target_kind": "area",
            "target_id": "a01",
            "every_minutes": "30",
            "start": " 20:00 ",
            "end": "06:00",
            "fixed_times": ["07:00"],
            "weekdays": [0, 6],
            "window_minutes": 5,
            "grace_minutes": 0,
            "early_minutes": 240,
            "responsible_user_id": "u-guard",
            "responsible_team": " 夜班 ",
            "name": " 夜巡 ",
        }
    )
    assert got.target_kind is TargetKind.AREA and got.target_id == "a01"
    assert (got.every_minutes, got.start, got.end) == (30, time(20), time(6))
    assert got.fixed_times == (time(7),) and got.weekdays == frozenset({0, 6})
    assert (got.window_minutes, got.grace_minutes, got.early_minutes) == (5, 0, 240)
    assert (got.responsible_user_id, got.responsible_team, got.name) == ("u-guard", "夜班", "夜巡")
    limits = _schedule(
        {"target_id": "r1", "every_minutes": 1440, "start": "08:00", "end": "08:00"}
        | {"window_minutes": 720, "grace_minutes": 240, "early_minutes": 0}
    )
    assert (limits.every_minutes, limits.window_minutes, limits.grace_minutes) == (1440, 720, 240)
    series = {"target_id": "r1", "every_minutes": 15, "start": "08:00", "end": "09:00"}
    assert _schedule(series).every_minutes == 15
    assert _schedule({"target_id": "r1", "fixed_times": ["08:00"] * 48}).fixed_times == (time(8),)


@pytest.mark.parametrize(
    ("data", "problems"),
    [
        ({"target_kind": "floor", "target_id": "r1", "fixed_times": ["08:00"]},
         ["target_kind must be route or area"]),
        ({"target_kind": "area", "target_id": "r1", "fixed_times": ["08:00"]},
         ["no area 'r1' on this site"]),
        ({"fixed_times": ["08:00"]}, ["no route '' on this site"]),
        ({"target_id": "r1", "fixed_times": ["08:00"] * 49},
         ["fixed_times is a list of at most 48 times",
          "give fixed times, or every N minutes between a start and an end"]),
        ({"target_id": "r1", "fixed_times": {"08:00": 1}},
         ["fixed_times is a list of at most 48 times",
          "give fixed times, or every N minutes between a start and an end"]),
        ({"target_id": "r1", "fixed_times": ["25:00"]},
         ["fixed time must be a time such as 08:00",
          "give fixed times, or every N minutes between a start and an end"]),
        ({"target_id": "r1"}, ["give fixed times, or every N minutes between a start and an end"]),
        ({"target_id": "r1", "start": "08:00", "fixed_times": ["09:00"]},
         ["a start and end need every_minutes"]),
        ({"target_id": "r1", "end": "08:00", "every_minutes": 0, "fixed_times": ["09:00"]},
         ["a start and end need every_minutes"]),
        ({"target_id": "r1", "every_minutes": 14, "start": "08:00", "end": "09:00"},
         ["every_minutes must be 15-1440"]),
        ({"target_id": "r1", "every_minutes": 1441, "start": "08:00", "end": "09:00"},
         ["every_minutes must be 15-1440"]),
        ({"target_id": "r1", "every_minutes": "often", "start": "08:00", "end": "09:00"},
         ["every_minutes must be 15-1440"]),
        ({"target_id": "r1", "every_minutes": 30, "start": "08:00"},
         ["every_minutes needs a start and an end"]),
        ({"target_id": "r1", "every_minutes": 30, "end": "08:00"},
         ["every_minutes needs a start and an end"]),
        ({"target_id": "r1", "every_minutes": 30, "start": "8 o'clock", "end": "09:00"},
         ["start must be a time such as 08:00", "every_minutes needs a start and an end"]),
        ({"target_id": "r1", "fixed_times": ["08:00"], "weekdays": []},
         ["weekdays is a non-empty list of 0 (Monday) to 6 (Sunday)"]),
        ({"target_id": "r1", "fixed_times": ["08:00"], "weekdays": [7]},
         ["weekdays is a non-empty list of 0 (Monday) to 6 (Sunday)"]),
        ({"target_id": "r1", "fixed_times": ["08:00"], "weekdays": [-1]},
         ["weekdays is a non-empty list of 0 (Monday) to 6 (Sunday)"]),
        ({"target_id": "r1", "fixed_times": ["08:00"], "weekdays": [True]},
         ["weekdays is a non-empty list of 0 (Monday) to 6 (Sunday)"]),
        ({"target_id": "r1", "fixed_times": ["08:00"], "weekdays": "0123"},
         ["weekdays is a non-empty list of 0 (Monday) to 6 (Sunday)"]),
        ({"target_id": "r1", "fixed_times": ["08:00"], "window_minutes": 4},
         ["window_minutes must be a whole number 5-720"]),
        ({"target_id": "r1", "fixed_times": ["08:00"], "window_minutes": 721},
         ["window_minutes must be a whole number 5-720"]),
        ({"target_id": "r1", "fixed_times": ["08:00"], "window_minutes": True},
         ["window_minutes must be a whole number 5-720"]),
        ({"target_id": "r1", "fixed_times": ["08:00"], "grace_minutes": -1},
         ["grace_minutes must be a whole number 0-240"]),
        ({"target_id": "r1", "fixed_times": ["08:00"], "early_minutes": 241},
         ["early_minutes must be a whole number 0-240"]),
        ({"target_id": "r1", "fixed_times": ["08:00"], "early_minutes": "5"},
         ["early_minutes must be a whole number 0-240"]),
        ({"target_id": "r1", "fixed_times": ["08:00"], "responsible_user_id": "u-beta"},
         ["the responsible person must be one of the site's people"]),
        ({"target_id": "r1", "fixed_times": ["08:00"], "name": "n" * 61},
         ["name is at most 60 and team at most 40 characters"]),
        ({"target_id": "r1", "fixed_times": ["08:00"], "responsible_team": "t" * 41},
         ["name is at most 60 and team at most 40 characters"]),
        ({"target_id": "r1", "fixed_times": ["08:00"], "name": "夜\x00"},
         ["name is at most 60 and team at most 40 characters"]),
    ],
)  # fmt: skip
def test_a_schedule_refusal_lists_each_problem(data, problems):
    assert _problems(_schedule, data) == problems


def test_a_schedule_id_must_be_a_plain_slug():
    assert _problems(_schedule, {"target_id": "r1", "fixed_times": ["08:00"]}, "s 1") == [
        "schedule id must be 1-40 letters, digits, '-' or '_'"
    ]


def test_empty_allowances_take_the_defaults():
    got = _schedule(
        {"target_id": "r1", "fixed_times": ["08:00"], "window_minutes": "", "grace_minutes": None}
        | {"every_minutes": "", "start": "", "end": None, "responsible_user_id": ""}
    )
    assert (got.window_minutes, got.grace_minutes, got.early_minutes) == (60, 7, 9)
    assert got.every_minutes is None and got.start is None and got.end is None
    assert got.responsible_user_id is None


def test_every_bad_item_is_listed_not_only_the_first():
    items = ["floor", {"key": "a b", "label_zh": "项"}, {"key": "ok", "label_zh": "地面"}, 7]
    assert _problems(check_template, {"name_zh": "名", "items": items}, "t", 1) == [
        "item 1 is not an object",
        "item 2: key of letters/digits and a label_zh of 1-60 characters",
        "item 4 is not an object",
    ]
    got = check_template({"name_zh": "名", "items": [{"key": "a", "label_zh": "项"}]}, "t", 1)
    assert got.items[0].label_en == "" and got.items[0].group == ""


def test_a_schedule_for_a_kind_the_site_has_none_of_names_it():
    problems = _problems(
        check_schedule,
        {"target_kind": "area", "target_id": "a01", "fixed_times": ["08:00"]},
        schedule_id="s1",
        version=1,
        site_id="alpha",
        effective_from=T0,
        targets={"route": ["r1"]},
        people=[],
        settings=SETTINGS,
    )
    assert problems == ["no area 'a01' on this site"]


def test_times_are_whole_minutes_and_a_bad_end_is_named():
    got = _schedule({"target_id": "r1", "fixed_times": ["12:30:45.5", "08:00:00.250"]})
    assert got.fixed_times == (time(8), time(12, 30))
    assert _problems(
        _schedule, {"target_id": "r1", "every_minutes": 30, "start": "08:00", "end": "9 pm"}
    ) == ["end must be a time such as 08:00", "every_minutes needs a start and an end"]


def test_a_schedule_name_and_team_at_their_limits_pass():
    got = _schedule(
        {
            "target_id": "r1",
            "fixed_times": ["08:00"],
            "name": "n" * 60,
            "responsible_team": "t" * 40,
        }
    )
    assert (len(got.name), len(got.responsible_team)) == (60, 40)


@pytest.mark.parametrize("name", [None, 8, "", "Asia/Shang hai", "x" * 65])
def test_a_time_zone_must_be_a_known_iana_name(name):
    from domain.admin import tz_problem

    assert tz_problem(name) == "time zone must be an IANA name such as Asia/Shanghai"


def test_known_time_zones_pass():
    from domain.admin import tz_problem

    assert tz_problem("Asia/Shanghai") is None and tz_problem("UTC") is None
    assert tz_problem("Mars/Olympus") == (
        "unknown time zone 'Mars/Olympus': use an IANA name such as Asia/Shanghai"
    )


# -- site settings ------------------------------------------------------------------------------

W = {"coverage": 40, "punctuality": 30, "inspection": 20, "rectification": 10}
HOOK = "alert_webhook_url must be an http(s) URL of at most 500 characters"
WHOLE = "appraisal weights must be whole numbers, 0 or more"
DEADLINE = "rectification_deadline_hours must be between 1 and 720"


def test_site_settings_change_only_what_is_given_and_keep_every_limit():
    from domain.admin import settings_from_dict

    base = SiteSettings(grace_minutes=5, alert_webhook_url="https://hook.example/a")
    assert settings_from_dict({}, base) == base
    low = {"grace_minutes": 0, "early_minutes": 0, "gps_radius_m": 5,
           "completion_threshold": 0, "rectification_deadline_hours": 1,
           "anomaly_response_hours": 1, "rectification_escalate_hours": 1}  # fmt: skip
    high = {"grace_minutes": 240, "early_minutes": 240, "gps_radius_m": 2000,
            "completion_threshold": 1, "rectification_deadline_hours": 720,
            "anomaly_response_hours": MAX_HOURS,
            "rectification_escalate_hours": MAX_HOURS}  # fmt: skip
    for limits in (low, high):
        got = settings_from_dict(limits, base)
        assert [getattr(got, k) for k in limits] == list(limits.values())
        assert got.alert_webhook_url == base.alert_webhook_url
    got = settings_from_dict(
        {"gps_radius_m": 30, "appraisal_weights": W | {"coverage": 50, "punctuality": 20}}
        | {"alert_webhook_url": ""}
    )
    assert got.gps_radius_m == 30.0 and isinstance(got.gps_radius_m, float)
    assert got.appraisal_weights == W | {"coverage": 50, "punctuality": 20}
    assert got.alert_webhook_url == ""
    assert settings_from_dict({"appraisal_weights": W | {"coverage": 0, "punctuality": 70}})


@pytest.mark.parametrize(
    ("data", "problems"),
    [
        ({"grace": 5}, ["unknown setting 'grace'"]),
        ({"grace_minutes": -1}, ["grace_minutes must be between 0 and 240"]),
        ({"grace_minutes": 241}, ["grace_minutes must be between 0 and 240"]),
        ({"grace_minutes": "5"}, ["grace_minutes must be a number"]),
        ({"grace_minutes": True}, ["grace_minutes must be a number"]),
        ({"early_minutes": 241}, ["early_minutes must be between 0 and 240"]),
        ({"early_minutes": None}, ["early_minutes must be a number"]),
        ({"gps_radius_m": 4.9}, ["gps_radius_m must be between 5 and 2000"]),
        ({"gps_radius_m": 2000.5}, ["gps_radius_m must be between 5 and 2000"]),
        ({"completion_threshold": 1.01}, ["completion_threshold must be between 0 and 1"]),
        ({"rectification_deadline_hours": 0}, [DEADLINE]),
        ({"rectification_deadline_hours": 721}, [DEADLINE]),
        ({"anomaly_response_hours": 0},
         [f"anomaly_response_hours must be between 1 and {MAX_HOURS}"]),
        ({"anomaly_response_hours": MAX_HOURS + 1},
         [f"anomaly_response_hours must be between 1 and {MAX_HOURS}"]),
        ({"rectification_escalate_hours": 0.5},
         [f"rectification_escalate_hours must be between 1 and {MAX_HOURS}"]),
        ({"rectification_escalate_hours": "2"}, ["rectification_escalate_hours must be a number"]),
        ({"appraisal_weights": [40, 30, 20, 10]},
         ["appraisal_weights must give exactly coverage, punctuality, inspection, rectification"]),
        ({"appraisal_weights": {"coverage": 100}},
         ["appraisal_weights must give exactly coverage, punctuality, inspection, rectification"]),
        ({"appraisal_weights": W | {"coverage": 40.0}}, [WHOLE]),
        ({"appraisal_weights": W | {"coverage": True}}, [WHOLE]),
        ({"appraisal_weights": W | {"coverage": -10, "punctuality": 80}},
         [WHOLE]),
        ({"appraisal_weights": W | {"coverage": 41}},
         ["appraisal weights must add up to 100, not 101"]),
        ({"alert_webhook_url": 5}, [HOOK]),
        ({"alert_webhook_url": "ftp://x"}, [HOOK]),
        ({"alert_webhook_url": "https://a b"}, [HOOK]),
        ({"alert_webhook_url": "https://" + "x" * 493},
         [HOOK]),
        ({"grace": 1, "early_minutes": -1, "appraisal_weights": [1]},
         ["unknown setting 'grace'", "early_minutes must be between 0 and 240",
          "appraisal_weights must give exactly coverage, punctuality, inspection, rectification"]),
    ],
)  # fmt: skip
def test_each_bad_site_setting_is_named(data, problems):
    from domain.admin import settings_from_dict

    assert _problems(settings_from_dict, data) == problems


def test_a_sites_own_weights_are_kept_until_cleared():
    from domain.admin import settings_from_dict

    own = W | {"coverage": 50, "punctuality": 20}
    base = settings_from_dict({"appraisal_weights": own})
    assert settings_from_dict({"grace_minutes": 3}, base).appraisal_weights == own
    assert settings_from_dict({"appraisal_weights": {}}, base).appraisal_weights is None
    assert settings_from_dict({"appraisal_weights": None}, base).appraisal_weights is None
    assert SiteSettings().appraisal_weights is None  # the company's weights by default


def test_a_webhook_url_of_500_characters_and_http_pass():
    from domain.admin import settings_from_dict

    url = "https://" + "x" * 492
    assert settings_from_dict({"alert_webhook_url": url}).alert_webhook_url == url
    assert settings_from_dict({"alert_webhook_url": "http://h/x"}).alert_webhook_url == "http://h/x"
