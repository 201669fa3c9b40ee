"""One-time download links for files the console made (exports, reports, label sheets).

The console has no API token to fetch with, so a file it made for the signed-in user is
handed to the browser through an unguessable link (128 random bits) that works once and
for ten minutes; the permission checks ran when the file was made. Files live in a
temporary directory and are deleted when fetched or expired.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["LINK_SECONDS", "Download", "offer", "take"]

LINK_SECONDS = 600


@dataclass(frozen=True, slots=True)
class Download:
    path: Path
    filename: str
    media_type: str
    expires: float


_offers: dict[str, Download] = {}
_lock = threading.Lock()


def _sweep(now: float) -> None:
    for token in [t for t, d in _offers.items() if d.expires < now]:
        _offers.pop(token).path.unlink(missing_ok=True)


def offer(path: Path, filename: str, media_type: str) -> str:
    """A token for `path` (which the link's fetch then owns and deletes)."""
    now = time.monotonic()
    token = secrets.token_urlsafe(16)
    with _lock:
        _sweep(now)
        _offers[token] = Download(path, filename, media_type, now + LINK_SECONDS)
    return token


def take(token: str) -> Download | None:
    """The file behind a live token, once; None for an unknown, used or expired one."""
    now = time.monotonic()
    with _lock:
        _sweep(now)
        return _offers.pop(token, None)
