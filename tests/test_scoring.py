from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.scoring import (
    RectificationEvent,
    RectificationState,
    inspection_score,
    recheck_refusal,
    rectification_state,
)

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    ("results", "score"),
    [
        ({"a": "pass", "b": "pass"}, 1.0),
        ({"a": "pass", "b": "fail"}, 0.5),
        ({"a": "pass", "b": "fail", "c": "na", "d": "na"}, 0.5),  # N/A never inflates
        ({"a": "na"}, None),
    ],
)
def test_score_is_passed_over_applicable(results, score):
    assert inspection_score(results) == score


def ev(action, user, hours, passed=None):
    return RectificationEvent(action, user, T0 + timedelta(hours=hours), passed)


def test_fix_then_passing_recheck_closes():
    r = rectification_state(
        "r",
        T0 + timedelta(hours=24),
        [ev("fixed", "cleaner", 2), ev("rechecked", "super", 3, True)],
        T0,
    )
    assert (r.state, r.reopened, r.overdue) == (RectificationState.CLOSED, 0, False)


def test_failed_recheck_sends_it_back_and_counts_reopenings():
    events = [
        ev("fixed", "c", 1),
        ev("rechecked", "s", 2, False),
        ev("fixed", "c", 3),
        ev("rechecked", "s", 4, False),
    ]
    r = rectification_state("r", T0 + timedelta(hours=24), events, T0 + timedelta(hours=5))
    assert (r.state, r.reopened) == (RectificationState.OPEN, 2)


def test_open_past_deadline_is_overdue_and_late_closure_stays_overdue():
    deadline = T0 + timedelta(hours=24)
    assert rectification_state("r", deadline, [], T0 + timedelta(hours=25)).overdue
    late = rectification_state(
        "r",
        deadline,
        [ev("fixed", "c", 20), ev("rechecked", "s", 30, True)],
        T0 + timedelta(hours=40),
    )
    assert late.state is RectificationState.CLOSED and late.overdue


def test_recheck_by_the_fixer_is_refused():
    r = rectification_state("r", T0 + timedelta(days=1), [ev("fixed", "c", 1)], T0)
    assert "someone other" in recheck_refusal(r, "rechecked", "c")
    assert recheck_refusal(r, "rechecked", "s") is None
    assert recheck_refusal(r, "fixed", "c") is not None


def test_nothing_applies_to_a_closed_rectification():
    r = rectification_state(
        "r", T0 + timedelta(days=1), [ev("fixed", "c", 1), ev("rechecked", "s", 2, True)], T0
    )
    assert recheck_refusal(r, "fixed", "c") == "rectification is already closed"
