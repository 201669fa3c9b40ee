"""The follow-up lists' rows (tickets and rectifications): title, status line, late and
escalated, worded by whatever `t` the console passes (here one that shows its keys)."""

from __future__ import annotations

from typing import Any

from server.console.models.followup import (
    ListRow,
    rectification_item,
    rectification_row,
    rectification_status,
    ticket_row,
    ticket_status,
)


def words(key: str, **params: object) -> str:
    return key + ("(" + ",".join(f"{k}={v}" for k, v in params.items()) + ")" if params else "")


def at(text: str | None) -> str:
    return f"@{text}" if text else ""


def ticket(**changes: Any) -> dict[str, Any]:
    return {
        "id": "t1",
        "status": "open",
        "overdue": True,
        "category": "消防通道堵塞",
        "note": "电动车堵塞了东侧消防通道，已电话通知业主，请尽快处理",
        "reported_at": "2026-11-26T03:40:00+00:00",
        "point_name": "3号点",
        "reporter_name": "张伟",
    } | changes


def rectification(**changes: Any) -> dict[str, Any]:
    return {
        "id": "i1/floor",
        "state": "open",
        "overdue": True,
        "escalated": True,
        "point_name": "1号楼大堂",
        "item_zh": "地面清洁",
        "item_en": "Floor clean",
        "assignee_name": "刘芳",
        "deadline": "2026-11-25T01:40:00+00:00",
    } | changes


def test_an_overdue_open_ticket_is_late_and_says_so():
    row = ticket_row(ticket(), words, at)
    assert row == ListRow(
        id="t1",
        title="@2026-11-26T03:40:00+00:00 · 3号点 · 消防通道堵塞",
        status="tk_status_open · tk_overdue · 张伟",
        late=True,
    )


def test_a_closed_ticket_is_never_late_and_one_without_category_is_named_by_its_note():
    row = ticket_row(ticket(status="closed", category=""), words, at)
    assert not row.late
    assert row.status == "tk_status_closed · 张伟"
    assert row.title.endswith(" · 电动车堵塞了东侧消防通道，已电话通知业主")  # first 20
    assert ticket_status(ticket(overdue=False), words) == ("tk_status_open", False)


def test_a_void_ticket_shows_as_void():
    # void tickets are never overdue upstream (server.tickets); the row shows what it is given
    status, late = ticket_status(ticket(status="void", overdue=False), words)
    assert (status, late) == ("tk_status_void", False)


def test_an_overdue_escalated_rectification():
    row = rectification_row(rectification(), words, at, "zh")
    assert row.title == "1号楼大堂 · 地面清洁"
    assert row.status == (
        "rc_state_open · rc_overdue · rc_escalated_badge · 刘芳 · "
        "rc_deadline(at=@2026-11-25T01:40:00+00:00)"
    )
    assert row.late and row.escalated


def test_a_closed_rectification_is_not_late_and_english_names_the_item_in_english():
    row = rectification_row(
        rectification(state="closed", escalated=False, assignee_name=None), words, at, "en"
    )
    assert row.title == "1号楼大堂 · Floor clean"
    assert not row.late and not row.escalated
    assert row.status.startswith("rc_state_closed ·  · rc_deadline")
    assert rectification_item(rectification(), "zh") == "地面清洁"
    assert rectification_status(rectification(state="fixed", overdue=False, escalated=False),
                                words) == ("rc_state_fixed", False)  # fmt: skip
