"""Inspection templates: every edit is a new version."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from domain.admin import (
    SetupError,
    check_template,
)
from domain.templates import template_to_dict
from server.access import require_admin
from server.admin._common import AdminError, _invalid, audit
from server.storage import Storage, UserRow

__all__ = [
    "list_templates",
    "publish_template",
]


# -- templates -----------------------------------------------------------------------------


def list_templates(storage: Storage, user: UserRow, site_id: str) -> list[dict[str, Any]]:
    """The newest version of each template the site can use."""
    require_admin(user, site_id)
    latest = {t.id: t for t in storage.templates(site_id)}
    return [template_to_dict(t) for t in latest.values()]


def publish_template(
    storage: Storage,
    user: UserRow,
    site_id: str,
    template_id: str | None,
    data: Mapping[str, Any],
    now: datetime,
) -> dict[str, Any]:
    """Publish a new template, or the next version of one (a company default edited here
    becomes this site's own version). Inspections already made keep the version they
    name; new ones use this one."""
    require_admin(user, site_id)
    latest = {t.id: t for t in storage.templates(site_id)}
    if template_id is not None and template_id not in latest:
        raise AdminError(404, "template not found")
    new_id = template_id or str(data.get("id") or f"t{secrets.token_hex(4)}")
    if template_id is None and new_id in latest:
        raise AdminError(409, f"template {new_id!r} exists: publish a new version of it")
    previous = latest.get(new_id)
    try:
        template = check_template(data, new_id, previous.version + 1 if previous else 1)
    except SetupError as exc:
        raise _invalid(exc.problems) from exc
    with storage.transaction():
        storage.add_template(template, site_id)
        audit(
            storage,
            user,
            site_id,
            "template.publish",
            new_id,
            template_to_dict(previous) if previous else None,
            template_to_dict(template),
            now,
        )
    return template_to_dict(template)
