"""Storing an uploaded photo: the one path the API's upload and the console's closing
photo both take (size limit, JPEG/PNG/WebP only, decompression-bomb and hidden-data
checks in `server.images`, content-addressed blob, perceptual hash for reuse checks).
Callers check permissions first (`server.access` / `require_site`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from server.blobs import BlobStore, sha256_hex
from server.images import ImageRejected, inspect_image, perceptual_hash
from server.settings import Settings
from server.storage import Storage

__all__ = ["PhotoRejected", "StoredPhoto", "store_photo"]


class PhotoRejected(ValueError):
    """The photo is not stored; `status` is the HTTP answer (413 too big, 415 not an
    image we take, 400 damaged in transit) and the message says why."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class StoredPhoto:
    sha256: str
    mime: str
    width: int
    height: int


def store_photo(
    storage: Storage,
    blobs: BlobStore,
    settings: Settings,
    *,
    site_id: str,
    user_id: str,
    data: bytes,
    at: datetime,
    expected_sha: str | None = None,
) -> StoredPhoto:
    """Check and keep `data` as a photo of `site_id`; storing the same bytes again is
    harmless. Raises PhotoRejected."""
    if len(data) > settings.max_photo_bytes:
        raise PhotoRejected(f"the photo is over {settings.max_photo_bytes} bytes", 413)
    try:
        info = inspect_image(data, settings.max_photo_pixels)
    except ImageRejected as exc:
        raise PhotoRejected(str(exc), 415) from exc
    sha = sha256_hex(data)
    if expected_sha and expected_sha.lower() != sha:
        raise PhotoRejected("photo arrived damaged: its SHA-256 does not match", 400)
    blobs.put(data)
    storage.add_photo(
        sha=sha,
        site_id=site_id,
        mime=info.mime,
        size=len(data),
        width=info.width,
        height=info.height,
        uploaded_by=user_id,
        at=at,
        phash=perceptual_hash(data),
    )
    return StoredPhoto(sha, info.mime, info.width, info.height)
