"""Who may do what: the one set of permission rules the API and the console both call.

Rules:
- A site the user is not on answers *404 site not found*, exactly like a site that does
  not exist, so nobody learns which other sites there are.
- On one of their sites, a role that may not do the thing answers *403* saying why.
- Field roles (guard, cleaner) read no reports and have no console.

The checks raise `AccessDenied`, an `HTTPException`, so an API route lets it through as
its answer and the console shows the same status and message. Each takes the `UserRow`
read for this request or console action (never a cached role: a deactivated user or a
changed role takes effect at once).
"""

from __future__ import annotations

from fastapi import HTTPException

from domain.models import Role
from server.storage import UserRow

__all__ = [
    "SCHEME_ROLES",
    "AccessDenied",
    "require_admin",
    "require_company",
    "require_company_scheme",
    "require_company_standards",
    "require_console",
    "require_reports",
    "require_reviews",
    "require_site",
    "role_of",
]


class AccessDenied(HTTPException):
    """A refusal: `status_code` 404 (another site) or 403 (this role may not)."""

    def __init__(self, status_code: int, detail: str) -> None:
        super().__init__(status_code, detail)


def role_of(user: UserRow) -> Role | None:
    """The user's role, or None for a role this server does not know (refused everything
    a role is needed for)."""
    try:
        return Role(user.role)
    except ValueError:
        return None


def require_site(user: UserRow, site_id: str) -> None:
    """Another site's data answers 404, exactly like a site that does not exist."""
    if site_id not in user.site_ids:
        raise AccessDenied(404, "site not found")


def require_reports(user: UserRow, site_id: str) -> None:
    """Coverage, rectification lists, maps, exports: leads, supervisors and up."""
    require_site(user, site_id)
    role = role_of(user)
    if role is None or not role.sees_reports:
        raise AccessDenied(403, "your role cannot read reports")


def require_reviews(user: UserRow, site_id: str) -> None:
    """Accepting or rejecting flagged records, acknowledging alerts."""
    require_site(user, site_id)
    role = role_of(user)
    if role is None or not role.reviews_records:
        raise AccessDenied(403, "your role cannot review records")


def require_admin(user: UserRow, site_id: str) -> None:
    """Setting a site up: places, routes, schedules, templates, people, labels."""
    require_site(user, site_id)
    role = role_of(user)
    if role is None or not role.administers:
        raise AccessDenied(403, "only a manager or admin can change the site set-up")


def require_console(user: UserRow) -> None:
    """The manager console is for roles that read reports; field staff use the phone app."""
    role = role_of(user)
    if role is None or not role.sees_reports:
        raise AccessDenied(403, "field roles use the phone app")


COMPANY_ROLES = frozenset({Role.QUALITY, Role.MANAGER, Role.ADMIN})


def require_company(user: UserRow) -> None:
    """The company view (its sites side by side): the quality department, managers and
    admins; each sees only the sites they are on."""
    if role_of(user) not in COMPANY_ROLES:
        raise AccessDenied(403, "only quality, managers and admins see the company view")


# Company-level roles that set the company's appraisal scheme: the company admin and its
# quality department (品质部). A site's manager reads it and may give their own site its
# own KPI weights (site settings), but not change every site's scheme.
SCHEME_ROLES = frozenset({Role.ADMIN, Role.QUALITY})


def require_company_scheme(user: UserRow, site_id: str) -> None:
    """Changing the company's appraisal scheme (weights, targets, deductions)."""
    require_site(user, site_id)
    if role_of(user) not in SCHEME_ROLES:
        raise AccessDenied(
            403, "only the company's admin or quality department can change the appraisal scheme"
        )


def require_company_standards(user: UserRow) -> None:
    """Keeping the company's own inspection templates (every site of the company can use
    or copy them): the quality department (品质部), which spans the company's sites. A
    site's managers and admins read them and copy them, but do not change them."""
    require_company(user)
    if role_of(user) is not Role.QUALITY:
        raise AccessDenied(403, "company templates are kept by the quality department")
