"""The rules of anomaly tickets and of rectification escalation (domain/tickets.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.tickets import (
    Ticket,
    TicketAction,
    TicketEvent,
    TicketStatus,
    escalate_after,
    escalated,
    event_refusal,
    response_target,
    ticket_state,
)

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
DAY = timedelta(hours=24)
PHOTO = "a" * 64


def ev(action: str, hours: float, *, who="lead", assignee=None, note="", photo=None):
    return TicketEvent(
        TicketAction(action), who, T0 + timedelta(hours=hours), assignee, note, photo
    )


def state(events, now_hours: float = 1.0) -> Ticket:
    return ticket_state(T0, events, DAY, T0 + timedelta(hours=now_hours))


def test_a_new_ticket_is_open_and_due_after_the_response_target():
    t = state([])
    assert (t.status, t.assignee_id, t.overdue, t.time_to_close) == (
        TicketStatus.OPEN,
        None,
        False,
        None,
    )
    assert t.due == T0 + DAY


def test_assign_moves_it_in_progress_and_reassigning_hands_it_over():
    t = state([ev("assign", 1, assignee="u1"), ev("assign", 2, assignee="u2")], 3)
    assert (t.status, t.assignee_id) == (TicketStatus.IN_PROGRESS, "u2")


def test_close_with_a_photo_records_who_when_and_time_to_close():
    events = [ev("assign", 1, assignee="u1"), ev("close", 5.5, who="u1", photo=PHOTO)]
    t = state(events, 10)
    assert t.status is TicketStatus.CLOSED
    assert (t.closed_by, t.closing_photo) == ("u1", PHOTO)
    assert t.time_to_close == timedelta(hours=5.5)
    assert t.hours_to_close == 5.5
    assert not t.overdue


def test_reopen_goes_back_to_the_assignee_and_the_last_close_counts():
    events = [
        ev("assign", 1, assignee="u1"),
        ev("close", 2, note="修好了"),
        ev("reopen", 3, note="又坏了"),
        ev("close", 30, note="换了新的"),
    ]
    assert state(events[:3], 4).status is TicketStatus.IN_PROGRESS
    assert state(events[:3], 4).closed_at is None
    t = state(events, 31)
    assert (t.status, t.reopened, t.hours_to_close) == (TicketStatus.CLOSED, 1, 30.0)
    assert t.overdue  # closed after the 24 h target: closed late


def test_reopen_without_assignee_is_open_again():
    t = state([ev("close", 1, note="ok"), ev("reopen", 2, note="not ok")], 3)
    assert (t.status, t.reopened) == (TicketStatus.OPEN, 1)


def test_open_past_the_target_is_overdue():
    assert not state([], 23.9).overdue
    assert state([], 24.1).overdue
    assert state([ev("assign", 1, assignee="u1")], 25).overdue


def test_events_replay_in_time_order_whatever_order_they_are_stored_in():
    events = [ev("close", 5, note="done"), ev("assign", 1, assignee="u1")]
    t = state(events, 6)
    assert (t.status, t.assignee_id) == (TicketStatus.CLOSED, "u1")


def test_events_that_do_not_apply_change_nothing():
    events = [
        ev("reopen", 1, note="x"),  # not closed
        ev("close", 2),  # no note or photo
        ev("comment", 3),  # empty
        ev("close", 4, note="done"),
        ev("close", 5, note="again"),  # already closed
        ev("assign", 6, assignee="u9"),  # closed
    ]
    t = state(events, 7)
    assert (t.status, t.closed_at, t.reopened, t.comments, t.assignee_id) == (
        TicketStatus.CLOSED,
        T0 + timedelta(hours=4),
        0,
        0,
        None,
    )


def test_time_to_close_is_never_negative():
    # the phone's clock was ahead: the report says later than the close
    t = ticket_state(T0, [ev("close", -2, note="done")], DAY, T0)
    assert t.time_to_close == timedelta(0)


@pytest.mark.parametrize(
    ("events", "new", "reason"),
    [
        ([], ev("reopen", 2, note="x"), "only a closed ticket"),
        ([], ev("close", 2), "needs a note or a photo"),
        ([], ev("comment", 2), "needs some text"),
        ([], ev("assign", 2), "say who"),
        ([ev("assign", 1, assignee="u1")], ev("assign", 2, assignee="u1"), "already assigned"),
        ([ev("close", 1, note="ok")], ev("close", 2, note="ok"), "already closed"),
        ([ev("close", 1, note="ok")], ev("assign", 2, assignee="u1"), "reopen it first"),
        ([ev("close", 1, note="ok")], ev("reopen", 2), "say why"),
        ([], ev("comment", 2, note="x" * 1001), "longer than 1000"),
    ],
)
def test_refusals_say_why(events, new, reason):
    refusal = event_refusal(state(events, 3), new)
    assert refusal is not None and reason in refusal


def test_each_refusal_is_said_in_full():
    """The console shows the refusal as it is: the whole sentence is the rule's."""
    closed = state([ev("close", 1, note="ok")], 3)
    assigned = state([ev("assign", 1, assignee="u1")], 3)
    assert [
        event_refusal(closed, ev("assign", 2, assignee="u1")),
        event_refusal(assigned, ev("assign", 2)),
        event_refusal(assigned, ev("assign", 2, assignee="u1")),
        event_refusal(assigned, ev("comment", 2)),
        event_refusal(closed, ev("close", 2, note="again")),
        event_refusal(assigned, ev("close", 2)),
        event_refusal(assigned, ev("reopen", 2, note="x")),
        event_refusal(closed, ev("reopen", 2)),
        event_refusal(assigned, ev("comment", 2, note="x" * 1001)),
    ] == [
        "the ticket is closed: reopen it first",
        "say who the ticket is assigned to",
        "the ticket is already assigned to that person",
        "a comment needs some text",
        "the ticket is already closed",
        "closing a ticket needs a note or a photo of the result",
        "only a closed ticket can be reopened",
        "say why the ticket is reopened",
        "the note is longer than 1000 characters",
    ]
    assert event_refusal(assigned, ev("comment", 2, note="x" * 1000)) is None  # at the limit


def test_comments_and_reopenings_are_counted_and_an_open_ticket_has_no_closer():
    events = [
        ev("comment", 1, note="a"),
        ev("comment", 1.5, note="b"),
        ev("comment", 1.6),  # no text: kept, changes nothing
        ev("close", 2, note="done"),
        ev("reopen", 3, note="again"),
        ev("close", 4, note="done"),
        ev("reopen", 5, note="and again"),
    ]
    t = state(events, 6)
    assert (t.comments, t.reopened, t.status) == (2, 2, TicketStatus.OPEN)
    assert t.closed_at is None and t.closed_by is None and t.closing_photo is None
    fresh = state([])
    assert fresh.closed_by is None and fresh.closing_photo is None and fresh.comments == 0


def test_events_at_the_same_moment_apply_in_the_order_stored():
    same = [ev("assign", 1, assignee="u1"), ev("assign", 1, assignee="u2")]
    assert state(same, 2).assignee_id == "u2"
    assert state(same[::-1], 2).assignee_id == "u1"


def test_a_ticket_closed_exactly_at_its_due_time_is_not_overdue():
    assert not state([ev("close", 24, note="ok")], 30).overdue
    assert state([ev("close", 24.01, note="ok")], 30).overdue
    assert not state([], 24).overdue and state([], 24.01).overdue


@pytest.mark.parametrize(
    "new",
    [
        ev("assign", 2, assignee="u2"),
        ev("comment", 2, note="在处理"),
        ev("close", 2, photo=PHOTO),
        ev("close", 2, note="已修复"),
    ],
)
def test_steps_that_apply_are_accepted(new):
    assert event_refusal(state([ev("assign", 1, assignee="u1")], 3), new) is None


@pytest.mark.parametrize(
    ("settings", "hours"),
    [
        ({}, 24),
        ({"anomaly_response_hours": 4}, 4),
        ({"anomaly_response_hours": 1}, 1),
        ({"anomaly_response_hours": 720}, 720),
        ({"anomaly_response_hours": 720.5}, 24),
        ({"anomaly_response_hours": None}, 24),
        ({"anomaly_response_hours": 0}, 24),
        ({"anomaly_response_hours": 10_000}, 24),
        ({"anomaly_response_hours": "4"}, 24),
        ({"anomaly_response_hours": True}, 24),
    ],
)
def test_response_target_is_a_bounded_site_setting(settings, hours):
    assert response_target(settings) == timedelta(hours=hours)


def test_settings_that_are_not_an_object_give_the_defaults():
    assert response_target(None) == escalate_after([]) == timedelta(hours=24)


def test_escalation_delay_is_a_bounded_site_setting():
    assert escalate_after({}) == timedelta(hours=24)
    assert escalate_after({"rectification_escalate_hours": 2.5}) == timedelta(hours=2.5)
    assert escalate_after({"rectification_escalate_hours": -1}) == timedelta(hours=24)


def test_an_overdue_rectification_escalates_after_the_delay_unless_closed():
    deadline, delay = T0, timedelta(hours=24)
    assert not escalated(deadline, False, T0 + timedelta(hours=23), delay)
    assert escalated(deadline, False, T0 + timedelta(hours=24), delay)
    assert not escalated(deadline, True, T0 + timedelta(hours=48), delay)


def test_a_ticket_of_a_rejected_anomaly_is_void_never_overdue_and_takes_only_comments():
    from domain.trust import Review, Verdict, voids_follow_up

    rejected = Review("a1", Verdict.REJECT, "造假", "mgr", T0)
    accepted = Review("a1", Verdict.ACCEPT, "", "mgr", T0 + timedelta(hours=1))
    assert voids_follow_up(["clock_skew"], rejected)
    assert not voids_follow_up(["clock_skew"], accepted)
    assert not voids_follow_up(["bad_label_signature"], None)  # pending holds no follow-up
    assert not voids_follow_up([], None)
    events = [ev("assign", 1, assignee="guard")]
    void = ticket_state(T0, events, DAY, T0 + 3 * DAY, void=True)
    assert (void.status, void.overdue, void.assignee_id) == (TicketStatus.VOID, False, "guard")
    assert event_refusal(void, ev("close", 2, note="ok")) is not None
    assert event_refusal(void, ev("assign", 2, assignee="lead")) is not None
    assert event_refusal(void, ev("comment", 2, note="已驳回")) is None
    standing = ticket_state(T0, events, DAY, T0 + 3 * DAY)
    assert (standing.status, standing.overdue) == (TicketStatus.IN_PROGRESS, True)
