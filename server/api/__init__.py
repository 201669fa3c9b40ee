"""HTTP routes, one module per resource, gathered under /api/v1."""

from fastapi import APIRouter

from server.api import (
    admin,
    alerts,
    appraisal,
    auth,
    config,
    coverage_map,
    dashboards,
    downloads,
    exports,
    labels,
    people,
    photos,
    quarantine,
    rectification_followup,
    reports,
    reviews,
    sync,
    tickets,
)

api_router = APIRouter(prefix="/api/v1")
# Routes are matched in order, each costing a few microseconds: the hot paths first
# (phones' sync, managers' coverage reads).
for module in (
    sync,
    reports,
    auth,
    config,
    photos,
    coverage_map,
    alerts,
    appraisal,
    dashboards,
    exports,
    downloads,
    labels,
    quarantine,
    reviews,
    admin,
    people,
    tickets,
    rectification_followup,
):
    api_router.include_router(module.router)

__all__ = ["api_router"]
