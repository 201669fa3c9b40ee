"""View-models of the admin screens: plain data and small pure helpers, no flet.

The screens call `server.admin`, `server.people` and `server.imports` (the functions the
API routes call, with the same permission checks) and keep only what a form is editing
here: the route being built, the point being placed, the schedule draft and its preview,
an import waiting for confirmation.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.labels import label_payload
from server import downloads, exports
from server.access import require_admin
from server.label_images import label_png
from server.label_sheet import LabelSpec, label_sheet_pdf
from server.storage import Storage, UserRow

__all__ = [
    "ImportDraft",
    "PlacedPoint",
    "RouteDraft",
    "ScheduleDraft",
    "audit_line",
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


def audit_line(entry: dict[str, Any], action_name: Callable[[str], str] = str) -> str:
    """One audit entry as a line: what changed, from → to (changed fields only).
    `action_name` words the action (e.g. "point.create" → "新增点位")."""
    before, after = entry.get("before"), entry.get("after")
    if isinstance(before, dict) and isinstance(after, dict):
        keys = [k for k in after if before.get(k) != after.get(k)]
        change = ", ".join(f"{k}: {before.get(k)!r} → {after.get(k)!r}" for k in keys[:6])
    elif after is not None:
        change = str(after)[:200]
    else:
        change = f"{str(before)[:160]} → —"
    return f"{action_name(entry['action'])} {entry['target']}: {change}"


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
