"""What the follow-up screens (anomaly tickets, rectifications) show in their lists: each
item as a row with a title, a status line, and whether it is late or escalated. Pure:
words come from the caller's `t` (i18n) and times from its `local_time`, so the rules
(what counts as late, what the status line says) are tested without a browser."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "RECTIFICATION_STATES",
    "TICKET_STATES",
    "ListRow",
    "rectification_item",
    "rectification_row",
    "rectification_status",
    "ticket_row",
    "ticket_status",
]

Words = Callable[..., str]  # i18n: t(key, **params)
LocalTime = Callable[[str | None], str]  # stored UTC → "MM-DD HH:MM" at the site

TICKET_STATES = ("active", "closed", "void")
RECTIFICATION_STATES = ("active", "escalated", "closed", "void")


@dataclass(frozen=True, slots=True)
class ListRow:
    """One item in a follow-up list."""

    id: str
    title: str
    status: str
    late: bool  # overdue and still open: shown in red
    escalated: bool = False  # passed up to the manager: highlighted


def ticket_status(item: Mapping[str, Any], t: Words) -> tuple[str, bool]:
    """A ticket's status words, and whether it is late: overdue and not closed."""
    late = bool(item["overdue"]) and item["status"] != "closed"
    status = t("tk_status_" + item["status"])
    return (f"{status} · {t('tk_overdue')}" if late else status), late


def ticket_row(item: Mapping[str, Any], t: Words, local_time: LocalTime) -> ListRow:
    """ "11-26 03:40 · 3号点 · 消防通道堵塞" over "待处理 · 超时 · 张伟" (the reporter); a
    ticket with no category is named by the start of its note."""
    status, late = ticket_status(item, t)
    what = item["category"] or str(item["note"])[:20]
    return ListRow(
        id=item["id"],
        title=f"{local_time(item['reported_at'])} · {item['point_name']} · {what}",
        status=f"{status} · {item['reporter_name']}",
        late=late,
    )


def rectification_status(item: Mapping[str, Any], t: Words) -> tuple[str, bool]:
    """A rectification's state, "overdue" while it is late and not closed, and "escalated"
    once passed to the manager."""
    parts = [t("rc_state_" + item["state"])]
    late = bool(item["overdue"]) and item["state"] != "closed"
    if late:
        parts.append(t("rc_overdue"))
    if item["escalated"]:
        parts.append(t("rc_escalated_badge"))
    return " · ".join(parts), late


def rectification_item(item: Mapping[str, Any], lang: str) -> str:
    """The failed template item's name in the console's language."""
    return str(item["item_zh"] if lang == "zh" else item["item_en"])


def rectification_row(
    item: Mapping[str, Any], t: Words, local_time: LocalTime, lang: str
) -> ListRow:
    """ "1号楼大堂 · 地面清洁" over "待整改 · 超期 · 刘芳 · 期限 11-25 09:40"."""
    status, late = rectification_status(item, t)
    deadline = t("rc_deadline", at=local_time(item["deadline"]))
    return ListRow(
        id=item["id"],
        title=f"{item['point_name']} · {rectification_item(item, lang)}",
        status=f"{status} · {item['assignee_name'] or ''} · {deadline}",
        late=late,
        escalated=bool(item["escalated"]),
    )
