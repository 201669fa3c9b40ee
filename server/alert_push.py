"""Pushing the live view's alerts to a site's WeCom / DingTalk group robot.

Every `interval` seconds the pusher looks at each site that has a webhook URL set
(`server.live.webhook_url`), and posts the open alerts it has not pushed yet as one text
message (both robots take `{"msgtype": "text", "text": {"content": ...}}`). Posting runs
as its own task with a timeout, so it never holds up a request.

An alert counts as pushed only once the robot answered 2xx; then it is stored
(`alert_pushes`, migration m010), so a restart neither pushes it again nor forgets it.
A failed post is retried inside its task after `backoff`, 2×, 4×… seconds (at most
`max_backoff`, `attempts` tries in all) while its alerts stay claimed, so the next
rounds do not post them twice; after the last failure the site waits out one more
backoff before a new round claims them again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from server.live import alert_text, live_view, webhook_url
from server.storage import Storage

__all__ = ["AlertPusher", "backoff_delays"]

log = logging.getLogger(__name__)
MAX_LINES = 10


def backoff_delays(attempts: int, first: float, cap: float) -> list[float]:
    """The waits before each retry: first, 2×first, 4×first…, each at most `cap`."""
    return [min(first * 2**i, cap) for i in range(max(attempts - 1, 0))]


class AlertPusher:
    def __init__(
        self,
        storage: Callable[[], Storage],
        *,
        interval: float = 60.0,
        timeout: float = 5.0,
        attempts: int = 4,
        backoff: float = 5.0,
        max_backoff: float = 300.0,
        url_of: Callable[[dict[str, Any] | None], str | None] = webhook_url,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.storage, self.interval, self.timeout, self.url_of = (
            storage,
            interval,
            timeout,
            url_of,
        )
        self.attempts, self.backoff, self.max_backoff, self.clock = (
            max(attempts, 1),
            backoff,
            max_backoff,
            clock,
        )
        self.claimed: dict[str, set[str]] = {}  # per site: alerts being posted right now
        self.resume_at: dict[str, float] = {}  # per site: loop time before which to wait
        self.failures: dict[str, int] = {}  # per site: posts given up in a row
        self.tasks: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        while True:
            with contextlib.suppress(Exception):
                self.tick(self.clock())
            await asyncio.sleep(self.interval)

    def tick(self, now: datetime) -> int:
        """Start a post for each site with new open alerts; returns how many posts began."""
        storage = self.storage()
        loop = asyncio.get_running_loop()
        started = 0
        for site_id in storage.all_site_ids():
            site = storage.site(site_id)
            url = self.url_of(site)
            if url is None or site is None or loop.time() < self.resume_at.get(site_id, 0.0):
                continue
            claimed = self.claimed.setdefault(site_id, set())
            open_alerts = [a for a in live_view(storage, site_id, now).open_alerts]
            done = storage.pushed_alert_keys(site_id, [a.key for a in open_alerts])
            fresh = [a for a in open_alerts if a.key not in claimed and a.key not in done]
            if not fresh:
                continue
            shown = fresh[:MAX_LINES]
            text = alert_text(shown, site["name"])
            if len(fresh) > MAX_LINES:
                text += f"\n……另有 {len(fresh) - MAX_LINES} 条"
            keys = {a.key for a in fresh}
            claimed.update(keys)  # claimed now, so the next tick does not post them again
            task = loop.create_task(self._post(site_id, url, text, keys))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
            started += 1
        return started

    async def _post(self, site_id: str, url: str, text: str, keys: set[str]) -> None:
        body = {"msgtype": "text", "text": {"content": text}}
        delays = backoff_delays(self.attempts, self.backoff, self.max_backoff)
        try:
            for attempt in range(self.attempts):
                try:
                    async with httpx.AsyncClient(timeout=self.timeout) as client:
                        response = await client.post(url, json=body)
                    response.raise_for_status()
                except Exception as exc:  # the robot is down or refuses: wait, try again
                    log.warning(
                        "alert push for site %s failed (try %d of %d): %s",
                        site_id,
                        attempt + 1,
                        self.attempts,
                        exc,
                    )
                    if attempt < len(delays):
                        await asyncio.sleep(delays[attempt])
                    continue
                self.storage().add_alert_pushes(site_id, sorted(keys), self.clock())
                self.failures.pop(site_id, None)
                return
            failures = self.failures[site_id] = self.failures.get(site_id, 0) + 1
            wait = min(self.backoff * 2 ** (self.attempts - 1 + failures), self.max_backoff)
            self.resume_at[site_id] = asyncio.get_running_loop().time() + wait
        finally:
            self.claimed.get(site_id, set()).difference_update(keys)

    async def drain(self) -> None:
        """Wait for the posts under way (tests, shutdown)."""
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)
