"""View-models of the admin screens: plain data and small pure helpers, no flet.

The screens call `server.admin`, `server.people` and `server.imports` (the functions the
API routes call, with the same permission checks) and keep only what a form is editing
here: the route being built, the point being placed, the schedule draft and its preview,
an import waiting for confirmation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from domain.appraisal import SITE_WEIGHT_NAMES, team_label
from domain.labels import label_payload
from server import downloads, exports
from server.access import require_admin
from server.console.i18n import register, t
from server.label_images import label_png
from server.label_sheet import LabelSpec, label_sheet_pdf
from server.storage import Storage, UserRow

__all__ = [
    "AuditNames",
    "ImportDraft",
    "PlacedPoint",
    "RouteDraft",
    "ScheduleDraft",
    "audit_line",
    "audit_names",
    "audit_time",
    "label_sheet_link",
    "labels_for",
    "move",
    "parse_times",
    "plan_fraction",
    "reorder",
]


def plan_fraction(x: float, y: float, width: float, height: float) -> tuple[float, float]:
    """A tap at (x, y) px on a plan drawn `width`×`height` px, as fractions 0..1 (rounded
    to 4 places, clamped to the plan)."""
    fx = min(max(x / width, 0.0), 1.0) if width > 0 else 0.0
    fy = min(max(y / height, 0.0), 1.0) if height > 0 else 0.0
    return round(fx, 4), round(fy, 4)


def move(ids: list[str], index: int, delta: int) -> list[str]:
    """`ids` with the item at `index` moved by `delta` places (kept within the list)."""
    if not 0 <= index < len(ids):
        return list(ids)
    target = min(max(index + delta, 0), len(ids) - 1)
    out = list(ids)
    out.insert(target, out.pop(index))
    return out


def reorder(items: list[Any], old_index: int, new_index: int) -> list[Any]:
    """`items` with the one at `old_index` moved to `new_index` (its final position, as
    the web client's ReorderableListView reports it); out-of-range indexes change
    nothing."""
    if not (0 <= old_index < len(items) and 0 <= new_index < len(items)):
        return list(items)
    out = list(items)
    out.insert(new_index, out.pop(old_index))
    return out


def parse_times(text: str) -> list[str]:
    """ "9:00, 15:30；21:00" → ["09:00", "15:30", "21:00"] (what is not a time is kept
    as typed, for the schedule check to name)."""
    out = []
    for part in re.split(r"[\s,，;；、]+", text or ""):
        if not part:
            continue
        m = re.fullmatch(r"(\d{1,2})[:：](\d{2})", part)
        out.append(f"{int(m[1]):02d}:{m[2]}" if m else part)
    return out


@dataclass(slots=True)
class PlacedPoint:
    """The point form: where it was tapped on the plan, and its fields; `point_id` names
    the point being edited (None: a new one)."""

    point_id: str | None = None
    plan_x: float | None = None
    plan_y: float | None = None
    name: str = ""
    kind: str = "checkpoint"
    zone: str = ""
    template_id: str = ""
    requires_photo: bool = False
    checks: str = ""

    @classmethod
    def of(cls, point: Mapping[str, Any]) -> PlacedPoint:
        """The form filled with a stored point, to edit it or move it on the plan."""
        return cls(
            point_id=point["id"],
            plan_x=point.get("plan_x"),
            plan_y=point.get("plan_y"),
            name=point.get("name") or "",
            kind=point.get("kind") or "checkpoint",
            zone=point.get("zone") or "",
            template_id=point.get("template_id") or "",
            requires_photo=bool(point.get("requires_photo")),
            checks="；".join(point.get("checks") or []),
        )

    def body(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "kind": self.kind,
            "zone": self.zone,
            "plan_x": self.plan_x,
            "plan_y": self.plan_y,
            "requires_photo": self.requires_photo,
        }
        if self.kind == "area":
            data["template_id"] = self.template_id or None
        else:
            data["checks"] = [c for c in re.split(r"[;；\n]", self.checks) if c.strip()]
        return data


@dataclass(slots=True)
class RouteDraft:
    """The route being built: an existing route's id (None for a new one) and its points."""

    route_id: str | None = None
    name: str = ""
    checkpoint_ids: list[str] = field(default_factory=list)
    ordered: bool = False

    def body(self) -> dict[str, Any]:
        return {"name": self.name, "checkpoint_ids": self.checkpoint_ids, "ordered": self.ordered}


@dataclass(slots=True)
class ScheduleDraft:
    """The schedule form, and the preview last shown for exactly these fields."""

    target: str = ""  # "route:<id>" or "area:<id>"
    mode: str = "fixed"  # fixed | every
    times: str = "09:00 15:00"
    every_hours: str = "2"
    start: str = "20:00"
    end: str = "06:00"
    weekdays: set[int] = field(default_factory=lambda: set(range(7)))
    window_minutes: str = "60"
    responsible_user_id: str = ""
    name: str = ""
    preview: dict[str, Any] | None = None
    previewed: dict[str, Any] | None = None

    def body(self) -> dict[str, Any]:
        kind, _, target_id = self.target.partition(":")
        data: dict[str, Any] = {
            "name": self.name,
            "target_kind": kind or "route",
            "target_id": target_id,
            "weekdays": sorted(self.weekdays),
            "window_minutes": _int(self.window_minutes),
            "responsible_user_id": self.responsible_user_id or None,
        }
        if self.mode == "every":
            hours = _float(self.every_hours)
            data |= {
                "every_minutes": round(hours * 60) if hours is not None else -1,
                "start": parse_times(self.start)[0] if parse_times(self.start) else None,
                "end": parse_times(self.end)[0] if parse_times(self.end) else None,
                "fixed_times": [],
            }
        else:
            data |= {"fixed_times": parse_times(self.times), "every_minutes": None}
        return data

    @property
    def preview_current(self) -> bool:
        """Saving is offered once the preview shown is of the fields as they are now."""
        return self.preview is not None and self.previewed == self.body()


def _int(text: str) -> int | None:
    try:
        return int(str(text).strip())
    except ValueError:
        return None


def _float(text: str) -> float | None:
    try:
        return float(str(text).strip())
    except ValueError:
        return None


@dataclass(slots=True)
class ImportDraft:
    """An uploaded spreadsheet checked and waiting for confirmation."""

    kind: str = "people"
    data: bytes = b""
    filename: str = ""
    report: dict[str, Any] | None = None
    created: list[dict[str, Any]] = field(default_factory=list)


# Each audit field by the console's name for it: an i18n key (most are the set-up forms'
# own labels). A field of one kind of thing may have its own (a person's 姓名).
_AUDIT_FIELD_KEYS: dict[str, str] = {
    "name": "audit_f_name",
    "person.name": "person_name",
    "point.name": "point_name",
    "route.name": "route_name",
    "schedule.name": "schedule_name",
    "site.name": "site_name",
    "username": "login_name",
    "role": "role",
    "site_ids": "audit_f_sites",
    "active": "audit_f_active",
    "kind": "audit_f_kind",
    "zone": "zone",
    "template_id": "template",
    "requires_photo": "needs_photo",
    "checks": "audit_f_checks",
    "plan_x": "audit_f_plan_x",
    "plan_y": "audit_f_plan_y",
    "lat": "audit_f_lat",
    "lon": "audit_f_lon",
    "short_code": "audit_f_code",
    "radius_m": "radius",
    "tz": "site_tz",
    "address": "site_address",
    "has_plan": "audit_f_has_plan",
    "plan_sha": "audit_f_has_plan",
    "grace_minutes": "grace",
    "early_minutes": "early",
    "gps_radius_m": "radius",
    "completion_threshold": "threshold",
    "rectification_deadline_hours": "deadline",
    "anomaly_response_hours": "response_hours",
    "rectification_escalate_hours": "escalate_hours",
    "appraisal_weights": "audit_f_weights",
    "alert_webhook_url": "audit_f_webhook",
    "checkpoint_ids": "route_points",
    "ordered": "in_order",
    "not_before": "audit_f_not_before",
    "target_id": "schedule_for",
    "fixed_times": "mode_fixed",
    "every_minutes": "audit_f_every_minutes",
    "start": "from",
    "end": "to",
    "weekdays": "audit_f_weekdays",
    "window_minutes": "window",
    "responsible_user_id": "setup_responsible",
    "responsible_team": "audit_f_team",
    "effective_from": "audit_f_effective_from",
    "effective_to": "audit_f_effective_to",
    "name_zh": "audit_f_name",
    "items": "audit_f_items",
    "revoked": "audit_f_signed_out",
    "retired": "audit_f_retired",
    "created": "audit_f_created",
    "width": "audit_f_width",
    "height": "audit_f_height",
}
_AUDIT_ORDER = {k: i for i, k in enumerate(_AUDIT_FIELD_KEYS)}
# Bookkeeping a reader needs no words for: ids, versions, the English twin of a name.
_AUDIT_SKIP = {"id", "site_id", "company_id", "version", "target_kind", "name_en"}
_AUDIT_IDS = {"target_id", "template_id", "responsible_user_id"}  # shown by name
_AUDIT_ID_LISTS = {"checkpoint_ids", "site_ids"}
_AUDIT_MAX_FIELDS = 8
_AUDIT_MAX_TEXT = 40  # characters of one value (a whole list or text is in the API)

register(
    {
        "audit_f_name": ("名称", "Name"),
        "audit_f_sites": ("所属项目", "Sites"),
        "audit_f_active": ("账号可用", "Active"),
        "audit_f_kind": ("类型", "Kind"),
        "audit_f_checks": ("检查项", "Checks"),
        "audit_f_plan_x": ("平面图位置（横）", "Plan x"),
        "audit_f_plan_y": ("平面图位置（纵）", "Plan y"),
        "audit_f_lat": ("纬度", "Latitude"),
        "audit_f_lon": ("经度", "Longitude"),
        "audit_f_code": ("编码", "Code"),
        "audit_f_has_plan": ("平面图", "Plan"),
        "audit_f_weights": ("考核权重", "Appraisal weights"),
        "audit_f_webhook": ("告警群机器人", "Alert webhook"),
        "audit_f_not_before": ("最早开始", "Not before"),
        "audit_f_every_minutes": ("间隔（分钟）", "Every (minutes)"),
        "audit_f_weekdays": ("星期", "Weekdays"),
        "audit_f_team": ("负责班组", "Responsible team"),
        "audit_f_effective_from": ("生效时间", "In force from"),
        "audit_f_effective_to": ("结束时间", "In force until"),
        "audit_f_items": ("检查项", "Items"),
        "audit_f_signed_out": ("退出设备数", "Devices signed out"),
        "audit_f_retired": ("已停用", "Retired"),
        "audit_f_created": ("新增", "Added"),
        "audit_f_width": ("宽（像素）", "Width (px)"),
        "audit_f_height": ("高（像素）", "Height (px)"),
        "audit_yes": ("是", "yes"),
        "audit_no": ("否", "no"),
        "audit_kpi_rectification_on_time": ("整改按时率", "Rectified on time"),
        "audit_more": ("等另外 {n} 项", "and {n} more"),
        "audit_n_items": ("{n} 项", "{n} items"),
    }
)


@dataclass(frozen=True, slots=True)
class AuditNames:
    """What an audit line needs to name things: the console's words in `lang`, the site's
    time zone, and names by id (people, points, routes, templates, sites)."""

    lang: str = "zh"
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    names: Mapping[str, str] = field(default_factory=dict)

    def t(self, key: str, **params: object) -> str:
        return t(key, self.lang, **params)

    def name(self, some_id: str) -> str:
        return self.names.get(some_id, some_id)


def audit_names(storage: Storage, site_id: str, lang: str = "zh") -> AuditNames:
    """Names by id of everything an audit entry of the site may hold (retired points and
    deactivated people included: the log outlives them)."""
    site = storage.site(site_id)
    tz = ZoneInfo(site["tz"]) if site else ZoneInfo("UTC")
    names: dict[str, str] = {s["id"]: s["name"] for s in storage.sites([site_id])}
    names |= {t.id: t.name_zh if lang == "zh" else t.name_en for t in storage.templates(site_id)}
    names |= {rid: v[-1].name for rid, v in storage.route_versions(site_id).items() if v}
    names |= {r.point.id: r.point.name for r in storage.point_rows(site_id)}
    names |= {p.id: p.name for p in storage.people(site_id)}
    return AuditNames(lang, tz, names)


def audit_time(at: str, names: AuditNames) -> str:
    """A stored UTC time as the site's "YYYY-MM-DD HH:MM:SS"; as stored if unreadable."""
    try:
        moment = datetime.fromisoformat(at)
    except (TypeError, ValueError):
        return str(at)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(names.tz).strftime("%Y-%m-%d %H:%M:%S")


def _cut(text: str) -> str:
    return text if len(text) <= _AUDIT_MAX_TEXT else text[: _AUDIT_MAX_TEXT - 1] + "…"


def _audit_value(key: str, value: Any, names: AuditNames) -> str:
    """One field's value as the console words it: names for ids, roles and weekdays in
    words, times in site time, yes/no, lists joined, long text cut with "…"."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return names.t("audit_yes" if value else "audit_no")
    if key == "role":
        return names.t(f"role_{value}")
    if key == "kind":
        return names.t(f"setup_kind_{value}")
    if key == "responsible_team":
        return team_label(str(value), names.lang)
    if key in _AUDIT_IDS:
        return _cut(names.name(str(value)))
    if key in ("effective_from", "effective_to"):
        return audit_time(str(value), names)[:16]
    if key == "plan_sha":
        return names.t("audit_yes")
    if key == "weekdays" and isinstance(value, list):
        days = [names.t(f"weekday_{d}") for d in value]
        return _cut("、".join(days))
    if key == "created" and isinstance(value, list):
        made = [str(c.get("name") or c.get("username") or "") for c in value if isinstance(c, dict)]
        return _cut(f"{names.t('audit_n_items', n=len(value))}：" + "、".join(made))
    if key == "items" and isinstance(value, list):
        return names.t("audit_n_items", n=len(value))
    if isinstance(value, list):
        shown = [names.name(str(v)) if key in _AUDIT_ID_LISTS else str(v) for v in value]
        return _cut("、".join(shown))
    if key == "appraisal_weights" and isinstance(value, dict):
        return _cut("，".join(f"{_kpi(str(k), names)} {v}" for k, v in value.items()))
    if isinstance(value, dict):
        return _cut("，".join(f"{k} {v}" for k, v in value.items()))
    if isinstance(value, float):
        return f"{value:g}"
    return _cut(str(value))


def _kpi(name: str, names: AuditNames) -> str:
    """A KPI weight's name as the appraisal screen's column names it."""
    kpi = SITE_WEIGHT_NAMES.get(name, name)
    for key in (f"rep_col_{kpi}", f"audit_kpi_{kpi}"):
        if (words := names.t(key)) != key:
            return words
    return name


def _audit_label(kind: str, key: str, names: AuditNames) -> str:
    ikey = _AUDIT_FIELD_KEYS.get(f"{kind}.{key}") or _AUDIT_FIELD_KEYS.get(key)
    if ikey is None:
        return key
    words = names.t(ikey)
    return words if words != ikey else key


def audit_line(entry: Mapping[str, Any], names: AuditNames | None = None) -> str:
    """One audit entry as a line to read, in the console's language: the action, what it
    was done to (by name), and each changed field as 标签 before → after (a new thing
    lists its fields, a removed one is "→ —"). Ids never show where a name exists; long
    values are cut with "…" (the whole entry stays in the API's audit log)."""
    names = names or AuditNames()
    action = str(entry.get("action", ""))
    kind = action.split(".", 1)[0]
    key = "audit_" + action.replace(".", "_")
    worded = names.t(key)
    what = action if worded == key else worded
    target = str(entry.get("target", ""))
    before, after = entry.get("before"), entry.get("after")
    old = before if isinstance(before, dict) else {}
    new = after if isinstance(after, dict) else {}
    person, _, device = target.partition("/")
    subject = f"{names.name(person)} {device}" if device else names.name(target)
    for shown in (new, old):  # a thing made or ended here: named by its own fields
        if subject == target and shown.get("name"):
            subject = str(shown["name"])
        if subject == target and shown.get("target_id"):
            subject = names.name(str(shown["target_id"]))
    parts = []
    # what it became, in the forms' order; a removal names only the thing
    for field_key, value in sorted(new.items(), key=lambda kv: _AUDIT_ORDER.get(kv[0], 999)):
        if field_key in _AUDIT_SKIP or (field_key in old and old[field_key] == value):
            continue
        label = _audit_label(kind, field_key, names)
        if field_key not in old:
            if value in (None, "", [], False):
                continue  # a new thing: only the fields it has
            parts.append(f"{label} {_audit_value(field_key, value, names)}")
        else:
            parts.append(
                f"{label} {_audit_value(field_key, old[field_key], names)}"
                f" → {_audit_value(field_key, value, names)}"
            )
    if len(parts) > _AUDIT_MAX_FIELDS:
        more = len(parts) - _AUDIT_MAX_FIELDS
        parts = [*parts[:_AUDIT_MAX_FIELDS], names.t("audit_more", n=more)]
    text = f"{what} {subject}" if subject else what
    return f"{text}：{'；'.join(parts)}" if parts else text


def labels_for(storage: Storage, user: UserRow, site_id: str) -> list[tuple[str, bytes]]:
    """(point name, label PNG) for each point in use, with its current label serial, for
    a look before printing."""
    require_admin(user, site_id)
    site = storage.site(site_id)
    assert site is not None
    serials = storage.label_serials(site_id)
    return [
        (
            r.point.name,
            label_png(
                label_payload(site_id, r.point.id, site["label_key"], serials.get(r.point.id, 0)),
                r.point.name,
                r.point.short_code,
                site["name"],
            ),
        )
        for r in storage.point_rows(site_id, include_retired=False)
    ]


def label_sheet_link(
    storage: Storage, user: UserRow, site_id: str, now: datetime, reprint: bool = False
) -> str:
    """A one-time download link (`server.downloads`) of the A4 label sheet (PDF) of every
    point in use. `reprint` issues new serials first: labels printed before stop counting
    (the reports side's label revocation)."""
    require_admin(user, site_id)
    site = storage.site(site_id)
    assert site is not None
    ids = [r.point.id for r in storage.point_rows(site_id, include_retired=False)]
    if reprint and ids:
        storage.issue_labels(site_id, ids, user.id, now)
    serials = storage.label_serials(site_id)
    specs = [
        LabelSpec(
            label_payload(site_id, r.point.id, site["label_key"], serials.get(r.point.id, 0)),
            r.point.name,
            r.point.short_code,
            site["name"],
            serials.get(r.point.id, 0),
        )
        for r in storage.point_rows(site_id, include_retired=False)
    ]
    path = exports.temp_path(".pdf")
    path.write_bytes(label_sheet_pdf(specs))
    return downloads.offer(path, f"{site_id}-labels.pdf", "application/pdf")
