"""Rules of site set-up: site settings, points, people's sign-in secrets, templates.

Each checker takes plain values (what an API body or a spreadsheet row holds) and returns
either the domain object or the list of everything wrong with it, in words a site admin
can act on. The same checkers serve the HTTP API, the console and the bulk import, so a
rule changes in one place.

Rules:
- A site's time zone is an IANA name (Asia/Shanghai); its settings fill in defaults for
  whatever is left out, and appraisal weights are whole percentages that add up to 100.
- A point's name is 1-60 characters; its plan position is a fraction (0..1) of the plan's
  width and height; GPS is optional but comes as a pair; its radius is 5-2000 m; a
  checkpoint has up to 20 checks, an area needs an inspection template; its short code
  is 4-12 letters or digits after normalising (see `domain.labels`), unique on the site.
- A username is 2-32 letters, digits, '.', '_' or '-', unique (case-insensitive). A
  password is 8-128 characters; a 6-digit PIN is enough only for field roles (guards,
  cleaners), whose phones are shared less and who type on a number pad.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.labels import normalise_short_code
from domain.models import Point, PointKind, Role, Schedule, TargetKind, Template, TemplateItem
from domain.tickets import DEFAULT_ESCALATE_HOURS, DEFAULT_RESPONSE_HOURS, MAX_HOURS

__all__ = [
    "DEFAULT_WEIGHTS",
    "SHORT_CODE_ALPHABET",
    "SetupError",
    "SiteSettings",
    "check_point",
    "check_schedule",
    "check_template",
    "check_username",
    "credential_problem",
    "new_short_code",
    "parse_role",
    "printable",
    "settings_from_dict",
    "settings_to_dict",
    "tz_problem",
]

DEFAULT_WEIGHTS: dict[str, int] = {
    "coverage": 40,
    "punctuality": 30,
    "inspection": 20,
    "rectification": 10,
}
SHORT_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no O/0, I/1: read aloud safely
_USERNAME = re.compile(r"^[A-Za-z0-9_.-]{2,32}$")
_CODE = re.compile(r"^[A-Z0-9]{4,12}$")
_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
ROLE_NAMES_ZH = {
    "保安": Role.GUARD,
    "秩序维护员": Role.GUARD,
    "保安员": Role.GUARD,
    "保安队长": Role.GUARD_LEAD,
    "领班": Role.GUARD_LEAD,
    "保洁": Role.CLEANER,
    "保洁员": Role.CLEANER,
    "保洁主管": Role.CLEANING_SUPERVISOR,
    "项目经理": Role.MANAGER,
    "经理": Role.MANAGER,
    "管理员": Role.ADMIN,
    "品质": Role.QUALITY,
    "品质部": Role.QUALITY,
}


class SetupError(ValueError):
    """Everything wrong with one submitted thing; `problems` lists each in words."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class SiteSettings:
    """Per-site defaults for new schedules and points, and the figures reports judge by."""

    grace_minutes: int = 15  # a visit this long after its window is late, not missed
    early_minutes: int = 15  # a scan this long before its window is early
    gps_radius_m: float = 100.0  # a new point's radius
    completion_threshold: float = 0.7  # coverage below this share shows red
    rectification_deadline_hours: int = 24
    # A ticket is due this long after it was reported (domain.tickets.response_target).
    anomaly_response_hours: int = DEFAULT_RESPONSE_HOURS
    # A rectification this long past its deadline escalates (domain.tickets.escalate_after).
    rectification_escalate_hours: int = DEFAULT_ESCALATE_HOURS
    # The site's own KPI weights, overriding the company scheme's weights for this site's
    # appraisal (targets and deductions stay the company's); None = the company's weights.
    # Given as {} it is cleared back to None. See `domain.appraisal.scheme_for_site`.
    appraisal_weights: dict[str, int] | None = None
    # A WeCom/DingTalk group-robot URL the live view posts alerts to ('' = off).
    alert_webhook_url: str = ""


def printable(text: str) -> bool:
    """Whether `text` holds only characters that print: no control, format, private-use,
    unassigned or surrogate characters (they break labels and plans drawn with it)."""
    return all(unicodedata.category(ch)[0] != "C" for ch in text)


def settings_to_dict(s: SiteSettings) -> dict[str, Any]:
    return asdict(s)


def _number(
    data: Mapping[str, Any], key: str, lo: float, hi: float, default: Any, problems: list[str]
) -> Any:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        problems.append(f"{key} must be a number")
        return default
    if not lo <= value <= hi:
        problems.append(f"{key} must be between {lo:g} and {hi:g}")
        return default
    return type(default)(value)


def settings_from_dict(data: Mapping[str, Any], base: SiteSettings | None = None) -> SiteSettings:
    """`base` (defaults if None) changed by what `data` gives; SetupError if any is wrong.
    Unknown keys are refused, so a typo never silently does nothing."""
    base = base or SiteSettings()
    known = set(SiteSettings.__dataclass_fields__)
    problems = [f"unknown setting {k!r}" for k in data if k not in known]
    grace = _number(data, "grace_minutes", 0, 240, base.grace_minutes, problems)
    early = _number(data, "early_minutes", 0, 240, base.early_minutes, problems)
    radius = _number(data, "gps_radius_m", 5, 2000, base.gps_radius_m, problems)
    threshold = _number(data, "completion_threshold", 0, 1, base.completion_threshold, problems)
    deadline = _number(
        data, "rectification_deadline_hours", 1, 720, base.rectification_deadline_hours, problems
    )
    response = _number(
        data, "anomaly_response_hours", 1, MAX_HOURS, base.anomaly_response_hours, problems
    )
    escalate = _number(
        data,
        "rectification_escalate_hours",
        1,
        MAX_HOURS,
        base.rectification_escalate_hours,
        problems,
    )
    weights = data.get("appraisal_weights", base.appraisal_weights)
    if weights is None or (isinstance(weights, Mapping) and not weights):
        weights = None  # the company's weights
    elif not isinstance(weights, Mapping) or set(weights) != set(DEFAULT_WEIGHTS):
        problems.append(f"appraisal_weights must give exactly {', '.join(DEFAULT_WEIGHTS)}")
    elif not all(
        isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in weights.values()
    ):
        problems.append("appraisal weights must be whole numbers, 0 or more")
    elif sum(weights.values()) != 100:
        problems.append(f"appraisal weights must add up to 100, not {sum(weights.values())}")
    webhook = data.get("alert_webhook_url", base.alert_webhook_url)
    if (
        not isinstance(webhook, str)
        or len(webhook) > 500
        or (webhook and not re.fullmatch(r"https?://[^\s]+", webhook))
    ):
        problems.append("alert_webhook_url must be an http(s) URL of at most 500 characters")
    if problems:
        raise SetupError(problems)
    return SiteSettings(
        grace_minutes=grace,
        early_minutes=early,
        gps_radius_m=radius,
        completion_threshold=threshold,
        rectification_deadline_hours=deadline,
        anomaly_response_hours=response,
        rectification_escalate_hours=escalate,
        appraisal_weights=dict(weights) if weights else None,
        alert_webhook_url=webhook,
    )


def tz_problem(name: str) -> str | None:
    """Why `name` is not a usable time zone, or None."""
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_+\-/]{1,64}", name):
        return "time zone must be an IANA name such as Asia/Shanghai"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return f"unknown time zone {name!r}: use an IANA name such as Asia/Shanghai"
    return None


def new_short_code(taken: Iterable[str], length: int = 6) -> str:
    """A fresh short code not among `taken` (compared normalised)."""
    used = {normalise_short_code(c) for c in taken}
    while True:
        code = "".join(secrets.choice(SHORT_CODE_ALPHABET) for _ in range(length))
        if code not in used:
            return code


def _opt_float(
    data: Mapping[str, Any], key: str, lo: float, hi: float, problems: list[str]
) -> float | None:
    value = data.get(key)
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        problems.append(f"{key} must be a number")
        return None
    if number != number or not lo <= number <= hi:  # NaN fails too
        problems.append(f"{key} must be between {lo:g} and {hi:g}")
        return None
    return number


def check_point(
    data: Mapping[str, Any],
    *,
    point_id: str,
    site_id: str,
    default_radius_m: float,
    other_codes: Iterable[str],
    template_ids: Iterable[str],
) -> Point:
    """A point from submitted fields, or SetupError listing every problem.

    `other_codes` are the short codes of the site's other points; an empty or missing
    short code gets a fresh one.
    """
    problems: list[str] = []
    if not _ID.match(point_id):
        problems.append("point id must be 1-40 letters, digits, '-' or '_'")
    try:
        kind = PointKind(str(data.get("kind") or "checkpoint").strip().lower())
    except ValueError:
        problems.append("kind must be checkpoint or area")
        kind = PointKind.CHECKPOINT
    name = str(data.get("name") or "").strip()
    if not 1 <= len(name) <= 60:
        problems.append("name is required, at most 60 characters")
    zone = str(data.get("zone") or "").strip()
    if len(zone) > 40:
        problems.append("zone is at most 40 characters")
    plan_x = _opt_float(data, "plan_x", 0, 1, problems)
    plan_y = _opt_float(data, "plan_y", 0, 1, problems)
    if (plan_x is None) != (plan_y is None):
        problems.append("give both plan_x and plan_y, or neither")
    lat = _opt_float(data, "lat", -90, 90, problems)
    lon = _opt_float(data, "lon", -180, 180, problems)
    if (lat is None) != (lon is None):
        problems.append("give both lat and lon, or neither")
    radius = _opt_float(data, "radius_m", 5, 2000, problems)
    raw_checks = data.get("checks") or []
    if isinstance(raw_checks, str):
        raw_checks = re.split(r"[;；、\n]", raw_checks)
    if not isinstance(raw_checks, list | tuple):
        problems.append("checks must be a list of questions")
        raw_checks = []
    checks = tuple(str(c).strip() for c in raw_checks if str(c).strip())
    if len(checks) > 20 or any(len(c) > 60 for c in checks):
        problems.append("at most 20 checks, each at most 60 characters")
    if not all(printable(t) for t in (name, zone, *checks)):
        problems.append("name, zone and checks must be printable text (no control characters)")
    if kind is PointKind.AREA and checks:
        problems.append("checks are asked at checkpoints; an area uses its template")
    template_id = str(data.get("template_id") or "").strip() or None
    if kind is PointKind.AREA:
        if template_id is None:
            problems.append("an area needs an inspection template")
        elif template_id not in set(template_ids):
            problems.append(f"unknown template {template_id!r}")
    elif template_id is not None:
        problems.append("only areas have an inspection template")
    photo = data.get("requires_photo", False)
    if isinstance(photo, str):
        photo = photo.strip().lower() in ("1", "true", "yes", "y", "是", "需要")
    code = normalise_short_code(str(data.get("short_code") or ""))
    others = {normalise_short_code(c) for c in other_codes}
    if code and not _CODE.match(code):
        problems.append("short code must be 4-12 letters or digits")
    elif code and code in others:
        problems.append(f"short code {code} is already used on this site")
    if problems:
        raise SetupError(problems)
    return Point(
        point_id,
        site_id,
        kind,
        name,
        zone,
        plan_x,
        plan_y,
        lat,
        lon,
        checks,
        template_id,
        bool(photo),
        code or new_short_code(others),
        radius if radius is not None else default_radius_m,
    )


def parse_role(text: str) -> Role | None:
    """A role from its value (guard) or a usual Chinese name (保安), or None."""
    cleaned = str(text or "").strip()
    try:
        return Role(cleaned.lower())
    except ValueError:
        return ROLE_NAMES_ZH.get(cleaned)


def check_username(username: str) -> str | None:
    """Why `username` cannot be used, or None (uniqueness is the caller's check)."""
    if not _USERNAME.match(username or ""):
        return "username must be 2-32 letters, digits, '.', '_' or '-'"
    return None


def credential_problem(secret: str, role: Role) -> str | None:
    """Why `secret` is not an acceptable password or PIN for `role`, or None."""
    if secret.isdigit() and len(secret) == 6:
        if role in (Role.GUARD, Role.CLEANER):
            return None
        return "a 6-digit PIN is only for guards and cleaners: give a password of 8+ characters"
    if not 8 <= len(secret) <= 128:
        return "password must be 8-128 characters (or a 6-digit PIN for field staff)"
    return None


def check_template(data: Mapping[str, Any], template_id: str, version: int) -> Template:
    """A template version from submitted fields: 1-40 items with unique keys, both names."""
    problems: list[str] = []
    if not _ID.match(template_id):
        problems.append("template id must be 1-40 letters, digits, '-' or '_'")
    name_zh = str(data.get("name_zh") or "").strip()
    name_en = str(data.get("name_en") or "").strip()
    if not 1 <= len(name_zh) <= 40 or len(name_en) > 60 or not printable(name_zh + name_en):
        problems.append("name_zh is required (at most 40), name_en at most 60 characters")
    raw = data.get("items")
    items: list[TemplateItem] = []
    if not isinstance(raw, list) or not 1 <= len(raw) <= 40:
        problems.append("a template has 1-40 items")
        raw = []
    for n, item in enumerate(raw, start=1):
        if not isinstance(item, Mapping):
            problems.append(f"item {n} is not an object")
            continue
        key = str(item.get("key") or f"item{n}").strip()
        label_zh = str(item.get("label_zh") or "").strip()
        if not _ID.match(key) or not 1 <= len(label_zh) <= 60 or not printable(label_zh):
            problems.append(f"item {n}: key of letters/digits and a label_zh of 1-60 characters")
            continue
        items.append(
            TemplateItem(
                key,
                str(item.get("group") or "").strip()[:20],
                label_zh,
                str(item.get("label_en") or "").strip()[:80],
            )
        )
    if len({i.key for i in items}) != len(items):
        problems.append("item keys must be unique")
    if problems:
        raise SetupError(problems)
    return Template(template_id, version, name_zh, name_en, tuple(items))


def _hhmm(text: Any, key: str, problems: list[str]) -> time | None:
    if text is None or text == "":
        return None
    try:
        value = time.fromisoformat(str(text).strip())
    except ValueError:
        problems.append(f"{key} must be a time such as 08:00")
        return None
    return value.replace(second=0, microsecond=0)


def check_schedule(
    data: Mapping[str, Any],
    *,
    schedule_id: str,
    version: int,
    site_id: str,
    effective_from: datetime,
    targets: Mapping[str, Iterable[str]],
    people: Iterable[str],
    settings: SiteSettings,
) -> Schedule:
    """A schedule version from submitted fields, or SetupError listing every problem.

    It needs fixed times (up to 48) or a series (every 15-1440 minutes from `start` to
    `end`; an end at or before the start runs into the next day), weekdays 0-6 (Monday
    is 0, the day a series starts on), a window of 5-720 minutes, grace and early of
    0-240 (the site's settings when left out). `targets` maps route/area to the ids that
    may be named; the responsible person must be one of `people`.
    """
    problems: list[str] = []
    if not _ID.match(schedule_id):
        problems.append("schedule id must be 1-40 letters, digits, '-' or '_'")
    try:
        kind = TargetKind(str(data.get("target_kind") or "route"))
    except ValueError:
        problems.append("target_kind must be route or area")
        kind = TargetKind.ROUTE
    target_id = str(data.get("target_id") or "")
    if target_id not in set(targets.get(kind.value, ())):
        problems.append(f"no {kind.value} {target_id!r} on this site")
    raw_times = data.get("fixed_times") or []
    if isinstance(raw_times, str):
        raw_times = [t for t in re.split(r"[\s,，;；]+", raw_times) if t]
    if not isinstance(raw_times, list | tuple) or len(raw_times) > 48:
        problems.append("fixed_times is a list of at most 48 times")
        raw_times = []
    fixed = sorted({t for t in (_hhmm(x, "fixed time", problems) for x in raw_times) if t})
    every = data.get("every_minutes")
    start = _hhmm(data.get("start"), "start", problems)
    end = _hhmm(data.get("end"), "end", problems)
    if every in (None, "", 0):
        every = None
        if start or end:
            problems.append("a start and end need every_minutes")
    else:
        try:
            every = int(every)
        except (TypeError, ValueError):
            every = -1
        if not 15 <= every <= 1440:
            problems.append("every_minutes must be 15-1440")
        if start is None or end is None:
            problems.append("every_minutes needs a start and an end")
    if not fixed and every is None:
        problems.append("give fixed times, or every N minutes between a start and an end")
    raw_days = data.get("weekdays", list(range(7)))
    if (
        not isinstance(raw_days, list | tuple)
        or not raw_days
        or not all(isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 6 for d in raw_days)
    ):
        problems.append("weekdays is a non-empty list of 0 (Monday) to 6 (Sunday)")
        raw_days = list(range(7))

    def minutes(key: str, lo: int, hi: int, default: int) -> int:
        value = data.get(key)
        if value is None or value == "":
            return default
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            problems.append(f"{key} must be a whole number {lo}-{hi}")
            return default
        return value

    window = minutes("window_minutes", 5, 720, 60)
    grace = minutes("grace_minutes", 0, 240, settings.grace_minutes)
    early = minutes("early_minutes", 0, 240, settings.early_minutes)
    responsible = str(data.get("responsible_user_id") or "") or None
    if responsible is not None and responsible not in set(people):
        problems.append("the responsible person must be one of the site's people")
    team = str(data.get("responsible_team") or "").strip()
    name = str(data.get("name") or "").strip()
    if len(team) > 40 or len(name) > 60 or not printable(team + name):
        problems.append("name is at most 60 and team at most 40 characters")
    if problems:
        raise SetupError(problems)
    return Schedule(
        schedule_id,
        version,
        site_id,
        kind,
        target_id,
        effective_from,
        None,
        tuple(fixed),
        every,
        start if every else None,
        end if every else None,
        frozenset(raw_days),
        window,
        grace,
        early,
        name,
        responsible,
        team,
    )
