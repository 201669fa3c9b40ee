"""The coverage map as a PNG: the site plan with every point in its status colour."""

from __future__ import annotations

from typing import Annotated, Literal

import anyio.to_thread
from fastapi import APIRouter, Query
from fastapi.responses import Response

from domain.models import PointKind
from server.api.deps import Blobs, Store
from server.api.params import SiteReportPeriod
from server.coverage_map import MapFilter, coverage_map
from server.plan_render import coverage_map_png

router = APIRouter(prefix="/sites/{site_id}", tags=["reports"])

_ID = r"^[A-Za-z0-9_.:-]{1,64}$"


@router.get(
    "/coverage-map.png",
    response_class=Response,
    responses={
        200: {"content": {"image/png": {}}},
        403: {"description": "field staff do not read reports"},
    },
)
async def coverage_map_image(
    site_id: str,
    storage: Store,
    blobs: Blobs,
    period: SiteReportPeriod,
    gaps: Annotated[bool, Query(description="colour by longest gap instead of status")] = False,
    route: Annotated[str | None, Query(pattern=_ID)] = None,
    kind: PointKind | None = None,
    area_type: Annotated[str | None, Query(pattern=_ID)] = None,
    person: Annotated[str | None, Query(pattern=_ID)] = None,
    lang: Literal["zh", "en"] = "zh",
) -> Response:
    """The site plan with each checkpoint and area at its position, coloured by its most
    urgent visit status in the period (or by its longest gap with `gaps=true`), and a
    legend. Same period parameters as `/coverage`."""
    cmap = coverage_map(
        storage,
        site_id,
        period.start,
        period.end,
        period.now,
        MapFilter(route, kind, area_type, person),
    )
    # Drawing is CPU work with no storage access: off the event loop.
    png = await anyio.to_thread.run_sync(
        lambda: coverage_map_png(cmap, blobs, gaps=gaps, lang=lang)
    )
    return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})
