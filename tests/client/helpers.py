"""Shared pieces for client tests: a field app on its own local store, real images."""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from PIL import Image, ImageDraw

from app.state import FieldApp
from app.store import LocalStore
from app.sync import ServerClient
from server.label_images import label_png
from tests.factory import label


def camera_photo(seed: int, size: tuple[int, int] = (1600, 1200)) -> bytes:
    """A photo-like JPEG: gradient, shapes and sensor noise, different for each seed."""
    rng = random.Random(seed)
    img = Image.linear_gradient("L").resize(size).convert("RGB")
    draw = ImageDraw.Draw(img)
    for _ in range(12):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        colour = tuple(rng.randrange(256) for _ in range(3))
        draw.rectangle([x, y, x + rng.randrange(50, 400), y + rng.randrange(50, 300)], fill=colour)
    noise = Image.effect_noise(size, 18).convert("RGB")
    img = Image.blend(img, noise, 0.15)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90)
    return buf.getvalue()


def label_image(site_id: str, point_id: str) -> bytes:
    return label_png(label(site_id, point_id), point_id, point_id.upper())


def round_due(hours_back: int) -> datetime:
    """A due time of the factory's round (every 2 hours from local midnight) at least
    `hours_back` hours ago, so that a walk on a clock starting there is in the past and
    inside the round's window, whatever the time of day the test runs."""
    local = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai"))
    even = local.replace(hour=local.hour - local.hour % 2, minute=0, second=0, microsecond=0)
    return (even - timedelta(hours=hours_back)).astimezone(UTC)


class Clock:
    """A device clock that starts at `start` and moves on a little at every reading."""

    def __init__(self, start: datetime, step: timedelta = timedelta(seconds=30)) -> None:
        self.now, self.step = start, step

    def __call__(self) -> datetime:
        self.now += self.step
        return self.now


def field_app(
    data_dir: Path, clock: Callable[[], datetime] | None = None, server_url: str | None = None
) -> FieldApp:
    """A field app; with `server_url`, every request goes there whatever was stored."""
    store = LocalStore(data_dir)

    def factory(url: str, token: str | None) -> ServerClient:
        return ServerClient(server_url or url, token)

    if clock is None:
        return FieldApp(store, factory)
    return FieldApp(store, factory, clock)
