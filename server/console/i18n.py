"""The console's words: Chinese first, English switchable.

Each screen module may bring its own words with `register({...})` at import time, so
screens added by different people never edit one shared dict. A key names one phrase;
`t(key, lang, **params)` formats it. An unknown key shows as itself (never a crash).
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["LANGS", "duration", "register", "t"]

LANGS = ("zh", "en")

_TEXT: dict[str, tuple[str, str]] = {
    "app_title": ("巡检通 · 管理后台", "Rounds · Console"),
    "username": ("用户名", "Username"),
    "password": ("密码", "Password"),
    "sign_in": ("登录", "Sign in"),
    "sign_out": ("退出登录", "Sign out"),
    "language": ("English", "中文"),
    "wrong_login": ("用户名或密码错误", "Wrong username or password"),
    "too_many_logins": (
        "登录失败次数过多，请 {wait} 后再试",
        "Too many failed sign-ins: try again in {wait}",
    ),
    "busy": ("服务器繁忙，请稍后再试", "The server is busy: try again"),
    "use_phone_app": (
        "您的岗位（{role}）请使用手机App打卡和巡检，管理后台供队长、主管和经理使用。",
        "Your role ({role}) works in the phone app; this console is for leads, "
        "supervisors and managers.",
    ),
    "signed_out": ("请重新登录", "Please sign in again"),
    "change_password": ("修改密码", "Change password"),
    "password_set_by_admin": (
        "您的密码是管理员设置的，请先设置一个只有您知道的新密码。",
        "Your password was set by an admin: choose one only you know first.",
    ),
    "current_password": ("当前密码", "Current password"),
    "new_password": ("新密码（至少 8 个字符）", "New password (8+ characters)"),
    "repeat_password": ("再次输入新密码", "New password again"),
    "passwords_differ": ("两次输入的新密码不一致", "The two new passwords differ"),
    "wrong_current_password": ("当前密码不正确", "The current password is wrong"),
    "save_password": ("保存新密码", "Save the new password"),
    "password_changed": (
        "密码已修改，其他设备已退出登录",
        "Password changed; other devices signed out",
    ),
    "cancel": ("取消", "Cancel"),
    "no_sites": ("您的账号还没有分配项目", "Your account has no sites yet"),
    "site": ("项目", "Site"),
    "period": ("时段", "Period"),
    "period_today": ("今天", "Today"),
    "period_shift": ("班次", "Shift"),
    "period_day": ("日", "Day"),
    "period_week": ("周", "Week"),
    "period_month": ("月", "Month"),
    "shift_day": ("白班 08–20", "Day shift 08–20"),
    "shift_night": ("夜班 20–08", "Night shift 20–08"),
    "previous": ("上一段", "Previous"),
    "next": ("下一段", "Next"),
    "pick_date": ("选择日期", "Pick a date"),
    "refresh": ("刷新", "Refresh"),
    "menu": ("菜单", "Menu"),
    "screen_coverage": ("巡检覆盖图", "Coverage map"),
    "screen_live": ("实时监控", "Live"),
    "screen_review": ("待审核", "Review queue"),
    "not_found": ("未找到该项目", "Site not found"),
    "forbidden": ("您的岗位无权进行此操作", "Your role may not do this"),
    "error": ("出错了：{detail}", "Something went wrong: {detail}"),
    "role_guard": ("秩序维护员", "guard"),
    "role_guard_lead": ("保安队长", "guard lead"),
    "role_cleaner": ("保洁员", "cleaner"),
    "role_cleaning_supervisor": ("保洁主管", "cleaning supervisor"),
    "role_manager": ("项目经理", "manager"),
    "role_admin": ("管理员", "admin"),
    "role_quality": ("品质部", "quality"),
    "weekday_0": ("周一", "Mon"),
    "weekday_1": ("周二", "Tue"),
    "weekday_2": ("周三", "Wed"),
    "weekday_3": ("周四", "Thu"),
    "weekday_4": ("周五", "Fri"),
    "weekday_5": ("周六", "Sat"),
    "weekday_6": ("周日", "Sun"),
}


def register(texts: Mapping[str, tuple[str, str]]) -> None:
    """Add a screen's words; a key already taken with other words is an error."""
    for key, pair in texts.items():
        if key in _TEXT and _TEXT[key] != pair:
            raise ValueError(f"console text {key!r} is already registered with other words")
        _TEXT[key] = pair


def t(key: str, lang: str = "zh", **params: object) -> str:
    pair = _TEXT.get(key)
    if pair is None:
        return key
    text = pair[0] if lang == "zh" else pair[1]
    return text.format(**params) if params else text


_DURATION = {
    "s": ("{s} 秒", "{s} s"),
    "m": ("{m} 分钟", "{m} min"),
    "hm": ("{h} 小时 {m} 分", "{h} h {m} min"),
    "dh": ("{d} 天 {h} 小时", "{d} d {h} h"),
}


def duration(seconds: float, lang: str = "zh") -> str:
    """A length of time as people say it: "45 秒", "12 分钟", "2 小时 37 分", "3 天 4 小时"
    (rounded down to the unit shown; a negative length reads as its size)."""
    s = int(abs(seconds))
    m, h, d = s // 60, s // 3600, s // 86_400
    key, params = (
        ("s", {"s": s})
        if s < 60
        else ("m", {"m": m})
        if s < 3600
        else ("hm", {"h": h, "m": m % 60})
        if s < 2 * 86_400
        else ("dh", {"d": d, "h": h % 24})
    )
    zh, en = _DURATION[key]
    return (zh if lang == "zh" else en).format(**params)
