"""QR decoding success rate and time per frame, clean and degraded labels.

    .venv/bin/python -m bench.qr_decode

Baseline (same run): decoding the clean label frames. Each degradation prints its success
rate, ms per frame and the ratio of its time to the baseline's.
"""

from __future__ import annotations

import time

from app.qr import decode_qr, decoder_name
from tests.client.degrade import DEGRADATIONS, degraded_frame
from tests.client.helpers import label_image
from tests.factory import label

POINTS = [f"c{i:02d}" for i in range(1, 21)] + ["a01"]


def measure(how: str) -> tuple[float, float]:
    frames = [(degraded_frame(label_image("alpha", p), how), label("alpha", p)) for p in POINTS]
    ok, started = 0, time.perf_counter()
    for frame, expected in frames:
        ok += decode_qr(frame) == [expected]
    elapsed = time.perf_counter() - started
    return ok / len(frames), elapsed * 1000 / len(frames)


def main() -> None:
    print(f"decoder: {decoder_name}, {len(POINTS)} labels per kind of frame")
    _, baseline = measure("clean")
    for how in DEGRADATIONS:
        rate, ms = measure(how)
        print(
            f"{how:14} success {rate:6.1%}  {ms:6.1f} ms/frame  ratio to clean {ms / baseline:4.1f}"
        )


if __name__ == "__main__":
    main()
