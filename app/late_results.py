"""Keep a Flet session alive when a control method's answer comes back after the control
left the page.

The scanner reads a preview frame every ~250 ms (`camera.take_picture`), so one call is
nearly always in flight. When the guard types a code or goes back, the camera leaves the
page, and its late answer makes Flet 1.0's `Session.handle_invoke_method_results` raise
"Control with ID … is not registered". That exception ends the web session's receive
loop: every later tap is silently lost and the app looks frozen. Here the late answer
instead fails the waiting call (the scanner loop catches that and stops)."""

from __future__ import annotations

from typing import Any

from flet.messaging.session import Session

__all__ = ["survive_late_method_results"]

_REMOVED = "the control left the page before its method answered"


def survive_late_method_results() -> None:
    """Patch `Session.handle_invoke_method_results` once (idempotent)."""
    original = Session.handle_invoke_method_results
    if getattr(original, "survives_late_results", False):
        return

    def handle(
        self: Session, control_id: int, call_id: str, result: Any, error: str | None
    ) -> None:
        try:
            original(self, control_id, call_id, result, error)
        except RuntimeError:
            calls: dict[str, Any] = self._Session__method_calls  # type: ignore[attr-defined]
            results: dict[Any, Any] = self._Session__method_call_results  # type: ignore[attr-defined]
            waiting = calls.pop(call_id, None)
            if waiting is not None:
                results[waiting] = (None, _REMOVED)
                waiting.set()

    handle.survives_late_results = True  # type: ignore[attr-defined]
    Session.handle_invoke_method_results = handle  # type: ignore[method-assign]
