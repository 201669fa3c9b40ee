"""Photos: uploaded once, addressed by SHA-256, readable only from the caller's sites."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, Request, Response

from server.api.deps import AppSettings, Blobs, CurrentCaller, Store, read_body, require_site
from server.images import IMAGE_MIMES, SERVED_IMAGE_HEADERS, served_image
from server.photos import PhotoRejected, store_photo

router = APIRouter(prefix="/sites/{site_id}", tags=["photos"])


_IMAGE = {
    "content": {m: {"schema": {"type": "string", "format": "binary"}} for m in sorted(IMAGE_MIMES)}
}


@router.post(
    "/photos",
    status_code=201,
    responses={
        400: {"description": "the photo arrived damaged: its SHA-256 does not match"},
        413: {"description": "the photo is over the size limit"},
        415: {"description": "not a JPEG, PNG or WebP image, or one hiding other data"},
    },
    openapi_extra={
        "requestBody": {"content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}}}
    },
)
async def upload_photo(
    site_id: str,
    request: Request,
    caller: CurrentCaller,
    storage: Store,
    blobs: Blobs,
    settings: AppSettings,
) -> dict[str, object]:
    """Upload the raw image bytes; uploading the same photo again is harmless."""
    require_site(caller, site_id)
    data = await read_body(request, settings.max_photo_bytes)
    try:
        stored = store_photo(
            storage,
            blobs,
            settings,
            site_id=site_id,
            user_id=caller.user.id,
            data=data,
            at=datetime.now(UTC),
            expected_sha=request.headers.get("x-content-sha256"),
        )
    except PhotoRejected as exc:
        raise HTTPException(exc.status, str(exc)) from exc
    return {
        "sha256": stored.sha256,
        "mime": stored.mime,
        "width": stored.width,
        "height": stored.height,
    }


@router.get("/photos/{sha}", response_class=Response, responses={200: _IMAGE})
async def get_photo(
    site_id: str, sha: str, caller: CurrentCaller, storage: Store, blobs: Blobs
) -> Response:
    require_site(caller, site_id)
    meta = storage.photo([site_id], sha)
    data = blobs.get(sha) if meta else None
    if meta is None or data is None:
        raise HTTPException(404, "photo not found")
    mime = meta["mime"] if meta["mime"] in IMAGE_MIMES else "application/octet-stream"
    return Response(
        served_image(data, mime),
        media_type=mime,
        headers=SERVED_IMAGE_HEADERS
        | {
            "Cache-Control": "private, max-age=31536000, immutable",
            "Content-Disposition": f'inline; filename="{sha}.{mime.removeprefix("image/")}"',
        },
    )


@router.get("/plan", response_class=Response, responses={200: {"content": {"image/png": {}}}})
async def site_plan(site_id: str, caller: CurrentCaller, storage: Store, blobs: Blobs) -> Response:
    """The site plan image on which checkpoints and areas are placed."""
    require_site(caller, site_id)
    site = storage.site(site_id)
    data = blobs.get(site["plan_sha"]) if site and site["plan_sha"] else None
    if data is None:
        raise HTTPException(404, "this site has no plan yet")
    return Response(data, media_type="image/png", headers=SERVED_IMAGE_HEADERS)
