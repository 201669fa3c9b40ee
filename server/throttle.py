"""Slowing down password guessing without locking the owner out.

Every login attempt counts against two keys: the (username, client address) pair and the
client address alone. A few attempts per key are free in any window; after that each
further attempt must wait a growing delay (1 s, 2 s, 4 s, … up to the window). A good
login clears its (username, address) pair and takes back its own count on the address.

So an attacker hammering one name from one address is slowed down exponentially, an
attacker spraying many names from one address is slowed down by the address key, and the
named user signing in from their own phone (another address) is never kept waiting.

An attempt is counted when it *starts* (before the password hash is checked), so many
concurrent guesses from one address cannot all slip past the check while the first ones
are still hashing.
"""

from __future__ import annotations

import contextlib
from collections import deque

__all__ = ["LoginThrottle"]


class LoginThrottle:
    """Attempts per (name, address) and per address within `window` seconds, in this process.

    `free` attempts per (name, address) and `address_free` per address pass at once; the
    n-th attempt past that waits `base_delay * 2**n` seconds after the previous attempt,
    capped at `window`.
    """

    def __init__(
        self,
        free: int,
        window: float,
        *,
        address_free: int = 30,
        base_delay: float = 1.0,
        max_keys: int = 50_000,
    ) -> None:
        self.free, self.window = free, window
        self.address_free, self.base_delay, self.max_keys = address_free, base_delay, max_keys
        self._attempts: dict[tuple[str, str], deque[float]] = {}

    @staticmethod
    def _keys(username: str, address: str) -> tuple[tuple[str, str], tuple[str, str]]:
        return (username.casefold(), address), ("", address)

    def _live(self, key: tuple[str, str], now: float) -> deque[float] | None:
        times = self._attempts.get(key)
        if times is None:
            return None
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            del self._attempts[key]
            return None
        return times

    def _wait(self, times: deque[float] | None, free: int, now: float) -> float:
        if times is None or len(times) < free:
            return 0.0
        delay = min(self.window, self.base_delay * 2 ** (len(times) - free))
        return max(0.0, times[-1] + delay - now)

    def wait_seconds(self, username: str, address: str, now: float) -> float:
        """How long this name from this address must wait; 0 when it may try now."""
        pair, addr = self._keys(username, address)
        return max(
            self._wait(self._live(pair, now), self.free, now),
            self._wait(self._live(addr, now), self.address_free, now),
        )

    def attempt(self, username: str, address: str, now: float) -> None:
        """Count an attempt that is about to check a password (a failure until it succeeds)."""
        if len(self._attempts) >= self.max_keys:
            self._prune(now)
        for key in self._keys(username, address):
            self._attempts.setdefault(key, deque()).append(now)

    def succeeded(self, username: str, address: str, now: float) -> None:
        """The password was right: forget this pair's failures, and this attempt's count."""
        pair, addr = self._keys(username, address)
        self._attempts.pop(pair, None)
        times = self._attempts.get(addr)
        if times:
            with contextlib.suppress(ValueError):
                times.remove(now)

    def _prune(self, now: float) -> None:
        for key in list(self._attempts):
            self._live(key, now)
        if len(self._attempts) >= self.max_keys:  # still full: drop the oldest tenth
            by_age = sorted(self._attempts, key=lambda k: self._attempts[k][-1])
            for key in by_age[: max(1, self.max_keys // 10)]:
                del self._attempts[key]
