"""Decoding QR codes from a camera frame, in Python.

zxing-cpp where it installs (desktop, server, CI: fast and robust); OpenCV's QR detector
where it does not (Flet's mobile wheel index has opencv-python but not zxing-cpp).
"""

from __future__ import annotations

import io

from PIL import Image, ImageOps

__all__ = ["QRDecodeError", "decode_qr", "decoder_name"]


class QRDecodeError(ValueError):
    pass


try:
    import zxingcpp

    _QR_ONLY = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)

    def _decode(img: Image.Image) -> list[str]:
        return [r.text for r in zxingcpp.read_barcodes(img, formats=_QR_ONLY)]

    decoder_name = "zxing-cpp"
except ImportError:  # pragma: no cover - exercised on phones
    import cv2
    import numpy as np

    _detector = cv2.QRCodeDetector()

    def _decode(img: Image.Image) -> list[str]:
        ok, texts, _, _ = _detector.detectAndDecodeMulti(np.asarray(img.convert("L")))
        return [t for t in texts if t] if ok else []

    decoder_name = "opencv"


def decode_qr(frame: bytes) -> list[str]:
    """Every QR text found in an encoded image (JPEG, PNG…); empty when none is readable."""
    try:
        with Image.open(io.BytesIO(frame)) as opened:
            img = ImageOps.exif_transpose(opened).convert("RGB")
    except (OSError, ValueError) as exc:
        raise QRDecodeError("the camera image could not be read") from exc
    texts = _decode(img)
    if not texts and max(img.size) > 1600:  # large frames: retry smaller
        img.thumbnail((1200, 1200))
        texts = _decode(img)
    return texts
