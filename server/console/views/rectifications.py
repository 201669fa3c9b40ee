"""Rectifications (整改): list to assign, follow and close; overdue in red, escalated to
the manager marked and counted; history with before/after photos and re-check comments.
Every step is a new row or record."""

from __future__ import annotations

from typing import Any

import flet as ft

from domain.models import Role
from server.console.i18n import register
from server.console.models.followup import (
    RECTIFICATION_STATES,
    ListRow,
    rectification_item,
    rectification_row,
    rectification_status,
)
from server.console.models.tickets import (
    load_rectification,
    load_rectifications,
    rectification_step,
    site_people,
    upload_recheck_photo,
)
from server.console.views.base import RED, big_button
from server.console.views.followup import FollowUpScreen
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
        "rc_add_photo": ("添加复检照片", "Add re-check photo"),
        "rc_change_photo": ("更换复检照片", "Change re-check photo"),
        "rc_photo_ready": (
            "复检照片已上传，复检时一并记录",
            "Photo uploaded: it is recorded with the re-check",
        ),
        "rc_recheck_photo": ("复检照片", "Re-check photo"),
    }
)


class RectificationsScreen(FollowUpScreen):
    states = RECTIFICATION_STATES
    key = "rect"
    list_width = 440
    words = "rc_"
    refused = (FollowUpRefused,)

    def load(self) -> dict[str, Any]:
        return load_rectifications(self.c.session, self.state)  # type: ignore[arg-type]

    def row(self, item: dict[str, Any]) -> ListRow:
        return rectification_row(item, self.c.t, self.local_time, self.c.session.lang)

    def head(self, page: dict[str, Any]) -> list[ft.Control]:
        escalated = page["counts"]["escalated"]
        if self.c.role() not in (Role.MANAGER, Role.ADMIN) or not escalated:
            return []
        return [
            ft.Text(self.c.t("rc_escalated_to_you", n=escalated), color=RED, size=18,
                    weight=ft.FontWeight.BOLD)
        ]  # fmt: skip

    def detail(self, item_id: str) -> list[ft.Control] | None:
        t = self.c.t
        item = load_rectification(self.c.session, item_id)
        if item is None:
            return None
        status, late = rectification_status(item, t)
        what = rectification_item(item, self.c.session.lang)
        rows: list[ft.Control] = [
            ft.Text(f"{item['point_name']} · {what}", size=20, weight=ft.FontWeight.BOLD),
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
            thumbs = self.history_photos(h.get("photos") or [])
            if thumbs is not None:
                rows.append(thumbs)
        rows.append(self._form(item))
        return rows

    def _form(self, item: dict[str, Any]) -> ft.Control:
        t = self.c.t
        note = self.note_field(t("rc_note"))
        who = self.assignee_field(t("rc_assignee"), site_people(self.c.session))

        def step(action: str, passed: bool | None = None) -> Any:
            def run() -> None:
                photo = self.photo if action == "recheck" else None
                rectification_step(
                    self.c.session, item["id"], action, note.value or "", who.value, passed, photo
                )
                if action == "recheck":
                    self.photo = None

            return self.step(run, t("rc_saved"))

        buttons: list[ft.Control] = [big_button(t("rc_comment"), step("comment"), filled=False)]
        if item["state"] not in ("closed", "void"):
            buttons.append(big_button(t("rc_assign"), step("assign"), filled=False))
        parts: list[ft.Control] = [note, who]
        if item["state"] == "fixed":
            label = t("rc_change_photo" if self.photo else "rc_add_photo")
            buttons.append(self.photo_button(
                label, lambda data: upload_recheck_photo(self.c.session, item["id"], data),
                t("rc_photo_ready")))  # fmt: skip
            parts += self.pending_photo(t("rc_recheck_photo"))
            buttons.append(big_button(t("rc_pass"), step("recheck", True), icon=ft.Icons.CHECK,
                                      colour=ft.Colors.GREEN_700, key="rect-pass"))  # fmt: skip
            buttons.append(big_button(t("rc_send_back"), step("recheck", False), colour=RED))
        parts.append(ft.Row(buttons, wrap=True, spacing=12))
        return ft.Column(parts, spacing=8)
