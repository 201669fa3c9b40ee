"""HTTP routes, one module per resource, gathered under /api/v1."""

from fastapi import APIRouter

from server.api import (
    appraisal,
    auth,
    config,
    dashboards,
    downloads,
    exports,
    labels,
    photos,
    quarantine,
    reports,
    reviews,
    sync,
)

api_router = APIRouter(prefix="/api/v1")
for module in (
    appraisal,
    auth,
    config,
    dashboards,
    downloads,
    exports,
    sync,
    photos,
    reports,
    labels,
    quarantine,
    reviews,
):
    api_router.include_router(module.router)

__all__ = ["api_router"]
