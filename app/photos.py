"""Evidence photos: resized, stamped with time, site, point and person, kept small.

水印相机 style: the stamp is burnt into the pixels, so a photo carries its context
wherever it goes. Output is a JPEG of at most 1600 px on the long side and 300 KB, and a
thumbnail for lists.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, ImageOps

__all__ = ["MAX_BYTES", "MAX_SIDE", "PhotoError", "ProcessedPhoto", "process_photo"]

MAX_SIDE = 1600
MAX_BYTES = 300 * 1024
THUMB_SIDE = 240
FONT_FILE = Path(__file__).resolve().parent / "assets" / "fonts" / "NotoSansSC-Regular.ttf"
MAX_PIXELS = 60_000_000  # a 50 MP phone camera fits; a decompression bomb does not


class PhotoError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class ProcessedPhoto:
    sha256: str
    jpeg: bytes
    thumbnail: bytes
    width: int
    height: int


@lru_cache(maxsize=4)
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_FILE), size)


def _stamp(img: Image.Image, lines: list[str]) -> None:
    size = max(16, img.width // 40)
    font = _font(size)
    pad = size // 2
    height = len(lines) * (size + pad // 2) + pad
    overlay = Image.new("RGBA", (img.width, height), (0, 0, 0, 140))
    img.paste(overlay, (0, img.height - height), overlay)
    draw = ImageDraw.Draw(img)
    y = img.height - height + pad // 2
    for line in lines:
        draw.text((pad, y), line, fill=(255, 255, 255), font=font)
        y += size + pad // 2


def _jpeg(img: Image.Image, limit: int) -> bytes:
    for quality in (82, 72, 62, 50, 40):
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=quality, optimize=True)
        if buf.tell() <= limit:
            return buf.getvalue()
    img = img.resize((img.width * 3 // 4, img.height * 3 // 4), Image.Resampling.BILINEAR)
    return _jpeg(img, limit)


def process_photo(raw: bytes, stamp_lines: list[str]) -> ProcessedPhoto:
    try:
        with Image.open(io.BytesIO(raw)) as opened:
            if opened.width * opened.height > MAX_PIXELS:
                raise PhotoError("the camera image is too large")
            opened.draft("RGB", (MAX_SIDE, MAX_SIDE))  # JPEG: decode at reduced size, fast
            img = ImageOps.exif_transpose(opened).convert("RGB")
    except PhotoError:
        raise
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise PhotoError("the camera image could not be read") from exc
    img.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.BILINEAR)
    _stamp(img, stamp_lines)
    jpeg = _jpeg(img, MAX_BYTES)
    thumb = img.copy()
    thumb.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.BILINEAR)
    buf = io.BytesIO()
    thumb.save(buf, "JPEG", quality=70)
    return ProcessedPhoto(
        hashlib.sha256(jpeg).hexdigest(), jpeg, buf.getvalue(), img.width, img.height
    )
