"""Live view for leads (filled in below)."""

from __future__ import annotations

import flet as ft

from server.console.views.base import ScreenView, message

__all__ = ["LiveScreen"]


class LiveScreen(ScreenView):
    refresh_seconds = 30

    def build(self) -> ft.Control:
        return message(self.c.site_id)
