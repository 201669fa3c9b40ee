"""Checking uploaded photos: real JPEG, PNG or WebP only, within size and pixel limits,
with nothing hidden after the image.

A photo is evidence addressed by the SHA-256 of its bytes (records made offline name it
before it is uploaded), so the server never re-encodes it: an upload whose bytes run on
past the image's end (an HTML page after a JPEG, a zip after a PNG) is refused instead.
The phone re-encodes every photo itself, so an honest upload never has such a tail.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

__all__ = [
    "IMAGE_MIMES",
    "SERVED_IMAGE_HEADERS",
    "ImageInfo",
    "ImageRejected",
    "image_end",
    "inspect_image",
    "perceptual_hash",
    "served_image",
]

_MIME = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
IMAGE_MIMES = frozenset(_MIME.values())
_UNREADABLE = "the upload is not a readable JPEG, PNG or WebP image"

SERVED_IMAGE_HEADERS = {
    # The declared type is the only type: no browser guesses HTML out of an image.
    "X-Content-Type-Options": "nosniff",
    # Opened directly, the response is a sandboxed document that may load nothing.
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cross-Origin-Resource-Policy": "same-origin",
}


class ImageRejected(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class ImageInfo:
    mime: str
    width: int
    height: int


def inspect_image(data: bytes, max_pixels: int) -> ImageInfo:
    """What the upload is, or ImageRejected saying why it is refused."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
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
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected(f"photo claims too many pixels, over the {max_pixels} limit") from exc
    except Exception as exc:  # any decoder error is the upload's fault, never a 500
        raise ImageRejected(_UNREADABLE) from exc
    end = image_end(data, fmt)
    if data[end:].strip(b"\0"):
        raise ImageRejected(f"the upload has {len(data) - end} bytes after the image's end")
    return ImageInfo(_MIME[fmt], width, height)


def image_end(data: bytes, fmt: str) -> int:
    """Where the image's own bytes end (its last marker or chunk), by its container."""
    try:
        if fmt == "PNG":
            return _png_end(data)
        if fmt == "JPEG":
            return _jpeg_end(data)
        if fmt == "WEBP":
            size = int.from_bytes(data[4:8], "little")
            return min(len(data), 8 + size + (size & 1))
    except IndexError as exc:
        raise ImageRejected(_UNREADABLE) from exc
    raise ImageRejected(f"only JPEG, PNG or WebP photos are accepted, not {fmt}")


def _png_end(data: bytes) -> int:
    i = 8  # the signature
    while True:
        length = int.from_bytes(data[i : i + 4], "big")
        kind = data[i + 4 : i + 8]
        if len(kind) < 4:
            raise ImageRejected(_UNREADABLE)
        i += 12 + length  # length, type, data, CRC
        if kind == b"IEND":
            return i


def _jpeg_end(data: bytes) -> int:
    """After the EOI marker, walking the segments (and each scan's entropy-coded data,
    where 0xFF is followed by 0x00 stuffing or a restart marker)."""
    n, i = len(data), 2  # after SOI
    while i < n:
        if data[i] != 0xFF:
            raise ImageRejected(_UNREADABLE)
        while data[i] == 0xFF:  # fill bytes
            i += 1
        marker = data[i]
        i += 1
        if marker == 0xD9:  # EOI
            return i
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # no length
            continue
        i += int.from_bytes(data[i : i + 2], "big")
        if marker == 0xDA:  # SOS: entropy-coded data up to the next real marker
            j = data.find(b"\xff", i)
            while 0 <= j < n - 1 and (data[j + 1] == 0 or 0xD0 <= data[j + 1] <= 0xD7):
                j = data.find(b"\xff", j + 2)
            if j < 0 or j >= n - 1:
                raise ImageRejected(_UNREADABLE)
            i = j
    raise ImageRejected(_UNREADABLE)


def served_image(data: bytes, mime: str) -> bytes:
    """The bytes to serve: the image alone, even if an older server stored a tail."""
    fmt = next((f for f, m in _MIME.items() if m == mime), None)
    if fmt is None:
        return data
    try:
        return data[: image_end(data, fmt)]
    except ImageRejected:
        return data


def perceptual_hash(data: bytes) -> str | None:
    """The 64-bit perceptual hash (DCT, `imagehash.phash`) of an image, as 16 hex digits.

    A re-saved, resized or slightly cropped copy lands within a few bits of the original,
    where different photos differ in ~20-35. JPEGs are decoded at reduced scale (the hash
    looks at 32×32 anyway): ~3 ms for a 1600 px photo. None if the image cannot be read.
    """
    import imagehash  # imported on first use: it pulls in numpy and scipy

    try:
        with Image.open(io.BytesIO(data)) as img:
            img.draft("L", (256, 256))
            return str(imagehash.phash(img.convert("L")))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return None
