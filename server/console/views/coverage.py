"""Coverage map: the site plan with every checkpoint and area coloured by its status for
a shift, by the share of its visits covered for a day or longer (`ShareBand`), or, in the
gap view, by its longest stretch with nobody there. Tap a marker
for its visits, the scans that met them, who, when, photos and flags."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import flet as ft

from domain.coverage import VisitStatus
from domain.models import PointKind
from domain.presence import COVERED_SHARE, GAP_LEVELS, MapStatus, ShareBand
from domain.trust import Standing
from server.console.i18n import duration, register
from server.console.models.coverage import load_detail, load_map, nearest_marker, plan_image
from server.console.views.base import BIG, GREY, RED, ScreenView, message, toggle
from server.console.views.review import flag_names
from server.coverage_map import CoverageMap, MapFilter, Marker, PointDetail
from server.plan_render import (
    BAND_COLOURS,
    GAP_COLOURS,
    NO_DATA_COLOUR,
    STATUS_COLOURS,
    marker_colour,
)

__all__ = ["CoverageScreen"]

register(
    {
        "status_missed": ("漏巡", "Missed"),
        "status_pending_review": ("待审核", "Pending review"),
        "status_late": ("迟到", "Late"),
        "status_early": ("提前", "Early"),
        "status_on_time": ("准时", "On time"),
        "status_upcoming": ("未到时间", "Not yet due"),
        "status_none": ("无任务", "Nothing due"),
        "band_all_on_time": ("全部准时", "All on time"),
        "band_covered": ("完成{hi}%以上", "{hi} %+ covered"),
        "band_short": ("完成{lo}–{hi}%", "{lo}–{hi} % covered"),
        "band_poor": ("完成<{lo}%", "< {lo} % covered"),
        "band_pending_review": ("待审核", "Pending review"),
        "band_upcoming": ("未到时间", "Not yet due"),
        "band_none": ("无任务", "Nothing due"),
        "band_legend": ("按完成率", "By share covered"),
        "covered_share": ("已到期 {n} 次，完成 {p}%", "{p} % of the {n} due so far covered"),
        "all": ("全部", "All"),
        "route": ("路线", "Route"),
        "point_kind": ("点位类型", "Kind"),
        "kind_checkpoint": ("巡更点", "Checkpoints"),
        "kind_area": ("保洁区域", "Cleaning areas"),
        "area_type": ("区域类型", "Area type"),
        "person": ("人员", "Person"),
        "gap_view": ("空档视图", "Gap view"),
        "gap_legend": ("最长无人间隔", "Longest gap"),
        "hours_range": ("{a}–{b} 小时", "{a}–{b} h"),
        "hours_over": ("超过 {h} 小时", "over {h} h"),
        "no_plan": (
            "该项目还没有平面图：请管理员在“站点与点位”上传。以下按列表显示各点状态。",
            "This site has no plan yet: an admin can upload one in site set-up. "
            "The points' status is listed below.",
        ),
        "empty_period": (
            "该时段没有应巡任务，也没有扫码记录。",
            "Nothing was due and nothing was scanned in this period.",
        ),
        "unplaced": (
            "{n} 个点还没有标注在平面图上：",
            "{n} points have no position on the plan yet:",
        ),
        "no_points": ("该项目还没有巡更点或保洁区域。", "This site has no points yet."),
        "tap_marker": ("点击地图上的点位查看详情", "Tap a point on the map for its detail"),
        "expected_visits": ("应巡 {n} 次", "{n} visits due"),
        "visits": ("应巡记录", "Expected visits"),
        "scans": ("扫码记录", "Scans"),
        "no_visits": ("该时段没有应巡任务", "No visits due in this period"),
        "no_scans": ("该时段没有扫码", "No scans in this period"),
        "scanned_by": ("{who} {at} 扫码", "scanned by {who} at {at}"),
        "responsible": ("负责人：{who}", "responsible: {who}"),
        "nobody_known": ("负责人未知", "nobody known responsible"),
        "missed_by": ("漏巡责任人：{who}", "Missed by: {who}"),
        "longest_gap": (
            "最长无人间隔 {len}（{a} – {b}）",
            "Longest gap {len} ({a} – {b})",
        ),
        "no_gap": ("时段尚未开始", "The period has not begun"),
        "held_scan_would_meet": ("有待审核的扫码", "a scan pending review would meet it"),
        "standing_counted": ("已计入", "counted"),
        "standing_pending_review": ("待审核，未计入", "pending review, not counted"),
        "standing_rejected": ("已驳回", "rejected"),
        "flags": ("标记：{flags}", "flags: {flags}"),
        "close": ("关闭", "Close"),
        "out_of_order": ("未按顺序", "out of order"),
    }
)

MARKER_PX = 22  # drawn dot; the tap target around it is BIG (48 px)


class CoverageScreen(ScreenView):
    def __init__(self, console: Any) -> None:
        super().__init__(console)
        self.flt = MapFilter()
        self.gaps = False
        self.selected: str | None = None

    # -- actions -------------------------------------------------------------------------

    def _set_filter(self, name: str, value: str | None) -> None:
        value = None if value in (None, "", "*") else value
        f = self.flt
        if name == "route":
            self.flt = MapFilter(value, f.kind, f.area_type, f.person_id)
        elif name == "kind":
            self.flt = MapFilter(
                f.route_id, PointKind(value) if value else None, f.area_type, f.person_id
            )
        elif name == "area_type":
            self.flt = MapFilter(f.route_id, f.kind, value, f.person_id)
        elif name == "person":
            self.flt = MapFilter(f.route_id, f.kind, f.area_type, value)

    # -- building ------------------------------------------------------------------------

    def build(self) -> ft.Control:
        cmap = load_map(self.c.session, self.flt)
        wide = self.c.wide
        parts: list[ft.Control] = [self._filters(cmap), self._legend(cmap)]
        if not cmap.markers:
            parts.append(message(self.c.t("no_points")))
            return ft.Column(parts, scroll=ft.ScrollMode.AUTO, expand=True)
        if cmap.empty:
            parts.append(message(self.c.t("empty_period")))
        plan = plan_image(self.c.session)
        width = self._map_width(wide)
        if plan is None:
            parts.append(message(self.c.t("no_plan"), icon=ft.Icons.MAP_OUTLINED))
            parts.append(self._marker_list(cmap.markers))
        else:
            parts.append(self._map(cmap, plan, width))
            map_at = len(parts)
            if cmap.unplaced:
                parts.append(message(self.c.t("unplaced", n=len(cmap.unplaced))))
                parts.append(self._marker_list(cmap.unplaced))
        left = ft.Column(parts, scroll=ft.ScrollMode.AUTO, expand=True, spacing=8)
        detail = self._detail_panel(cmap)
        if wide:
            return ft.Row(
                [left, ft.VerticalDivider(width=1), ft.Container(detail, width=380)],
                expand=True,
                vertical_alignment=ft.CrossAxisAlignment.START,
            )
        if plan is not None and self.selected is not None:
            parts.insert(map_at, detail)  # a phone: the tapped point's detail under the map
        else:
            parts.append(detail)
        return ft.Column(parts, scroll=ft.ScrollMode.AUTO, expand=True, spacing=8)

    def _map_width(self, wide: bool) -> float:
        page_width = self.c.page.width or 1280
        if wide:
            return max(320, min(1100, page_width - 88 - 380 - 60))
        return max(280, page_width - 32)

    def _filters(self, cmap: CoverageMap) -> ft.Control:
        t = self.c.t

        def dropdown(
            name: str, label: str, value: str | None, options: dict[str, str]
        ) -> ft.Control:
            return ft.Dropdown(
                key=f"filter-{name}",
                label=label,
                tooltip=label,
                value=value or "*",
                options=[ft.DropdownOption(key="*", text=t("all"))]
                + [ft.DropdownOption(key=k, text=v) for k, v in options.items()],
                width=200,
                on_select=self.c.act(lambda e: self._set_filter(name, e.control.value)),
            )

        kinds = {k.value: t(f"kind_{k.value}") for k in PointKind}
        row = ft.Row(
            [
                dropdown("route", t("route"), self.flt.route_id, cmap.routes),
                dropdown(
                    "kind", t("point_kind"), self.flt.kind.value if self.flt.kind else None, kinds
                ),
                dropdown("area_type", t("area_type"), self.flt.area_type, cmap.area_types),
                dropdown("person", t("person"), self.flt.person_id, cmap.people),
                ft.Container(
                    toggle(t("gap_view"), self.gaps, self.c.act(self._toggle_gaps)),
                    height=BIG,
                ),
            ],
            wrap=True,
            spacing=8,
            run_spacing=8,
        )
        # Room above for the first field's floating label, or the scroller cuts it.
        return ft.Container(row, padding=ft.Padding.only(top=8))

    def _toggle_gaps(self, on: bool) -> None:
        self.gaps = on

    def _legend(self, cmap: CoverageMap) -> ft.Control:
        t = self.c.t
        items: list[ft.Control] = []
        if self.gaps:
            hours = [0, *(int(g.total_seconds() // 3600) for g in GAP_LEVELS)]
            items.append(ft.Text(t("gap_legend"), weight=ft.FontWeight.BOLD))
            for i in range(len(GAP_LEVELS)):
                items.append(_chip(GAP_COLOURS[i], t("hours_range", a=hours[i], b=hours[i + 1])))
            items.append(_chip(GAP_COLOURS[-1], t("hours_over", h=hours[-1])))
            items.append(_chip(NO_DATA_COLOUR, t("no_gap")))
        elif cmap.by_share:
            lo, hi = round(cmap.threshold * 100), round(COVERED_SHARE * 100)
            items.append(ft.Text(t("band_legend"), weight=ft.FontWeight.BOLD))
            for band in ShareBand:
                items.append(
                    _chip(
                        BAND_COLOURS[band],
                        f"{t(f'band_{band.value}', lo=lo, hi=hi)} {cmap.count(band)}",
                    )
                )
        else:
            for status in MapStatus:
                items.append(
                    _chip(
                        STATUS_COLOURS[status],
                        f"{t(f'status_{status.value}')} {cmap.count(status)}",
                    )
                )
        return ft.Row(items, wrap=True, spacing=12, run_spacing=4)

    def _map(self, cmap: CoverageMap, plan: tuple[bytes, int, int], width: float) -> ft.Control:
        data, pw, ph = plan
        height = width * ph / pw
        layers: list[ft.Control] = [
            ft.Image(src=data, width=width, height=height, fit=ft.BoxFit.FILL)
        ]
        for m in cmap.placed:
            assert m.x is not None and m.y is not None
            selected = m.point_id == self.selected
            dot = ft.Container(
                width=MARKER_PX + (6 if selected else 0),
                height=MARKER_PX + (6 if selected else 0),
                shape=ft.BoxShape.CIRCLE,
                bgcolor=marker_colour(m, self.gaps),
                border=ft.Border.all(
                    3 if selected else 2, ft.Colors.BLACK if selected else ft.Colors.WHITE
                ),
            )
            layers.append(
                ft.Container(
                    ft.Semantics(content=dot, label=f"点位 {m.point_id} {m.name}", button=True),
                    key=f"marker-{m.point_id}",
                    left=m.x * width - BIG / 2,
                    top=m.y * height - BIG / 2,
                    width=BIG,
                    height=BIG,
                    alignment=ft.Alignment.CENTER,
                    tooltip=m.name,
                )
            )

        def tap(event: Any) -> None:
            """The nearest marker within reach of the tap (see `nearest_marker`)."""
            pos = event.local_position
            if pos is not None:
                hit = nearest_marker(cmap.placed, pos.x, pos.y, width, height, BIG * 0.75)
                if hit is not None:
                    self._select(hit)

        return ft.Container(
            ft.GestureDetector(
                content=ft.Stack(
                    layers, width=width, height=height, clip_behavior=ft.ClipBehavior.NONE
                ),
                on_tap_down=self.c.act(tap),
            ),
            key="coverage-map",
        )

    def _select(self, point_id: str) -> None:
        self.selected = point_id

    def _marker_list(self, markers: list[Marker]) -> ft.Control:
        return ft.Column(
            [
                ft.ListTile(
                    leading=ft.Container(
                        width=20,
                        height=20,
                        shape=ft.BoxShape.CIRCLE,
                        bgcolor=marker_colour(m, self.gaps),
                    ),
                    title=ft.Text(m.name),
                    subtitle=ft.Text(self._summary(m)),
                    on_click=self.c.act(lambda _, pid=m.point_id: self._select(pid)),
                    min_height=BIG,
                )
                for m in markers
            ],
            spacing=0,
        )

    def _summary(self, m: Marker) -> str:
        t = self.c.t
        parts = [t(f"status_{m.status.value}"), t("expected_visits", n=m.expected)]
        # The share counts the visits already judged, not those to come or held for review.
        judged = m.expected - m.upcoming - m.held
        if m.band is not None and judged > 0:
            met = m.on_time + m.late + m.early
            parts.insert(1, t("covered_share", n=judged, p=round(100 * met / judged)))
        if m.responsible:
            parts.append(t("missed_by", who="、".join(m.responsible)))
        return " · ".join(parts)

    # -- detail --------------------------------------------------------------------------

    def _detail_panel(self, cmap: CoverageMap) -> ft.Control:
        t = self.c.t
        if self.selected is None or not any(m.point_id == self.selected for m in cmap.markers):
            return ft.Container(ft.Text(t("tap_marker"), color=GREY, size=16), padding=16)
        detail = load_detail(self.c.session, self.selected, self.flt)
        if detail is None:
            return message(t("not_found"), error=True)
        return ft.Container(self._detail(detail), padding=ft.Padding.only(left=12), key="detail")

    def _detail(self, d: PointDetail) -> ft.Control:
        t, tz = self.c.t, self.c.session.tz()
        m = d.marker

        def hm(at: datetime) -> str:
            return f"{at.astimezone(tz):%m-%d %H:%M}"

        rows: list[ft.Control] = [
            ft.Row(
                [
                    ft.Text(m.name, size=20, weight=ft.FontWeight.BOLD, expand=True),
                    ft.IconButton(
                        ft.Icons.CLOSE,
                        tooltip=t("close"),
                        width=BIG,
                        height=BIG,
                        on_click=self.c.act(lambda _: self._select_none()),
                    ),
                ]
            ),
            ft.Text(f"{m.zone} · {t('kind_' + m.kind.value)} · {self._summary(m)}"),
        ]
        if m.gap is None:
            rows.append(ft.Text(t("no_gap"), color=GREY))
        else:
            rows.append(
                ft.Text(
                    t(
                        "longest_gap",
                        len=self._duration(m.gap.length),
                        a=hm(m.gap.start),
                        b=hm(m.gap.end),
                    ),
                    color=RED if (m.gap_level or 0) >= len(GAP_LEVELS) else None,
                    weight=ft.FontWeight.BOLD,
                )
            )
        rows.append(ft.Text(t("visits"), size=16, weight=ft.FontWeight.BOLD))
        if not d.visits:
            rows.append(ft.Text(t("no_visits"), color=GREY))
        for v in d.visits:
            colour = STATUS_COLOURS[MapStatus(v.status.value)]
            if v.scan_id:
                what = t(
                    "scanned_by", who=v.scanned_by, at=hm(v.scanned_at) if v.scanned_at else ""
                )
            elif v.status is VisitStatus.MISSED:
                what = t("responsible", who=v.responsible) if v.responsible else t("nobody_known")
            else:
                what = ""
            extra = []
            if v.pending_scan_id:
                extra.append(t("held_scan_would_meet"))
            if v.out_of_order:
                extra.append(t("out_of_order"))
            rows.append(
                ft.Row(
                    [
                        _chip(colour, t(f"status_{v.status.value}")),
                        ft.Text(
                            " · ".join(x for x in (hm(v.due), v.route_name, what, *extra) if x),
                            expand=True,
                        ),
                    ],
                    vertical_alignment=ft.CrossAxisAlignment.START,
                )
            )
        rows.append(ft.Text(t("scans"), size=16, weight=ft.FontWeight.BOLD))
        if not d.scans:
            rows.append(ft.Text(t("no_scans"), color=GREY))
        for s in d.scans:
            line = f"{hm(s.at)} · {s.by} · {t('standing_' + s.standing.value)}"
            if s.flags:
                line += " · " + t("flags", flags=flag_names(s.flags, self.c.session.lang))
            rows.append(ft.Text(line, color=RED if s.standing is not Standing.COUNTED else None))
            thumbs = self.thumbnails(s.photos, 96, limit=4)
            if thumbs is not None:
                rows.append(thumbs)
        return ft.Column(rows, scroll=ft.ScrollMode.AUTO, spacing=6)

    def _select_none(self) -> None:
        self.selected = None

    def _duration(self, length: timedelta) -> str:
        return duration(length.total_seconds(), self.c.session.lang)


def _chip(colour: str, text: str) -> ft.Control:
    return ft.Row(
        [
            ft.Container(width=16, height=16, shape=ft.BoxShape.CIRCLE, bgcolor=colour),
            ft.Text(text),
        ],
        spacing=4,
        tight=True,
    )
