"""Decoding QR codes from a camera frame, in Python, as a scanner does.

Two paths, each a list of passes tried in turn until one reads a code or the frame's time
budget is spent (the first pass always runs):

- **zxing-cpp** where it installs (desktop, web server, CI): a plain read, which also says
  where it saw a code it could not read; that spot cut out and enlarged; the whole frame
  enlarged 1.5× and 2× (small codes: 2–3 camera pixels per module); the enlarged frame with
  its contrast stretched (dim or glared labels). Needs only Pillow besides zxing-cpp.
- **OpenCV** on phones (Flet's mobile wheel index has opencv-python but not zxing-cpp):
  OpenCV's detectors find small codes badly, so the passes first look for dense black and
  white texture (where a code is), cut each such spot out and enlarge it, then try the
  single-code detector, the ArUco-based detector, a sharpened copy and a contrast-limited
  (CLAHE) copy; last, the whole frame as it is.

A frame whose codes are all unreadable gives an empty list: the live scanner just takes the
next frame. `budget_ms=None` runs every pass (for tests, whose results must not depend on
the machine's speed).
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Sequence
from typing import Any

from PIL import Image, ImageOps

__all__ = [
    "BUDGET_MS",
    "QRDecodeError",
    "decode_image",
    "decode_qr",
    "decoder_name",
    "opencv_path",
    "paths",
    "zxing_path",
]

BUDGET_MS = {"zxing-cpp": 200.0, "opencv": 300.0}  # per frame; a live frame comes every ~250 ms
MAX_SIDE = 1600  # larger frames are shrunk first: a label fills far more than 1/1600 of one

Texts = list[str]
DecodePath = Callable[[Image.Image, float | None], Texts]


class QRDecodeError(ValueError):
    pass


def _run(passes: Sequence[Callable[[], Texts]], budget_ms: float | None) -> Texts:
    """Each pass in turn until one reads something or the budget is spent."""
    deadline = None if budget_ms is None else time.perf_counter() + budget_ms / 1000
    for index, attempt in enumerate(passes):
        if index and deadline is not None and time.perf_counter() > deadline:
            break
        texts = attempt()
        if texts:
            return texts
    return []


def _enlarge(img: Image.Image, factor: float) -> Image.Image:
    size = (round(img.width * factor), round(img.height * factor))
    return img.resize(size, Image.Resampling.BICUBIC)


# -- zxing-cpp ---------------------------------------------------------------------------------

try:
    import zxingcpp
except ImportError:  # pragma: no cover - phones
    zxingcpp = None  # type: ignore[assignment]


def zxing_path(img: Image.Image, budget_ms: float | None = BUDGET_MS["zxing-cpp"]) -> Texts:
    """Every QR text zxing-cpp finds in a greyscale image, trying harder pass by pass."""
    if zxingcpp is None:  # pragma: no cover - phones
        raise RuntimeError("zxing-cpp is not installed")
    qr_only = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    seen: list[tuple[int, int, int, int]] = []

    def read(image: Image.Image, **options: Any) -> Texts:
        found = zxingcpp.read_barcodes(image, formats=qr_only, try_invert=False, **options)
        return [b.text for b in found if b.valid]

    def plain() -> Texts:
        found = zxingcpp.read_barcodes(img, formats=qr_only, try_invert=False, return_errors=True)
        for b in found:
            if not b.valid:  # a code is there but did not read: remember where
                p = b.position
                xs = (p.top_left.x, p.top_right.x, p.bottom_left.x, p.bottom_right.x)
                ys = (p.top_left.y, p.top_right.y, p.bottom_left.y, p.bottom_right.y)
                seen.append((min(xs), min(ys), max(xs), max(ys)))
        return [b.text for b in found if b.valid]

    def spots() -> Texts:
        for box in seen[:2]:
            texts = read(_enlarge(_cut(img, box), 3), try_downscale=False)
            if texts:
                return texts
        return []

    def enlarged(factor: float, stretch: bool = False) -> Callable[[], Texts]:
        def attempt() -> Texts:
            big = _enlarge(img, factor)
            return read(
                ImageOps.autocontrast(big, cutoff=1) if stretch else big, try_downscale=False
            )

        return attempt

    return _run([plain, spots, enlarged(1.5), enlarged(2), enlarged(2, stretch=True)], budget_ms)


def _cut(img: Image.Image, box: tuple[int, int, int, int], margin: float = 0.3) -> Image.Image:
    x0, y0, x1, y1 = box
    w, h = max(x1 - x0, 20), max(y1 - y0, 20)
    return img.crop(
        (
            max(int(x0 - w * margin), 0),
            max(int(y0 - h * margin), 0),
            min(int(x1 + w * margin), img.width),
            min(int(y1 + h * margin), img.height),
        )
    )


# -- OpenCV ------------------------------------------------------------------------------------

try:
    import cv2
    import numpy as np
except ImportError:  # pragma: no cover - desktops without the dev extra
    cv2 = None  # type: ignore[assignment]


def _texture_spots(gray: Any, most: int = 2) -> list[tuple[int, int, int, int]]:
    """Boxes round the places densest in black-and-white edges (where a QR code is), best
    first, with a margin: a morphological gradient, averaged, thresholded at 45 % of its
    peak, joined into blobs; long thin blobs (text lines, edges) are dropped."""
    h, w = gray.shape
    f = 2 if max(h, w) > 800 else 1
    small = cv2.resize(gray, (w // f, h // f), interpolation=cv2.INTER_AREA) if f > 1 else gray
    edges = cv2.morphologyEx(small, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8))
    density = cv2.blur(edges, (9, 9))
    threshold = max(int(density.max()) * 0.45, 12)
    mask = cv2.threshold(density, threshold, 255, cv2.THRESH_BINARY)[1]
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((7, 7), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask)
    found = []
    for i in range(1, count):
        x, y, bw, bh, area = (int(v) for v in stats[i])
        if min(bw, bh) < 12 or max(bw, bh) > 4 * min(bw, bh):
            continue
        score = float(density[labels == i].mean()) * area**0.5
        found.append((score, x, y, bw, bh))
    found.sort(reverse=True)
    boxes = []
    for _, x, y, bw, bh in found[:most]:
        mx, my = bw // 4 + 4, bh // 4 + 4
        boxes.append(
            (
                max((x - mx) * f, 0),
                max((y - my) * f, 0),
                min((x + bw + mx) * f, w),
                min((y + bh + my) * f, h),
            )
        )
    return boxes


def opencv_path(img: Image.Image, budget_ms: float | None = BUDGET_MS["opencv"]) -> Texts:
    """Every QR text OpenCV finds in a greyscale image: the phone's decoder."""
    if cv2 is None:  # pragma: no cover
        raise RuntimeError("OpenCV is not installed")
    gray = np.asarray(img)
    single, aruco = cv2.QRCodeDetector(), cv2.QRCodeDetectorAruco()
    clahe = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(4, 4))

    def read(detector: Any, image: Any) -> Texts:
        try:
            text = detector.detectAndDecode(image)[0]
        except cv2.error:
            return []
        return [text] if text else []

    def enlarged(cut: Any, side: int) -> Any:
        factor = min(max(side / max(cut.shape), 1.0), 5.0)
        return cv2.resize(cut, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)

    def sharpened(image: Any) -> Any:
        return cv2.addWeighted(image, 2.0, cv2.GaussianBlur(image, (0, 0), 2.0), -1.0, 0)

    def on(cut: Any) -> list[Callable[[], Texts]]:
        return [
            lambda: read(single, enlarged(cut, 800)),
            lambda: read(aruco, enlarged(cut, 640)),
            lambda: read(single, sharpened(enlarged(cut, 640))),
            lambda: read(aruco, enlarged(clahe.apply(cut), 480)),
        ]

    passes: list[Callable[[], Texts]] = []
    for x0, y0, x1, y1 in _texture_spots(gray):
        passes += on(gray[y0:y1, x0:x1])
    passes.append(lambda: read(single, gray))
    return _run(passes, budget_ms)


# -- the app's decoder -------------------------------------------------------------------------


def paths() -> dict[str, DecodePath]:
    """The decoding paths installed here, by name."""
    found: dict[str, DecodePath] = {}
    if zxingcpp is not None:
        found["zxing-cpp"] = zxing_path
    if cv2 is not None:
        found["opencv"] = opencv_path
    return found


decoder_name = "zxing-cpp" if zxingcpp is not None else "opencv"


def decode_image(img: Image.Image, path: str | None = None, budget_ms: float | None = -1) -> Texts:
    """Every QR text in an image, by the named path (default: the best installed) within its
    time budget (`-1`: the path's default; `None`: no limit)."""
    name = path or decoder_name
    gray = img.convert("L")
    if max(gray.size) > MAX_SIDE:
        gray.thumbnail((MAX_SIDE, MAX_SIDE))
    budget = BUDGET_MS[name] if budget_ms == -1 else budget_ms
    return paths()[name](gray, budget)


def decode_qr(frame: bytes, path: str | None = None, budget_ms: float | None = -1) -> Texts:
    """Every QR text found in an encoded image (JPEG, PNG…); empty when none is readable."""
    try:
        with Image.open(io.BytesIO(frame)) as opened:
            img = ImageOps.exif_transpose(opened)
            img.load()
    except (OSError, ValueError) as exc:
        raise QRDecodeError("the camera image could not be read") from exc
    return decode_image(img, path, budget_ms)
