"""The coverage map screen's data: the map, a point's detail, the plan image and photo
thumbnails, each after the API's permission check for reports (`server.access`)."""

from __future__ import annotations

import io
from collections import OrderedDict
from collections.abc import Sequence

from PIL import Image

from server import access
from server.console.models.session import ConsoleSession
from server.coverage_map import (
    CoverageMap,
    MapFilter,
    Marker,
    PointDetail,
    coverage_map,
    point_detail,
)

__all__ = [
    "THUMB_PX",
    "load_detail",
    "load_map",
    "nearest_marker",
    "photo_thumbnail",
    "plan_image",
]

THUMB_PX = 240


def load_map(session: ConsoleSession, flt: MapFilter) -> CoverageMap:
    """The chosen site's map for the chosen period (403/404 like the API)."""
    user = session.user()
    site_id = session.site_id or ""
    access.require_reports(user, site_id)
    start, end = session.bounds()
    return coverage_map(session.storage, site_id, start, end, session.now(), flt)


def nearest_marker(
    markers: Sequence[Marker], x: float, y: float, width: float, height: float, reach: float
) -> str | None:
    """The point whose marker is nearest a tap at (x, y) px on a plan drawn `width` ×
    `height`, if within `reach` px. Markers a few px apart have overlapping tap targets:
    the nearest dot wins, not whichever was drawn last."""
    best, best_d2 = None, reach * reach
    for m in markers:
        if m.x is None or m.y is None:
            continue
        d2 = (m.x * width - x) ** 2 + (m.y * height - y) ** 2
        if d2 <= best_d2:
            best, best_d2 = m.point_id, d2
    return best


def load_detail(session: ConsoleSession, point_id: str, flt: MapFilter) -> PointDetail | None:
    user = session.user()
    site_id = session.site_id or ""
    access.require_reports(user, site_id)
    start, end = session.bounds()
    return point_detail(session.storage, site_id, point_id, start, end, session.now(), flt)


def plan_image(session: ConsoleSession) -> tuple[bytes, int, int] | None:
    """The site plan (bytes, width, height), or None when the site has none (or it is
    unreadable)."""
    user = session.user()
    site_id = session.site_id or ""
    access.require_reports(user, site_id)
    site = session.storage.site(site_id)
    sha = site["plan_sha"] if site else None
    data = session.blobs.get(sha) if sha and session.blobs else None
    if data is None:
        return None
    size = _size(data)
    return None if size is None else (data, *size)


def photo_thumbnail(session: ConsoleSession, sha: str) -> bytes | None:
    """A JPEG thumbnail of a photo uploaded to the chosen site; None for any other photo
    (another site's is not found, exactly as the API's photo route answers)."""
    user = session.user()
    site_id = session.site_id or ""
    access.require_reports(user, site_id)
    if session.storage.photo([site_id], sha) is None or session.blobs is None:
        return None
    if sha in _THUMBS:
        _THUMBS.move_to_end(sha)
        return _THUMBS[sha]
    try:
        data = session.blobs.get(sha)
    except ValueError:  # not a SHA-256
        return None
    thumb = _thumbnail(data) if data else None
    _THUMBS[sha] = thumb
    if len(_THUMBS) > _MAX_THUMBS:
        _THUMBS.popitem(last=False)
    return thumb


# Thumbnails by photo hash (content-addressed, so never stale), most recent last.
_THUMBS: OrderedDict[str, bytes | None] = OrderedDict()
_MAX_THUMBS = 512


def _thumbnail(data: bytes) -> bytes | None:
    try:
        img = Image.open(io.BytesIO(data))
        img.thumbnail((THUMB_PX, THUMB_PX))
        out = io.BytesIO()
        img.convert("RGB").save(out, "JPEG", quality=80)
    except Exception:  # an unreadable photo shows no thumbnail, never an error
        return None
    return out.getvalue()


def _size(data: bytes) -> tuple[int, int] | None:
    try:
        with Image.open(io.BytesIO(data)) as img:
            return img.size
    except Exception:
        return None
