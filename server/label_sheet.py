"""A4 sheets of QR labels for chosen points, print-ready with cut marks (fpdf2).

Each label: the signed QR (its current serial, `domain.labels`), the point's Chinese
name, its short code (typed when a label is damaged), the site, and the print's serial.
Twelve labels a page (3 × 4, 60 × 66 mm), with crop marks in the gutters at every corner.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import qrcode
from fpdf import FPDF
from PIL import Image

from server.label_images import FONT_FILE

__all__ = ["LabelSpec", "label_sheet_pdf"]

COLUMNS, ROWS = 3, 4
WIDTH, HEIGHT = 60.0, 66.0  # mm, one label
GUTTER = 6.0  # mm between labels, where the cut marks go
MARK = 3.0  # mm, length of a cut mark


@dataclass(frozen=True, slots=True)
class LabelSpec:
    payload: str
    name: str
    short_code: str
    site_name: str
    serial: int


def _qr_image(payload: str) -> Image.Image:
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=8, border=4)
    qr.add_data(payload)
    qr.make(fit=True)
    return qr.make_image(fill_color="black", back_color="white").get_image().convert("L")


def _cut_marks(pdf: FPDF, x: float, y: float) -> None:
    """Crop marks just outside each corner of the label at (x, y), none on the label."""
    gap = 1.0
    for cx, dx in ((x, -1), (x + WIDTH, 1)):
        for cy, dy in ((y, -1), (y + HEIGHT, 1)):
            pdf.line(cx + dx * gap, cy, cx + dx * (gap + MARK), cy)
            pdf.line(cx, cy + dy * gap, cx, cy + dy * (gap + MARK))


def label_sheet_pdf(labels: Sequence[LabelSpec]) -> bytes:
    """The labels, twelve to an A4 page; an empty list gives a page saying so."""
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.add_font("cjk", "", str(FONT_FILE))
    pdf.set_draw_color(0)
    pdf.set_line_width(0.2)
    left = (210 - COLUMNS * WIDTH - (COLUMNS - 1) * GUTTER) / 2
    top = (297 - ROWS * HEIGHT - (ROWS - 1) * GUTTER) / 2
    if not labels:
        pdf.add_page()
        pdf.set_font("cjk", size=14)
        pdf.text(20, 30, "没有选择点位 — no points chosen")
    for i, spec in enumerate(labels):
        slot = i % (COLUMNS * ROWS)
        if slot == 0:
            pdf.add_page()
        col, row = slot % COLUMNS, slot // COLUMNS
        x, y = left + col * (WIDTH + GUTTER), top + row * (HEIGHT + GUTTER)
        _cut_marks(pdf, x, y)
        size = 46.0
        pdf.image(_qr_image(spec.payload), x=x + (WIDTH - size) / 2, y=y + 1, w=size, h=size)
        pdf.set_font("cjk", size=12)
        pdf.set_xy(x, y + size + 1.5)
        pdf.cell(WIDTH, 6, spec.name[:16], align="C")
        pdf.set_font("cjk", size=9)
        pdf.set_xy(x, y + size + 8)
        pdf.cell(WIDTH, 4.5, f"{spec.short_code}  {spec.site_name}"[:34], align="C")
        pdf.set_font("cjk", size=6)
        pdf.set_xy(x, y + size + 13)
        pdf.cell(WIDTH, 3.5, f"第 {spec.serial + 1} 版 · print {spec.serial + 1}", align="C")
    return bytes(pdf.output())
