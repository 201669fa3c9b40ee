"""A control method's answer that comes back after the control left the page must not end
the Flet session (the scanner froze the app this way: every later tap was lost)."""

from __future__ import annotations

import asyncio

from flet.messaging.session import Session

from app.late_results import survive_late_method_results


def test_a_late_answer_fails_the_waiting_call_instead_of_raising():
    survive_late_method_results()
    survive_late_method_results()  # twice is harmless
    session = Session.__new__(Session)
    waiting = asyncio.Event()
    session._Session__index = {}  # type: ignore[attr-defined]  # the camera left the page
    session._Session__method_calls = {"call-1": waiting}  # type: ignore[attr-defined]
    session._Session__method_call_results = {}  # type: ignore[attr-defined]

    session.handle_invoke_method_results(124, "call-1", b"late frame", None)

    assert waiting.is_set()
    (result, error) = session._Session__method_call_results[waiting]  # type: ignore[attr-defined]
    assert result is None and "left the page" in error
    assert session._Session__method_calls == {}  # type: ignore[attr-defined]
    # an answer nobody waits for any more is simply dropped
    session.handle_invoke_method_results(124, "call-2", b"", None)
