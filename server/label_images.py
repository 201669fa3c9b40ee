"""Printable QR labels: the signed payload as a QR code, the point's name and short code."""

from __future__ import annotations

import io
from pathlib import Path

import qrcode
from PIL import Image, ImageDraw, ImageFont

__all__ = ["FONT_FILE", "label_png"]

FONT_FILE = (
    Path(__file__).resolve().parent.parent / "app" / "assets" / "fonts" / "NotoSansSC-Regular.ttf"
)


def label_png(payload: str, name: str, short_code: str, site_name: str = "") -> bytes:
    """A 600×760 px label (5×6.3 cm at 300 dpi), PNG."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=10, border=4)
    qr.add_data(payload)
    qr.make(fit=True)
    code = qr.make_image(fill_color="black", back_color="white").get_image().convert("RGB")
    code = code.resize((560, 560), Image.Resampling.NEAREST)
    label = Image.new("RGB", (600, 760), "white")
    label.paste(code, (20, 10))
    draw = ImageDraw.Draw(label)
    big, small = ImageFont.truetype(str(FONT_FILE), 44), ImageFont.truetype(str(FONT_FILE), 30)
    draw.text((300, 600), name, fill="black", font=big, anchor="mt")
    draw.text(
        (300, 665), f"{short_code}  {site_name}".strip(), fill="black", font=small, anchor="mt"
    )
    draw.rectangle([2, 2, 597, 757], outline="black", width=3)
    buf = io.BytesIO()
    label.save(buf, "PNG")
    return buf.getvalue()
