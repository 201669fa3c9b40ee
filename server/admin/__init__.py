"""Site set-up: sites, settings, the plan, points, routes, schedules and templates.

Every function here is what both the HTTP API (`server/api/admin.py`) and the console's
admin screens call: it checks the caller first (`server.access`: another site → 404, a
role that does not administer → 403), validates with the rules in `domain.admin`, writes,
and appends an audit entry (who, when, what, before → after) in the same transaction.

Nothing is rewritten in the past: a point edit is a new version (history kept, past
reports show the old name), a point with records is retired rather than deleted, a route
or schedule change is a new version effective now, a template edit is a new version.

A package by aggregate (sites and settings and the plan, points, routes, schedules,
templates, the audit log); `from server.admin import X` keeps working for all of them.
"""

from __future__ import annotations

from server.admin._common import PLAN_MAX_BYTES, PLAN_MAX_PIXELS, PLAN_MAX_SIDE, AdminError, audit
from server.admin.history import audit_log
from server.admin.points import list_points, point_history, retire_point, save_point
from server.admin.routes import list_routes, save_route
from server.admin.schedules import end_schedule, list_schedules, preview_schedule, save_schedule
from server.admin.sites import (
    create_site,
    list_sites,
    settings_of,
    site_settings,
    update_settings,
    update_site,
    upload_plan,
)
from server.admin.templates import (
    company_scope,
    copy_template,
    list_company_templates,
    list_templates,
    publish_company_template,
    publish_template,
)

__all__ = [
    "PLAN_MAX_BYTES",
    "PLAN_MAX_PIXELS",
    "PLAN_MAX_SIDE",
    "AdminError",
    "audit",
    "audit_log",
    "company_scope",
    "copy_template",
    "create_site",
    "end_schedule",
    "list_company_templates",
    "list_points",
    "list_routes",
    "list_schedules",
    "list_sites",
    "list_templates",
    "point_history",
    "preview_schedule",
    "publish_company_template",
    "publish_template",
    "retire_point",
    "save_point",
    "save_route",
    "save_schedule",
    "settings_of",
    "site_settings",
    "update_settings",
    "update_site",
    "upload_plan",
]
