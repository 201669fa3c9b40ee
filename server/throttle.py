"""Slowing down password guessing: a few failed logins per username, then a pause."""

from __future__ import annotations

from collections import defaultdict, deque

__all__ = ["LoginThrottle"]


class LoginThrottle:
    """At most `limit` failures per username in any `window` seconds (in this process)."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit, self.window = limit, window
        self._failures: dict[str, deque[float]] = defaultdict(deque)

    def wait_seconds(self, username: str, now: float) -> float:
        """How long this username must wait before trying again; 0 when it may try now."""
        failures = self._failures.get(username.casefold())
        if not failures:
            return 0.0
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if len(failures) < self.limit:
            return 0.0
        return failures[0] + self.window - now

    def failed(self, username: str, now: float) -> None:
        self._failures[username.casefold()].append(now)

    def succeeded(self, username: str) -> None:
        self._failures.pop(username.casefold(), None)
