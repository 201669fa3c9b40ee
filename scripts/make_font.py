"""Rebuilds app/assets/fonts/NotoSansSC-Regular.ttf, the bundled CJK font.

Offline, Flet's web client has no CJK fallback font, and Pillow needs one to stamp photos.
Noto Sans SC (SIL OFL 1.1) from npm's @expo-google-fonts/noto-sans-sc, subset with
fonttools to ASCII, Latin-1, CJK punctuation and the 6,763 hanzi of GB2312 (all common
simplified characters), which cuts ~10 MB to ~3 MB.

    npm pack @expo-google-fonts/noto-sans-sc && tar xzf expo-google-fonts-noto-sans-sc-*.tgz
    python scripts/make_font.py package/400Regular/NotoSansSC_400Regular.ttf
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset


def gb2312_characters() -> str:
    """GB2312's hanzi rows 16-87 (0xB0-0xF7), skipping its empty cells."""
    rows = bytes(b for high in range(0xB0, 0xF8) for low in range(0xA1, 0xFF) for b in (high, low))
    return rows.decode("gb2312", errors="ignore")


def main(source: str) -> None:
    out = Path(__file__).resolve().parent.parent / "app" / "assets" / "fonts"
    text = (
        "".join(chr(c) for c in range(0x20, 0x100))
        + "".join(chr(c) for c in range(0x3000, 0x3040))  # CJK punctuation
        + "".join(chr(c) for c in range(0xFF00, 0xFFF0))  # full-width forms
        + "✓✗→←↑↓·…—–•○●△▲□■☆★"
        + gb2312_characters()
    )
    options = subset.Options()
    options.layout_features = ["*"]
    font = subset.load_font(source, options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text)
    subsetter.subset(font)
    subset.save_font(font, str(out / "NotoSansSC-Regular.ttf"), options)
    print(f"wrote {out / 'NotoSansSC-Regular.ttf'}")


if __name__ == "__main__":
    main(sys.argv[1])
