"""One-time links to files the console made (`server.downloads`)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Path
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from server import downloads

router = APIRouter(tags=["downloads"])


@router.get(
    "/downloads/{token}",
    response_class=FileResponse,
    responses={404: {"description": "unknown, used or expired link"}},
)
async def download(token: Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{16,64}$")]) -> FileResponse:
    """A file the console prepared for its signed-in user: works once, for ten minutes."""
    offer = downloads.take(token)
    if offer is None or not offer.path.exists():
        raise HTTPException(404, "this download link is unknown, used or expired")
    return FileResponse(
        offer.path,
        media_type=offer.media_type,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(offer.filename)}"},
        background=BackgroundTask(offer.path.unlink, missing_ok=True),
    )
