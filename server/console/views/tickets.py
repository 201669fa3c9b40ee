"""Anomaly tickets: list (overdue in red), one ticket with its photos and history, and
the follow-up steps (assign, comment, close, reopen), each a new event."""

from __future__ import annotations

from typing import Any

import flet as ft

from server.console.i18n import duration, register
from server.console.models.followup import TICKET_STATES, ListRow, ticket_row, ticket_status
from server.console.models.tickets import (
    load_ticket,
    load_tickets,
    site_people,
    ticket_step,
    upload_closing_photo,
)
from server.console.views.base import RED, big_button
from server.console.views.followup import FollowUpScreen
from server.tickets import TicketRefused

__all__ = ["TicketsScreen"]

register(
    {
        "screen_tickets": ("异常工单", "Anomaly tickets"),
        "tk_active": ("未关闭", "Not closed"),
        "tk_closed": ("已关闭", "Closed"),
        "tk_void": ("已作废", "Void"),
        "tk_empty": ("没有异常工单", "No anomaly tickets"),
        "tk_pick": ("选择一个工单查看详情", "Pick a ticket to see it"),
        "tk_status_open": ("待处理", "open"),
        "tk_status_in_progress": ("处理中", "in progress"),
        "tk_status_closed": ("已关闭", "closed"),
        "tk_status_void": (
            "已作废（异常经审核驳回，仅留作证据）",
            "void (report rejected on review, kept as evidence)",
        ),
        "tk_overdue": ("超时", "overdue"),
        "tk_counts": (
            "待处理 {open} · 处理中 {in_progress} · 超时 {overdue}",
            "Open {open} · In progress {in_progress} · Overdue {overdue}",
        ),
        "tk_note": ("备注", "Note"),
        "tk_assign": ("指派", "Assign"),
        "tk_comment": ("评论", "Comment"),
        "tk_close": ("关闭工单", "Close ticket"),
        "tk_reopen": ("重新打开", "Reopen"),
        "tk_saved": ("已记录", "Recorded"),
        "tk_assignee": ("负责人", "Assignee"),
        "tk_took": ("处理用时 {d}", "Closed in {d}"),
        "tk_action_assign": ("指派给 {who}", "assigned to {who}"),
        "tk_action_comment": ("评论", "comment"),
        "tk_action_close": ("关闭", "closed"),
        "tk_action_reopen": ("重新打开", "reopened"),
        "tk_add_photo": ("添加完工照片", "Add closing photo"),
        "tk_change_photo": ("更换完工照片", "Change closing photo"),
        "tk_photo_ready": (
            "完工照片已上传，关闭工单时一并记录",
            "Photo uploaded: it is recorded when you close",
        ),
        "tk_closing_photo": ("完工照片", "Closing photo"),
    }
)


class TicketsScreen(FollowUpScreen):
    states = TICKET_STATES
    key = "ticket"
    words = "tk_"
    refused = (TicketRefused,)

    def load(self) -> dict[str, Any]:
        return load_tickets(self.c.session, self.state)  # type: ignore[arg-type]

    def row(self, item: dict[str, Any]) -> ListRow:
        return ticket_row(item, self.c.t, self.local_time)

    def detail(self, item_id: str) -> list[ft.Control] | None:
        t = self.c.t
        item = load_ticket(self.c.session, item_id)
        if item is None:
            return None
        _, late = ticket_status(item, t)
        rows: list[ft.Control] = [
            ft.Text(f"{item['category']} · {item['point_name']}", size=20,
                    weight=ft.FontWeight.BOLD),
            ft.Text(item["note"], size=16),
            ft.Text(f"{t('tk_status_' + item['status'])} · {item['reporter_name']} "
                    f"{self.local_time(item['reported_at'])}",
                    color=RED if late else None, size=16),
        ]  # fmt: skip
        if item["hours_to_close"] is not None:
            took = duration(item["hours_to_close"] * 3600, self.c.session.lang)
            rows.append(ft.Text(t("tk_took", d=took)))
        thumbs = self.thumbnails(list(item["photos"]), 160)
        if thumbs is not None:
            rows.append(thumbs)
        for e in item["events"]:
            what = t("tk_action_" + e["action"], who=e.get("assignee_name") or "")
            rows.append(ft.Text(f"{self.local_time(e['at'])} {e['actor_name']} {what} {e['note']}"))
            shot = (
                self.history_photos([e["photo"]], f"ticket-photo-{e['id']}")
                if e.get("photo")
                else None
            )
            if shot is not None:  # the closing photo, in the history where it was taken
                rows.append(shot)
        rows.append(self._form(item))
        return rows

    def _form(self, item: dict[str, Any]) -> ft.Control:
        t = self.c.t
        note = self.note_field(t("tk_note"))
        who = self.assignee_field(t("tk_assignee"), site_people(self.c.session))

        def step(action: str) -> Any:
            def run() -> None:
                photo = self.photo if action == "close" else None
                ticket_step(self.c.session, item["id"], action, note.value or "", who.value, photo)
                if action == "close":
                    self.photo = None

            return self.step(run, t("tk_saved"))

        buttons: list[ft.Control] = [big_button(t("tk_comment"), step("comment"), filled=False)]
        parts: list[ft.Control] = [note, who]
        if item["status"] == "void":
            pass  # rejected on review: only comments
        elif item["status"] == "closed":
            buttons.append(big_button(t("tk_reopen"), step("reopen"), colour=RED))
        else:
            buttons.append(big_button(t("tk_assign"), step("assign"), filled=False))
            label = t("tk_change_photo" if self.photo else "tk_add_photo")
            buttons.append(self.photo_button(
                label, lambda data: upload_closing_photo(self.c.session, data),
                t("tk_photo_ready")))  # fmt: skip
            buttons.append(big_button(t("tk_close"), step("close"), icon=ft.Icons.CHECK,
                                      colour=ft.Colors.GREEN_700, key="ticket-close"))  # fmt: skip
            parts += self.pending_photo(t("tk_closing_photo"))
        parts.append(ft.Row(buttons, wrap=True, spacing=12))
        return ft.Column(parts, spacing=8)
