"""Inspection templates: every edit is a new version.

Where a template is kept decides who changes it:
- built-in defaults (六清三无 &c., scope ''): a site's admin publishes the site's own next
  version of one (the other sites keep the default);
- company templates (scope `company:<company id>`): kept by the quality department
  (`server.access.require_company_standards`); every site of the company uses them, and a
  site's admin may copy one into a site template of its own, but editing it is 403;
- site templates: the site's managers and admins.

Inspections name the template id and version they were made with, and old versions are
never changed or removed, so a past inspection keeps its items whatever is published after.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from domain.admin import SetupError, check_template
from domain.models import Template
from domain.templates import template_to_dict
from server.access import AccessDenied, require_admin, require_company, require_company_standards
from server.admin._common import AdminError, _invalid, audit
from server.storage import Storage, UserRow

__all__ = [
    "company_scope",
    "copy_template",
    "list_company_templates",
    "list_templates",
    "publish_company_template",
    "publish_template",
]

COMPANY_REFUSAL = "a company template is kept by the quality department: copy it to change it"


def company_scope(company_id: str) -> str:
    """The `templates.site_id` under which a company's own templates are kept."""
    return f"company:{company_id}"


def _scope_name(scope: str, site_id: str) -> str:
    return "site" if scope == site_id else "company" if scope.startswith("company:") else "default"


def _latest(storage: Storage, site_id: str) -> dict[str, tuple[str, Template]]:
    return {t.id: (scope, t) for scope, t in storage.scoped_templates(site_id)}


def list_templates(storage: Storage, user: UserRow, site_id: str) -> list[dict[str, Any]]:
    """The newest version of each template the site can use, with `scope` (default,
    company or site) and whether this site's admins may publish a version of it."""
    require_admin(user, site_id)
    return [
        template_to_dict(t)
        | {"scope": _scope_name(scope, site_id), "editable": not scope.startswith("company:")}
        for scope, t in _latest(storage, site_id).values()
    ]


def _publish(
    storage: Storage,
    user: UserRow,
    scope: str,
    latest: Mapping[str, tuple[str, Template]],
    template_id: str | None,
    data: Mapping[str, Any],
    now: datetime,
) -> dict[str, Any]:
    if template_id is not None and template_id not in latest:
        raise AdminError(404, "template not found")
    new_id = template_id or str(data.get("id") or f"t{secrets.token_hex(4)}")
    if template_id is None and new_id in latest:
        raise AdminError(409, f"template {new_id!r} exists: publish a new version of it")
    previous = latest[new_id][1] if new_id in latest else None
    try:
        template = check_template(data, new_id, previous.version + 1 if previous else 1)
    except SetupError as exc:
        raise _invalid(exc.problems) from exc
    with storage.transaction():
        storage.add_template(template, scope)
        audit(
            storage,
            user,
            scope,
            "template.publish",
            new_id,
            template_to_dict(previous) if previous else None,
            template_to_dict(template),
            now,
        )
    return template_to_dict(template)


def publish_template(
    storage: Storage,
    user: UserRow,
    site_id: str,
    template_id: str | None,
    data: Mapping[str, Any],
    now: datetime,
) -> dict[str, Any]:
    """Publish a new site template, or the next version of one (a built-in default edited
    here becomes this site's own version; a company template answers 403). Inspections
    already made keep the version they name; new ones use this one."""
    require_admin(user, site_id)
    latest = _latest(storage, site_id)
    if template_id is not None and latest.get(template_id, ("", None))[0].startswith("company:"):
        raise AccessDenied(403, COMPANY_REFUSAL)
    return _publish(storage, user, site_id, latest, template_id, data, now)


def copy_template(
    storage: Storage, user: UserRow, site_id: str, template_id: str, now: datetime
) -> dict[str, Any]:
    """A new site template with the items of one the site can use (typically a company
    template, to adapt it here)."""
    require_admin(user, site_id)
    latest = _latest(storage, site_id)
    if template_id not in latest:
        raise AdminError(404, "template not found")
    source = template_to_dict(latest[template_id][1])
    data = {
        "name_zh": f"{source['name_zh'][:36]}（副本）",
        "name_en": f"{source['name_en'][:53]} (copy)" if source["name_en"] else "",
        "items": source["items"],
    }
    return _publish(storage, user, site_id, latest, None, data, now)


def _company_latest(storage: Storage, company_id: str) -> dict[str, tuple[str, Template]]:
    scope = company_scope(company_id)
    return {t.id: (scope, t) for t in storage.company_templates(scope)}


def list_company_templates(storage: Storage, user: UserRow) -> list[dict[str, Any]]:
    """The newest version of each of the caller's company's own templates (quality,
    managers and admins read them)."""
    require_company(user)
    return [template_to_dict(t) for _, t in _company_latest(storage, user.company_id).values()]


def publish_company_template(
    storage: Storage,
    user: UserRow,
    template_id: str | None,
    data: Mapping[str, Any],
    now: datetime,
) -> dict[str, Any]:
    """A new company template, or the next version of one (the quality department only;
    ids are the company's own: a new one never reuses a built-in default's id)."""
    require_company_standards(user)
    latest = _company_latest(storage, user.company_id)
    if template_id is None:
        defaults = {t.id for scope, t in storage.scoped_templates("") if scope == ""}
        wanted = str(data.get("id") or "")
        if wanted in defaults:
            raise AdminError(409, f"template {wanted!r} is a built-in default: choose another id")
        if not wanted:
            data = dict(data) | {"id": f"c{secrets.token_hex(4)}"}
    return _publish(storage, user, company_scope(user.company_id), latest, template_id, data, now)
