"""Routes: every change is a new version effective now."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from domain.admin import (
    printable,
)
from domain.config import route_to_dict
from domain.models import PointKind, RouteVersion
from server.access import require_admin
from server.admin._common import AdminError, _invalid, audit
from server.storage import Storage, UserRow

__all__ = [
    "list_routes",
    "save_route",
]


# -- routes --------------------------------------------------------------------------------


def list_routes(storage: Storage, user: UserRow, site_id: str) -> list[dict[str, Any]]:
    """Each route's newest version, with how many versions it has had."""
    require_admin(user, site_id)
    return [
        route_to_dict(versions[-1]) | {"versions": len(versions)}
        for versions in storage.route_versions(site_id).values()
    ]


def save_route(
    storage: Storage,
    user: UserRow,
    site_id: str,
    route_id: str | None,
    data: Mapping[str, Any],
    now: datetime,
) -> dict[str, Any]:
    """A new route, or the next version of one, in force from now (past rounds keep the
    version they started with). Checkpoints: 1-200 of the site's checkpoints in use, no
    repeats; `not_before` gives 0-720 minutes for some of them; `ordered` asks for order."""
    require_admin(user, site_id)
    routes = storage.route_versions(site_id)
    if route_id is not None and route_id not in routes:
        raise AdminError(404, "route not found")
    previous = routes[route_id][-1] if route_id else None
    problems = []
    name = str(data.get("name") or (previous.name if previous else "")).strip()
    if not 1 <= len(name) <= 60 or not printable(name):
        problems.append("name is required, at most 60 characters")
    ids = data.get("checkpoint_ids", list(previous.checkpoint_ids) if previous else [])
    usable = {
        r.point.id
        for r in storage.point_rows(site_id, include_retired=False)
        if r.point.kind is PointKind.CHECKPOINT
    }
    if not isinstance(ids, list) or not 1 <= len(ids) <= 200:
        problems.append("a route has 1-200 checkpoints")
        ids = []
    elif len(set(map(str, ids))) != len(ids):
        problems.append("a checkpoint appears twice on the route")
    unknown = [str(i) for i in ids if str(i) not in usable]
    if unknown:
        problems.append(f"not checkpoints in use on this site: {', '.join(unknown[:5])}")
    not_before = data.get("not_before", dict(previous.not_before) if previous else {})
    if not isinstance(not_before, Mapping) or not all(
        k in ids and isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 720
        for k, v in not_before.items()
    ):
        problems.append("not_before maps checkpoints on the route to 0-720 minutes")
        not_before = {}
    ordered = data.get("ordered", previous.ordered if previous else False)
    if not isinstance(ordered, bool):
        problems.append("ordered is true or false")
    if problems:
        raise _invalid(problems)
    new_id = route_id or f"r{secrets.token_hex(4)}"
    version = RouteVersion(
        new_id,
        previous.version + 1 if previous else 1,
        name,
        now,
        tuple(str(i) for i in ids),
        bool(ordered),
        {str(k): int(v) for k, v in not_before.items()},
    )
    with storage.transaction():
        storage.add_route_version(site_id, version)
        audit(
            storage,
            user,
            site_id,
            "route.update" if previous else "route.create",
            new_id,
            route_to_dict(previous) if previous else None,
            route_to_dict(version),
            now,
        )
    return route_to_dict(version) | {"versions": version.version}
