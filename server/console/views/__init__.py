"""The console's screens, in navigation order. Add yours here (see `views/base.py`)."""

from __future__ import annotations

import flet as ft

from domain.models import Role
from server.console.views.base import Screen
from server.console.views.coverage import CoverageScreen
from server.console.views.live import LiveScreen
from server.console.views.setup_people import AuditScreen, PeopleScreen
from server.console.views.setup_places import PlacesScreen
from server.console.views.setup_routes import RoutesScreen

__all__ = ["SCREENS"]

SCREENS: list[Screen] = [
    Screen("coverage", "screen_coverage", ft.Icons.MAP, CoverageScreen),
    Screen(
        "live",
        "screen_live",
        ft.Icons.NOTIFICATIONS_ACTIVE,
        LiveScreen,
        allowed=lambda role: role.sees_reports and role is not Role.QUALITY,
    ),
    # Site set-up (issue 8): managers and admins.
    Screen(
        "places",
        "screen_places",
        ft.Icons.ADD_LOCATION_ALT,
        PlacesScreen,
        allowed=lambda role: role.administers,
        uses_period=False,
    ),
    Screen(
        "routes",
        "screen_routes",
        ft.Icons.ROUTE,
        RoutesScreen,
        allowed=lambda role: role.administers,
        uses_period=False,
    ),
    Screen(
        "people",
        "screen_people",
        ft.Icons.PEOPLE,
        PeopleScreen,
        allowed=lambda role: role.administers,
        uses_period=False,
    ),
    Screen(
        "audit",
        "screen_audit",
        ft.Icons.HISTORY,
        AuditScreen,
        allowed=lambda role: role.administers,
        uses_period=False,
    ),
]
