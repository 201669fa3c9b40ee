"""Review queue: flagged records with their evidence (position on the plan, photos,
times, the person's nearby scans); a reviewer accepts or rejects each with a reason,
recorded as a new review record."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal

import flet as ft

from server.console.i18n import duration, register, t
from server.console.models.coverage import plan_image
from server.console.models.review import PAGE, decide, load_counts, load_item, load_queue
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
from server.review import ReviewRefused

__all__ = ["ReviewScreen", "flag_names"]

register(
    {
        "queue_unreviewed": ("待审核 {n}", "To review {n}"),
        "queue_reviewed": ("已审核 {n}", "Reviewed {n}"),
        "queue_all": ("全部", "All"),
        "queue_metres": ("{m} 米", "{m} m"),
        "held_only": ("只看未计入覆盖的", "Only those held out of coverage"),
        "queue_empty": ("没有需要审核的记录", "Nothing waits for review"),
        "pick_record": ("选择一条记录查看证据", "Pick a record to see its evidence"),
        "back_to_list": ("返回列表", "Back to the list"),
        "own_record": (
            "这是您自己的记录：请由其他主管审核",
            "Your own record: another reviewer decides",
        ),
        "flag_clock_skew": ("手机时间偏差", "phone clock off"),
        "flag_future_device_time": ("时间在未来", "time in the future"),
        "flag_far_from_point": ("距离点位过远", "far from the point"),
        "flag_impossible_speed": ("移动速度不可能", "impossible speed"),
        "flag_scans_seconds_apart": ("相隔几秒连续扫码", "scans seconds apart"),
        "flag_repeated_scan": ("重复扫码", "repeated scan"),
        "flag_scan_burst": ("短时间大量扫码", "burst of scans"),
        "flag_photo_reused": ("照片重复使用", "photo reused"),
        "flag_bad_label_signature": ("二维码签名无效", "label signature invalid"),
        "flag_foreign_label": ("其他项目的二维码", "another site's label"),
        "flag_not_a_label": ("不是本系统二维码", "not a Rounds label"),
        "flag_typed_code": ("手动输入编码", "code typed in"),
        "flag_revoked_label": ("已作废的旧标签（已重印）", "label replaced by a reprint"),
        "kind_scan": ("扫码", "scan"),
        "kind_inspection": ("检查", "inspection"),
        "kind_anomaly": ("异常", "anomaly"),
        "held_out": ("未计入覆盖，等待审核", "held out of coverage until reviewed"),
        "device_time": ("手机时间 {at}", "phone time {at}"),
        "received": ("服务器收到 {at}（晚 {after}）", "received {at} ({after} later)"),
        "distance": ("距点位 {m} 米（半径 {r} 米）", "{m} m from the point (radius {r} m)"),
        "no_gps": ("没有定位", "no GPS fix"),
        "nearby": ("同一人前后30分钟的扫码", "Same person's scans within 30 min"),
        "no_nearby": ("前后30分钟没有其他扫码", "No other scans within 30 min"),
        "time_before": ("{d}前", "{d} before"),
        "time_after": ("{d}后", "{d} after"),
        "reviews": ("审核记录", "Reviews"),
        "verdict_accept": ("通过", "accepted"),
        "verdict_reject": ("驳回", "rejected"),
        "reviewed_by": ("{who} {at} {verdict}：{reason}", "{who} {at} {verdict}: {reason}"),
        "reason": ("理由（驳回必填）", "Reason (needed to reject)"),
        "accept": ("通过", "Accept"),
        "reject": ("驳回", "Reject"),
        "review_saved": ("已记录审核结果", "Review recorded"),
        "more": ("下一页", "Next page"),
        "back_page": ("上一页", "Previous page"),
        "position_on_plan": ("点位在平面图上的位置", "The point on the plan"),
    }
)

State = Literal["unreviewed", "reviewed", "all"]


def flag_names(flags: Iterable[str], lang: str) -> str:
    """The flags' names in `lang` (`domain.signals.Flag` values; one this console has no
    name for shows as it is), for every screen that lists a record's flags."""
    names = []
    for flag in flags:
        key = f"flag_{flag}"
        name = t(key, lang)
        names.append(flag if name == key else name)
    return ("、" if lang == "zh" else ", ").join(names)


class ReviewScreen(ScreenView):
    def __init__(self, console: Any) -> None:
        super().__init__(console)
        self.state: State = "unreviewed"
        self.held_only = False
        self.offset = 0
        self.selected: str | None = None

    def build(self) -> ft.Control:
        t = self.c.t
        counts = load_counts(self.c.session)
        page = load_queue(self.c.session, self.state, self.held_only, self.offset)
        tabs = ft.SegmentedButton(
            selected=[self.state],
            segments=[
                ft.Segment(
                    value="unreviewed", label=ft.Text(t("queue_unreviewed", n=counts["unreviewed"]))
                ),
                ft.Segment(
                    value="reviewed", label=ft.Text(t("queue_reviewed", n=counts["reviewed"]))
                ),
                ft.Segment(value="all", label=ft.Text(t("queue_all"))),
            ],
            show_selected_icon=False,
            style=TALL_SEGMENTS,
            on_change=self.c.act(self._set_state),
        )
        header = ft.Row(
            [
                tabs,
                toggle(t("held_only"), self.held_only, self.c.act(self._set_held)),
            ],
            wrap=True,
            spacing=16,
        )
        items: list[ft.Control] = [self._row(item) for item in page["data"]]
        if not items:
            items.append(message(t("queue_empty"), icon=ft.Icons.CHECK_CIRCLE_OUTLINE))
        pager: list[ft.Control] = []
        if self.offset:
            pager.append(
                ft.TextButton(
                    t("back_page"), height=BIG, on_click=self.c.act(lambda _: self._page(-1))
                )
            )
        if self.offset + page["count"] < page["total"]:
            pager.append(
                ft.TextButton(t("more"), height=BIG, on_click=self.c.act(lambda _: self._page(1)))
            )
        if pager:
            items.append(ft.Row(pager))
        listing = ft.Column(items, scroll=ft.ScrollMode.AUTO, spacing=4)
        detail = self._detail()
        if self.c.wide:
            body: ft.Control = ft.Row(
                [
                    ft.Container(listing, width=420),
                    ft.VerticalDivider(width=1),
                    ft.Container(detail, expand=True),
                ],
                expand=True,
                vertical_alignment=ft.CrossAxisAlignment.START,
            )
        elif self.selected is not None:  # a phone: the record on its own, then back
            back = ft.TextButton(
                t("back_to_list"),
                icon=ft.Icons.ARROW_BACK,
                height=BIG,
                on_click=self.c.act(lambda _: self._select(None)),
            )
            return ft.Column([back, detail], scroll=ft.ScrollMode.AUTO, expand=True)
        else:
            body = ft.Column([listing], scroll=ft.ScrollMode.AUTO, expand=True)
        return ft.Column([header, body], expand=True, spacing=8)

    # -- actions -------------------------------------------------------------------------

    def _set_state(self, event: Any) -> None:
        selected = list(event.control.selected or [])
        if selected and selected[0] in ("unreviewed", "reviewed", "all"):
            self.state = selected[0]
            self.offset = 0

    def _set_held(self, on: bool) -> None:
        self.held_only = on
        self.offset = 0

    def _page(self, direction: int) -> None:
        self.offset = max(0, self.offset + direction * PAGE)

    def _select(self, record_id: str | None) -> None:
        self.selected = record_id

    # -- building ------------------------------------------------------------------------

    def _when(self, text: str) -> str:
        try:
            at = datetime.fromisoformat(text)
        except (TypeError, ValueError):
            return str(text)
        return f"{at.astimezone(self.c.session.tz()):%m-%d %H:%M:%S}"

    def _flags(self, flags: list[str]) -> str:
        return flag_names(flags, self.c.session.lang)

    def _row(self, item: dict[str, Any]) -> ft.Control:
        point = item.get("point") or {}
        held = bool(item.get("holding_flags"))
        selected = item["id"] == self.selected
        return ft.Container(
            ft.Column(
                [
                    ft.Text(
                        f"{self._when(item['device_time'])} · {item['user_name']} · "
                        f"{point.get('name', '')}",
                        weight=ft.FontWeight.BOLD,
                    ),
                    ft.Text(self._flags(item["flags"]), color=RED if held else None),
                ],
                spacing=2,
            ),
            key=f"review-{item['id']}",
            # 14 px above and below: a row of one short line is still a 48 px target
            padding=ft.Padding.symmetric(vertical=14, horizontal=10),
            border_radius=8,
            bgcolor=ft.Colors.BLUE_50 if selected else None,
            on_click=self.c.act(lambda _, rid=item["id"]: self._select(rid)),
        )

    def _detail(self) -> ft.Control:
        t = self.c.t
        if self.selected is None:
            return ft.Container(ft.Text(t("pick_record"), color=GREY, size=16), padding=16)
        item = load_item(self.c.session, self.selected)
        if item is None:
            self.selected = None
            return message(t("not_found"), error=True)
        point = item.get("point") or {}
        rows: list[ft.Control] = [
            ft.Text(
                f"{t('kind_' + item['kind'])} · {point.get('name', '')} · {item['user_name']}",
                size=20,
                weight=ft.FontWeight.BOLD,
            ),
            ft.Text(self._flags(item["flags"]), color=RED, size=16),
        ]
        if item.get("standing") == "pending_review":
            rows.append(ft.Text(t("held_out"), color=RED))
        rows.append(ft.Text(t("device_time", at=self._when(item["device_time"]))))
        rows.append(
            ft.Text(
                t(
                    "received",
                    at=self._when(item["received_at"]),
                    after=duration(item.get("received_after_seconds") or 0, self.c.session.lang),
                )
            )
        )
        if item.get("distance_m") is not None:
            rows.append(ft.Text(t("distance", m=item["distance_m"], r=point.get("radius_m", ""))))
        elif item.get("gps") is None:
            rows.append(ft.Text(t("no_gps"), color=GREY))
        position = self._position(point)
        if position is not None:
            rows.append(position)
        thumbs = self.thumbnails(item.get("photos", []), 160)
        if thumbs is not None:
            rows.append(thumbs)
        if item.get("reviews"):
            rows.append(ft.Text(t("reviews"), size=16, weight=ft.FontWeight.BOLD))
            for r in item["reviews"]:
                rows.append(
                    ft.Text(
                        t(
                            "reviewed_by",
                            who=r["reviewer_name"],
                            at=self._when(r["at"]),
                            verdict=t("verdict_" + r["verdict"]),
                            reason=r["reason"],
                        )
                    )
                )
        rows.append(self._verdict_form(item["id"], item["user_id"] == self.c.session.user_id))
        rows.append(ft.Text(t("nearby"), size=16, weight=ft.FontWeight.BOLD))
        if not item.get("nearby_scans"):
            rows.append(ft.Text(t("no_nearby"), color=GREY))
        for scan in item.get("nearby_scans", []):
            extra = f" · {self._flags(scan['flags'])}" if scan.get("flags") else ""
            far = (
                f" · {t('queue_metres', m=scan['distance_m'])}"
                if scan.get("distance_m") is not None
                else ""
            )
            apart_s = scan["seconds_from_this"]
            apart = t(
                "time_before" if apart_s < 0 else "time_after",
                d=duration(apart_s, self.c.session.lang),
            )
            when = self._when(scan["device_time"])
            rows.append(ft.Text(f"{when} ({apart}) · {scan['point_name']}{far}{extra}"))
        return ft.Column(rows, scroll=ft.ScrollMode.AUTO, spacing=6, key="review-detail")

    def _position(self, point: dict[str, Any]) -> ft.Control | None:
        x, y = point.get("plan_x"), point.get("plan_y")
        if x is None or y is None:
            return None
        plan = plan_image(self.c.session)
        if plan is None:
            return None
        data, pw, ph = plan
        width = 320.0
        height = width * ph / pw
        return ft.Column(
            [
                ft.Text(self.c.t("position_on_plan"), color=GREY),
                ft.Stack(
                    [
                        ft.Image(src=data, width=width, height=height, fit=ft.BoxFit.FILL),
                        ft.Container(
                            left=x * width - 10,
                            top=y * height - 10,
                            width=20,
                            height=20,
                            shape=ft.BoxShape.CIRCLE,
                            bgcolor=RED,
                            border=ft.Border.all(2, ft.Colors.WHITE),
                        ),
                    ],
                    width=width,
                    height=height,
                ),
            ],
            spacing=4,
        )

    def _verdict_form(self, record_id: str, own: bool) -> ft.Control:
        t = self.c.t
        if own:  # the rule `decide` enforces, said before anyone taps
            return ft.Text(t("own_record"), color=GREY, size=16)
        form = f"review:{record_id}"
        typed = self.c.draft(form, reason="")
        reason = ft.TextField(
            label=t("reason"),
            value=typed["reason"],
            max_length=500,
            multiline=True,
            on_change=lambda e: typed.__setitem__("reason", e.control.value or ""),
        )

        def verdict(kind: str) -> Any:
            def run(_: Any) -> None:
                try:
                    decide(self.c.session, record_id, kind, typed["reason"])
                    self.c.forget_draft(form)
                    self.c.toast(t("review_saved"))
                except ReviewRefused as refused:
                    self.c.toast(refusal_text(refused, self.c.session.lang), error=True)
                except KeyError:
                    self.c.toast(t("not_found"), error=True)

            return self.c.act(run)

        return ft.Column(
            [
                reason,
                ft.Row(
                    [
                        big_button(
                            t("accept"),
                            verdict("accept"),
                            icon=ft.Icons.CHECK,
                            colour=ft.Colors.GREEN_700,
                            key="accept",
                        ),
                        big_button(
                            t("reject"),
                            verdict("reject"),
                            icon=ft.Icons.CLOSE,
                            colour=RED,
                            key="reject",
                        ),
                    ],
                    spacing=12,
                ),
            ],
            spacing=8,
        )
