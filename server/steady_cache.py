"""Reads kept while they hold: until a write changes their key, or time reaches an instant.

A coverage report is a function of stored records, the site's set-up and `now`, and `now`
matters only at a few instants (`domain.coverage.next_change`). Many managers' screens
read the same site and day again and again; each read is kept here with the span of time
it holds for, under a key that includes what any relevant write moves (the storage's
generation and the coverage change marks of the days read). A hit is the very result a
fresh read would give, so nothing is ever stale.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from datetime import datetime
from typing import Generic, TypeVar

__all__ = ["SteadyCache"]

T = TypeVar("T")


class SteadyCache(Generic[T]):
    """At most `entries` results, least recently used dropped first; thread-safe."""

    def __init__(self, entries: int) -> None:
        self.entries = entries
        self._found: OrderedDict[Hashable, tuple[T, datetime, datetime]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, now: datetime) -> T | None:
        """The result kept under `key` if it holds at `now`."""
        with self._lock:
            found = self._found.get(key)
            if found is None:
                return None
            value, since, until = found
            if not since <= now < until:
                return None
            self._found.move_to_end(key)
            return value

    def put(self, key: Hashable, value: T, since: datetime, until: datetime) -> None:
        """Keep `value`, which holds for any time in [since, until)."""
        if not since < until:
            return
        with self._lock:
            self._found[key] = (value, since, until)
            self._found.move_to_end(key)
            while len(self._found) > self.entries:
                self._found.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._found.clear()
