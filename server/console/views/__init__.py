"""The console's screens, in navigation order. Add yours here (see `views/base.py`)."""

from __future__ import annotations

import flet as ft

from domain.models import Role
from server.console.views.base import Screen
from server.console.views.coverage import CoverageScreen
from server.console.views.live import LiveScreen

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
]
