"""Pushing the live view's alerts to a site's WeCom / DingTalk group robot.

Every `interval` seconds the pusher looks at each site that has a webhook URL set
(`server.live.webhook_url`), and posts the open alerts it has not pushed yet as one text
message (both robots take `{"msgtype": "text", "text": {"content": ...}}`). Posting runs
as its own task with a timeout, so it never holds up a request; an alert counts as pushed
only once the robot answered 2xx, so a failed post is retried on the next round. What
was pushed is remembered in memory: after a restart the open alerts are pushed once more.
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

__all__ = ["AlertPusher"]

log = logging.getLogger(__name__)
MAX_LINES = 10


class AlertPusher:
    def __init__(
        self,
        storage: Callable[[], Storage],
        *,
        interval: float = 60.0,
        timeout: float = 5.0,
        url_of: Callable[[dict[str, Any] | None], str | None] = webhook_url,
    ) -> None:
        self.storage, self.interval, self.timeout, self.url_of = (
            storage,
            interval,
            timeout,
            url_of,
        )
        self.pushed: dict[str, set[str]] = {}
        self.tasks: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        while True:
            with contextlib.suppress(Exception):
                self.tick(datetime.now(UTC))
            await asyncio.sleep(self.interval)

    def tick(self, now: datetime) -> int:
        """Start a post for each site with new open alerts; returns how many posts began."""
        storage = self.storage()
        started = 0
        for site_id in storage.all_site_ids():
            site = storage.site(site_id)
            url = self.url_of(site)
            if url is None or site is None:
                continue
            pushed = self.pushed.setdefault(site_id, set())
            fresh = [a for a in live_view(storage, site_id, now).open_alerts if a.key not in pushed]
            if not fresh:
                continue
            shown = fresh[:MAX_LINES]
            text = alert_text(shown, site["name"])
            if len(fresh) > MAX_LINES:
                text += f"\n……另有 {len(fresh) - MAX_LINES} 条"
            keys = {a.key for a in fresh}
            pushed.update(keys)  # claimed now, so the next tick does not post them again
            task = asyncio.get_running_loop().create_task(self._post(site_id, url, text, keys))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
            started += 1
        return started

    async def _post(self, site_id: str, url: str, text: str, keys: set[str]) -> None:
        body = {"msgtype": "text", "text": {"content": text}}
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                response = await client.post(url, json=body)
            response.raise_for_status()
        except Exception as exc:  # the robot is down or refuses: try again next round
            log.warning("alert push for site %s failed: %s", site_id, exc)
            self.pushed.get(site_id, set()).difference_update(keys)

    async def drain(self) -> None:
        """Wait for the posts under way (tests, shutdown)."""
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)
