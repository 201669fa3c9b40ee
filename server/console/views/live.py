"""Live view for leads: alerts first (red until acknowledged), then the rounds in
progress with their progress, then what is due next. Refreshes itself every 30 s."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import flet as ft

from domain.coverage import RoundState
from server.console.i18n import register
from server.console.models.live import acknowledge, alerts_to_show, load_live
from server.console.refusals import refusal_text
from server.console.views.base import BIG, GREY, RED, ScreenView, big_button, message
from server.live import Alert, AlertKind, AlertRefused, LiveRound

__all__ = ["LiveScreen"]

register(
    {
        "alerts": ("告警", "Alerts"),
        "no_alerts": ("当前没有告警", "No alerts now"),
        "alert_not_started": ("未按时开始", "Not started"),
        "alert_low_completion": ("完成率低于 {p}%", "Completion below {p}%"),
        "alert_overdue_rectification": ("整改超期", "Rectification overdue"),
        "more_overdue": ("另有 {n} 项整改超期", "{n} more overdue rectifications"),
        "open_rectifications": ("到整改跟进查看", "See them in Rectifications"),
        "expected_person": ("应由 {who}", "expected: {who}"),
        "assigned_person": ("负责人 {who}", "assigned to {who}"),
        "acknowledge": ("确认", "Acknowledge"),
        "ack_comment": ("备注（可选）", "Comment (optional)"),
        "ack_title": ("确认告警", "Acknowledge alert"),
        "acked_by": ("{who} 已于 {at} 确认：{comment}", "acknowledged by {who} at {at}: {comment}"),
        "acked": ("已确认", "Acknowledged"),
        "alert_gone": ("该告警已不存在", "That alert is gone"),
        "cancel": ("取消", "Cancel"),
        "in_progress": ("进行中的巡更", "Rounds now"),
        "nothing_in_progress": ("当前没有进行中的巡更", "No round in progress"),
        "next_due": ("即将开始", "Next due"),
        "nothing_due": ("接下来6小时没有排班", "Nothing due in the next 6 hours"),
        "round_state_in_progress": ("进行中", "in progress"),
        "round_state_not_started": ("待开始", "waiting to start"),
        "round_state_upcoming": ("未开始", "upcoming"),
        "walked_by": ("巡更人 {who}", "walked by {who}"),
        "updated_at": ("更新于 {at}（每30秒自动刷新）", "Updated {at} (refreshes every 30 s)"),
    }
)


class LiveScreen(ScreenView):
    refresh_seconds = 30

    def build(self) -> ft.Control:
        view = load_live(self.c.session)
        t, tz = self.c.t, self.c.session.tz()

        def hm(at: datetime) -> str:
            return f"{at.astimezone(tz):%m-%d %H:%M}"

        parts: list[ft.Control] = [
            ft.Text(t("updated_at", at=f"{view.now.astimezone(tz):%H:%M:%S}"), color=GREY),
            ft.Text(t("alerts"), size=20, weight=ft.FontWeight.BOLD),
        ]
        if not view.alerts:
            parts.append(message(t("no_alerts"), icon=ft.Icons.CHECK_CIRCLE_OUTLINE))
        shown, left_out = alerts_to_show(view.alerts)
        for alert in shown:
            parts.append(self._alert(alert, view.threshold, hm))
        if left_out:
            more: list[ft.Control] = [ft.Text(t("more_overdue", n=left_out), color=RED, size=16)]
            if "rectifications" in {s.key for s in self.c.screens()}:
                more.append(
                    ft.TextButton(
                        t("open_rectifications"),
                        height=BIG,
                        on_click=lambda _: self.c.open("rectifications"),
                    )
                )
            parts.append(ft.Row(more, wrap=True))
        parts.append(ft.Text(t("in_progress"), size=20, weight=ft.FontWeight.BOLD))
        if not view.in_progress:
            parts.append(ft.Text(t("nothing_in_progress"), color=GREY))
        for r in view.in_progress:
            parts.append(self._round(r, hm))
        parts.append(ft.Text(t("next_due"), size=20, weight=ft.FontWeight.BOLD))
        if not view.next_due:
            parts.append(ft.Text(t("nothing_due"), color=GREY))
        for r in view.next_due:
            parts.append(self._round(r, hm))
        return ft.Column(parts, scroll=ft.ScrollMode.AUTO, expand=True, spacing=10)

    def _alert(self, alert: Alert, threshold: float, hm: Any) -> ft.Control:
        t = self.c.t
        if alert.kind is AlertKind.LOW_COMPLETION:
            title = t("alert_low_completion", p=round(threshold * 100))
        else:
            title = t(f"alert_{alert.kind.value}")
        who = ""
        if alert.expected:
            key = (
                "assigned_person"
                if alert.kind is AlertKind.OVERDUE_RECTIFICATION
                else ("expected_person")
            )
            who = t(key, who=alert.expected)
        line = " · ".join(x for x in (hm(alert.at), alert.subject, alert.detail, who) if x)
        texts: list[ft.Control] = [
            ft.Text(
                title,
                size=18,
                weight=ft.FontWeight.BOLD,
                color=ft.Colors.WHITE if alert.ack is None else None,
            ),
            ft.Text(line, color=ft.Colors.WHITE if alert.ack is None else None),
        ]
        if alert.ack is not None:
            texts.append(
                ft.Text(
                    t("acked_by", who=alert.ack.by, at=hm(alert.ack.at), comment=alert.ack.comment),
                    color=GREY,
                )
            )
        row: list[ft.Control] = [ft.Column(texts, expand=True, spacing=2)]
        if alert.ack is None:
            row.append(
                big_button(
                    t("acknowledge"),
                    self._asker(alert),
                    icon=ft.Icons.CHECK,
                    colour=ft.Colors.WHITE,
                    text_colour=RED,
                    key=f"ack-{alert.key}",
                )
            )
        return ft.Container(
            ft.Row(row, vertical_alignment=ft.CrossAxisAlignment.CENTER),
            bgcolor=RED if alert.ack is None else ft.Colors.GREY_200,
            border_radius=8,
            padding=12,
        )

    def _asker(self, alert: Alert) -> Any:
        def ask(_: Any) -> None:
            self._ask(alert)

        return ask

    def _ask(self, alert: Alert) -> None:
        t = self.c.t
        comment = ft.TextField(label=t("ack_comment"), max_length=500, multiline=True, width=420)
        dialog: ft.AlertDialog

        async def confirm(_: Any) -> None:
            self.c.page.pop_dialog()
            try:
                acknowledge(self.c.session, alert.key, comment.value or "")
                self.c.toast(t("acked"))
            except LookupError:
                self.c.toast(t("alert_gone"), error=True)
            except AlertRefused as refused:
                self.c.toast(refusal_text(refused, self.c.session.lang), error=True)

        dialog = ft.AlertDialog(
            modal=True,
            title=ft.Text(t("ack_title")),
            content=ft.Column(
                [ft.Text(f"{alert.subject} {alert.detail}"), comment], tight=True, spacing=12
            ),
            actions=[
                ft.TextButton(t("cancel"), on_click=lambda _: self.c.page.pop_dialog(), height=BIG),
                big_button(t("acknowledge"), self.c.act(confirm), key="ack-confirm"),
            ],
        )
        self.c.page.show_dialog(dialog)

    def _round(self, r: LiveRound, hm: Any) -> ft.Control:
        t = self.c.t
        late = r.state is RoundState.NOT_STARTED
        state = t(f"round_state_{r.state.value}")
        bits = [hm(r.due), r.route_name, state, f"{r.done}/{r.total}"]
        if r.walker:
            bits.append(t("walked_by", who=r.walker))
        return ft.Container(
            ft.Column(
                [
                    ft.Text(" · ".join(bits), size=16, color=RED if late else None),
                    ft.ProgressBar(
                        value=r.share, color=RED if late else ft.Colors.GREEN_700, bar_height=10
                    ),
                ],
                spacing=4,
            ),
            padding=ft.Padding.symmetric(vertical=4),
        )
