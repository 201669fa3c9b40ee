"""The screens: thin Flet views over `FieldApp`.

One obvious action per screen, big touch targets, overdue work in red. Each screen is a
method that builds its controls from the app's state; an action calls `FieldApp` and then
shows the next screen. Nothing here decides what is recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from functools import partial
from typing import Any

import flet as ft
import flet_camera as fc
import flet_geolocator as fg

from app.i18n import ANOMALY_TYPES, t
from app.qr import QRDecodeError, decode_qr
from app.state import FieldApp, Inspection, Refusal, RoundItem, Status
from domain.coverage import RoundState

__all__ = ["Ui"]

BIG = 60  # button height, px
FONT = "NotoSansSC"  # bundled: offline, the web client has no CJK fallback font
RED, GREEN, GREY = ft.Colors.RED_700, ft.Colors.GREEN_700, ft.Colors.GREY_700
STATE_COLOURS = {
    RoundState.COMPLETED: GREEN,
    RoundState.MISSED: RED,
    RoundState.INCOMPLETE: RED,
    RoundState.IN_PROGRESS: ft.Colors.BLUE_700,
    RoundState.NOT_STARTED: ft.Colors.ORANGE_800,
}


def big_button(
    text: str,
    on_click: Callable[[Any], Any],
    *,
    icon: Any = None,
    colour: str | None = None,
    filled: bool = True,
) -> ft.Control:
    style = ft.ButtonStyle(
        text_style=ft.TextStyle(size=20, font_family=FONT),
        shape=ft.RoundedRectangleBorder(radius=10),
        bgcolor=colour if filled else None,
    )
    kind = ft.FilledButton if filled else ft.OutlinedButton
    return kind(content=text, icon=icon, on_click=on_click, height=BIG, expand=True, style=style)


class Ui:
    def __init__(self, page: ft.Page, app: FieldApp, default_server: str) -> None:
        self.page, self.app, self.default_server = page, app, default_server
        self.screen: Callable[[], ft.Control] = self.home
        self.status_text = ft.Text(size=14)
        self.inspection: Inspection | None = None
        self.draft_photo: str | None = None  # taken for the form on screen, not yet saved
        self.draft_answers: dict[str, bool] = {}
        self.position: dict[str, float] | None = None
        self.position_at = 0.0
        self.wake = asyncio.Event()

    def t(self, key: str, **params: Any) -> str:
        return t(key, self.app.lang, **params)

    # -- plumbing ---------------------------------------------------------------------------

    def show(self, screen: Callable[[], ft.Control]) -> None:
        self.screen = screen
        if not self.app.signed_in or self.app.store.get("needs_login"):
            screen = self.login
        self.status_text = ft.Text(size=14)
        status = self.refresh_status()
        if status.pending and not status.offline:
            self.wake.set()  # something new was saved: send it now
        body = screen()
        status_bar = ft.Container(
            self.status_text,
            padding=8,
            bgcolor=ft.Colors.BLUE_GREY_50,
            alignment=ft.Alignment.CENTER_LEFT,
        )
        column = ft.Column(
            [status_bar, body],
            expand=True,
            spacing=0,
            horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
        )
        self.page.controls = [ft.SafeArea(column, expand=True)]
        self.page.update()

    def toast(self, message: str, error: bool = False) -> None:
        self.page.show_dialog(
            ft.SnackBar(ft.Text(message, size=18), bgcolor=RED if error else GREEN)
        )

    def refuse(self, refusal: Refusal) -> None:
        self.toast(self.t(refusal.key, **refusal.params), error=True)

    def refresh_status(self) -> Status:
        status = self.app.status()
        parts = [self.t("offline") if status.offline else self.t("online")]
        parts.append(
            self.t("waiting", n=status.pending) if status.pending else self.t("all_synced")
        )
        if status.last_sync:
            local = status.last_sync.astimezone(self.app.tz)
            parts.append(self.t("last_sync", at=f"{local:%H:%M}"))
        else:
            parts.append(self.t("never_synced"))
        error = status.error
        if error == "login_expired":
            error = self.t("login_expired")
        elif status.rejected:
            error = self.t(
                "rejected_records",
                n=status.rejected,
                reason=self.app.store.get("last_rejection", ""),
            )
        self.status_text.value = " · ".join(parts) + (f"\n{error}" if error else "")
        self.status_text.color = RED if (error or status.offline) else None
        return status

    async def sync_loop(self) -> None:
        """Background sync: push, pull, then wait (longer after each failure), or until a
        new record is saved while the server is reachable."""
        while True:
            if self.app.signed_in:
                await self.app.sync()
                self.refresh_status()
                self.page.update()
            self.wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), self.app.next_sync_in())

    async def watch_position(self) -> None:
        """Keep the latest GPS fix, so a scan never waits for one; no GPS, no position."""

        def moved(position: Any) -> None:
            if position.latitude is not None and position.longitude is not None:
                self.position = {
                    "lat": position.latitude,
                    "lon": position.longitude,
                    "accuracy": position.accuracy or 0.0,
                }
                self.position_at = time.monotonic()

        geo = fg.Geolocator(
            configuration=fg.GeolocatorConfiguration(distance_filter=5),
            on_position_change=lambda e: moved(e.position),
        )
        try:
            await geo.request_permission()
            moved(await geo.get_current_position())
        except Exception:  # no permission or no location service: scans carry no GPS
            return

    def fresh_position(self) -> dict[str, float] | None:
        """The GPS fix if it is under two minutes old."""
        if self.position and time.monotonic() - self.position_at < 120:
            return self.position
        return None

    async def sync_now(self, _: Any = None) -> None:
        await self.app.sync()
        self.show(self.screen)

    def header(self, title: str, back: Callable[[], ft.Control] | None = None) -> ft.Control:
        controls: list[ft.Control] = []
        if back is not None:
            controls.append(
                ft.IconButton(
                    ft.Icons.ARROW_BACK,
                    icon_size=32,
                    tooltip=self.t("back"),
                    on_click=lambda _: self.show(back),
                )
            )
        controls.append(ft.Text(title, size=24, weight=ft.FontWeight.BOLD, expand=True))
        return ft.Row(controls)

    def page_body(self, *controls: ft.Control) -> ft.Control:
        return ft.ListView(list(controls), expand=True, spacing=12, padding=16)

    # -- sign in ----------------------------------------------------------------------------

    def login(self) -> ft.Control:
        server = ft.TextField(
            label=self.t("server"),
            value=self.app.store.get("server_url") or self.default_server,
            text_size=18,
        )
        username = ft.TextField(
            label=self.t("username"), text_size=18, value=self.app.user.get("username", "")
        )
        password = ft.TextField(
            label=self.t("password"), password=True, can_reveal_password=True, text_size=18
        )
        message = ft.Text(color=RED, size=16)

        async def sign_in(_: Any) -> None:
            message.value = self.t("signing_in")
            self.page.update()
            try:
                await self.app.login(server.value, username.value, password.value)
            except Refusal as refusal:
                message.value = self.t(refusal.key)
                self.page.update()
                return
            self.show(self.home)

        password.on_submit = sign_in
        return self.page_body(
            ft.Text(self.t("app_title"), size=30, weight=ft.FontWeight.BOLD),
            server,
            username,
            password,
            message,
            ft.Row([big_button(self.t("sign_in"), sign_in)]),
            ft.TextButton(self.t("language"), on_click=self.switch_language),
        )

    def switch_language(self, _: Any) -> None:
        self.app.toggle_lang()
        self.show(self.screen)

    def sign_out(self, _: Any) -> None:
        self.app.logout()
        self.show(self.login)

    # -- home -------------------------------------------------------------------------------

    def home(self) -> ft.Control:
        role = self.app.role
        if role in ("cleaner",):
            content = self.cleaner_home()
        elif role == "cleaning_supervisor":
            content = self.supervisor_home()
        else:
            content = self.guard_home()
        footer = ft.Row(
            [
                ft.TextButton(self.t("sync_now"), on_click=self.sync_now),
                ft.TextButton(self.t("language"), on_click=self.switch_language),
                ft.TextButton(self.t("sign_out"), on_click=self.sign_out),
            ],
            wrap=True,
        )
        who = f"{self.app.user.get('name', '')} · {self.app.site.get('name', '')}"
        return self.page_body(
            ft.Text(who, size=16, color=GREY), *self.site_picker(), *content, footer
        )

    def site_picker(self) -> list[ft.Control]:
        """For people who work on several sites; everything else follows the chosen one."""
        sites = (self.app.store.get("config") or {}).get("sites", [])
        if len(sites) < 2:
            return []

        def choose(e: Any) -> None:
            try:
                self.app.choose_site(e.control.value)
            except Refusal as refusal:
                self.refuse(refusal)
            self.show(self.home)

        return [
            ft.Dropdown(
                value=self.app.site["id"],
                text_size=18,
                on_select=choose,
                options=[ft.DropdownOption(s["id"], text=s["name"]) for s in sites],
            )
        ]

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
            self.app.start_round(route_id, item)
            self.show(self.round_screen)

        return start

    def round_card(self, item: RoundItem) -> ft.Control:
        tz = self.app.tz
        due = f"{item.due.astimezone(tz):%H:%M}" if item.due else ""
        colour = RED if item.overdue else STATE_COLOURS.get(item.state, GREY)
        state = self.t(f"state_{item.state.value}")
        if item.overdue:
            state = f"{state} · {self.t('overdue')}"
        actionable = item.state not in (
            RoundState.COMPLETED,
            RoundState.MISSED,
            RoundState.INCOMPLETE,
        )
        text = ft.Column(
            [
                ft.Text(f"{due}  {item.route_name}", size=20, weight=ft.FontWeight.BOLD),
                ft.Text(f"{state} · {item.done}/{item.total}", size=16, color=colour),
            ],
            expand=True,
            spacing=2,
        )
        row: list[ft.Control] = [text]
        if actionable:
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
        return ft.Container(
            ft.Row(row), padding=12, border_radius=10, border=ft.Border.all(2, colour)
        )

    # -- a round ----------------------------------------------------------------------------

    def round_screen(self) -> ft.Control:
        active = self.app.active_round()
        if active is None:
            return self.home()
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
        self.draft_photo, self.draft_answers = None, {}
        self.show(lambda: self.checks_screen(point, scan_id))

    def checks_screen(self, point: dict[str, Any], scan_id: str) -> ft.Control:
        answers = self.draft_answers
        rows: list[ft.Control] = []
        for check in point["checks"]:
            answers.setdefault(check, True)
            group = ft.SegmentedButton(
                segments=[
                    ft.Segment("yes", label=ft.Text(self.t("yes"), size=18)),
                    ft.Segment("no", label=ft.Text(self.t("no"), size=18)),
                ],
                selected=["yes" if answers[check] else "no"],
                on_change=lambda e, c=check: answers.__setitem__(c, "yes" in e.control.selected),
            )
            rows += [ft.Text(check, size=20), group]
        if point["requires_photo"]:
            rows += [
                ft.Text(self.t("photo_required"), size=18, color=RED),
                self.photo_row(point["name"], lambda: self.checks_screen(point, scan_id)),
            ]

        def done(then: Callable[[], ft.Control]) -> Callable[[Any], None]:
            def save(_: Any) -> None:
                try:
                    self.app.answer_checks(point["id"], scan_id, answers, self.draft_photo)
                except Refusal as refusal:
                    self.refuse(refusal)
                    return
                self.draft_photo, self.draft_answers = None, {}
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
        category = ft.Dropdown(
            label=self.t("anomaly_type"),
            text_size=18,
            value=ANOMALY_TYPES[0][0],
            options=[
                ft.DropdownOption(zh, text=zh if self.app.lang == "zh" else en)
                for zh, en in ANOMALY_TYPES
            ],
        )
        note = ft.TextField(label=self.t("note"), multiline=True, min_lines=2, text_size=18)
        place = point["name"] if point else self.app.site.get("name", "")
        photo_row = self.photo_row(place, lambda: self.anomaly_screen(point, scan_id))

        def save(_: Any) -> None:
            self.app.report_anomaly(
                point["id"] if point else None,
                scan_id,
                category.value or "",
                note.value or "",
                self.draft_photo,
            )
            self.draft_photo = None
            self.toast(self.t("saved"))
            self.show(self.round_screen if self.app.active_round() else self.home)

        return self.page_body(
            self.header(self.t("anomaly"), back=self.round_screen),
            ft.Text(place, size=18),
            category,
            note,
            photo_row,
            ft.Row([big_button(self.t("save"), save)]),
        )

    def photo_row(self, place: str, back: Callable[[], ft.Control]) -> ft.Control:
        """A 'take photo' button, or the thumbnail of the photo just taken."""

        def taken(raw: bytes) -> None:
            self.draft_photo = self.app.take_photo(raw, place)
            self.show(back)

        take = big_button(
            self.t("retake_photo") if self.draft_photo else self.t("take_photo"),
            lambda _: self.open_camera(taken, back),
            filled=False,
            icon=ft.Icons.PHOTO_CAMERA,
        )
        controls: list[ft.Control] = [take]
        if self.draft_photo:
            thumb = self.app.store.photo_path(self.draft_photo, thumb=True).read_bytes()
            controls.insert(0, ft.Image(src=thumb, width=96, height=72, fit=ft.BoxFit.COVER))
        return ft.Row(controls)

    def finish_screen(self) -> ft.Control:
        active = self.app.active_round()
        if active is None:
            return self.home()
        reason = ft.TextField(
            label=self.t("finish_reason"), multiline=True, text_size=18, visible=bool(active.left)
        )

        def finish(_: Any) -> None:
            try:
                self.app.finish_round(reason.value or "")
            except Refusal as refusal:
                self.refuse(refusal)
                return
            self.toast(self.t("round_finished"))
            self.show(self.home)

        return self.page_body(
            self.header(self.t("finish_round"), back=self.round_screen),
            ft.Text(self.t("round_progress", done=active.done, total=active.total), size=22),
            reason,
            ft.Row([big_button(self.t("finish_round"), finish)]),
        )

    def handover_screen(self) -> ft.Control:
        note = ft.TextField(
            label=self.t("handover_note"), multiline=True, min_lines=4, text_size=18
        )

        def save(_: Any) -> None:
            try:
                self.app.handover(note.value or "")
            except Refusal as refusal:
                self.refuse(refusal)
                return
            self.toast(self.t("handover_saved"))
            self.show(self.home)

        return self.page_body(
            self.header(self.t("handover"), back=self.home),
            note,
            ft.Row([big_button(self.t("save"), save)]),
        )

    # -- cleaners ---------------------------------------------------------------------------

    def cleaner_home(self) -> list[ft.Control]:
        tz = self.app.tz
        controls: list[ft.Control] = [
            self.header(self.t("areas_today")),
            ft.Row(
                [
                    big_button(
                        self.t("scan_area"),
                        lambda _: self.open_scanner(self.on_area),
                        icon=ft.Icons.QR_CODE_SCANNER,
                    )
                ]
            ),
        ]
        now = self.app.clock()
        for area, due, done in self.app.areas_today():
            passed = sum(1 for d in due if d <= now)
            behind = done < passed
            times = " ".join(f"{d.astimezone(tz):%H:%M}" for d in due)
            controls.append(
                ft.Container(
                    ft.Column(
                        [
                            ft.Text(area["name"], size=20, weight=ft.FontWeight.BOLD),
                            ft.Text(
                                f"{times} · {done}/{len(due)}",
                                size=16,
                                color=RED if behind else GREY,
                            ),
                        ],
                        spacing=2,
                    ),
                    padding=12,
                    border_radius=10,
                    border=ft.Border.all(2, RED if behind else ft.Colors.GREY_400),
                )
            )
        controls.append(self.header(self.t("my_rectifications")))
        rects = self.app.my_rectifications()
        if not rects:
            controls.append(ft.Text(self.t("no_rectifications"), size=18))
        controls += [self.rect_card(r, partial(self.fix_screen, r)) for r in rects]
        return controls

    def on_area(self, payload: str, method: str) -> None:
        area = self.app.scan_area(payload, method, self.fresh_position())
        self.toast(self.t("area_done", name=area["name"]))
        self.show(self.home)

    def rect_card(self, rect: dict[str, Any], open_: Callable[[], ft.Control]) -> ft.Control:
        template: dict[str, Any] = next(
            (t for t in self.app.site["templates"] if t["id"] == rect["template_id"]), {"items": []}
        )
        label = next(
            (i[f"label_{self.app.lang}"] for i in template["items"] if i["key"] == rect["item"]),
            rect["item"],
        )
        deadline = datetime.fromisoformat(rect["deadline"]).astimezone(self.app.tz)
        colour = RED if rect["overdue"] else GREY
        return ft.Container(
            ft.Column(
                [
                    ft.Text(f"{rect['point_name']} · {label}", size=18, weight=ft.FontWeight.BOLD),
                    ft.Text(
                        self.t("deadline", at=f"{deadline:%m-%d %H:%M}")
                        + (f" · {self.t('overdue')}" if rect["overdue"] else ""),
                        color=colour,
                    ),
                ],
                spacing=2,
            ),
            padding=12,
            border_radius=10,
            border=ft.Border.all(2, colour),
            on_click=lambda _: self.show(open_),
            ink=True,
        )

    def fix_screen(self, rect: dict[str, Any]) -> ft.Control:
        before = ft.Column()

        async def load_before() -> None:
            shas = rect.get("before_photos") or []
            if shas:
                data = await self.app.photo(shas[0])
                if data:
                    before.controls = [
                        ft.Text(self.t("before"), size=16),
                        ft.Image(src=data, height=200, fit=ft.BoxFit.CONTAIN),
                    ]
                    self.page.update()

        self.page.run_task(load_before)
        photo_row = self.photo_row(rect["point_name"], lambda: self.fix_screen(rect))

        def submit(_: Any) -> None:
            if not self.draft_photo:
                self.toast(self.t("photo_required"), error=True)
                return
            self.app.fix_rectification(rect, self.draft_photo)
            self.draft_photo = None
            self.toast(self.t("fixed_submitted"))
            self.show(self.home)

        return self.page_body(
            self.header(rect["point_name"], back=self.home),
            before,
            photo_row,
            ft.Row([big_button(self.t("submit"), submit)]),
        )

    # -- cleaning supervisors ---------------------------------------------------------------

    def supervisor_home(self) -> list[ft.Control]:
        controls: list[ft.Control] = [
            self.header(self.t("supervisor_home")),
            ft.Row(
                [
                    big_button(
                        self.t("inspect_area"),
                        lambda _: self.open_scanner(self.on_inspect_area),
                        icon=ft.Icons.QR_CODE_SCANNER,
                    )
                ]
            ),
            self.header(self.t("recheck_queue")),
        ]
        queue = self.app.recheck_queue()
        if not queue:
            controls.append(ft.Text(self.t("no_rechecks"), size=18))
        controls += [self.rect_card(r, partial(self.recheck_screen, r)) for r in queue]
        return controls

    def on_inspect_area(self, payload: str, method: str) -> None:
        self.inspection = self.app.start_inspection(payload, method)
        self.show(self.inspection_screen)

    def inspection_screen(self) -> ft.Control:
        insp = self.inspection
        if insp is None:
            return self.home()
        lang = self.app.lang
        rows: list[ft.Control] = []
        for item in insp.template["items"]:
            key = item["key"]
            segments = [
                ft.Segment(v, label=ft.Text(self.t(v), size=16)) for v in ("pass", "fail", "na")
            ]
            choice = ft.SegmentedButton(
                segments=segments,
                selected=[insp.results[key]] if key in insp.results else [],
                allow_empty_selection=True,
                on_change=lambda e, k=key: self._set_result(k, e.control.selected),
            )
            row: list[ft.Control] = [ft.Text(item[f"label_{lang}"], size=18), choice]
            if insp.results.get(key) == "fail":
                taken = insp.photos.get(key)
                row.append(
                    ft.Row(
                        [
                            big_button(
                                self.t("photo_taken") if taken else self.t("take_photo"),
                                partial(self._open_item_camera, key),
                                filled=False,
                                icon=ft.Icons.PHOTO_CAMERA,
                            )
                        ]
                    )
                )
            rows.append(
                ft.Container(
                    ft.Column(row, spacing=6),
                    padding=8,
                    border=ft.Border.all(1, ft.Colors.GREY_300),
                    border_radius=8,
                )
            )
        score = insp.score

        def submit(_: Any) -> None:
            try:
                failed = self.app.submit_inspection(insp)
            except Refusal as refusal:
                self.refuse(refusal)
                return
            self.inspection = None
            self.toast(self.t("inspection_saved", n=failed))
            self.show(self.home)

        return self.page_body(
            self.header(insp.point["name"], back=self.home),
            ft.Text(
                insp.template[f"name_{lang}"]
                + (f" · {self.t('score', score=f'{score:.0%}')}" if score is not None else ""),
                size=18,
                color=GREY,
            ),
            *rows,
            ft.Row([big_button(self.t("submit"), submit)]),
        )

    def _set_result(self, key: str, selected: list[str]) -> None:
        assert self.inspection is not None
        if selected:
            self.inspection.results[key] = selected[0]
        else:
            self.inspection.results.pop(key, None)
        self.show(self.inspection_screen)

    def _open_item_camera(self, key: str, _: Any) -> None:
        self.open_camera(partial(self._item_photo, key), self.inspection_screen)

    def _item_photo(self, key: str, raw: bytes) -> None:
        assert self.inspection is not None
        sha = self.app.take_photo(raw, self.inspection.point["name"])
        self.inspection.photos[key] = [sha]
        self.show(self.inspection_screen)

    def recheck_screen(self, rect: dict[str, Any]) -> ft.Control:
        def decide(passed: bool) -> Callable[[Any], None]:
            def save(_: Any) -> None:
                try:
                    self.app.recheck(rect, passed)
                except Refusal as refusal:
                    self.refuse(refusal)
                    return
                self.toast(self.t("recheck_saved"))
                self.show(self.home)

            return save

        after = ft.Column()

        async def load_after() -> None:
            shas = rect.get("after_photos") or []
            if shas and (data := await self.app.photo(shas[0])):
                after.controls = [ft.Image(src=data, height=220, fit=ft.BoxFit.CONTAIN)]
                self.page.update()

        self.page.run_task(load_after)
        return self.page_body(
            self.header(rect["point_name"], back=self.home),
            after,
            ft.Row([big_button(self.t("recheck_pass"), decide(True), colour=GREEN)]),
            ft.Row([big_button(self.t("recheck_fail"), decide(False), colour=RED)]),
        )

    # -- camera -----------------------------------------------------------------------------

    def open_scanner(self, on_payload: Callable[[str, str], None]) -> None:
        """Camera → QR text → `on_payload(text, "qr")`; or a typed code → (code, "typed")."""

        def handle(payload: str, method: str) -> bool:
            try:
                on_payload(payload, method)
            except Refusal as refusal:
                self.refuse(refusal)
                return False
            return True

        def frame(raw: bytes) -> bool:
            try:
                texts = decode_qr(raw)
            except QRDecodeError:
                texts = []
            if not texts:
                self.toast(self.t("no_qr_found"), error=True)
                return False
            return handle(texts[0], "qr")

        back = self.screen
        code = ft.TextField(
            label=self.t("code"), text_size=20, capitalization=ft.TextCapitalization.CHARACTERS
        )

        def typed(_: Any) -> None:
            if (code.value or "").strip():
                handle(code.value.strip(), "typed")

        code.on_submit = typed
        extra = [
            ft.Text(self.t("type_code"), size=16, color=GREY),
            ft.Row([code, ft.FilledButton(self.t("confirm"), on_click=typed, height=BIG)]),
        ]
        self._camera_screen(self.t("scan_hint"), self.t("capture"), frame, back, extra)

    def open_camera(
        self, on_photo: Callable[[bytes], None], back: Callable[[], ft.Control]
    ) -> None:
        def frame(raw: bytes) -> bool:
            on_photo(raw)
            return True

        self._camera_screen(self.t("take_photo"), self.t("take_photo"), frame, back, [])

    def _camera_screen(
        self,
        title: str,
        action: str,
        on_frame: Callable[[bytes], bool],
        back: Callable[[], ft.Control],
        extra: Sequence[ft.Control],
    ) -> None:
        camera = fc.Camera(expand=True, preview_enabled=True)
        error = ft.Text(color=RED, size=16)
        busy = {"taking": False}

        async def capture(_: Any) -> None:
            if busy["taking"]:
                return
            busy["taking"] = True
            try:
                raw = await camera.take_picture()
            except Exception:  # the camera plugin raises plain errors
                self.toast(self.t("camera_unavailable"), error=True)
                busy["taking"] = False
                return
            busy["taking"] = False
            on_frame(bytes(raw))

        def build() -> ft.Control:
            return ft.Column(
                [
                    ft.Container(
                        self.header(title, back=back),
                        padding=ft.Padding.only(left=16, top=8, right=16),
                    ),
                    ft.Container(camera, height=300, bgcolor=ft.Colors.BLACK),
                    ft.Container(
                        ft.Column(
                            [
                                error,
                                ft.Row([big_button(action, capture, icon=ft.Icons.CAMERA_ALT)]),
                                *extra,
                            ],
                            spacing=10,
                        ),
                        padding=16,
                    ),
                ],
                expand=True,
                scroll=ft.ScrollMode.AUTO,
            )

        self.show(build)
        self.page.run_task(self._start_camera, camera, error)

    async def _start_camera(self, camera: fc.Camera, error: ft.Text) -> None:
        try:
            cameras = await camera.get_available_cameras()
            if not cameras:
                raise RuntimeError("no camera")
            rear = next(
                (c for c in cameras if c.lens_direction == fc.CameraLensDirection.BACK), cameras[0]
            )
            await camera.initialize(rear, fc.ResolutionPreset.HIGH, enable_audio=False)
        except Exception:  # no camera, or permission refused
            error.value = self.t("camera_unavailable")
            self.page.update()


async def run_view(
    page: ft.Page,
    app: FieldApp,
    default_server: str,
    started: Callable[[Ui], Awaitable[None]] | None = None,
) -> Ui:
    page.title = "Rounds"
    page.fonts = {FONT: "fonts/NotoSansSC-Regular.ttf"}
    page.theme = ft.Theme(font_family=FONT, color_scheme_seed=ft.Colors.BLUE)
    page.padding = 0
    ui = Ui(page, app, default_server)
    ui.show(ui.home)
    page.run_task(ui.sync_loop)
    page.run_task(ui.watch_position)
    if started is not None:
        await started(ui)
    return ui
