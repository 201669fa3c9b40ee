"""Admin screen "Site & points": the site's details and settings, the plan upload, points
placed by tapping on the plan, retiring points, printing labels; and the first-run form
that creates a site when the admin has none.

Thin over `server.admin` (the API's functions and permission checks) and
`server.console.models.setup`.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import flet as ft
from fastapi import HTTPException
from PIL import Image

from server import admin
from server.access import AccessDenied
from server.console.i18n import register
from server.console.models.setup import PlacedPoint, label_sheet_link, labels_for, plan_fraction
from server.console.refusals import refusal_text
from server.console.views.base import (
    BIG,
    GREY,
    RED,
    TALL_SEGMENTS,
    ScreenView,
    big_button,
    message,
    toggle,
)

if TYPE_CHECKING:
    from server.console.views.shell import Console

__all__ = ["PlacesScreen", "first_site_form", "guarded"]

PLAN_WIDTH = 720  # px the plan is drawn at

register(
    {
        "screen_places": ("站点与点位", "Site & points"),
        "first_site": ("欢迎！先创建您的第一个项目（小区）", "Welcome! Create your first site"),
        "site_name": ("项目名称", "Site name"),
        "site_tz": ("时区", "Time zone"),
        "tz_Asia/Shanghai": ("北京时间（中国大陆）", "Beijing time (mainland China)"),
        "tz_Asia/Hong_Kong": ("香港时间", "Hong Kong"),
        "tz_Asia/Macau": ("澳门时间", "Macau"),
        "tz_Asia/Taipei": ("台北时间", "Taipei"),
        "tz_Asia/Singapore": ("新加坡时间", "Singapore"),
        "site_address": ("地址", "Address"),
        "create_site": ("创建项目", "Create site"),
        "new_site_name": ("新项目名称", "New site's name"),
        "save": ("保存", "Save"),
        "saved": ("已保存", "Saved"),
        "upload_plan": ("上传平面图", "Upload plan"),
        "plan_label": ("项目平面图", "Site plan"),
        "setup_no_plan": ("还没有平面图：请上传 PNG 或 JPEG", "No plan yet: upload a PNG or JPEG"),
        "tap_plan": ("点击平面图放置新点位", "Tap the plan to place a new point"),
        "placed_at": ("位置 {x}, {y}", "Position {x}, {y}"),
        "point_name": ("点位名称", "Point name"),
        "setup_kind_checkpoint": ("巡更点", "Checkpoint"),
        "setup_kind_area": ("保洁区域", "Cleaning area"),
        "zone": ("区域/楼栋", "Zone"),
        "template": ("检查模板", "Template"),
        "needs_photo": ("必须拍照（重点部位）", "Photo required (critical)"),
        "checks": ("检查项（用;分隔）", "Checks (separate with ;)"),
        "add_point": ("添加点位", "Add point"),
        "editing_point": (
            "修改点位：{name}（点击平面图可移动它）",
            "Editing {name} (tap the plan to move it)",
        ),
        "save_point": ("保存修改", "Save changes"),
        "cancel_edit": ("取消", "Cancel"),
        "edit_point": ("修改", "Edit"),
        "retire": ("停用", "Retire"),
        "confirm_retire": ("确认停用 {name}？", "Retire {name}?"),
        "retired": ("已停用", "Retired"),
        "points_count": ("{n} 个点位", "{n} points"),
        "print_labels": ("打印二维码标签", "Print QR labels"),
        "label_sheet": ("下载A4标签（PDF）", "A4 label sheet (PDF)"),
        "reprint_labels": (
            "重印全部标签（旧标签作废）",
            "Reprint all labels (old ones stop counting)",
        ),
        "settings": ("项目设置", "Site settings"),
        "grace": ("迟到宽限（分钟）", "Grace (minutes)"),
        "early": ("提前容许（分钟）", "Early allowance (minutes)"),
        "radius": ("GPS 半径（米）", "GPS radius (m)"),
        "threshold": ("完成率达标线（0-1）", "Completion threshold (0-1)"),
        "deadline": ("整改期限（小时）", "Rectification deadline (hours)"),
        "response_hours": ("异常响应时限（小时）", "Anomaly response (hours)"),
        "escalate_hours": ("整改超期升级（小时）", "Escalate overdue rectification (hours)"),
    }
)


def guarded(c: Console, fn: Callable[..., Any]) -> Callable[[Any], Any]:
    """An event handler like `c.act`, that also shows a refused change (422/409/...) as
    a red toast in the console's language instead of failing."""

    async def run(event: Any) -> None:
        try:
            result = fn(event)
            if asyncio.iscoroutine(result):
                await result
        except AccessDenied:
            raise
        except HTTPException as exc:
            c.toast(refusal_text(exc, c.session.lang), error=True)

    return c.act(run)


def _field(
    label: str, value: Any, on_change: Callable[[str], None], width: int = 260
) -> ft.TextField:
    return ft.TextField(
        label=label,
        value="" if value is None else str(value),
        width=width,
        on_change=lambda e: on_change(e.control.value or ""),
    )


# The zones a site picks from (a list, not typing: "北京" is not a zone name).
TIME_ZONES = ("Asia/Shanghai", "Asia/Hong_Kong", "Asia/Macau", "Asia/Taipei", "Asia/Singapore")


def first_site_form(c: Console) -> ft.Control:
    """What an admin with no site sees first: one form, one button."""
    draft = c.draft("first_site", name="", tz="Asia/Shanghai", address="")

    def create(_: Any) -> None:
        user = c.session.user()
        site = admin.create_site(c.session.storage, user, draft, datetime.now(UTC))
        c.forget_draft("first_site")
        c.session.site_id = site["id"]
        c.current = "places"

    def field(key: str, label: str) -> ft.TextField:
        return _field(c.t(label), draft[key], lambda v: draft.__setitem__(key, v), 360)

    time_zone = ft.Dropdown(
        label=c.t("site_tz"),
        value=draft["tz"],
        width=360,
        options=[ft.DropdownOption(key=z, text=c.t(f"tz_{z}")) for z in TIME_ZONES],
        on_select=lambda e: draft.__setitem__("tz", e.control.value or draft["tz"]),
    )

    return ft.Container(
        ft.Column(
            [
                ft.Text(c.t("first_site"), size=24, weight=ft.FontWeight.BOLD),
                field("name", "site_name"),
                time_zone,
                field("address", "site_address"),
                big_button(c.t("create_site"), guarded(c, create), icon=ft.Icons.ADD),
            ],
            spacing=16,
        ),
        padding=24,
    )


class PlacesScreen(ScreenView):
    def __init__(self, console: Console) -> None:
        super().__init__(console)
        self.placing = PlacedPoint()
        self.retiring: str | None = None  # the point whose retirement awaits a second tap
        self._plan_size: dict[str, tuple[int, int]] = {}
        self.picker = ft.FilePicker()

    # -- actions ---------------------------------------------------------------------------

    def _now(self) -> datetime:
        return datetime.now(UTC)

    async def _upload(self, _: Any) -> None:
        if self.picker not in self.c.page.services:
            self.c.page.services.append(self.picker)
        files = await self.picker.pick_files(
            file_type=ft.FilePickerFileType.CUSTOM,
            allowed_extensions=["png", "jpg", "jpeg"],
            with_data=True,
        )
        if not files or files[0].bytes is None:
            return
        admin.upload_plan(
            self.c.session.storage,
            self.c.state.blobs,
            self.c.session.user(),
            self.c.site_id,
            files[0].bytes,
            self._now(),
        )
        self.c.toast(self.c.t("saved"))

    def _tap(self, event: Any, width: float, height: float) -> None:
        pos = event.local_position
        if pos is None:
            return
        self.placing.plan_x, self.placing.plan_y = plan_fraction(pos.x, pos.y, width, height)
        self.c.render()

    def _save_point(self, _: Any) -> None:
        """Add the new point, or save the edited one as its next version."""
        admin.save_point(
            self.c.session.storage,
            self.c.session.user(),
            self.c.site_id,
            self.placing.point_id,
            self.placing.body(),
            self._now(),
        )
        keep = self.placing
        self.placing = PlacedPoint(kind=keep.kind, zone=keep.zone, template_id=keep.template_id)
        self.c.toast(self.c.t("saved"))

    def _edit(self, point: dict[str, Any]) -> None:
        self.placing = PlacedPoint.of(point)
        self.retiring = None

    def _cancel_edit(self, _: Any) -> None:
        self.placing = PlacedPoint()

    def _retire(self, point_id: str) -> None:
        if self.retiring != point_id:  # the first tap asks; the second retires
            self.retiring = point_id
            return
        self.retiring = None
        admin.retire_point(
            self.c.session.storage, self.c.session.user(), self.c.site_id, point_id, self._now()
        )
        if self.placing.point_id == point_id:
            self.placing = PlacedPoint()
        self.c.toast(self.c.t("retired"))

    def _print_labels(self, _: Any) -> None:
        storage, user, site_id = self.c.session.storage, self.c.session.user(), self.c.site_id
        labels = labels_for(storage, user, site_id)
        tiles: list[ft.Control] = [
            ft.Image(src=png, width=180, height=228, tooltip=name) for name, png in labels[:200]
        ]
        sheet = label_sheet_link(storage, user, site_id, self._now())

        def reprint(_: Any) -> None:
            # New serials now; the dialog opens again with the new labels and sheet.
            label_sheet_link(storage, self.c.session.user(), site_id, self._now(), reprint=True)
            self.c.page.pop_dialog()
            self._print_labels(None)

        self.c.page.show_dialog(
            ft.AlertDialog(
                title=ft.Text(self.c.t("print_labels")),
                content=ft.Container(
                    ft.Row(tiles, wrap=True, spacing=8, run_spacing=8, scroll=ft.ScrollMode.AUTO),
                    width=min(860, (self.c.page.width or 900) - 80),
                    height=560,
                ),
                actions=[
                    ft.FilledButton(
                        content=self.c.t("label_sheet"),
                        icon=ft.Icons.PICTURE_AS_PDF,
                        url=f"/api/v1/downloads/{sheet}",  # one-time link (server.downloads)
                        height=BIG,
                    ),
                    ft.TextButton(
                        self.c.t("reprint_labels"), height=BIG, on_click=guarded(self.c, reprint)
                    ),
                    ft.TextButton(
                        self.c.t("close"), height=BIG, on_click=lambda e: self.c.page.pop_dialog()
                    ),
                ],
            )
        )

    # -- building --------------------------------------------------------------------------

    def build(self) -> ft.Control:
        storage, user = self.c.session.storage, self.c.session.user()
        site_id = self.c.site_id
        points = admin.list_points(storage, user, site_id)
        site = storage.site(site_id) or {}
        if not self.c.wide:  # a phone: one column, the plan as wide as the screen
            return ft.Column(
                [
                    self._site_row(site),
                    self._plan(site, points),
                    self._point_form(),
                    ft.Divider(),
                    self._point_list(points),
                    self._settings_row(),
                ],
                scroll=ft.ScrollMode.AUTO,
                expand=True,
            )
        return ft.Column(
            [
                self._site_row(site),
                ft.Row(
                    [
                        ft.Column([self._plan(site, points)], width=PLAN_WIDTH + 8),
                        ft.Column(
                            [self._point_form(), ft.Divider(), self._point_list(points)],
                            expand=True,
                            scroll=ft.ScrollMode.AUTO,
                        ),
                    ],
                    vertical_alignment=ft.CrossAxisAlignment.START,
                    expand=True,
                ),
                self._settings_row(),
            ],
            scroll=ft.ScrollMode.AUTO,
            expand=True,
        )

    def _site_row(self, site: dict[str, Any]) -> ft.Control:
        form = f"site:{site['id']}"
        draft = self.c.draft(form)  # only what was changed

        def save(_: Any) -> None:
            admin.update_site(
                self.c.session.storage, self.c.session.user(), self.c.site_id, draft, self._now()
            )
            self.c.forget_draft(form)
            self.c.toast(self.c.t("saved"))

        new = self.c.draft("new_site", name="", tz="Asia/Shanghai")

        def create(_: Any) -> None:
            made = admin.create_site(
                self.c.session.storage, self.c.session.user(), new, self._now()
            )
            self.c.forget_draft("new_site")
            self.c.session.site_id = made["id"]

        row = ft.Row(
            [
                _field(
                    self.c.t("site_name"),
                    draft.get("name", site.get("name")),
                    lambda v: draft.__setitem__("name", v),
                ),
                _field(
                    self.c.t("site_address"),
                    draft.get("address", site.get("address")),
                    lambda v: draft.__setitem__("address", v),
                    320,
                ),
                big_button(self.c.t("save"), guarded(self.c, save), filled=False),
                big_button(
                    self.c.t("upload_plan"), guarded(self.c, self._upload), icon=ft.Icons.MAP
                ),
                big_button(
                    self.c.t("print_labels"),
                    guarded(self.c, self._print_labels),
                    icon=ft.Icons.QR_CODE,
                    filled=False,
                ),
                _field(
                    self.c.t("new_site_name"),
                    new["name"],
                    lambda v: new.__setitem__("name", v),
                    180,
                ),
                big_button(
                    self.c.t("create_site"),
                    guarded(self.c, create),
                    icon=ft.Icons.ADD,
                    filled=False,
                ),
            ],
            wrap=True,
            spacing=8,
        )
        # Room above for the first field's floating label, or the scroller cuts it.
        return ft.Container(row, padding=ft.Padding.only(top=8))

    def _plan(self, site: dict[str, Any], points: list[dict[str, Any]]) -> ft.Control:
        sha = str(site.get("plan_sha") or "")
        data = self.c.state.blobs.get(sha) if sha else None
        if not data:
            return message(self.c.t("setup_no_plan"), icon=ft.Icons.MAP)
        if sha not in self._plan_size:
            with Image.open(io.BytesIO(data)) as img:
                self._plan_size[sha] = img.size
        w, h = self._plan_size[sha]
        width = (
            PLAN_WIDTH if self.c.wide else max(240, min(PLAN_WIDTH, (self.c.page.width or 0) - 32))
        )
        height = round(width * h / w)
        marks: list[ft.Control] = [
            ft.Image(
                src=data,
                width=width,
                height=height,
                fit=ft.BoxFit.FILL,
                semantics_label=self.c.t("plan_label"),
            )
        ]
        for n, p in enumerate(points, start=1):
            if p["plan_x"] is None or p["plan_y"] is None or p["id"] == self.placing.point_id:
                continue  # the point being edited shows where the form puts it
            marks.append(self._marker(p["plan_x"] * width, p["plan_y"] * height, str(n), p["kind"]))
        if self.placing.plan_x is not None and self.placing.plan_y is not None:
            marks.append(
                self._marker(self.placing.plan_x * width, self.placing.plan_y * height, "+", "new")
            )
        return ft.Column(
            [
                ft.Text(self.c.t("tap_plan"), color=GREY),
                ft.GestureDetector(
                    content=ft.Stack(marks, width=width, height=height),
                    on_tap_down=self.c.act(lambda e: self._tap(e, width, height)),
                    key="plan",
                ),
            ]
        )

    def _marker(self, x: float, y: float, text: str, kind: str) -> ft.Control:
        colour = {"checkpoint": ft.Colors.BLUE_700, "area": ft.Colors.TEAL_600}.get(kind, RED)
        return ft.Container(
            ft.Text(text, size=11, color=ft.Colors.WHITE, weight=ft.FontWeight.BOLD),
            left=x - 12,
            top=y - 12,
            width=24,
            height=24,
            bgcolor=colour,
            shape=ft.BoxShape.CIRCLE,
            alignment=ft.Alignment.CENTER,
        )

    def _point_form(self) -> ft.Control:
        p = self.placing
        templates = admin.list_templates(
            self.c.session.storage, self.c.session.user(), self.c.site_id
        )
        where = (
            self.c.t("placed_at", x=f"{p.plan_x:.2f}", y=f"{p.plan_y:.2f}")
            if p.plan_x is not None and p.plan_y is not None
            else self.c.t("tap_plan")
        )
        editing = p.point_id is not None

        def set_kind(e: Any) -> None:
            p.kind = (list(e.control.selected) or ["checkpoint"])[0]
            if p.kind == "area" and not p.template_id and templates:
                ids = [t["id"] for t in templates]
                p.template_id = "six-clean-three-none" if "six-clean-three-none" in ids else ids[0]

        controls: list[ft.Control] = [
            ft.Text(self.c.t("editing_point", name=p.name), size=16, weight=ft.FontWeight.BOLD)
            if editing
            else ft.Text(where, size=16),
            _field(self.c.t("point_name"), p.name, lambda v: setattr(p, "name", v)),
            ft.SegmentedButton(
                disabled=editing,  # a point's kind never changes: retire it instead
                selected=[p.kind],
                segments=[
                    ft.Segment(
                        value="checkpoint", label=ft.Text(self.c.t("setup_kind_checkpoint"))
                    ),
                    ft.Segment(value="area", label=ft.Text(self.c.t("setup_kind_area"))),
                ],
                show_selected_icon=False,
                style=TALL_SEGMENTS,
                on_change=self.c.act(set_kind),
            ),
            _field(self.c.t("zone"), p.zone, lambda v: setattr(p, "zone", v)),
        ]
        if p.kind == "area":
            controls.append(
                ft.Dropdown(
                    label=self.c.t("template"),
                    value=p.template_id or None,
                    width=260,
                    options=[ft.DropdownOption(key=t["id"], text=t["name_zh"]) for t in templates],
                    on_select=lambda e: setattr(p, "template_id", e.control.value or ""),
                )
            )
        else:
            controls.append(_field(self.c.t("checks"), p.checks, lambda v: setattr(p, "checks", v)))
        controls += [
            toggle(
                self.c.t("needs_photo"),
                p.requires_photo,
                lambda on: setattr(p, "requires_photo", on),
            ),
        ]
        if editing:
            controls.append(
                ft.Row(
                    [
                        big_button(
                            self.c.t("save_point"),
                            guarded(self.c, self._save_point),
                            icon=ft.Icons.SAVE,
                        ),
                        big_button(
                            self.c.t("cancel_edit"),
                            self.c.act(self._cancel_edit),
                            filled=False,
                        ),
                    ],
                    wrap=True,
                )
            )
        else:
            controls.append(
                big_button(
                    self.c.t("add_point"),
                    guarded(self.c, self._save_point),
                    icon=ft.Icons.ADD_LOCATION,
                )
            )
        return ft.Column(controls, spacing=8)

    def _point_list(self, points: list[dict[str, Any]]) -> ft.Control:
        rows: list[ft.Control] = [ft.Text(self.c.t("points_count", n=len(points)), size=16)]
        for n, p in enumerate(points, start=1):
            kind = self.c.t(f"setup_kind_{p['kind']}")
            retire = guarded(self.c, lambda e, pid=p["id"]: self._retire(pid))
            if self.retiring == p["id"]:
                rows.append(
                    ft.Row(
                        [
                            ft.Text(
                                self.c.t("confirm_retire", name=p["name"]),
                                expand=True,
                                color=RED,
                            ),
                            big_button(self.c.t("retire"), retire, colour=RED),
                            big_button(
                                self.c.t("cancel_edit"),
                                self.c.act(lambda e: setattr(self, "retiring", None)),
                                filled=False,
                            ),
                        ],
                        wrap=True,
                    )
                )
                continue
            rows.append(
                ft.Row(
                    [
                        ft.Text(f"{n}. {p['name']}", expand=True, size=15),
                        ft.Text(f"{kind} · {p['short_code']}", color=GREY),
                        ft.IconButton(
                            ft.Icons.EDIT_OUTLINED,
                            tooltip=self.c.t("edit_point"),
                            width=BIG,
                            height=BIG,
                            on_click=self.c.act(lambda e, point=p: self._edit(point)),
                        ),
                        ft.IconButton(
                            ft.Icons.DELETE_OUTLINE,
                            tooltip=self.c.t("retire"),
                            width=BIG,
                            height=BIG,
                            on_click=retire,
                        ),
                    ]
                )
            )
        return ft.Column(rows, spacing=0)

    def _settings_row(self) -> ft.Control:
        storage, user = self.c.session.storage, self.c.session.user()
        current = admin.site_settings(storage, user, self.c.site_id)
        form = f"settings:{self.c.site_id}"
        typed = self.c.draft(form)  # the text of each changed field, as typed
        casts: dict[str, type] = {}

        def number(key: str, cast: type) -> Callable[[str], None]:
            casts[key] = cast
            return lambda text: typed.__setitem__(key, text)

        def save(_: Any) -> None:
            changes: dict[str, Any] = {}
            for key, text in typed.items():
                try:
                    changes[key] = casts[key](text)
                except ValueError:
                    changes[key] = text  # named by the settings check
            admin.update_settings(
                storage, self.c.session.user(), self.c.site_id, changes, self._now()
            )
            self.c.forget_draft(form)
            self.c.toast(self.c.t("saved"))

        def shown(key: str) -> Any:
            return typed.get(key, current[key])

        return ft.Column(
            [
                ft.Text(self.c.t("settings"), size=18, weight=ft.FontWeight.BOLD),
                ft.Row(
                    [
                        _field(
                            self.c.t("grace"),
                            shown("grace_minutes"),
                            number("grace_minutes", int),
                            160,
                        ),
                        _field(
                            self.c.t("early"),
                            shown("early_minutes"),
                            number("early_minutes", int),
                            160,
                        ),
                        _field(
                            self.c.t("radius"),
                            shown("gps_radius_m"),
                            number("gps_radius_m", float),
                            160,
                        ),
                        _field(
                            self.c.t("threshold"),
                            shown("completion_threshold"),
                            number("completion_threshold", float),
                            180,
                        ),
                        _field(
                            self.c.t("deadline"),
                            shown("rectification_deadline_hours"),
                            number("rectification_deadline_hours", int),
                            180,
                        ),
                        _field(
                            self.c.t("response_hours"),
                            shown("anomaly_response_hours"),
                            number("anomaly_response_hours", int),
                            180,
                        ),
                        _field(
                            self.c.t("escalate_hours"),
                            shown("rectification_escalate_hours"),
                            number("rectification_escalate_hours", int),
                            180,
                        ),
                        big_button(self.c.t("save"), guarded(self.c, save), filled=False),
                    ],
                    wrap=True,
                ),
            ]
        )
