"""QR decoding on labels as the field sees them: rate and time per frame, by category.

    .venv/bin/python -m bench.qr_decode [frames per category, default 30]

Frames: the hard degraded set of tests/client/degrade.py (steep perspective, poles and
pipes, tiny codes, dim and noisy, hand shake, glare, dirt and stickers, JPEG 20–70, all at
once), made from real signed labels. Four decoders read the same frames in the same run:

- bare zxing-cpp and bare OpenCV (one call each, as a naive app would): the baselines;
- the app's web/desktop path (`app.qr.zxing_path`) and phone path (`app.qr.opencv_path`),
  each within its default time budget.

Each row prints the success rate and median ms per frame; the summary prints each path's
rate and median ms beside its baseline's, with the ratios.
"""

from __future__ import annotations

import io
import statistics
import sys
import time
from collections.abc import Callable

import cv2
import numpy as np
import zxingcpp
from PIL import Image

from app.qr import BUDGET_MS, opencv_path, zxing_path
from tests.client.degrade import CATEGORIES, hard_set

_QR = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
_CV = cv2.QRCodeDetector()


def bare_zxing(img: Image.Image) -> list[str]:
    return [b.text for b in zxingcpp.read_barcodes(img, formats=_QR)]


def bare_opencv(img: Image.Image) -> list[str]:
    text = _CV.detectAndDecode(np.asarray(img))[0]
    return [text] if text else []


DECODERS: dict[str, Callable[[Image.Image], list[str]]] = {
    "bare zxing-cpp": bare_zxing,
    "bare OpenCV": bare_opencv,
    "web/desktop path": lambda img: zxing_path(img, BUDGET_MS["zxing-cpp"]),
    "phone path": lambda img: opencv_path(img, BUDGET_MS["opencv"]),
}


PAIRS = (("web/desktop path", "bare zxing-cpp", 11), ("phone path", "bare OpenCV", 10))


def measure(
    decode: Callable[[Image.Image], list[str]], frames: list[tuple[bytes, str]]
) -> tuple[int, list[float]]:
    """How many frames read right, and ms per frame (decoding the JPEG included)."""
    ok, times = 0, []
    for jpeg, expected in frames:
        started = time.perf_counter()
        texts = decode(Image.open(io.BytesIO(jpeg)).convert("L"))
        times.append((time.perf_counter() - started) * 1000)
        ok += expected in texts
    return ok, times


def main() -> None:
    per_category = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    made = hard_set(per_category)
    print(f"{per_category} frames per category, 1280×720 JPEG; rate / median ms per frame")
    print(
        f"{'category':14}"
        + "".join(f"{name:>22}" for name in DECODERS)
        + f"{'web/zxing':>11}{'phone/cv':>10}"
    )
    totals: dict[str, tuple[int, list[float]]] = {name: (0, []) for name in DECODERS}
    for category in CATEGORIES:
        row, rates = f"{category:14}", {}
        for name, decode in DECODERS.items():
            ok, times = measure(decode, made[category])
            rates[name] = ok
            row += f"{ok / per_category:>13.0%} {statistics.median(times):6.1f} ms"
            total_ok, total_times = totals[name]
            totals[name] = (total_ok + ok, total_times + times)
        # rate ratios of each path to its bare baseline (× read as many; "inf": bare read none)
        for path, baseline, width in PAIRS:
            ratio = rates[path] / rates[baseline] if rates[baseline] else float("inf")
            row += f"{ratio:>{width - 1}.2f}×"
        print(row, flush=True)
    n = per_category * len(CATEGORIES)
    summary = {name: (ok / n, statistics.median(times)) for name, (ok, times) in totals.items()}
    print(f"{'all':14}" + "".join(f"{rate:>13.1%} {ms:6.1f} ms" for rate, ms in summary.values()))
    for path, baseline, _ in PAIRS:
        (rate, ms), (base_rate, base_ms) = summary[path], summary[baseline]
        print(
            f"{path}: {rate:.1%} at {ms:.1f} ms median; {baseline} {base_rate:.1%} at "
            f"{base_ms:.1f} ms: rate ratio {rate / max(base_rate, 1e-9):.2f}, "
            f"time ratio {ms / base_ms:.2f}"
        )


if __name__ == "__main__":
    main()
