"""Rectifications (整改): list to assign, follow and close; overdue in red, escalated to
the manager marked and counted; history with before/after photos and re-check comments.
Every step is a new row or record."""

from __future__ import annotations

from typing import Any

import flet as ft

from domain.models import Role
from server.console.i18n import register
from server.console.models.tickets import (
    load_rectification,
    load_rectifications,
    rectification_step,
    site_people,
)
from server.console.views.base import GREY, RED, ScreenView, big_button, message
from server.rectification_followup import FollowUpRefused

__all__ = ["RectificationsScreen"]

register(
    {
        "screen_rectifications": ("整改跟进", "Rectifications"),
        "rc_active": ("未关闭", "Not closed"),
        "rc_escalated": ("已升级", "Escalated"),
        "rc_closed": ("已关闭", "Closed"),
        "rc_void": ("已作废", "Void"),
        "rc_empty": ("没有整改", "No rectifications"),
        "rc_pick": ("选择一项整改查看详情", "Pick a rectification to see it"),
        "rc_counts": (
            "待整改 {open} · 待复检 {fixed} · 超期 {overdue} · 已升级 {escalated}",
            "Open {open} · To re-check {fixed} · Overdue {overdue} · Escalated {escalated}",
        ),
        "rc_escalated_to_you": (
            "{n} 项整改超期已升级给您（经理）",
            "{n} overdue rectifications escalated to you (manager)",
        ),
        "rc_state_open": ("待整改", "open"),
        "rc_state_fixed": ("待复检", "to re-check"),
        "rc_state_closed": ("已关闭", "closed"),
        "rc_state_void": (
            "已作废（检查经审核驳回，仅留作证据）",
            "void (inspection rejected on review, kept as evidence)",
        ),
        "rc_overdue": ("超期", "overdue"),
        "rc_escalated_badge": ("已升级至经理", "escalated to manager"),
        "rc_deadline": ("期限 {at}", "due {at}"),
        "rc_h_opened": ("发起整改", "opened"),
        "rc_h_assign": ("改派给 {who}", "reassigned to {who}"),
        "rc_h_comment": ("跟进", "follow-up"),
        "rc_h_fixed": ("已整改", "fixed"),
        "rc_h_passed": ("复检合格", "re-check passed"),
        "rc_h_sent_back": ("复检不合格，退回", "re-check failed, sent back"),
        "rc_h_escalated": ("超期升级至经理", "escalated to the manager"),
        "rc_note": ("备注 / 复检意见", "Note / re-check comment"),
        "rc_assignee": ("整改人", "Assignee"),
        "rc_assign": ("改派", "Reassign"),
        "rc_comment": ("跟进", "Comment"),
        "rc_pass": ("复检合格并关闭", "Passed: close"),
        "rc_send_back": ("退回重做", "Send back"),
        "rc_saved": ("已记录", "Recorded"),
    }
)


class RectificationsScreen(ScreenView):
    def __init__(self, console: Any) -> None:
        super().__init__(console)
        self.state = "active"
        self.selected: str | None = None

    def build(self) -> ft.Control:
        t = self.c.t
        page = load_rectifications(self.c.session, self.state)  # type: ignore[arg-type]
        head: list[ft.Control] = []
        if self.c.role() in (Role.MANAGER, Role.ADMIN) and page["counts"]["escalated"]:
            head.append(
                ft.Text(t("rc_escalated_to_you", n=page["counts"]["escalated"]), color=RED,
                        size=18, weight=ft.FontWeight.BOLD)
            )  # fmt: skip
        tabs = ft.Row(
            [
                big_button(t(f"rc_{s}"), self.c.act(lambda _, s=s: self._state(s)),
                           filled=self.state == s)
                for s in ("active", "escalated", "closed", "void")
            ]
            + [ft.Text(t("rc_counts", **page["counts"]), size=16)],
            wrap=True,
        )  # fmt: skip
        rows: list[ft.Control] = [self._row(i) for i in page["data"]]
        if not rows:
            rows.append(message(t("rc_empty"), icon=ft.Icons.CHECK_CIRCLE_OUTLINE))
        listing = ft.Column(rows, scroll=ft.ScrollMode.AUTO, spacing=4)
        detail = self._detail()
        if self.c.wide:
            body: ft.Control = ft.Row(
                [ft.Container(listing, width=440), ft.VerticalDivider(width=1),
                 ft.Container(detail, expand=True)],
                expand=True, vertical_alignment=ft.CrossAxisAlignment.START,
            )  # fmt: skip
        else:
            body = ft.Column(
                [listing, ft.Divider(), detail], scroll=ft.ScrollMode.AUTO, expand=True
            )
        return ft.Column([*head, tabs, body], expand=True, spacing=8)

    def _state(self, state: str) -> None:
        self.state, self.selected = state, None

    def _item(self, item: dict[str, Any]) -> str:
        return item["item_zh"] if self.c.session.lang == "zh" else item["item_en"]

    def _status(self, item: dict[str, Any]) -> tuple[str, bool]:
        t = self.c.t
        parts = [t("rc_state_" + item["state"])]
        late = item["overdue"] and item["state"] != "closed"
        if late:
            parts.append(t("rc_overdue"))
        if item["escalated"]:
            parts.append(t("rc_escalated_badge"))
        return " · ".join(parts), late

    def _row(self, item: dict[str, Any]) -> ft.Control:
        status, late = self._status(item)
        return ft.Container(
            ft.Column(
                [
                    ft.Text(f"{item['point_name']} · {self._item(item)}",
                            weight=ft.FontWeight.BOLD),
                    ft.Text(f"{status} · {item['assignee_name'] or ''} · "
                            f"{self.c.t('rc_deadline', at=self.local_time(item['deadline']))}",
                            color=RED if late else GREY),
                ],
                spacing=2,
            ),
            key=f"rect-{item['id']}",
            padding=10,
            border_radius=8,
            bgcolor=ft.Colors.RED_50 if item["escalated"] else (
                ft.Colors.BLUE_50 if item["id"] == self.selected else None),
            on_click=self.c.act(lambda _, i=item["id"]: setattr(self, "selected", i)),
        )  # fmt: skip

    def _detail(self) -> ft.Control:
        t = self.c.t
        if self.selected is None:
            return ft.Container(ft.Text(t("rc_pick"), color=GREY, size=16), padding=16)
        item = load_rectification(self.c.session, self.selected)
        if item is None:
            self.selected = None
            return message(t("not_found"), error=True)
        status, late = self._status(item)
        rows: list[ft.Control] = [
            ft.Text(f"{item['point_name']} · {self._item(item)}", size=20,
                    weight=ft.FontWeight.BOLD),
            ft.Text(f"{status} · {t('rc_deadline', at=self.local_time(item['deadline']))}",
                    color=RED if late else None, size=16),
        ]  # fmt: skip
        for h in item["history"]:
            what = t("rc_h_" + h["kind"], who=h.get("assignee_name") or "")
            colour = RED if h["kind"] in ("escalated", "sent_back") else None
            rows.append(
                ft.Text(f"{self.local_time(h['at'])} {h['by_name']} {what} {h['note']}",
                        color=colour, size=15)
            )  # fmt: skip
            thumbs = self.thumbnails(h.get("photos") or [], 140)
            if thumbs is not None:
                rows.append(thumbs)
        rows.append(self._form(item))
        return ft.Column(rows, scroll=ft.ScrollMode.AUTO, spacing=6, key="rect-detail")

    def _form(self, item: dict[str, Any]) -> ft.Control:
        t = self.c.t
        note = ft.TextField(label=t("rc_note"), max_length=1000, multiline=True, key="rect-note")
        who = ft.Dropdown(
            label=t("rc_assignee"),
            options=[
                ft.dropdown.Option(key=p["id"], text=p["name"]) for p in site_people(self.c.session)
            ],
            width=220,
        )

        def step(action: str, passed: bool | None = None) -> Any:
            def run(_: Any) -> None:
                try:
                    rectification_step(
                        self.c.session, item["id"], action, note.value or "", who.value, passed
                    )
                    self.c.toast(t("rc_saved"))
                except FollowUpRefused as refused:
                    self.c.toast(str(refused), error=True)
                except KeyError:
                    self.c.toast(t("not_found"), error=True)

            return self.c.act(run)

        buttons: list[ft.Control] = [big_button(t("rc_comment"), step("comment"), filled=False)]
        if item["state"] not in ("closed", "void"):
            buttons.append(big_button(t("rc_assign"), step("assign"), filled=False))
        if item["state"] == "fixed":
            buttons.append(
                big_button(
                    t("rc_pass"),
                    step("recheck", True),
                    icon=ft.Icons.CHECK,
                    colour=ft.Colors.GREEN_700,
                    key="rect-pass",
                )
            )
            buttons.append(big_button(t("rc_send_back"), step("recheck", False), colour=RED))
        return ft.Column([note, who, ft.Row(buttons, wrap=True, spacing=12)], spacing=8)
