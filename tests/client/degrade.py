"""Label images as a phone camera sees them: rotated, blurred, small, badly compressed."""

from __future__ import annotations

import io
from collections.abc import Callable

from PIL import Image, ImageFilter


def _jpeg(img: Image.Image, quality: int) -> Image.Image:
    buf = io.BytesIO()
    img.convert("RGB").save(buf, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buf.getvalue()))


def _on_desk(img: Image.Image, scale: float) -> Image.Image:
    """The label shrunk to `scale` and placed on a grey 1280×960 frame."""
    small = img.resize((int(img.width * scale), int(img.height * scale)), Image.Resampling.BILINEAR)
    frame = Image.new("RGB", (1280, 960), (120, 118, 110))
    frame.paste(small, ((1280 - small.width) // 2, (960 - small.height) // 2))
    return frame


DEGRADATIONS: dict[str, Callable[[Image.Image], Image.Image]] = {
    "clean": lambda img: img,
    "rotated_15": lambda img: img.rotate(15, expand=True, fillcolor="white"),
    "rotated_90": lambda img: img.rotate(90, expand=True),
    "blurred": lambda img: img.filter(ImageFilter.GaussianBlur(2)),
    "small_30pct": lambda img: _on_desk(img, 0.3),
    "jpeg_q30": lambda img: _jpeg(img, 30),
    "all_together": lambda img: _jpeg(
        _on_desk(img.rotate(15, expand=True, fillcolor="white"), 0.35).filter(
            ImageFilter.GaussianBlur(1)
        ),
        30,
    ),
}


def degraded_frame(png: bytes, how: str) -> bytes:
    img = DEGRADATIONS[how](Image.open(io.BytesIO(png)).convert("RGB"))
    buf = io.BytesIO()
    img.convert("RGB").save(buf, "JPEG", quality=85)
    return buf.getvalue()
