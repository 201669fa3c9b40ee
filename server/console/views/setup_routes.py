"""Admin screen "Routes & schedules": build a route (add checkpoints, order them by
dragging or with up/down buttons, any order or in order; each save is a new version),
and a schedule with its preview (visits per day and warnings) shown before it can be
saved.

Thin over `server.admin` and `server.console.models.setup`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

import flet as ft

from server import admin
from server.console.i18n import register
from server.console.models.setup import RouteDraft, ScheduleDraft, move, reorder
from server.console.views.base import (
    BIG,
    GREY,
    RED,
    TALL_SEGMENTS,
    ScreenView,
    big_button,
    toggle,
    two_panes,
)
from server.console.views.setup_places import _field, guarded

if TYPE_CHECKING:
    from server.console.views.shell import Console

__all__ = ["RoutesScreen"]

register(
    {
        "screen_routes": ("路线与排班", "Routes & schedules"),
        "routes": ("巡逻路线", "Routes"),
        "new_route": ("新建路线", "New route"),
        "route_name": ("路线名称", "Route name"),
        "route_points": ("路线上的点位（按顺序）", "Points on the route (in order)"),
        "add": ("加入", "Add"),
        "up": ("上移", "Up"),
        "down": ("下移", "Down"),
        "remove": ("移除", "Remove"),
        "in_order": ("必须按顺序巡逻", "Must be walked in order"),
        "save_route": ("保存路线（新版本）", "Save route (new version)"),
        "version": ("第 {n} 版", "version {n}"),
        "schedules": ("排班", "Schedules"),
        "schedule_name": ("排班名称", "Schedule name"),
        "schedule_for": ("排给", "For"),
        "mode_fixed": ("固定时间", "Fixed times"),
        "mode_every": ("每隔N小时", "Every N hours"),
        "times": ("时间（如 09:00 15:00）", "Times (e.g. 09:00 15:00)"),
        "every_hours": ("每隔几小时", "Every (hours)"),
        "from": ("开始", "From"),
        "to": ("结束", "To"),
        "window": ("完成时限（分钟）", "Window (minutes)"),
        "setup_responsible": ("负责人", "Responsible"),
        "nobody": ("（不指定）", "(nobody)"),
        "preview": ("预览未来7天", "Preview next 7 days"),
        "preview_count": ("未来7天共 {n} 次", "{n} visits in the next 7 days"),
        "save_schedule": ("保存排班", "Save schedule"),
        "preview_first": ("请先预览再保存", "Preview before saving"),
        "warn_no_visits": (
            "警告：该排班不会产生任何巡检",
            "Warning: this schedule produces no visits",
        ),
        "warn_self_overlap": (
            "警告：下一次开始时上一次还没结束",
            "Warning: visits overlap each other",
        ),
        "warn_overlap": (
            "警告：与负责人的其他排班重叠：{msg}",
            "Warning: overlaps another schedule: {msg}",
        ),
        "end_schedule": ("停止", "Stop"),
    }
)


class RoutesScreen(ScreenView):
    def __init__(self, console: Console) -> None:
        super().__init__(console)
        self.route = RouteDraft()
        self.schedule = ScheduleDraft()

    def _now(self) -> datetime:
        return datetime.now(UTC)

    # -- actions ---------------------------------------------------------------------------

    def _pick_route(self, route: dict[str, Any] | None) -> None:
        if route is None:
            self.route = RouteDraft()
        else:
            self.route = RouteDraft(
                route["id"], route["name"], list(route["checkpoint_ids"]), route["ordered"]
            )

    def _save_route(self, _: Any) -> None:
        saved = admin.save_route(
            self.c.session.storage,
            self.c.session.user(),
            self.c.site_id,
            self.route.route_id,
            self.route.body(),
            self._now(),
        )
        self.route.route_id = saved["id"]
        if not self.schedule.target:
            self.schedule.target = f"route:{saved['id']}"
        self.c.toast(self.c.t("saved"))

    def _preview(self, _: Any) -> None:
        body = self.schedule.body()
        self.schedule.preview = admin.preview_schedule(
            self.c.session.storage,
            self.c.session.user(),
            self.c.site_id,
            None,
            body,
            7,
            self._now(),
        )
        self.schedule.previewed = body

    def _save_schedule(self, _: Any) -> None:
        if not self.schedule.preview_current:
            self.c.toast(self.c.t("preview_first"), error=True)
            return
        admin.save_schedule(
            self.c.session.storage,
            self.c.session.user(),
            self.c.site_id,
            None,
            self.schedule.body(),
            self._now(),
        )
        self.schedule = ScheduleDraft(target=self.schedule.target)
        self.c.toast(self.c.t("saved"))

    def _end(self, schedule_id: str) -> None:
        admin.end_schedule(
            self.c.session.storage, self.c.session.user(), self.c.site_id, schedule_id, self._now()
        )

    # -- building --------------------------------------------------------------------------

    def build(self) -> ft.Control:
        storage, user, site_id = self.c.session.storage, self.c.session.user(), self.c.site_id
        routes = admin.list_routes(storage, user, site_id)
        points = admin.list_points(storage, user, site_id)
        return two_panes(
            self.c.wide,
            self._routes(routes, points),
            self._schedules(routes, points),
            first_width=520,
        )

    def _routes(self, routes: list[dict[str, Any]], points: list[dict[str, Any]]) -> ft.Control:
        names = {p["id"]: p["name"] for p in points}
        r = self.route
        chips: list[ft.Control] = [
            ft.OutlinedButton(
                content=f"{x['name']} · {self.c.t('version', n=x['versions'])}",
                height=BIG,
                on_click=self.c.act(lambda e, x=x: self._pick_route(x)),
            )
            for x in routes
        ]
        chips.append(
            ft.OutlinedButton(
                content=self.c.t("new_route"),
                icon=ft.Icons.ADD,
                height=BIG,
                on_click=self.c.act(lambda e: self._pick_route(None)),
            )
        )
        chosen: list[ft.Control] = []
        for i, pid in enumerate(r.checkpoint_ids):
            chosen.append(
                ft.Row(
                    [
                        ft.ReorderableDragHandle(
                            content=ft.Icon(ft.Icons.DRAG_INDICATOR),
                            mouse_cursor=ft.MouseCursor.GRAB,
                        ),
                        ft.Text(f"{i + 1}. {names.get(pid, pid)}", expand=True, size=15),
                        self._icon(ft.Icons.ARROW_UPWARD, "up", lambda e, i=i: self._move(i, -1)),
                        self._icon(
                            ft.Icons.ARROW_DOWNWARD, "down", lambda e, i=i: self._move(i, 1)
                        ),
                        self._icon(
                            ft.Icons.CLOSE,
                            "remove",
                            lambda e, pid=pid: r.checkpoint_ids.remove(pid),
                        ),
                    ],
                    spacing=0,
                    key=f"route-point-{pid}",
                )
            )
        available: list[ft.Control] = [
            ft.OutlinedButton(
                content=f"+ {p['name']}",
                height=BIG,
                on_click=self.c.act(lambda e, pid=p["id"]: r.checkpoint_ids.append(pid)),
            )
            for p in points
            if p["kind"] == "checkpoint" and p["id"] not in r.checkpoint_ids
        ]
        return ft.Column(
            [
                ft.Text(self.c.t("routes"), size=18, weight=ft.FontWeight.BOLD),
                ft.Row(chips, wrap=True),
                _field(self.c.t("route_name"), r.name, lambda v: setattr(r, "name", v), 360),
                ft.Text(self.c.t("route_points"), color=GREY),
                # Drag a point by its handle; the up/down buttons do the same without
                # a pointer (keyboard, screen reader, unsteady hands).
                ft.ReorderableListView(
                    controls=chosen,
                    show_default_drag_handles=False,
                    on_reorder=self.c.act(self._dragged),
                    height=min(52 * max(len(chosen), 1), 520),
                ),
                ft.Row(available, wrap=True, spacing=4, run_spacing=4),
                toggle(self.c.t("in_order"), r.ordered, lambda on: setattr(r, "ordered", on)),
                big_button(
                    self.c.t("save_route"), guarded(self.c, self._save_route), icon=ft.Icons.SAVE
                ),
            ],
            spacing=8,
        )

    def _dragged(self, event: Any) -> None:
        if event.old_index is not None and event.new_index is not None:
            self.route.checkpoint_ids = reorder(
                self.route.checkpoint_ids, event.old_index, event.new_index
            )

    def _move(self, index: int, delta: int) -> None:
        self.route.checkpoint_ids = move(self.route.checkpoint_ids, index, delta)

    def _icon(self, icon: ft.IconData, tip: str, fn: Any) -> ft.Control:
        # Words beside the arrow: older users read them, and they name the button.
        return ft.TextButton(content=self.c.t(tip), icon=icon, height=BIG, on_click=self.c.act(fn))

    def _schedules(self, routes: list[dict[str, Any]], points: list[dict[str, Any]]) -> ft.Control:
        storage, user, site_id = self.c.session.storage, self.c.session.user(), self.c.site_id
        s = self.schedule
        targets = [ft.DropdownOption(key=f"route:{x['id']}", text=x["name"]) for x in routes] + [
            ft.DropdownOption(key=f"area:{p['id']}", text=f"{self.c.t('kind_area')} {p['name']}")
            for p in points
            if p["kind"] == "area"
        ]
        names = {x["id"]: x["name"] for x in routes} | {p["id"]: p["name"] for p in points}
        people = [ft.DropdownOption(key="", text=self.c.t("nobody"))] + [
            ft.DropdownOption(key=p["id"], text=f"{p['name']} ({p['username']})")
            for p in self._people()
        ]
        mode = ft.SegmentedButton(
            selected=[s.mode],
            segments=[
                ft.Segment(value="fixed", label=ft.Text(self.c.t("mode_fixed"))),
                ft.Segment(value="every", label=ft.Text(self.c.t("mode_every"))),
            ],
            show_selected_icon=False,
            style=TALL_SEGMENTS,
            on_change=self.c.act(
                lambda e: setattr(s, "mode", (list(e.control.selected) or ["fixed"])[0])
            ),
        )
        if s.mode == "fixed":
            when: list[ft.Control] = [
                _field(self.c.t("times"), s.times, lambda v: setattr(s, "times", v), 300)
            ]
        else:
            when = [
                _field(
                    self.c.t("every_hours"),
                    s.every_hours,
                    lambda v: setattr(s, "every_hours", v),
                    130,
                ),
                _field(self.c.t("from"), s.start, lambda v: setattr(s, "start", v), 110),
                _field(self.c.t("to"), s.end, lambda v: setattr(s, "end", v), 110),
            ]
        days: list[ft.Control] = [
            toggle(
                self.c.t(f"weekday_{d}"),
                d in s.weekdays,
                partial(_set_weekday, s.weekdays, d),
                width=84,
            )
            for d in range(7)
        ]
        current: list[ft.Control] = [
            ft.Row(
                [
                    ft.Text(
                        f"{x['name'] or x['id']} · {names.get(x['target_id'], x['target_id'])}"
                        f" · {_when(x)}",
                        expand=True,
                    ),
                    ft.TextButton(
                        self.c.t("end_schedule"),
                        height=BIG,
                        on_click=guarded(self.c, lambda e, sid=x["id"]: self._end(sid)),
                    ),
                ]
            )
            for x in admin.list_schedules(storage, user, site_id, self._now())
        ]
        return ft.Column(
            [
                ft.Text(self.c.t("schedules"), size=18, weight=ft.FontWeight.BOLD),
                ft.Column(current, spacing=0),
                ft.Divider(),
                _field(self.c.t("schedule_name"), s.name, lambda v: setattr(s, "name", v), 300),
                ft.Dropdown(
                    label=self.c.t("schedule_for"),
                    value=s.target or None,
                    options=targets,
                    width=300,
                    on_select=lambda e: setattr(s, "target", e.control.value or ""),
                ),
                mode,
                ft.Row(when, wrap=True),
                ft.Row(days, wrap=True),
                ft.Row(
                    [
                        _field(
                            self.c.t("window"),
                            s.window_minutes,
                            lambda v: setattr(s, "window_minutes", v),
                            160,
                        ),
                        ft.Dropdown(
                            label=self.c.t("setup_responsible"),
                            value=s.responsible_user_id,
                            options=people,
                            width=240,
                            on_select=lambda e: setattr(
                                s, "responsible_user_id", e.control.value or ""
                            ),
                        ),
                    ],
                    wrap=True,
                ),
                ft.Row(
                    [
                        big_button(
                            self.c.t("preview"),
                            guarded(self.c, self._preview),
                            icon=ft.Icons.PREVIEW,
                            filled=False,
                        ),
                        big_button(
                            self.c.t("save_schedule"),
                            guarded(self.c, self._save_schedule),
                            icon=ft.Icons.SAVE,
                        ),
                    ]
                ),
                self._preview_view(),
            ],
            spacing=8,
        )

    def _people(self) -> list[dict[str, Any]]:
        from server.people import list_people

        return [
            p
            for p in list_people(self.c.session.storage, self.c.session.user(), self.c.site_id)
            if p["active"]
        ]

    def _preview_view(self) -> ft.Control:
        p = self.schedule.preview
        if p is None:
            return ft.Container()
        lines: list[ft.Control] = [
            ft.Text(self.c.t("preview_count", n=p["count"]), size=16, weight=ft.FontWeight.BOLD)
        ]
        for w in p["warnings"]:
            key = f"warn_{w['code']}"
            lines.append(ft.Text(self.c.t(key, msg=w["message"]), color=RED, size=15))
        for day, n in p["per_day"].items():
            times = [v[11:16] for v in p["visits"] if v.startswith(day)]
            lines.append(ft.Text(f"{day}: {n} — {' '.join(times[:24])}", color=GREY))
        return ft.Column(lines, spacing=2, key="preview")


def _when(schedule: dict[str, Any]) -> str:
    if schedule["fixed_times"]:
        return " ".join(schedule["fixed_times"])
    return f"{schedule['every_minutes']} min {schedule['start']}-{schedule['end']}"


def _set_weekday(weekdays: set[int], day: int, on: bool) -> None:
    if on:
        weekdays.add(day)
    else:
        weekdays.discard(day)
