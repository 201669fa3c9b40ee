"""Config pull: what a device needs to work a whole shift offline, with an ETag."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, Response

from domain.config import point_to_dict, route_to_dict, schedule_to_dict
from domain.coverage import route_version_at
from domain.templates import template_to_dict
from server.api.deps import CurrentCaller, Store
from server.storage import Storage, UserRow

router = APIRouter(tags=["config"])


def device_config(storage: Storage, user: UserRow, now: datetime) -> dict[str, Any]:
    """The caller's sites with their points, current routes, schedules and templates.

    Schedules are sent with every version still in force or starting later, so a phone
    that works offline across a planned change follows it.
    """
    sites = []
    for site in storage.sites(user.site_ids):
        routes = [
            route_to_dict(route_version_at(versions, now) or versions[0])
            for versions in storage.route_versions(site["id"]).values()
        ]
        schedules = [
            schedule_to_dict(s)
            for s in storage.schedules(site["id"])
            if s.effective_to is None or s.effective_to > now
        ]
        sites.append(
            {
                "id": site["id"],
                "name": site["name"],
                "tz": site["tz"],
                "label_public_key": site["label_public_key"],
                "points": [
                    point_to_dict(r.point)
                    for r in storage.point_rows(site["id"], include_retired=False)
                ],
                "routes": routes,
                "schedules": schedules,
                "templates": [template_to_dict(t) for t in storage.templates(site["id"])],
                "people": storage.site_users(site["id"]),
            }
        )
    return {
        "user": {"id": user.id, "name": user.name, "role": user.role},
        "sites": sites,
    }


@router.get("/config", responses={304: {"description": "config unchanged since the ETag"}})
async def get_config(request: Request, caller: CurrentCaller, storage: Store) -> Response:
    config = device_config(storage, caller.user, datetime.now(UTC))
    body = json.dumps(config, ensure_ascii=False, sort_keys=True).encode()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers={"ETag": etag})
    return Response(body, media_type="application/json", headers={"ETag": etag})
