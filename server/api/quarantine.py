"""Records set aside as unreadable (migration m002 in `server.storage`), for review."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query

from server.api.deps import CurrentCaller, Store, require_site

router = APIRouter(prefix="/sites/{site_id}", tags=["quarantine"])


@router.get("/quarantine", responses={403: {"description": "only managers and admins"}})
async def quarantine(
    site_id: str,
    caller: CurrentCaller,
    storage: Store,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> dict[str, Any]:
    """Records an older server accepted that no report can read (e.g. a time in the year
    9999), newest first, exactly as stored, with the reason. Managers and admins only."""
    require_site(caller, site_id)
    if not caller.role.administers:
        raise HTTPException(403, "only a manager or admin reviews set-aside records")
    rows = storage.quarantined(site_id, limit)
    return {"data": rows, "count": len(rows)}
