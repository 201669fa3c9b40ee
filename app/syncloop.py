"""The phone's one sync loop, shared by every screen and every open page.

One process is one phone (one local store, one outbox), so it has one loop: several
pages (browser tabs, a refreshed page) each only listen to it. While the server cannot
be reached the loop probes it cheaply every few seconds and sends as soon as it answers;
it backs off only while the server answers with errors of its own. After each attempt
every listening screen refreshes its status line.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from app.state import FieldApp
from app.sync import SyncReport

__all__ = ["SyncLoop", "sync_loop_for"]

Listener = Callable[[], None]


class SyncLoop:
    def __init__(self, app: FieldApp) -> None:
        self.app = app
        self.listeners: list[Listener] = []
        self.attempts = 0
        self._wake: asyncio.Event | None = None
        self._lock: asyncio.Lock | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Run the loop on the current event loop, unless it already runs."""
        if self._task is None or self._task.done():
            self._wake, self._lock = asyncio.Event(), asyncio.Lock()
            self._task = asyncio.get_running_loop().create_task(self.run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def listen(self, listener: Listener) -> None:
        self.listeners.append(listener)

    def unlisten(self, listener: Listener) -> None:
        with contextlib.suppress(ValueError):
            self.listeners.remove(listener)

    def wake(self) -> None:
        """Something new was saved: try now (a probe first, if offline)."""
        if self._wake is not None:
            self._wake.set()

    async def sync_now(self) -> SyncReport | None:
        """A full attempt at once, as when the person taps "Sync now"."""
        report = await self._attempt(probe_first=False)
        self._notify()
        return report

    async def run(self) -> None:
        assert self._wake is not None
        while True:
            # Cleared before the attempt: a record saved during it wakes the next one.
            self._wake.clear()
            await self._attempt(probe_first=True)
            self._notify()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.app.next_sync_in())

    async def _attempt(self, probe_first: bool) -> SyncReport | None:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if not self.app.signed_in:
                return None
            self.attempts += 1
            if probe_first and self.app.offline and not await self.app.reachable():
                return None  # still offline: the status line already says so
            return await self.app.sync()

    def _notify(self) -> None:
        for listener in list(self.listeners):
            try:
                listener()
            except Exception:  # a closed page: it listens no more
                self.unlisten(listener)


_LOOPS: dict[int, SyncLoop] = {}


def sync_loop_for(app: FieldApp) -> SyncLoop:
    """The one loop of this phone's app."""
    loop = _LOOPS.get(id(app))
    if loop is None or loop.app is not app:
        loop = _LOOPS[id(app)] = SyncLoop(app)
    return loop
