"""Printable QR labels for a site's checkpoints and areas (leads, supervisors, managers)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Response
from pydantic import BaseModel, Field, StringConstraints

from domain.labels import label_payload
from server.api.deps import CurrentCaller, Store, require_admin, require_reports
from server.images import SERVED_IMAGE_HEADERS
from server.label_images import label_png
from server.label_sheet import LabelSpec, label_sheet_pdf

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
    serial = storage.label_serials(site_id).get(point_id, 0)
    payload = label_payload(site_id, point_id, site["label_key"], serial)
    png = label_png(payload, point.name, point.short_code, site["name"])
    return Response(png, media_type="image/png", headers=SERVED_IMAGE_HEADERS)


PointId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,40}$")]


class SheetIn(BaseModel):
    point_ids: Annotated[list[PointId], Field(min_length=1, max_length=600)]
    reprint: bool = False


@router.post(
    "/label-sheet.pdf",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}}},
        403: {"description": "field staff; a reprint needs a manager or admin"},
    },
)
async def label_sheet(
    site_id: str, body: SheetIn, caller: CurrentCaller, storage: Store
) -> Response:
    """An A4 PDF of the chosen points' labels (12 a page, with cut marks). `reprint`
    issues each point a new label serial: the labels printed before stop counting (a scan
    of one after now is flagged `revoked_label` and held for review)."""
    if body.reprint:
        require_admin(caller, site_id)
    else:
        require_reports(caller, site_id)
    site = storage.site(site_id)
    assert site is not None
    points = {p.id: p for p in storage.points(site_id)}
    missing = [p for p in body.point_ids if p not in points]
    if missing:
        raise HTTPException(404, f"point not found: {missing[0]}")
    if body.reprint:
        storage.issue_labels(site_id, body.point_ids, caller.user.id, datetime.now(UTC))
    serials = storage.label_serials(site_id)
    specs = []
    for point_id in dict.fromkeys(body.point_ids):
        point, serial = points[point_id], serials.get(point_id, 0)
        specs.append(
            LabelSpec(
                label_payload(site_id, point_id, site["label_key"], serial),
                point.name,
                point.short_code,
                site["name"],
                serial,
            )
        )
    return Response(
        label_sheet_pdf(specs),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{site_id}-labels.pdf"'},
    )
