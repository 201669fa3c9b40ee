"""What the scanner does with camera frames, apart from the screen: testable without Flet.

- A browser's camera (flet-camera on the web) mirrors its preview *and its pictures* unless
  the camera faces away from the user: a laptop's webcam, or a phone browser's front camera.
  A stored photo is evidence and is never mirrored: `unmirror` turns such a picture back.
- `LiveScan` reads preview frames one after another until a label is accepted: a frame
  with no code, or only codes already refused (a WeChat QR, a label of another site, a
  point already scanned), just lets the next frame come; each refusal is shown once.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from PIL import Image, ImageOps

from app.qr import QRDecodeError, decode_qr

__all__ = ["FRAME_EVERY_S", "LiveScan", "picture_is_mirrored", "unmirror"]

FRAME_EVERY_S = 0.25  # at most one preview frame decoded per this many seconds


def picture_is_mirrored(web: bool, lens_direction: str | None) -> bool:
    """flet-camera's web side mirrors pictures of any camera not facing the environment;
    native cameras give pictures as the sensor sees them."""
    return web and lens_direction != "back"


def unmirror(raw: bytes) -> bytes:
    """The picture flipped back left-to-right, as a JPEG of high quality."""
    with Image.open(io.BytesIO(raw)) as opened:
        img = ImageOps.mirror(ImageOps.exif_transpose(opened).convert("RGB"))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=95)
    return buf.getvalue()


@dataclass
class LiveScan:
    """Frames in, at most one accepted payload out.

    `accept(text)` is the screen's handler for a decoded text: True when the label was taken
    (the scan is saved and the screen moves on), False when it was refused (and the refusal
    shown). A refused text is not offered again, so its message is not repeated at every
    frame.
    """

    accept: Callable[[str], bool]
    decode: Callable[[bytes], list[str]] = decode_qr
    refused: set[str] = field(default_factory=set)
    done: bool = False
    frames: int = 0
    started: float = field(default_factory=time.monotonic)
    read_after_s: float | None = None

    def read(self, raw: bytes) -> list[str]:
        """The texts in one frame (no side effects: may run off the UI thread)."""
        try:
            return self.decode(raw)
        except QRDecodeError:
            return []

    def offer(self, texts: list[str]) -> bool:
        """Offer a frame's new texts; True once a label was accepted."""
        if self.done:
            return True
        self.frames += 1
        for text in texts:
            if text in self.refused:
                continue
            if self.accept(text):
                self.done = True
                self.read_after_s = time.monotonic() - self.started
                return True
            self.refused.add(text)
        return False

    def frame(self, raw: bytes) -> bool:
        return self.offer(self.read(raw))
