"""Exports of a site's period as CSV (streamed) or XLSX (one sheet per table).

Each export reads through its own SQLite connection in a worker thread, so a long export
never holds up the event loop that serves everyone else.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path as FilePath
from typing import Annotated, Literal
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Path, Query, Response
from fastapi.responses import FileResponse, StreamingResponse
from starlette.background import BackgroundTask

from server import exports
from server.api.appraisal import MONTH_PATTERN
from server.api.deps import Blobs, CurrentCaller, Store, require_reports
from server.api.params import IsoDateTime
from server.appraisal import parse_month
from server.pdf_report import monthly_report_pdf
from server.storage import Storage

router = APIRouter(prefix="/sites/{site_id}/exports", tags=["exports"])

_NAMES = "|".join((*exports.TABLES, "all"))
FileName = Annotated[str, Path(pattern=rf"^({_NAMES})\.(csv|xlsx)$")]
_ID = r"^[A-Za-z0-9_-]{1,64}$"
Id = Annotated[str | None, Query(pattern=_ID)]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def period(
    storage: Storage, site_id: str, start: datetime | None, end: datetime | None, month: str | None
) -> tuple[datetime, datetime]:
    """`start`–`end` (both, at most a year apart) or the site-local `month` (this one by
    default); 422 otherwise."""
    site = storage.site(site_id)
    assert site is not None
    tz = ZoneInfo(site["tz"])
    if start is not None or end is not None:
        if start is None or end is None:
            raise HTTPException(422, "give both start and end, with UTC offsets")
        if not timedelta(0) < end - start <= timedelta(days=exports.MAX_DAYS):
            raise HTTPException(422, f"end must be after start, at most {exports.MAX_DAYS} days")
        return start, end
    label = month or datetime.now(UTC).astimezone(tz).strftime("%Y-%m")
    m = parse_month(label, tz)
    return m.start, m.end


@router.get(
    "/monthly-report.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}, 403: {"description": "field staff"}},
)
async def monthly_report(
    site_id: str,
    caller: CurrentCaller,
    storage: Store,
    blobs: Blobs,
    month: Annotated[str | None, Query(pattern=MONTH_PATTERN)] = None,
) -> Response:
    """The site's monthly PDF report: coverage by day, route and person with appraisal
    scores, inspections, rectifications, anomalies, the coverage map and the chain head."""
    require_reports(caller, site_id)
    lo, _ = period(storage, site_id, None, None, month)
    site = storage.site(site_id)
    assert site is not None
    m = parse_month(lo.astimezone(ZoneInfo(site["tz"])).strftime("%Y-%m"), ZoneInfo(site["tz"]))
    path = storage.path

    def render() -> bytes:
        own = Storage(path)
        try:
            return monthly_report_pdf(own, site_id, m, datetime.now(UTC), blobs)
        finally:
            own.close()

    data = await asyncio.to_thread(render)
    name = quote(f"{site_id}-{m.label}.pdf")
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}"},
    )


@router.get(
    "/{file_name}",
    response_class=StreamingResponse,
    response_model=None,
    responses={
        200: {"content": {"text/csv": {}, XLSX: {}}},
        403: {"description": "field staff do not read reports"},
    },
)
async def export(
    site_id: str,
    file_name: FileName,
    caller: CurrentCaller,
    storage: Store,
    start: IsoDateTime | None = None,
    end: IsoDateTime | None = None,
    month: Annotated[str | None, Query(pattern=MONTH_PATTERN)] = None,
    route_id: Id = None,
    point_id: Id = None,
    user_id: Id = None,
    status: Annotated[str | None, Query(pattern=r"^[a-z_]{1,20}$")] = None,
    lang: Literal["zh", "en"] = "zh",
) -> StreamingResponse | FileResponse:
    """`visits`, `inspections`, `rectifications`, `anomalies` or `appraisal` (the monthly
    figures) as `.csv` or `.xlsx`; `all.xlsx` puts every table on its own sheet.

    The period is `start`–`end` (UTC offsets, at most a year) or a `month` (this month if
    neither is given). `route_id`, `point_id`, `user_id`, `status` filter as on screen.
    """
    require_reports(caller, site_id)
    name, kind = file_name.rsplit(".", 1)
    if name == "all" and kind == "csv":
        raise HTTPException(422, "all tables come as one XLSX file; ask for one table as CSV")
    lo, hi = period(storage, site_id, start, end, month)
    filters = exports.ExportFilters(route_id, point_id, user_id, status)
    names = list(exports.TABLES) if name == "all" else [name]
    now = datetime.now(UTC)
    site = storage.site(site_id)
    assert site is not None
    stem = f"{site_id}-{name}-{lo.astimezone(ZoneInfo(site['tz'])):%Y%m%d}"  # the site's day
    disposition = f"attachment; filename*=UTF-8''{quote(stem)}.{kind}"
    path = storage.path

    if kind == "csv":

        def chunks() -> Iterator[bytes]:
            own = Storage(path)
            try:
                t = exports.table(own, site_id, name, lo, hi, now, filters, lang)
                yield from exports.csv_chunks(t)
            finally:
                own.close()

        return StreamingResponse(
            _in_thread(chunks()),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": disposition},
        )

    def write() -> FilePath:
        own = Storage(path)
        try:
            tables = [exports.table(own, site_id, n, lo, hi, now, filters, lang) for n in names]
            return exports.write_xlsx(tables)
        finally:
            own.close()

    out = await asyncio.to_thread(write)
    return FileResponse(
        out,
        media_type=XLSX,
        headers={"Content-Disposition": disposition},
        background=BackgroundTask(out.unlink, missing_ok=True),
    )


async def _in_thread(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """Each chunk made in a worker thread (one at a time), handed to the event loop."""
    done = object()
    while True:
        chunk = await asyncio.to_thread(next, chunks, done)
        if chunk is done:
            return
        assert isinstance(chunk, bytes)
        yield chunk
