"""Sites, their settings and the site plan."""

from __future__ import annotations

import io
import secrets
import warnings
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from PIL import Image

from domain.admin import (
    SetupError,
    SiteSettings,
    printable,
    settings_from_dict,
    settings_to_dict,
    tz_problem,
)
from domain.labels import new_site_key, public_key_of
from domain.templates import load_templates
from server.access import AccessDenied, require_admin, role_of
from server.admin._common import (
    _SLUG,
    PLAN_MAX_BYTES,
    PLAN_MAX_PIXELS,
    PLAN_MAX_SIDE,
    AdminError,
    _invalid,
    _site_json,
    audit,
)
from server.blobs import BlobStore
from server.images import ImageRejected, inspect_image
from server.storage import Storage, UserRow

__all__ = [
    "create_site",
    "list_sites",
    "settings_of",
    "site_settings",
    "update_settings",
    "update_site",
    "upload_plan",
]


# -- sites ---------------------------------------------------------------------------------


def list_sites(storage: Storage, user: UserRow) -> list[dict[str, Any]]:
    """The caller's own sites."""
    return [_site_json(s) for s in storage.sites(user.site_ids)]


def create_site(
    storage: Storage, user: UserRow, data: Mapping[str, Any], now: datetime
) -> dict[str, Any]:
    """A new site of the caller's company, with its own label key; the caller is put on it.

    Managers and admins only (403). The id is a short slug (made from nothing if left out).
    """
    role = role_of(user)
    if role is None or not role.administers:
        raise AccessDenied(403, "only a manager or admin can create a site")
    problems = []
    site_id = str(data.get("id") or f"site-{secrets.token_hex(3)}").strip().lower()
    if not _SLUG.match(site_id):
        problems.append("site id must be 2-31 lower-case letters, digits or '-'")
    elif storage.site(site_id) is not None:
        problems.append(f"site id {site_id!r} is taken")
    name = str(data.get("name") or "").strip()
    if not 1 <= len(name) <= 60 or not printable(name):
        problems.append("name is required, at most 60 printable characters")
    tz = str(data.get("tz") or "Asia/Shanghai").strip()
    if (tz_error := tz_problem(tz)) is not None:
        problems.append(tz_error)
    address = str(data.get("address") or "").strip()
    if len(address) > 200 or not printable(address):
        problems.append("address is at most 200 printable characters")
    if problems:
        raise _invalid(problems)
    key = new_site_key()
    with storage.transaction():
        storage.create_site(
            site_id=site_id,
            company_id=user.company_id,
            name=name,
            tz=tz,
            address=address,
            settings=settings_to_dict(SiteSettings()),
            label_key=key,
            label_public_key=public_key_of(key),
            at=now,
            member_ids=[user.id],
        )
        known = {(t.id, t.version) for t in storage.templates(site_id)}
        for default in load_templates():  # a first site on an empty server gets 六清三无 &c.
            if (default.id, default.version) not in known:
                storage.add_template(default)
        site = storage.site(site_id)
        assert site is not None
        audit(storage, user, site_id, "site.create", site_id, None, _site_json(site), now)
    return _site_json(site)


def update_site(
    storage: Storage, user: UserRow, site_id: str, data: Mapping[str, Any], now: datetime
) -> dict[str, Any]:
    """Change a site's name, time zone (only while it has no records) or address."""
    require_admin(user, site_id)
    site = storage.site(site_id)
    assert site is not None
    fields: dict[str, Any] = {}
    problems = []
    if "name" in data:
        fields["name"] = str(data["name"] or "").strip()
        if not 1 <= len(fields["name"]) <= 60 or not printable(fields["name"]):
            problems.append("name is required, at most 60 printable characters")
    if "tz" in data and data["tz"] != site["tz"]:
        fields["tz"] = str(data["tz"] or "").strip()
        if (tz_error := tz_problem(fields["tz"])) is not None:
            problems.append(tz_error)
        elif storage.site_has_records(site_id):
            # Past visits were expanded in the old zone: moving it would rewrite history.
            raise AdminError(409, "the time zone cannot change once the site has records")
    if "address" in data:
        fields["address"] = str(data["address"] or "").strip()
        if len(fields["address"]) > 200 or not printable(fields["address"]):
            problems.append("address is at most 200 characters")
    if problems:
        raise _invalid(problems)
    before = _site_json(site)
    with storage.transaction():
        if fields:
            storage.update_site(site_id, fields)
        after = _site_json(storage.site(site_id) or site)
        audit(storage, user, site_id, "site.update", site_id, before, after, now)
    return after


def settings_of(storage: Storage, site_id: str) -> SiteSettings:
    """Stored settings over the defaults; anything unreadable falls back to defaults."""
    try:
        return settings_from_dict(storage.site_settings_json(site_id))
    except SetupError:
        return SiteSettings()


def site_settings(storage: Storage, user: UserRow, site_id: str) -> dict[str, Any]:
    require_admin(user, site_id)
    return settings_to_dict(settings_of(storage, site_id))


def update_settings(
    storage: Storage, user: UserRow, site_id: str, data: Mapping[str, Any], now: datetime
) -> dict[str, Any]:
    """Change some settings; the rest keep their values (422 lists every problem)."""
    require_admin(user, site_id)
    before = settings_of(storage, site_id)
    try:
        after = settings_from_dict(data, before)
    except SetupError as exc:
        raise _invalid(exc.problems) from exc
    with storage.transaction():
        storage.update_site(site_id, {"settings": settings_to_dict(after)})
        audit(
            storage,
            user,
            site_id,
            "settings.update",
            site_id,
            settings_to_dict(before),
            settings_to_dict(after),
            now,
        )
    return settings_to_dict(after)


# -- the site plan -------------------------------------------------------------------------


def plan_image(data: bytes) -> tuple[bytes, int, int]:
    """A plan upload checked and made servable: (PNG or JPEG bytes, width, height).

    Only PNG or JPEG; at most `PLAN_MAX_BYTES` and `PLAN_MAX_PIXELS` (the pixel count is
    read from the header, before anything is decoded, so a decompression bomb is refused
    cheaply); larger plans are scaled to `PLAN_MAX_SIDE` on the long side. The image is
    re-encoded, so nothing hidden in the upload is kept.
    """
    if len(data) > PLAN_MAX_BYTES:
        raise AdminError(413, f"the plan is over {PLAN_MAX_BYTES // (1024 * 1024)} MB")
    try:
        info = inspect_image(data, PLAN_MAX_PIXELS)
    except ImageRejected as exc:
        raise AdminError(415 if "not" in str(exc) else 422, f"plan refused: {exc}") from exc
    if info.mime not in ("image/png", "image/jpeg"):
        raise AdminError(415, "the plan must be a PNG or JPEG image")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                img.load()
                picture = img.convert("RGB") if img.mode not in ("RGB", "L") else img.copy()
    except Exception as exc:  # a decoder error is the upload's fault, never a 500
        raise AdminError(422, "plan refused: the image could not be decoded") from exc
    picture.thumbnail((PLAN_MAX_SIDE, PLAN_MAX_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    if info.mime == "image/png":
        picture.save(out, "PNG", optimize=True)
    else:
        picture.save(out, "JPEG", quality=85)
    return out.getvalue(), picture.width, picture.height


def upload_plan(
    storage: Storage,
    blobs: BlobStore,
    user: UserRow,
    site_id: str,
    data: bytes,
    now: datetime,
) -> dict[str, Any]:
    """Store an uploaded plan as the site's plan (the old one stays in the blob store)."""
    require_admin(user, site_id)
    image, width, height = plan_image(data)
    site = storage.site(site_id)
    assert site is not None
    sha = blobs.put(image)
    with storage.transaction():
        storage.update_site(site_id, {"plan_sha": sha})
        after = {"plan_sha": sha, "width": width, "height": height}
        audit(
            storage,
            user,
            site_id,
            "plan.upload",
            site_id,
            {"plan_sha": site["plan_sha"]},
            after,
            now,
        )
    return after
