"""Guards' screens: today's rounds, a round, checks, anomalies, finish, handover."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flet as ft

from app.i18n import ANOMALY_TYPES
from app.state import RoundItem
from app.views.shell import BIG, FONT, GREEN, GREY, RED, SEGMENT_STYLE, Shell, big_button, labelled
from domain.coverage import RoundState

__all__ = ["GuardScreens"]

STATE_COLOURS = {
    RoundState.COMPLETED: GREEN,
    RoundState.MISSED: RED,
    RoundState.INCOMPLETE: RED,
    RoundState.IN_PROGRESS: ft.Colors.BLUE_700,
    RoundState.NOT_STARTED: ft.Colors.ORANGE_800,
}


class GuardScreens(Shell):
    """A guard's day: rounds due, walking one, and the shift handover."""

    def guard_home(self) -> list[ft.Control]:
        active = self.app.active_round()
        controls: list[ft.Control] = [self.header(self.t("today"))]
        if active is not None:
            controls.append(
                ft.Row(
                    [
                        big_button(
                            f"{self.t('continue')} {active.route_name}"
                            f" {active.done}/{active.total}",
                            lambda _: self.show(self.round_screen),
                            colour=ft.Colors.BLUE_700,
                        )
                    ]
                )
            )
        rounds = self.app.today_rounds()
        if not rounds:
            controls.append(ft.Text(self.t("no_rounds"), size=18))
        for item in rounds:
            controls.append(self.round_card(item))
        routes = self.app.site.get("routes", [])
        controls.append(ft.Text(self.t("voluntary_round"), size=18, weight=ft.FontWeight.BOLD))
        controls += [
            ft.Row([big_button(r["name"], self._starter(r["id"], None), filled=False)])
            for r in routes
        ]
        controls.append(
            ft.Row(
                [
                    big_button(
                        self.t("handover"), lambda _: self.show(self.handover_screen), filled=False
                    )
                ]
            )
        )
        return controls

    def _starter(self, route_id: str, item: RoundItem | None) -> Callable[[Any], None]:
        def start(_: Any) -> None:
            if self.attempt(lambda: self.app.start_round(route_id, item)):
                self.show(self.round_screen)

        return start

    def when(self, item: RoundItem) -> str:
        """The round's time in site time, dated when it is not today's."""
        if item.due is None:
            return ""
        local = item.due.astimezone(self.app.tz)
        day = {-1: self.t("yesterday"), 0: "", 1: self.t("tomorrow")}.get(
            item.day_offset, f"{local:%m-%d}"
        )
        return f"{day} {local:%H:%M}".strip()

    def round_card(self, item: RoundItem) -> ft.Control:
        now = self.app.clock()
        colour = RED if item.overdue else STATE_COLOURS.get(item.state, GREY)
        state = self.t(f"state_{item.state.value}")
        if item.overdue:
            state = f"{state} · {self.t('overdue')}"
        name = item.route_name
        if item.schedule_id is None:
            name = f"{self.t('voluntary_round')} · {name}"
        text = ft.Column(
            [
                ft.Text(f"{self.when(item)}  {name}", size=20, weight=ft.FontWeight.BOLD),
                ft.Text(f"{state} · {item.done}/{item.total}", size=16, color=colour),
            ],
            expand=True,
            spacing=2,
        )
        row: list[ft.Control] = [text]
        if item.can_start(now):
            label = self.t("continue") if item.round_id else self.t("start")
            row.append(
                ft.FilledButton(
                    label,
                    height=BIG,
                    on_click=self._starter(item.route_id, item),
                    style=ft.ButtonStyle(
                        text_style=ft.TextStyle(size=18, font_family=FONT),
                        bgcolor=colour if item.overdue else None,
                    ),
                )
            )
        elif item.opens is not None and item.state is RoundState.UPCOMING:
            at = f"{item.opens.astimezone(self.app.tz):%H:%M}"
            row.append(ft.Text(self.t("not_yet", at=at), size=16, color=GREY))
        return ft.Container(
            ft.Row(row), padding=12, border_radius=10, border=ft.Border.all(2, colour)
        )

    # -- a round ----------------------------------------------------------------------------

    def round_screen(self) -> ft.Control:
        active = self.app.active_round()
        if active is None:
            return self.home()
        self.remember("round")
        names = {p["id"]: p["name"] for p in self.app.site["points"]}
        progress = ft.ProgressBar(
            value=active.done / active.total if active.total else 1, height=12
        )
        left = [ft.Text(f"• {names.get(p, p)}", size=18) for p in active.left]
        return self.page_body(
            self.header(active.route_name, back=self.home),
            ft.Text(
                self.t("round_progress", done=active.done, total=active.total),
                size=26,
                weight=ft.FontWeight.BOLD,
            ),
            progress,
            ft.Row(
                [
                    big_button(
                        self.t("scan"),
                        lambda _: self.open_scanner(self.on_checkpoint),
                        icon=ft.Icons.QR_CODE_SCANNER,
                    )
                ]
            ),
            ft.Text(self.t("points_left"), size=18, weight=ft.FontWeight.BOLD),
            *left,
            ft.Row(
                [
                    big_button(
                        self.t("finish_round"),
                        lambda _: self.show(self.finish_screen),
                        filled=False,
                    )
                ]
            ),
        )

    def on_checkpoint(self, payload: str, method: str) -> None:
        point, scan_id = self.app.scan_checkpoint(payload, method, self.fresh_position())
        self.toast(f"{point['name']} · {self.t('saved')}")
        self.show(lambda: self.checks_screen(point, scan_id))

    def checks_screen(self, point: dict[str, Any], scan_id: str) -> ft.Control:
        self.remember("checks", point_id=point["id"], scan_id=scan_id)
        draft = self.app.draft("checks", scan_id)
        answers: dict[str, bool] = {c: True for c in point["checks"]} | dict(
            draft.get("answers") or {}
        )

        def answer(check: str, selected: list[str]) -> None:
            answers[check] = "yes" in selected
            self.app.save_draft("checks", scan_id, answers=answers)

        rows: list[ft.Control] = []
        for check in point["checks"]:
            group = ft.SegmentedButton(
                segments=[
                    ft.Segment("yes", label=ft.Text(self.t("yes"), size=18)),
                    ft.Segment("no", label=ft.Text(self.t("no"), size=18)),
                ],
                selected=["yes" if answers[check] else "no"],
                on_change=lambda e, c=check: answer(c, e.control.selected),
                style=SEGMENT_STYLE,
            )
            rows += [ft.Text(check, size=20), ft.Row([group])]
        if point["requires_photo"]:
            rows += [
                ft.Text(self.t("photo_required"), size=18, color=RED),
                self.photo_row(
                    point["name"], "checks", scan_id, lambda: self.checks_screen(point, scan_id)
                ),
            ]

        def done(then: Callable[[], ft.Control]) -> Callable[[Any], None]:
            def save(_: Any) -> None:
                photo = self.app.draft("checks", scan_id).get("photo")
                if self.attempt(
                    lambda: self.app.answer_checks(point["id"], scan_id, answers, photo)
                ):
                    self.show(then)

            return save

        return self.page_body(
            self.header(point["name"]),
            ft.Text(self.t("checks"), size=18, color=GREY) if rows else ft.Container(),
            *rows,
            ft.Row(
                [
                    big_button(
                        self.t("report_anomaly"),
                        done(lambda: self.anomaly_screen(point, scan_id)),
                        filled=False,
                        icon=ft.Icons.REPORT_PROBLEM,
                    )
                ]
            ),
            ft.Row([big_button(self.t("next_point"), done(self.round_screen))]),
        )

    def anomaly_screen(self, point: dict[str, Any] | None, scan_id: str | None) -> ft.Control:
        context = scan_id or ""
        self.remember("anomaly", point_id=point["id"] if point else None, scan_id=scan_id)
        draft = self.app.draft("anomaly", context)
        category = ft.Dropdown(
            label=self.t("anomaly_type"),
            text_size=18,
            value=draft.get("category") or ANOMALY_TYPES[0][0],
            options=[
                ft.DropdownOption(zh, text=zh if self.app.lang == "zh" else en)
                for zh, en in ANOMALY_TYPES
            ],
            on_select=lambda e: self.app.save_draft(
                "anomaly", context, category=e.control.value or ""
            ),
            expand=True,
        )
        note = ft.TextField(
            label=self.t("note"),
            multiline=True,
            min_lines=2,
            text_size=18,
            value=draft.get("note", ""),
            on_change=lambda e: self.app.save_draft("anomaly", context, note=e.control.value),
        )
        place = point["name"] if point else self.app.site.get("name", "")
        photo_row = self.photo_row(
            place, "anomaly", context, lambda: self.anomaly_screen(point, scan_id)
        )

        def save(_: Any) -> None:
            self.app.report_anomaly(
                point["id"] if point else None,
                scan_id,
                category.value or "",
                note.value or "",
                self.app.draft("anomaly", context).get("photo"),
            )
            self.toast(self.t("saved"))
            self.show(self.round_screen if self.app.active_round() else self.home)

        return self.page_body(
            self.header(self.t("anomaly"), back=self.round_screen),
            ft.Text(place, size=18),
            ft.Row([labelled(category, self.t("anomaly_type"))]),
            note,
            photo_row,
            ft.Row([big_button(self.t("save"), save)]),
        )

    def finish_screen(self) -> ft.Control:
        active = self.app.active_round()
        if active is None:
            return self.home()
        self.remember("finish")
        reason = ft.TextField(
            label=self.t("finish_reason"),
            multiline=True,
            text_size=18,
            visible=bool(active.left),
            value=self.app.draft("finish", active.round_id).get("reason", ""),
            on_change=lambda e: self.app.save_draft(
                "finish", active.round_id, reason=e.control.value
            ),
        )

        def finish(_: Any) -> None:
            if self.attempt(lambda: self.app.finish_round(reason.value or "")):
                self.toast(self.t("round_finished"))
                self.show(self.home)

        return self.page_body(
            self.header(self.t("finish_round"), back=self.round_screen),
            ft.Text(self.t("round_progress", done=active.done, total=active.total), size=22),
            reason,
            ft.Row([big_button(self.t("finish_round"), finish)]),
        )

    def handover_screen(self) -> ft.Control:
        self.remember("handover")
        note = ft.TextField(
            label=self.t("handover_note"),
            multiline=True,
            min_lines=4,
            text_size=18,
            value=self.app.draft("handover").get("note", ""),
            on_change=lambda e: self.app.save_draft("handover", note=e.control.value),
        )

        def save(_: Any) -> None:
            if self.attempt(lambda: self.app.handover(note.value or "")):
                self.toast(self.t("handover_saved"))
                self.show(self.home)

        pending = self.app.status().pending
        warning = ft.Text(self.t("handover_pending", n=pending), size=18, color=RED)
        return self.page_body(
            self.header(self.t("handover"), back=self.home),
            *([warning] if pending else []),
            note,
            ft.Row([big_button(self.t("save"), save)]),
        )
