"""The console's screens, in navigation order. Add yours here (see `views/base.py`)."""

from __future__ import annotations

import flet as ft

from domain.models import Role
from server.access import COMPANY_ROLES
from server.console.views.base import Screen
from server.console.views.coverage import CoverageScreen
from server.console.views.live import LiveScreen
from server.console.views.rectifications import RectificationsScreen
from server.console.views.reports import (
    AppraisalScreen,
    CompanyScreen,
    DashboardScreen,
    ExportsScreen,
)
from server.console.views.review import ReviewScreen
from server.console.views.setup_people import AuditScreen, PeopleScreen
from server.console.views.setup_places import PlacesScreen
from server.console.views.setup_routes import RoutesScreen
from server.console.views.setup_templates import TemplatesScreen
from server.console.views.tickets import TicketsScreen

__all__ = ["SCREENS"]

SCREENS: list[Screen] = [
    Screen("coverage", "screen_coverage", ft.Icons.MAP, CoverageScreen),
    Screen(
        "review",
        "screen_review",
        ft.Icons.FACT_CHECK,
        ReviewScreen,
        allowed=lambda role: role.reviews_records,
        uses_period=False,
    ),
    Screen(
        "live",
        "screen_live",
        ft.Icons.NOTIFICATIONS_ACTIVE,
        LiveScreen,
        allowed=lambda role: role.sees_reports and role is not Role.QUALITY,
        uses_period=False,
    ),
    Screen("tickets", "screen_tickets", ft.Icons.REPORT_PROBLEM, TicketsScreen, uses_period=False),
    Screen(
        "rectifications",
        "screen_rectifications",
        ft.Icons.BUILD,
        RectificationsScreen,
        uses_period=False,
    ),
    Screen("dashboard", "screen_dashboard", ft.Icons.BAR_CHART, DashboardScreen),
    Screen("appraisal", "screen_appraisal", ft.Icons.LEADERBOARD, AppraisalScreen),
    Screen("exports", "screen_exports", ft.Icons.DOWNLOAD, ExportsScreen),
    Screen(
        "company",
        "screen_company",
        ft.Icons.APARTMENT,
        CompanyScreen,
        allowed=lambda role: role in COMPANY_ROLES,
        uses_site=False,
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
        "templates",
        "screen_templates",
        ft.Icons.CHECKLIST,
        TemplatesScreen,
        # Site admins edit their site's; the quality department keeps the company's.
        allowed=lambda role: role.administers or role is Role.QUALITY,
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
