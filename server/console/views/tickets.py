"""Anomaly tickets: list (overdue in red), one ticket with its photos and history, and
the follow-up steps (assign, comment, close, reopen), each a new event."""

from __future__ import annotations

from typing import Any

import flet as ft

from server.console.i18n import register
from server.console.models.tickets import (
    load_ticket,
    load_tickets,
    site_people,
    ticket_step,
    upload_closing_photo,
)
from server.console.views.base import GREY, RED, ScreenView, big_button, message
from server.photos import PhotoRejected
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
        "tk_hours": ("处理用时 {h} 小时", "Closed in {h} h"),
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
        "tk_photo_bad": ("照片未保存：{why}", "Photo not kept: {why}"),
        "tk_closing_photo": ("完工照片", "Closing photo"),
        "tk_photo_too_big": ("文件过大", "the file is too big"),
    }
)


class TicketsScreen(ScreenView):
    def __init__(self, console: Any) -> None:
        super().__init__(console)
        self.status = "active"
        self.selected: str | None = None
        self.closing_photo: str | None = None  # uploaded, waiting for "close"
        self.draft = ""  # the note being typed
        self.picker = ft.FilePicker()

    def build(self) -> ft.Control:
        t = self.c.t
        page = load_tickets(self.c.session, self.status)  # type: ignore[arg-type]
        tabs = ft.Row(
            [
                big_button(t("tk_active"), self.c.act(lambda _: self._status("active")),
                           filled=self.status == "active"),
                big_button(t("tk_closed"), self.c.act(lambda _: self._status("closed")),
                           filled=self.status == "closed"),
                big_button(t("tk_void"), self.c.act(lambda _: self._status("void")),
                           filled=self.status == "void"),
                ft.Text(t("tk_counts", **page["counts"]), size=16),
            ],
            wrap=True,
        )  # fmt: skip
        rows: list[ft.Control] = [self._row(i) for i in page["data"]]
        if not rows:
            rows.append(message(t("tk_empty"), icon=ft.Icons.CHECK_CIRCLE_OUTLINE))
        listing = ft.Column(rows, scroll=ft.ScrollMode.AUTO, spacing=4)
        detail = self._detail()
        if self.c.wide:
            body: ft.Control = ft.Row(
                [ft.Container(listing, width=420), ft.VerticalDivider(width=1),
                 ft.Container(detail, expand=True)],
                expand=True, vertical_alignment=ft.CrossAxisAlignment.START,
            )  # fmt: skip
        else:
            body = ft.Column(
                [listing, ft.Divider(), detail], scroll=ft.ScrollMode.AUTO, expand=True
            )
        return ft.Column([tabs, body], expand=True, spacing=8)

    def _status(self, status: str) -> None:
        self.status, self.selected, self.closing_photo = status, None, None

    def _select(self, ticket_id: str) -> None:
        if ticket_id != self.selected:
            self.closing_photo, self.draft = None, ""
        self.selected = ticket_id

    async def _pick_photo(self, _: Any) -> None:
        """Pick a photo in the browser; it is checked and kept like an API upload."""
        t = self.c.t
        if self.picker not in self.c.page.services:
            self.c.page.services.append(self.picker)
        files = await self.picker.pick_files(
            file_type=ft.FilePickerFileType.CUSTOM,
            allowed_extensions=["jpg", "jpeg", "png", "webp"],
            with_data=True,
        )
        if not files:
            return
        if files[0].size > self.c.session.settings.max_photo_bytes:
            self.c.toast(t("tk_photo_bad", why=t("tk_photo_too_big")), error=True)
            return
        try:
            self.closing_photo = upload_closing_photo(self.c.session, files[0].bytes)
        except PhotoRejected as rejected:
            self.c.toast(t("tk_photo_bad", why=str(rejected)), error=True)
            return
        self.c.toast(t("tk_photo_ready"))

    def _row(self, item: dict[str, Any]) -> ft.Control:
        t = self.c.t
        late = item["overdue"] and item["status"] != "closed"
        status = t("tk_status_" + item["status"]) + (f" · {t('tk_overdue')}" if late else "")
        return ft.Container(
            ft.Column(
                [
                    ft.Text(f"{self.local_time(item['reported_at'])} · {item['point_name']} · "
                            f"{item['category'] or item['note'][:20]}", weight=ft.FontWeight.BOLD),
                    ft.Text(f"{status} · {item['reporter_name']}", color=RED if late else GREY),
                ],
                spacing=2,
            ),
            key=f"ticket-{item['id']}",
            padding=10,
            border_radius=8,
            bgcolor=ft.Colors.BLUE_50 if item["id"] == self.selected else None,
            on_click=self.c.act(lambda _, i=item["id"]: self._select(i)),
        )  # fmt: skip

    def _detail(self) -> ft.Control:
        t = self.c.t
        if self.selected is None:
            return ft.Container(ft.Text(t("tk_pick"), color=GREY, size=16), padding=16)
        item = load_ticket(self.c.session, self.selected)
        if item is None:
            self.selected = None
            return message(t("not_found"), error=True)
        late = item["overdue"] and item["status"] != "closed"
        rows: list[ft.Control] = [
            ft.Text(f"{item['category']} · {item['point_name']}", size=20,
                    weight=ft.FontWeight.BOLD),
            ft.Text(item["note"], size=16),
            ft.Text(f"{t('tk_status_' + item['status'])} · {item['reporter_name']} "
                    f"{self.local_time(item['reported_at'])}",
                    color=RED if late else None, size=16),
        ]  # fmt: skip
        if item["hours_to_close"] is not None:
            rows.append(ft.Text(t("tk_hours", h=item["hours_to_close"])))
        thumbs = self.thumbnails(list(item["photos"]), 160)
        if thumbs is not None:
            rows.append(thumbs)
        for e in item["events"]:
            what = t("tk_action_" + e["action"], who=e.get("assignee_name") or "")
            rows.append(ft.Text(f"{self.local_time(e['at'])} {e['actor_name']} {what} {e['note']}"))
            shot = self.thumbnails([e["photo"]], 160) if e.get("photo") else None
            if shot is not None:  # the closing photo, in the history where it was taken
                rows.append(ft.Container(shot, key=f"ticket-photo-{e['id']}"))
        rows.append(self._form(item))
        return ft.Column(rows, scroll=ft.ScrollMode.AUTO, spacing=6, key="ticket-detail")

    def _form(self, item: dict[str, Any]) -> ft.Control:
        t = self.c.t
        note = ft.TextField(
            label=t("tk_note"),
            max_length=1000,
            multiline=True,
            key="ticket-note",
            value=self.draft,  # kept while a photo is picked (the screen re-renders)
            on_change=lambda e: setattr(self, "draft", e.control.value or ""),
        )
        people = site_people(self.c.session)
        who = ft.Dropdown(
            label=t("tk_assignee"),
            options=[ft.dropdown.Option(key=p["id"], text=p["name"]) for p in people],
            width=220,
        )

        def step(action: str) -> Any:
            def run(_: Any) -> None:
                try:
                    photo = self.closing_photo if action == "close" else None
                    ticket_step(
                        self.c.session, item["id"], action, note.value or "", who.value, photo
                    )
                    if action == "close":
                        self.closing_photo = None
                    self.draft = ""
                    self.c.toast(t("tk_saved"))
                except TicketRefused as refused:
                    self.c.toast(str(refused), error=True)
                except KeyError:
                    self.c.toast(t("not_found"), error=True)

            return self.c.act(run)

        closed = item["status"] == "closed"
        buttons: list[ft.Control] = [big_button(t("tk_comment"), step("comment"), filled=False)]
        if item["status"] == "void":
            pass  # rejected on review: only comments
        elif closed:
            buttons.append(big_button(t("tk_reopen"), step("reopen"), colour=RED))
        else:
            buttons.append(big_button(t("tk_assign"), step("assign"), filled=False))
            label = t("tk_change_photo" if self.closing_photo else "tk_add_photo")
            buttons.append(big_button(label, self.c.act(self._pick_photo),
                                      icon=ft.Icons.ADD_A_PHOTO, filled=False,
                                      key="ticket-photo"))  # fmt: skip
            buttons.append(big_button(t("tk_close"), step("close"), icon=ft.Icons.CHECK,
                                      colour=ft.Colors.GREEN_700, key="ticket-close"))  # fmt: skip
        parts: list[ft.Control] = [note, who]
        pending = self.thumbnails([self.closing_photo], 120) if self.closing_photo else None
        if pending is not None and not closed and item["status"] != "void":
            parts.append(ft.Text(t("tk_closing_photo"), color=GREY))
            parts.append(ft.Container(pending, key="ticket-pending-photo"))
        parts.append(ft.Row(buttons, wrap=True, spacing=12))
        return ft.Column(parts, spacing=8)
