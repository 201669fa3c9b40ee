"""Checking uploaded photos: real JPEG, PNG or WebP only, within size and pixel limits."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

__all__ = ["ImageInfo", "ImageRejected", "inspect_image"]

_MIME = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


class ImageRejected(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class ImageInfo:
    mime: str
    width: int
    height: int


def inspect_image(data: bytes, max_pixels: int) -> ImageInfo:
    try:
        with Image.open(io.BytesIO(data)) as img:
            fmt, (width, height) = img.format, img.size
            if fmt not in _MIME:
                raise ImageRejected(f"only JPEG, PNG or WebP photos are accepted, not {fmt}")
            if width * height > max_pixels:
                raise ImageRejected(
                    f"photo has {width}×{height} pixels, over the {max_pixels} limit"
                )
            img.verify()
    except ImageRejected:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ImageRejected("the upload is not a readable JPEG, PNG or WebP image") from exc
    return ImageInfo(_MIME[fmt], width, height)
