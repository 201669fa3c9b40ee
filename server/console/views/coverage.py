"""Coverage map: the site plan with every point coloured by status (filled in below)."""

from __future__ import annotations

import flet as ft

from server.console.views.base import ScreenView, message

__all__ = ["CoverageScreen"]


class CoverageScreen(ScreenView):
    def build(self) -> ft.Control:
        return message(self.c.site_id)
