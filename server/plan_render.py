"""The coverage map as a PNG (Pillow): the site plan, a filled circle per placed point in
its status colour (a shift), share band colour (a day or longer) or gap colour, and a
legend. For reports (the monthly PDF) and the
API route `GET /sites/{id}/coverage-map.png`; the console draws the same colours.

A site with no plan gets a plain canvas saying so; points with no position are counted
in the legend ("not placed: N"); an empty period says so in the title line.
"""

from __future__ import annotations

import io
from datetime import timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from PIL import Image, ImageDraw, ImageFont

from domain.presence import COVERED_SHARE, GAP_LEVELS, MapStatus, ShareBand
from server.blobs import BlobStore
from server.coverage_map import CoverageMap, Marker
from server.label_images import FONT_FILE

__all__ = [
    "BAND_COLOURS",
    "GAP_COLOURS",
    "NO_DATA_COLOUR",
    "STATUS_COLOURS",
    "band_label",
    "coverage_map_png",
    "marker_colour",
    "marker_radius",
]

STATUS_COLOURS: dict[MapStatus, str] = {
    MapStatus.MISSED: "#D32F2F",
    MapStatus.PENDING: "#7B1FA2",
    MapStatus.LATE: "#F57C00",
    MapStatus.EARLY: "#FBC02D",
    MapStatus.ON_TIME: "#388E3C",
    MapStatus.UPCOMING: "#1976D2",
    MapStatus.NONE: "#9E9E9E",
}
# Over a day or longer, by share band (domain.presence.share_band).
BAND_COLOURS: dict[ShareBand, str] = {
    ShareBand.ALL_ON_TIME: "#2E7D32",  # green
    ShareBand.COVERED: "#9CCC65",  # light green
    ShareBand.SHORT: "#FFB300",  # amber
    ShareBand.POOR: "#D32F2F",  # red
    ShareBand.PENDING: "#7B1FA2",  # purple, as a shift's pending review
    ShareBand.UPCOMING: "#1976D2",  # blue, as a shift's not yet due
    ShareBand.NONE: "#9E9E9E",
}
GAP_COLOURS: tuple[str, ...] = ("#388E3C", "#FBC02D", "#F57C00", "#D32F2F")  # by gap level
NO_DATA_COLOUR = "#9E9E9E"
MAX_WIDTH = 1600
LEGEND_HEIGHT = 120

_WORDS = {
    "zh": {
        MapStatus.MISSED: "漏巡",
        MapStatus.PENDING: "待审核",
        MapStatus.LATE: "迟到",
        MapStatus.EARLY: "提前",
        MapStatus.ON_TIME: "准时",
        MapStatus.UPCOMING: "未到时间",
        MapStatus.NONE: "无任务",
        "gap": "最长无人间隔",
        "unplaced": "未标注位置：{n} 个点",
        "no_plan": "该项目尚未上传平面图",
        "empty": "该时段没有任务和记录",
        "hours": "{h} 小时",
        ShareBand.ALL_ON_TIME: "全部准时",
        ShareBand.COVERED: "完成≥{hi}%",
        ShareBand.SHORT: "完成{lo}–{hi}%",
        ShareBand.POOR: "完成<{lo}%",
        ShareBand.PENDING: "待审核",
        ShareBand.UPCOMING: "未到时间",
        ShareBand.NONE: "无任务",
    },
    "en": {
        MapStatus.MISSED: "missed",
        MapStatus.PENDING: "pending review",
        MapStatus.LATE: "late",
        MapStatus.EARLY: "early",
        MapStatus.ON_TIME: "on time",
        MapStatus.UPCOMING: "not yet due",
        MapStatus.NONE: "nothing due",
        "gap": "longest gap",
        "unplaced": "not placed: {n} points",
        "no_plan": "this site has no plan yet",
        "empty": "nothing was due or scanned in this period",
        "hours": "{h} h",
        ShareBand.ALL_ON_TIME: "all on time",
        ShareBand.COVERED: "≥ {hi} % covered",
        ShareBand.SHORT: "{lo}–{hi} % covered",
        ShareBand.POOR: "< {lo} % covered",
        ShareBand.PENDING: "pending review",
        ShareBand.UPCOMING: "not yet due",
        ShareBand.NONE: "nothing due",
    },
}


def marker_colour(marker: Marker, gaps: bool = False) -> str:
    """The marker's fill: in the gap view its gap level's colour; over a day or longer its
    share band's colour; over a shift its status colour."""
    if gaps:
        level = marker.gap_level
        return NO_DATA_COLOUR if level is None else GAP_COLOURS[level]
    if marker.band is not None:
        return BAND_COLOURS[marker.band]
    return STATUS_COLOURS[marker.status]


def band_label(band: ShareBand, words: dict, threshold: float) -> str:
    """A share band's legend text, with the site's threshold and the covered share."""
    text: str = words[band]
    return text.format(lo=round(threshold * 100), hi=round(COVERED_SHARE * 100))


def marker_radius(width: int) -> int:
    """Marker radius in pixels for a plan drawn `width` pixels wide."""
    return max(8, round(width / 90))


@lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_FILE), size)


def _plan(blobs: BlobStore, plan_sha: str | None) -> Image.Image | None:
    data = blobs.get(plan_sha) if plan_sha else None
    if data is None:
        return None
    try:
        opened = Image.open(io.BytesIO(data))
        opened.load()
    except Exception:  # a damaged plan draws like a missing one
        return None
    img = opened.convert("RGB")
    if img.width > MAX_WIDTH:
        img = img.resize((MAX_WIDTH, round(img.height * MAX_WIDTH / img.width)))
    return img


def coverage_map_png(
    cmap: CoverageMap, blobs: BlobStore, *, gaps: bool = False, lang: str = "zh"
) -> bytes:
    """The map as PNG bytes: plan on top, legend below."""
    words = _WORDS.get(lang, _WORDS["zh"])
    plan = _plan(blobs, cmap.plan_sha)
    no_plan = plan is None
    if plan is None:
        plan = Image.new("RGB", (MAX_WIDTH, 1200), (240, 240, 240))
    w, h = plan.size
    canvas = Image.new("RGB", (w, h + LEGEND_HEIGHT), "white")
    canvas.paste(plan, (0, 0))
    d = ImageDraw.Draw(canvas)
    r = marker_radius(w)
    for m in cmap.placed:
        assert m.x is not None and m.y is not None
        cx, cy = round(m.x * w), round(m.y * h)
        d.ellipse(
            [cx - r, cy - r, cx + r, cy + r],
            fill=marker_colour(m, gaps),
            outline="white",
            width=max(2, r // 4),
        )
    if no_plan:
        d.text((40, 40), words["no_plan"], fill=(90, 90, 90), font=_font(40))
    _legend(d, cmap, words, w, h, gaps)
    buf = io.BytesIO()
    canvas.save(buf, "PNG")
    return buf.getvalue()


def _legend(
    d: ImageDraw.ImageDraw, cmap: CoverageMap, words: dict, w: int, h: int, gaps: bool
) -> None:
    font = _font(24)
    tz = ZoneInfo(cmap.tz)
    last = cmap.end - timedelta(microseconds=1)
    title = (
        f"{cmap.site_name}  {cmap.start.astimezone(tz):%Y-%m-%d} – {last.astimezone(tz):%Y-%m-%d}"
    )
    if gaps:
        title += f"  · {words['gap']}"
    if cmap.empty:
        title += f"  · {words['empty']}"
    d.text((20, h + 12), title, fill=(30, 30, 30), font=font)
    if gaps:
        hours = [0, *(int(limit.total_seconds() // 3600) for limit in GAP_LEVELS)]
        entries = [
            (GAP_COLOURS[i], words["hours"].format(h=f"{hours[i]}–{hours[i + 1]}"))
            for i in range(len(GAP_LEVELS))
        ]
        entries.append((GAP_COLOURS[-1], "> " + words["hours"].format(h=hours[-1])))
    elif cmap.by_share:
        entries = [
            (BAND_COLOURS[b], f"{band_label(b, words, cmap.threshold)} {cmap.count(b)}")
            for b in ShareBand
        ]
    else:
        entries = [(STATUS_COLOURS[s], f"{words[s]} {cmap.count(s)}") for s in MapStatus]
    x, y = 20, h + 52
    for colour, text in entries:
        width = 48 + round(d.textlength(text, font=font))
        if x > 20 and x + width > w:  # wrap onto a second line
            x, y = 20, y + 34
        d.ellipse([x, y, x + 24, y + 24], fill=colour)
        d.text((x + 32, y - 4), text, fill=(30, 30, 30), font=font)
        x += width
    unplaced = len(cmap.unplaced)
    if unplaced:
        d.text((x + 20, y - 4), words["unplaced"].format(n=unplaced), fill=(150, 30, 30), font=font)
