"""The console's frame: sign-in, role-based navigation, site and period pickers, language.

Wide screens (≥ 900 px) get a NavigationRail on the left; phones get a menu button that
opens a drawer. Every screen is built inside `render()`, which turns a refusal
(`server.access.AccessDenied`) into the same words the API would answer: 404 "site not
found", 403 "your role may not", 401 back to the sign-in form.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any

import flet as ft

from domain.models import Role
from server import access
from server.console.i18n import t
from server.console.models.period import PERIOD_KINDS, Period
from server.console.models.session import ConsoleSession
from server.console.refusals import refusal_text as worded_refusal
from server.console.views.base import (
    BIG,
    FONT,
    GREY,
    RED,
    TALL_SEGMENTS,
    Screen,
    ScreenView,
    big_button,
    message,
)
from server.login import (
    LoginGate,
    LoginRefused,
    change_own_password,
    check_login,
    hash_token,
    issue_token,
    token_user,
    wait_text,
)
from server.storage import UserRow

__all__ = ["Console"]

WIDE = 900  # px: at least this wide gets the navigation rail
RAIL_DESTINATION_HEIGHT = 72  # px: one rail destination with its label, with room to spare
# What the browser keeps (its local storage) so that a reload finds the same person on the
# same screen and site: a sign-in token like a phone's, revoked by signing out or by
# "sign out this device" (device `CONSOLE_DEVICE`) on the people screen.
KEPT = "rounds.console."
CONSOLE_DEVICE = "console"


class Console:
    """Everything one browser session of the console sees and does."""

    def __init__(self, page: ft.Page, state: Any, screens: list[Screen]) -> None:
        self.page, self.state, self.all_screens = page, state, screens
        self.session = ConsoleSession(state.storage, state.settings, blobs=state.blobs)
        self.current: str | None = None
        self.views: dict[str, ScreenView] = {}
        self.refusal: str | None = None  # why the signed-in user has no console
        self.drafts: dict[str, dict[str, Any]] = {}
        self.wide = (page.width or 1280) >= WIDE
        self._tick: asyncio.Task[None] | None = None
        self.changing_password = False  # the person asked to (an admin-set one: always)
        self.prefs: ft.SharedPreferences | None = None  # the browser's keeping
        self.token: str | None = None
        self._kept: dict[str, str] = {}

    # -- for screens ---------------------------------------------------------------------

    def t(self, key: str, **params: object) -> str:
        return t(key, self.session.lang, **params)

    @property
    def site_id(self) -> str:
        """The chosen site; AccessDenied(404) if the user no longer has it."""
        user = self.session.user()
        site_id = self.session.site_id or ""
        access.require_site(user, site_id)
        return site_id

    def draft(self, form: str, **defaults: Any) -> dict[str, Any]:
        """What is typed into `form`, kept across redraws (a refused save, a refresh) until
        `forget_draft(form)` once it is saved."""
        return self.drafts.setdefault(form, dict(defaults))

    def forget_draft(self, form: str) -> None:
        self.drafts.pop(form, None)

    def toast(self, text: str, error: bool = False) -> None:
        self.page.show_dialog(
            ft.SnackBar(ft.Text(text, size=16), bgcolor=RED if error else ft.Colors.GREEN_700)
        )

    def refusal_text(self, denied: access.AccessDenied) -> str:
        if denied.status_code == 404:
            return self.t("not_found")
        if denied.status_code == 403:
            return f"{self.t('forbidden')} ({worded_refusal(denied, self.session.lang)})"
        return self.t("signed_out")

    def act(self, fn: Callable[..., Awaitable[Any] | Any]) -> Callable[[Any], Awaitable[None]]:
        """An event handler that runs `fn(event)`, shows a refusal as a red toast, and
        re-renders the screen."""

        async def handler(event: Any) -> None:
            try:
                result = fn(event)
                if asyncio.iscoroutine(result):
                    await result
            except access.AccessDenied as denied:
                if denied.status_code == 401:
                    self.render()
                    return
                self.toast(self.refusal_text(denied), error=True)
            self.render()

        return handler

    def refresh(self) -> None:
        self.render()

    # -- navigation ----------------------------------------------------------------------

    def role(self) -> Role | None:
        return access.role_of(self.session.user())

    def screens(self) -> list[Screen]:
        role = self.role()
        return [s for s in self.all_screens if role is not None and s.allowed(role)]

    def open(self, key: str) -> None:
        self.current = key
        self.render()

    def view(self, screen: Screen) -> ScreenView:
        if screen.key not in self.views:
            self.views[screen.key] = screen.view(self)
        return self.views[screen.key]

    # -- rendering -----------------------------------------------------------------------

    def render(self) -> None:
        try:
            body = self._frame()
        except access.AccessDenied as denied:
            if denied.status_code == 401:
                body = self._login()
            else:
                body = message(self.refusal_text(denied), error=True)
        self.page.controls = [ft.SafeArea(body, expand=True)]
        self.page.update()
        if self.session.signed_in:
            self._keep("screen", self.current or "")
            self._keep("site", self.session.site_id or "")

    def _keep(self, key: str, value: str) -> None:
        """Have the browser keep `value` (only when it changed: each is a round trip)."""
        if self.prefs is not None and self._kept.get(key) != value:
            self._kept[key] = value
            self.page.run_task(self.prefs.set, KEPT + key, value)

    async def restore_sign_in(self) -> None:
        """After a reload: the token the browser kept signs the same person in again, on
        the screen and site they had. Anything amiss leaves the sign-in form."""
        if self.prefs is None:
            return
        try:
            token, screen, site = [
                await self.prefs.get(KEPT + key) for key in ("token", "screen", "site")
            ]
        except Exception:  # a browser that keeps nothing: sign in as usual
            return
        if not isinstance(token, str) or self.session.signed_in:
            return
        user = token_user(self.state.storage, self.state.settings, token, _now())
        if user is None:  # revoked, expired, or the person deactivated
            await self.prefs.remove(KEPT + "token")
            return
        self.token = token
        self._signed_in(user)
        if isinstance(site, str) and site in user.site_ids:
            self.session.site_id = site
        if isinstance(screen, str) and screen:
            self.current = screen
        self.render()

    def _signed_in(self, user: UserRow) -> None:
        self.session.sign_in(user)
        try:
            access.require_console(user)
            self.refusal = None
        except access.AccessDenied:
            self.refusal = user.role

    def _frame(self) -> ft.Control:
        if not self.session.signed_in:
            return self._login()
        user = self.session.user()
        if self.refusal is not None:
            return self._field_role()
        forced = self.state.storage.password_to_change(user.id)
        if forced or self.changing_password:
            return self._password_form(user, forced)
        screens = self.screens()
        role = self.role()
        if not user.site_ids and role is not None and role.administers:
            from server.console.views.setup_places import first_site_form

            return first_site_form(self)  # first run: no site yet, make one
        if not user.site_ids or not screens:
            return self._only_sign_out(self.t("no_sites"))
        if self.current not in {s.key for s in screens}:
            self.current = screens[0].key
        screen = next(s for s in screens if s.key == self.current)
        try:
            content = self.view(screen).build()
        except access.AccessDenied as denied:
            if denied.status_code == 401:
                raise
            content = message(self.refusal_text(denied), error=True)
        bar = self._top_bar(screen, user.name)
        main = ft.Column(
            [
                bar,
                ft.Divider(height=1),
                ft.Container(content, expand=True, padding=12, alignment=ft.Alignment.TOP_LEFT),
            ],
            expand=True,
            spacing=0,
        )
        index = [s.key for s in screens].index(screen.key)
        if self.wide:
            self.page.drawer = None
            rail = ft.NavigationRail(
                selected_index=index,
                label_type=ft.NavigationRailLabelType.ALL,
                min_width=88,
                # A rail does not scroll itself: give it its full height inside a scrolling
                # column, so an admin's 14 screens stay reachable in a short window.
                height=RAIL_DESTINATION_HEIGHT * len(screens) + 16,
                destinations=[
                    ft.NavigationRailDestination(icon=s.icon, label=self.t(s.title))
                    for s in screens
                ],
                on_change=self.act(lambda e: self._go(screens, e.control.selected_index)),
            )
            side = ft.Column([rail], scroll=ft.ScrollMode.AUTO, spacing=0)
            return ft.Row([side, ft.VerticalDivider(width=1), main], expand=True, spacing=0)
        self.page.drawer = ft.NavigationDrawer(
            selected_index=index,
            controls=[
                *(
                    ft.NavigationDrawerDestination(icon=s.icon, label=self.t(s.title))
                    for s in screens
                ),
                ft.Divider(),
                ft.Container(
                    ft.Column(self._account(user.name), spacing=4),
                    padding=ft.Padding.symmetric(horizontal=28, vertical=8),
                ),
            ],
            on_change=self._drawer_go(screens),
        )
        return main

    def _drawer_go(self, screens: list[Screen]) -> Callable[[Any], Awaitable[None]]:
        """A phone's menu: open the chosen screen and close the drawer (Flutter leaves it
        open over the screen otherwise, and the user has to tap beside it)."""

        async def go(event: Any) -> None:
            self._go(screens, event.control.selected_index)
            with contextlib.suppress(ValueError, RuntimeError):
                await self.page.close_drawer()
            self.render()

        return go

    def _go(self, screens: list[Screen], index: int | None) -> None:
        if index is not None and 0 <= index < len(screens):
            self.current = screens[index].key

    def _top_bar(self, screen: Screen, name: str) -> ft.Control:
        items: list[ft.Control] = []
        if not self.wide:
            items.append(
                ft.IconButton(
                    ft.Icons.MENU,
                    icon_size=28,
                    tooltip=self.t("menu"),
                    on_click=self._open_drawer,
                    width=BIG,
                    height=BIG,
                )
            )
        items.append(ft.Text(self.t(screen.title), size=22, weight=ft.FontWeight.BOLD))
        if screen.uses_site:
            items.append(self._site_picker())
        if screen.uses_period:
            items.extend(self._period_picker())
        if not self.wide:  # a phone: name, language and sign-out live in the drawer
            return ft.Container(
                ft.Row(items, wrap=True, spacing=8, run_spacing=4),
                padding=ft.Padding.symmetric(horizontal=8, vertical=4),
            )
        right = self._account(name)
        return ft.Container(
            ft.Row(
                [
                    ft.Row(
                        items,
                        wrap=True,
                        spacing=8,
                        run_spacing=4,
                        expand=True,
                        vertical_alignment=ft.CrossAxisAlignment.CENTER,
                    ),
                    ft.Row(right, spacing=4),
                ],
                vertical_alignment=ft.CrossAxisAlignment.CENTER,
            ),
            padding=ft.Padding.symmetric(horizontal=12, vertical=6),
        )

    def _account(self, name: str) -> list[ft.Control]:
        return [
            ft.Text(name, color=GREY),
            ft.TextButton(self.t("language"), on_click=self.act(self._switch_language), height=BIG),
            ft.TextButton(
                self.t("change_password"),
                on_click=self.act(lambda _: setattr(self, "changing_password", True)),
                height=BIG,
            ),
            ft.TextButton(self.t("sign_out"), on_click=self.act(self._sign_out), height=BIG),
        ]

    def _password_form(self, user: UserRow, forced: bool) -> ft.Control:
        """Choose one's own password; first of all when an admin set the current one."""
        self.page.drawer = None
        fields = {
            key: ft.TextField(label=self.t(key), password=True, can_reveal_password=True, width=320)
            for key in ("current_password", "new_password", "repeat_password")
        }
        error = ft.Text("", color=RED, size=16)

        async def save(_: Any) -> None:
            current, new, again = (fields[k].value or "" for k in fields)
            if new != again:
                error.value = self.t("passwords_differ")
                self.page.update()
                return
            try:
                await change_own_password(
                    LoginGate.of(self.state),
                    user=user,
                    current=current[:128],
                    new=new[:128],
                    address=self.page.client_ip or "console",
                    keep_token_hash=hash_token(self.token) if self.token else None,
                    now=_now(),
                )
            except LoginRefused as refused:
                error.value = (
                    self.t("wrong_current_password")
                    if refused.status_code == 401
                    else worded_refusal(refused, self.session.lang)
                )
                self.page.update()
                return
            self.changing_password = False
            self.toast(self.t("password_changed"))
            self.render()

        buttons: list[ft.Control] = [big_button(self.t("save_password"), save, key="save-password")]
        if forced:
            buttons.append(
                ft.TextButton(self.t("sign_out"), on_click=self.act(self._sign_out), height=BIG)
            )
        else:
            buttons.append(
                ft.TextButton(
                    self.t("cancel"),
                    on_click=self.act(lambda _: setattr(self, "changing_password", False)),
                    height=BIG,
                )
            )
        column: list[ft.Control] = [
            ft.Text(self.t("change_password"), size=24, weight=ft.FontWeight.BOLD),
            ft.Text(user.name, color=GREY),
        ]
        if forced:
            column.append(ft.Text(self.t("password_set_by_admin"), size=16))
        column += [*fields.values(), error, ft.Row(buttons, wrap=True)]
        return ft.Container(
            ft.Column(column, spacing=16, horizontal_alignment=ft.CrossAxisAlignment.CENTER),
            alignment=ft.Alignment.TOP_CENTER,
            expand=True,
            padding=24,
        )

    async def _open_drawer(self, _: Any) -> None:
        with contextlib.suppress(ValueError):
            await self.page.show_drawer()

    def _site_picker(self) -> ft.Control:
        sites = self.session.sites()
        if len(sites) == 1:
            return ft.Text(sites[0].name, size=16)
        return ft.Dropdown(
            value=self.session.site_id,
            options=[ft.DropdownOption(key=s.id, text=s.name) for s in sites],
            label=self.t("site"),
            width=220,
            dense=True,
            on_select=self.act(lambda e: self.session.choose_site(e.control.value)),
        )

    def _period_picker(self) -> list[ft.Control]:
        period = self.session.period
        now, tz = self.session.now(), self.session.tz()
        kinds = ft.SegmentedButton(
            selected=[period.kind],
            segments=[
                ft.Segment(value=k, label=ft.Text(self.t(f"period_{k}"))) for k in PERIOD_KINDS
            ],
            show_selected_icon=False,
            style=TALL_SEGMENTS,
            on_change=self.act(self._set_kind),
        )
        controls: list[ft.Control] = [kinds]
        if period.kind == "shift":
            controls.append(
                ft.Dropdown(
                    value="night" if period.night else "day",
                    options=[
                        ft.DropdownOption(key="day", text=self.t("shift_day")),
                        ft.DropdownOption(key="night", text=self.t("shift_night")),
                    ],
                    width=170,
                    dense=True,
                    on_select=self.act(self._set_shift),
                )
            )
        controls += [
            ft.IconButton(
                ft.Icons.CHEVRON_LEFT,
                tooltip=self.t("previous"),
                on_click=self.act(lambda _: self._step(-1)),
                width=BIG,
                height=BIG,
            ),
            ft.TextButton(
                period.label(now, tz),
                icon=ft.Icons.CALENDAR_MONTH,
                tooltip=self.t("pick_date"),
                on_click=self._pick_date,
                height=BIG,
            ),
            ft.IconButton(
                ft.Icons.CHEVRON_RIGHT,
                tooltip=self.t("next"),
                on_click=self.act(lambda _: self._step(1)),
                width=BIG,
                height=BIG,
            ),
        ]
        return controls

    def _set_kind(self, event: Any) -> None:
        selected = list(event.control.selected or [])
        kind = selected[0] if selected else "today"
        if kind in PERIOD_KINDS:
            day = (
                None
                if kind == "today"
                else self.session.period.local_day(self.session.now(), self.session.tz())
            )
            self.session.period = Period(kind, day, self.session.period.night)

    def _set_shift(self, event: Any) -> None:
        p = self.session.period
        self.session.period = Period(p.kind, p.day, event.control.value == "night")

    def _step(self, direction: int) -> None:
        self.session.period = self.session.period.step(
            direction, self.session.now(), self.session.tz()
        )

    async def _pick_date(self, _: Any) -> None:
        period = self.session.period
        current = period.local_day(self.session.now(), self.session.tz())

        async def chosen(event: Any) -> None:
            value = event.control.value
            if isinstance(value, datetime):
                value = value.date()
            if isinstance(value, date):
                kind = "day" if period.kind == "today" else period.kind
                self.session.period = Period(kind, value, period.night)
            self.render()

        self.page.show_dialog(
            ft.DatePicker(
                value=datetime.combine(current, datetime.min.time()),
                first_date=datetime(2020, 1, 1),
                last_date=datetime(2099, 12, 31),
                on_change=chosen,
            )
        )

    def _switch_language(self, _: Any) -> None:
        self.session.lang = "en" if self.session.lang == "zh" else "zh"
        set_locale(self.page, self.session.lang)

    def _sign_out(self, _: Any) -> None:
        if self.token is not None:
            self.state.storage.revoke_token(hash_token(self.token), _now())
            self.token = None
        if self.prefs is not None:
            self._kept.clear()
            self.page.run_task(self.prefs.remove, KEPT + "token")
        self.session.sign_out()
        self.views.clear()
        self.current = None
        self.refusal = None
        self.page.drawer = None

    # -- sign in -------------------------------------------------------------------------

    def _login(self) -> ft.Control:
        self.page.drawer = None
        username = ft.TextField(label=self.t("username"), width=320, autofocus=True)
        password = ft.TextField(
            label=self.t("password"), password=True, can_reveal_password=True, width=320
        )
        error = ft.Text("", color=RED, size=16)

        async def submit(_: Any) -> None:
            name, secret = (username.value or "").strip(), password.value or ""
            if not name or not secret or len(name) > 64 or len(secret) > 128:
                error.value = self.t("wrong_login")
                self.page.update()
                return
            try:
                user = await check_login(
                    LoginGate.of(self.state),
                    username=name,
                    password=secret,
                    address=self.page.client_ip or "console",
                )
            except LoginRefused as refused:
                if refused.status_code == 429:
                    error.value = self.t("too_many_logins", wait=wait_text(refused.retry_after))
                elif refused.status_code == 503:
                    error.value = self.t("busy")
                else:
                    error.value = self.t("wrong_login")
                self.page.update()
                return
            self._signed_in(user)
            if self.prefs is not None:
                storage, settings = self.state.storage, self.state.settings
                self.token = issue_token(storage, settings, user.id, CONSOLE_DEVICE, _now())
                self._kept.clear()
                self._keep("token", self.token)
            self.render()

        password.on_submit = submit
        form = ft.Column(
            [
                ft.Text(self.t("app_title"), size=28, weight=ft.FontWeight.BOLD),
                username,
                password,
                error,
                ft.Row(
                    [
                        big_button(self.t("sign_in"), submit, key="sign-in"),
                        ft.TextButton(
                            self.t("language"),
                            on_click=self.act(self._switch_language),
                            height=BIG,
                        ),
                    ],
                    alignment=ft.MainAxisAlignment.CENTER,  # under the centred fields
                ),
            ],
            spacing=16,
            horizontal_alignment=ft.CrossAxisAlignment.CENTER,
        )
        return ft.Container(form, alignment=ft.Alignment.CENTER, expand=True, padding=24)

    def _field_role(self) -> ft.Control:
        role = self.t(f"role_{self.refusal}")
        return self._only_sign_out(self.t("use_phone_app", role=role))

    def _only_sign_out(self, text: str) -> ft.Control:
        self.page.drawer = None
        return ft.Container(
            ft.Column(
                [
                    message(text, icon=ft.Icons.PHONE_ANDROID),
                    big_button(self.t("sign_out"), self.act(self._sign_out), filled=False),
                ],
                horizontal_alignment=ft.CrossAxisAlignment.CENTER,
            ),
            alignment=ft.Alignment.CENTER,
            expand=True,
            padding=24,
        )

    # -- life ----------------------------------------------------------------------------

    def on_resize(self, event: Any) -> None:
        wide = (event.width or 0) >= WIDE
        if wide != self.wide:
            self.wide = wide
            self.render()

    async def ticker(self) -> None:
        """Re-render the shown screen every `refresh_seconds` (e.g. the live view)."""
        waited = 0.0
        while True:
            await asyncio.sleep(1)
            waited += 1
            screen = self.views.get(self.current or "")
            every = type(screen).refresh_seconds if screen else None
            if every is not None and waited >= every and self.session.signed_in:
                waited = 0.0
                with contextlib.suppress(Exception):
                    self.render()


LOCALES = {"zh": ft.Locale("zh", "CN"), "en": ft.Locale("en", "US")}


def set_locale(page: ft.Page, lang: str) -> None:
    """Flutter's own words (the menu's "Tab 1 of 14", "Dismiss", the date picker) and the
    browser tab's title in the console's language: without this they are English in the
    Chinese UI."""
    page.title = t("app_title", lang)
    page.locale_configuration = ft.LocaleConfiguration(
        supported_locales=list(LOCALES.values()),
        current_locale=LOCALES.get(lang, LOCALES["zh"]),
    )


async def run_console(page: ft.Page, state: Any, screens: list[Screen]) -> Console:
    page.fonts = {FONT: "fonts/NotoSansSC-Regular.ttf"}
    # Standard density: the web default on a desktop is compact, which shrinks buttons,
    # checkboxes and switches below the 48 px touch target.
    page.theme = ft.Theme(
        font_family=FONT,
        color_scheme_seed=ft.Colors.BLUE,
        visual_density=ft.VisualDensity.STANDARD,
    )
    page.padding = 0
    console = Console(page, state, screens)
    console.prefs = ft.SharedPreferences()
    set_locale(page, console.session.lang)
    page.on_resize = console.on_resize
    console.render()
    page.run_task(console.restore_sign_in)
    page.run_task(console.ticker)
    return console


def _now() -> datetime:
    return datetime.now(UTC)
