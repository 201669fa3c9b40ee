"""The live view for leads: rounds in progress, next due, and alerts to acknowledge.

Rules:
- The live window is the last 18 hours and the next 6 (a night round that began before
  midnight is still live in the morning).
- Alerts (each with a stable key, so an acknowledgement sticks to it):
  - *not started*: a scheduled round nobody started by the end of its grace period
    (`domain.coverage`'s not-started alert), with who was expected: until rosters exist,
    whoever last walked a round of the same schedule, else of the same route (in the
    last 14 days);
  - *low completion*: a round whose time is over with fewer than the site's completion
    threshold (default 70 %) of its points scanned;
  - *overdue rectification*: an open rectification past its deadline.
- An acknowledgement (who, when, comment) is stored append-only; the latest one of an
  alert is shown. An acknowledged alert stays listed (greyed), so a lead sees it was seen.

Plain functions over `Storage`; callers check permissions first (`server.access`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import orjson

from domain.coverage import RoundState, RoundSummary
from domain.wire import RecordKind
from server import reports
from server.storage import Storage

__all__ = [
    "DEFAULT_THRESHOLD",
    "MAX_COMMENT",
    "Ack",
    "Alert",
    "AlertKind",
    "AlertRefused",
    "LiveRound",
    "LiveView",
    "acknowledge",
    "alert_text",
    "completion_threshold",
    "live_view",
    "webhook_url",
]

DEFAULT_THRESHOLD = 0.7
MAX_COMMENT = 500
LOOK_BACK = timedelta(hours=18)
LOOK_AHEAD = timedelta(hours=6)
WALKER_LOOK_BACK = timedelta(days=14)


class AlertKind(StrEnum):
    NOT_STARTED = "not_started"
    LOW_COMPLETION = "low_completion"
    OVERDUE_RECTIFICATION = "overdue_rectification"


class AlertRefused(ValueError):
    """An acknowledgement that cannot be recorded; the message says why."""


@dataclass(frozen=True, slots=True)
class Ack:
    by: str  # name
    at: datetime
    comment: str


@dataclass(slots=True)
class LiveRound:
    key: str
    route_id: str
    route_name: str
    due: datetime
    closes: datetime
    grace_end: datetime
    state: RoundState
    done: int
    total: int
    walker: str  # name of who is walking / walked it ('' when nobody started it)

    @property
    def share(self) -> float:
        return self.done / self.total if self.total else 0.0


@dataclass(slots=True)
class Alert:
    key: str
    kind: AlertKind
    at: datetime  # when it became an alert
    subject: str  # route or point name
    detail: str  # language-neutral figures, e.g. "3/20" or the failed item
    expected: str = ""  # who was expected (not started) or assigned (rectification)
    ack: Ack | None = None


@dataclass(slots=True)
class LiveView:
    now: datetime
    threshold: float
    in_progress: list[LiveRound] = field(default_factory=list)
    next_due: list[LiveRound] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)

    @property
    def open_alerts(self) -> list[Alert]:
        return [a for a in self.alerts if a.ack is None]


def _settings(site: dict[str, Any] | None) -> dict[str, Any]:
    """The site's settings JSON (site set-up, issue 8), or {} when there is none."""
    raw = (site or {}).get("settings")
    if not raw:
        return {}
    try:
        value = orjson.loads(raw)
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def completion_threshold(site: dict[str, Any] | None) -> float:
    value = _settings(site).get("completion_threshold", DEFAULT_THRESHOLD)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        return DEFAULT_THRESHOLD
    return float(value)


def webhook_url(site: dict[str, Any] | None) -> str | None:
    """The site's group-robot webhook (WeCom / DingTalk), or None when none is set."""
    value = _settings(site).get("alert_webhook_url")
    if isinstance(value, str) and value.startswith(("https://", "http://")) and len(value) < 500:
        return value
    return None


def _last_walkers(storage: Storage, site_id: str, now: datetime) -> dict[str, str]:
    """schedule id and ("route", route id) → user id of whoever last started one of its
    rounds (last 7 days)."""
    found: dict[str, str] = {}
    for r in storage.records(site_id, [RecordKind.ROUND_START], now - WALKER_LOOK_BACK, now):
        walker = r.body.get("for_user_id") or r.user_id
        for key in (r.body.get("schedule_id"), f"route:{r.body.get('route_id')}"):
            if isinstance(key, str):
                found[key] = walker
    return found


def live_view(storage: Storage, site_id: str, now: datetime) -> LiveView:
    site = storage.site(site_id)
    if site is None:
        raise KeyError(site_id)
    threshold = completion_threshold(site)
    judged = reports.judged_period(storage, site_id, now - LOOK_BACK, now + LOOK_AHEAD, now)
    people = {u["id"]: u["name"] for u in storage.site_users(site_id)}
    routes = {rid: vs[-1].name for rid, vs in storage.route_versions(site_id).items() if vs}
    view = LiveView(now, threshold)

    def live(r: RoundSummary) -> LiveRound:
        walker = (r.fact.for_user_id or r.fact.user_id) if r.fact else ""
        return LiveRound(
            r.key,
            r.route_id,
            routes.get(r.route_id, r.route_id),
            r.due,
            r.closes,
            r.grace_end,
            r.state,
            r.done,
            r.total,
            people.get(walker, walker),
        )

    walkers: dict[str, str] | None = None
    for r in sorted(judged.coverage.rounds, key=lambda r: r.due):
        if r.state in (RoundState.IN_PROGRESS, RoundState.NOT_STARTED) and r.due <= now:
            view.in_progress.append(live(r))
        elif r.state is RoundState.UPCOMING:
            view.next_due.append(live(r))
        if r.not_started_alert:
            if walkers is None:
                walkers = _last_walkers(storage, site_id, now)
            expected = walkers.get(r.schedule_id) or walkers.get(f"route:{r.route_id}", "")
            view.alerts.append(
                Alert(
                    f"{AlertKind.NOT_STARTED}:{r.key}",
                    AlertKind.NOT_STARTED,
                    r.due + (r.grace_end - r.closes),  # due + grace
                    routes.get(r.route_id, r.route_id),
                    f"{r.done}/{r.total}",
                    people.get(expected, expected),
                )
            )
        elif now > r.grace_end and r.total and r.done / r.total < threshold and r.fact:
            view.alerts.append(
                Alert(
                    f"{AlertKind.LOW_COMPLETION}:{r.key}",
                    AlertKind.LOW_COMPLETION,
                    r.grace_end,
                    routes.get(r.route_id, r.route_id),
                    f"{r.done}/{r.total}",
                    people.get(r.fact.for_user_id or r.fact.user_id, r.fact.user_id),
                )
            )
    view.next_due = view.next_due[:8]
    # A past inspection's item is named as in the version it was made with.
    templates = storage.templates(site_id)
    items = {(t.id, i.key): i.label_zh for t in templates for i in t.items}
    exact = {(t.id, t.version, i.key): i.label_zh for t in templates for i in t.items}
    for rect in reports.rectifications(storage, site_id, now, now - timedelta(days=60)):
        if rect["overdue"]:
            assignee = rect["assignee_id"] or ""
            view.alerts.append(
                Alert(
                    f"{AlertKind.OVERDUE_RECTIFICATION}:{rect['id']}",
                    AlertKind.OVERDUE_RECTIFICATION,
                    datetime.fromisoformat(rect["deadline"]),
                    rect["point_name"],
                    exact.get(
                        (rect["template_id"], rect["template_version"], rect["item"]),
                        items.get((rect["template_id"], rect["item"]), rect["item"]),
                    ),
                    people.get(assignee, assignee),
                )
            )
    acks = storage.alert_acks(site_id, [a.key for a in view.alerts])
    for alert in view.alerts:
        row = acks.get(alert.key)
        if row is not None:
            alert.ack = Ack(people.get(row.user_id, row.user_id), row.at, row.comment)
    view.alerts.sort(key=lambda a: (a.ack is not None, -a.at.timestamp()))
    return view


def acknowledge(
    storage: Storage, site_id: str, user_id: str, key: str, comment: str, now: datetime
) -> Alert:
    """Record that `user_id` saw the alert `key` (one of the live view's current alerts)."""
    if len(comment) > MAX_COMMENT:
        raise AlertRefused(f"comment is longer than {MAX_COMMENT} characters")
    alert = next((a for a in live_view(storage, site_id, now).alerts if a.key == key), None)
    if alert is None:
        raise LookupError("no such alert now")
    storage.add_alert_ack(
        site_id=site_id, alert_key=key, user_id=user_id, at=now, comment=comment.strip()
    )
    return alert


def alert_text(alerts: Iterable[Alert], site_name: str) -> str:
    """The words of a group-robot message (Chinese: the group is the site's team)."""
    words = {
        AlertKind.NOT_STARTED: "未按时开始巡更",
        AlertKind.LOW_COMPLETION: "巡更完成率低",
        AlertKind.OVERDUE_RECTIFICATION: "整改已超期",
    }
    lines = [f"【巡检通】{site_name}"]
    for a in alerts:
        who = f"（{a.expected}）" if a.expected else ""
        lines.append(f"· {words[a.kind]}：{a.subject} {a.detail}{who}")
    return "\n".join(lines)
