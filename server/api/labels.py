"""Printable QR labels for a site's checkpoints and areas (leads, supervisors, managers)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response

from domain.labels import label_payload
from server.api.deps import CurrentCaller, Store, require_reports
from server.images import SERVED_IMAGE_HEADERS
from server.label_images import label_png

router = APIRouter(prefix="/sites/{site_id}", tags=["labels"])


@router.get(
    "/points/{point_id}/label.png",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}, 403: {"description": "field staff"}},
)
async def point_label(
    site_id: str, point_id: str, caller: CurrentCaller, storage: Store
) -> Response:
    """A 600×760 px PNG label: the signed QR, the point's name and its short code."""
    require_reports(caller, site_id)
    site = storage.site(site_id)
    point = next((p for p in storage.points(site_id) if p.id == point_id), None)
    if site is None or point is None:
        raise HTTPException(404, "point not found")
    payload = label_payload(site_id, point_id, site["label_key"])
    png = label_png(payload, point.name, point.short_code, site["name"])
    return Response(png, media_type="image/png", headers=SERVED_IMAGE_HEADERS)
