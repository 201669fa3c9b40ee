"""The shell every screen lives in: status line, sign-in, sync loop, GPS, camera.

One obvious action per screen, big touch targets, overdue work in red. Each screen is a
method that builds its controls from the app's state; an action calls `FieldApp` and then
shows the next screen. Nothing here decides what is recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any

import flet as ft
import flet_camera as fc
import flet_geolocator as fg

from app.camera import FRAME_EVERY_S, LiveScan, picture_is_mirrored, unmirror
from app.i18n import t
from app.position import REFRESH_SECONDS, PositionKeeper
from app.state import FieldApp, Refusal, Status
from app.syncloop import sync_loop_for

__all__ = [
    "BIG",
    "FONT",
    "GREEN",
    "GREY",
    "RED",
    "SEGMENT_STYLE",
    "TOUCH",
    "Shell",
    "big_button",
    "labelled",
]

BIG = 60  # button height, px
TOUCH = 48  # the least touch target, px, either way
SYNC_BUTTON_WIDTH = 140  # fits 立即同步 / Sync now with its icon at 16 px
# Pass/fail and yes/no segments: tall enough to hit with a gloved thumb.
SEGMENT_STYLE = ft.ButtonStyle(
    padding=ft.Padding.symmetric(horizontal=16, vertical=16),
    text_style=ft.TextStyle(size=18, font_family="NotoSansSC"),
    visual_density=ft.VisualDensity.STANDARD,
)
FONT = "NotoSansSC"  # bundled: offline, the web client has no CJK fallback font
RED, GREEN, GREY = ft.Colors.RED_700, ft.Colors.GREEN_700, ft.Colors.GREY_700


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


def labelled(control: ft.Control, label: str) -> ft.Control:
    """A control with an accessible name (a dropdown has none of its own)."""
    return ft.Semantics(
        content=control, label=label, button=True, exclude_semantics=True, expand=True
    )


class Shell(ABC):
    """Plumbing shared by all screens; `home` is the role's start screen."""

    def __init__(self, page: ft.Page, app: FieldApp, default_server: str) -> None:
        self.page, self.app, self.default_server = page, app, default_server
        self.screen: Callable[[], ft.Control] = self.home
        self.status_text = ft.Text(size=14)
        self.form_shown = False  # the screen being built named its form (see `remember`)
        self.positions = PositionKeeper()
        self.syncer = sync_loop_for(app)
        self.syncer.listen(self.on_synced)

    def t(self, key: str, **params: Any) -> str:
        return t(key, self.app.lang, **params)

    # -- plumbing ---------------------------------------------------------------------------

    def show(self, screen: Callable[[], ft.Control]) -> None:
        self.screen = screen
        if not self.app.signed_in or self.app.store.get("needs_login"):
            screen = self.login
        self.status_text = ft.Text(size=14, expand=True)
        status = self.refresh_status()
        if status.pending:
            self.syncer.wake()  # something new was saved: send it now
        self.form_shown = False
        body = screen()
        if not self.form_shown and self.app.open_form() is not None:
            self.app.forget_form()
        status_bar = ft.Container(
            ft.Row(
                [
                    self.status_text,
                    # A set width: once (a fresh-clone CI run) the button was laid out
                    # wider than the screen and the status line squeezed to one character
                    # a line; whatever its cause, the line keeps the rest of the row.
                    ft.OutlinedButton(
                        self.t("sync_now"),
                        icon=ft.Icons.SYNC,
                        on_click=self.sync_now,
                        height=TOUCH,
                        width=SYNC_BUTTON_WIDTH,
                        style=ft.ButtonStyle(text_style=ft.TextStyle(size=16, font_family=FONT)),
                    ),
                ],
                vertical_alignment=ft.CrossAxisAlignment.CENTER,
            ),
            padding=ft.Padding.symmetric(horizontal=8, vertical=4),
            bgcolor=ft.Colors.BLUE_GREY_50,
        )
        column = ft.Column(
            [status_bar, body],
            expand=True,
            spacing=0,
            horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
        )
        self.page.controls = [ft.SafeArea(column, expand=True)]
        self.page.update()

    def remember(self, form: str, **context: Any) -> None:
        """Called by a form's builder: reopen this form after a refresh or a restart."""
        self.form_shown = True
        wanted = {"form": form, **context}
        if self.app.open_form() != wanted:
            self.app.remember_form(form, **context)

    def toast(self, message: str, error: bool = False) -> None:
        self.page.show_dialog(
            ft.SnackBar(ft.Text(message, size=18), bgcolor=RED if error else GREEN)
        )

    def refuse(self, refusal: Refusal) -> None:
        self.toast(self.t(refusal.key, **refusal.params), error=True)

    def attempt(self, action: Callable[[], object]) -> bool:
        """Run a `FieldApp` action; a refusal is shown to the user and gives False."""
        try:
            action()
        except Refusal as refusal:
            self.refuse(refusal)
            return False
        return True

    def refresh_status(self) -> Status:
        status = self.app.status()
        parts = [self.t("offline") if status.offline else self.t("online")]
        parts.append(
            self.t("waiting", n=status.pending) if status.pending else self.t("all_synced")
        )
        if status.photos_waiting:
            parts.append(self.t("photos_waiting", n=status.photos_waiting))
        if status.last_sync:
            local = status.last_sync.astimezone(self.app.tz)
            parts.append(self.t("last_sync", at=f"{local:%H:%M}"))
        else:
            parts.append(self.t("never_synced"))
        error = self.t(status.error) if status.error else ""
        if status.rejected and status.error != "login_expired":
            error = self.t(
                "rejected_records",
                n=status.rejected,
                reason=self.app.store.get("last_rejection", ""),
            )
        self.status_text.value = " · ".join(parts) + (f"\n{error}" if error else "")
        self.status_text.color = RED if (error or status.offline) else None
        return status

    def on_synced(self) -> None:
        """After each attempt of the phone's sync loop, and when the browser reconnects
        (updates sent while it was away are dropped): this page's status line."""
        self.refresh_status()
        with contextlib.suppress(RuntimeError):  # not on the page yet: `show` sends it
            self.status_text.update()

    async def watch_position(self) -> None:
        """Feed the position keeper: the device's position stream while moving, and a
        fresh fix every few seconds while standing still. No GPS, no position."""

        def moved(position: Any) -> None:
            if position is not None:
                self.positions.update(
                    position.latitude,
                    position.longitude,
                    position.accuracy,
                    getattr(position, "timestamp", None),
                )

        geo = fg.Geolocator(
            configuration=fg.GeolocatorConfiguration(
                accuracy=fg.GeolocatorPositionAccuracy.BEST, distance_filter=0
            ),
            on_position_change=lambda e: moved(e.position),
        )
        try:
            await geo.request_permission()
        except Exception:  # no permission or no location service: scans carry no GPS
            return
        while True:
            # No fix this time: the last one ages out by itself.
            with contextlib.suppress(Exception):
                moved(await asyncio.wait_for(geo.get_current_position(), REFRESH_SECONDS))
            await asyncio.sleep(REFRESH_SECONDS)

    def fresh_position(self) -> dict[str, float] | None:
        """The GPS fix for a scan made now: fresh (see `PositionKeeper`), or none."""
        return self.positions.for_scan()

    async def sync_now(self, _: Any = None) -> None:
        self.status_text.value = self.t("syncing")
        self.status_text.update()
        await self.syncer.sync_now()

    def header(self, title: str, back: Callable[[], ft.Control] | None = None) -> ft.Control:
        controls: list[ft.Control] = []
        if back is not None:
            controls.append(
                ft.TextButton(
                    self.t("back"),
                    icon=ft.Icons.ARROW_BACK,
                    height=BIG,
                    on_click=lambda _: self.show(back),
                    style=ft.ButtonStyle(text_style=ft.TextStyle(size=18, font_family=FONT)),
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
        password = ft.TextField(label=self.t("password"), password=True, text_size=18, expand=True)

        def reveal(e: Any) -> None:
            password.password = not password.password
            e.control.content = self.t("hide" if not password.password else "show")
            self.page.update()

        show = ft.TextButton(self.t("show"), on_click=reveal, height=BIG, width=80)
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
            ft.Row([password, show]),
            message,
            ft.Row([big_button(self.t("sign_in"), sign_in)]),
            ft.TextButton(self.t("language"), on_click=self.switch_language, height=TOUCH),
        )

    def switch_language(self, _: Any) -> None:
        self.app.toggle_lang()
        self.show(self.screen)

    def sign_out(self, _: Any) -> None:
        pending = self.app.status().pending
        if not pending:
            self.app.logout()
            self.show(self.login)
            return

        def answer(sign_out: bool) -> None:
            self.page.pop_dialog()
            if sign_out:
                self.app.logout()
                self.show(self.login)

        self.page.show_dialog(
            ft.AlertDialog(
                modal=True,
                title=ft.Text(self.t("pending_warning", n=pending), size=20),
                content=ft.Text(self.t("sign_out_pending", n=pending), size=18),
                actions=[
                    ft.TextButton(self.t("cancel"), on_click=lambda _: answer(False), height=TOUCH),
                    ft.FilledButton(
                        self.t("sign_out"),
                        on_click=lambda _: answer(True),
                        height=TOUCH,
                        style=ft.ButtonStyle(bgcolor=RED),
                    ),
                ],
            )
        )

    @abstractmethod
    def home(self) -> ft.Control:
        """The signed-in person's start screen."""

    def site_picker(self) -> list[ft.Control]:
        """For people who work on several sites; everything else follows the chosen one."""
        sites = (self.app.store.get("config") or {}).get("sites", [])
        if len(sites) < 2:
            return []

        def choose(e: Any) -> None:
            self.attempt(lambda: self.app.choose_site(e.control.value))
            self.show(self.home)

        return [
            ft.Row(
                [
                    labelled(
                        ft.Dropdown(
                            value=self.app.site["id"],
                            label=self.t("site"),
                            text_size=18,
                            on_select=choose,
                            expand=True,
                            options=[ft.DropdownOption(s["id"], text=s["name"]) for s in sites],
                        ),
                        self.t("site"),
                    )
                ]
            )
        ]

    def photo_row(
        self, place: str, form: str, context: str, back: Callable[[], ft.Control]
    ) -> ft.Control:
        """A 'take photo' button, or the thumbnail of the photo just taken; the photo goes
        into the form's draft, beside what was typed and chosen there."""
        photo = self.app.draft(form, context).get("photo")

        def taken(raw: bytes) -> None:
            self.app.save_draft(form, context, photo=self.app.take_photo(raw, place))
            self.show(back)

        take = big_button(
            self.t("retake_photo") if photo else self.t("take_photo"),
            lambda _: self.open_camera(taken, back),
            filled=False,
            icon=ft.Icons.PHOTO_CAMERA,
        )
        controls: list[ft.Control] = [take]
        thumb = self.app.store.photo_path(photo, thumb=True) if photo else None
        if thumb is not None and thumb.exists():
            controls.insert(
                0, ft.Image(src=thumb.read_bytes(), width=96, height=72, fit=ft.BoxFit.COVER)
            )
        return ft.Row(controls)

    # -- camera -----------------------------------------------------------------------------

    def open_scanner(self, on_payload: Callable[[str, str], None]) -> None:
        """The live preview is read frame after frame until a label is accepted (no tap):
        `on_payload(text, "qr")`; or a typed code gives `on_payload(code, "typed")`."""

        def handle(payload: str, method: str) -> bool:
            return self.attempt(lambda: on_payload(payload, method))

        back = self.screen
        code = ft.TextField(
            label=self.t("code"), text_size=20, capitalization=ft.TextCapitalization.CHARACTERS
        )

        def typed(_: Any) -> None:
            if (code.value or "").strip():
                handle(code.value.strip(), "typed")

        code.on_submit = typed
        extra = [
            ft.Text(self.t("scan_hint"), size=16),
            ft.Text(self.t("type_code"), size=16, color=GREY),
            ft.Row([code, ft.FilledButton(self.t("confirm"), on_click=typed, height=BIG)]),
        ]
        live = LiveScan(lambda text: handle(text, "qr"))
        self._camera_screen(self.t("scan"), None, back, extra, live)

    def open_camera(
        self, on_photo: Callable[[bytes], None], back: Callable[[], ft.Control]
    ) -> None:
        self._camera_screen(self.t("take_photo"), on_photo, back, [], None)

    def _camera_screen(
        self,
        title: str,
        on_photo: Callable[[bytes], None] | None,
        back: Callable[[], ft.Control],
        extra: Sequence[ft.Control],
        live: LiveScan | None,
    ) -> None:
        """The camera's preview with, for photos, a capture button; for scanning, the live
        reader. A torch button shows where the camera has a torch."""
        # a scale from the start: changing it later must not rebuild (and so stop) the preview
        camera = fc.Camera(expand=True, preview_enabled=True, scale=ft.Scale(scale_x=1, scale_y=1))
        error = ft.Text(color=RED, size=16)
        state = {"taking": False, "torch": False, "mirrored": False}

        async def capture(_: Any) -> None:
            if state["taking"] or on_photo is None:
                return
            state["taking"] = True
            try:
                raw = bytes(await camera.take_picture())
            except Exception:  # the camera plugin raises plain errors
                self.toast(self.t("camera_unavailable"), error=True)
                return
            finally:
                state["taking"] = False
            on_photo(unmirror(raw) if state["mirrored"] else raw)

        async def switch_torch(_: Any) -> None:
            on = not state["torch"]
            try:
                await camera.set_flash_mode(fc.FlashMode.TORCH if on else fc.FlashMode.OFF)
            except Exception:
                torch.visible = False
                self.page.update()
                return
            state["torch"] = on
            torch.icon = ft.Icons.FLASHLIGHT_OFF if on else ft.Icons.FLASHLIGHT_ON
            torch.tooltip = self.t("torch_off" if on else "torch_on")
            self.page.update()

        torch = ft.IconButton(
            ft.Icons.FLASHLIGHT_ON,
            icon_size=32,
            width=BIG,
            height=BIG,
            tooltip=self.t("torch_on"),
            visible=False,
            on_click=switch_torch,
        )
        buttons: list[ft.Control] = []
        if on_photo is not None:
            buttons.append(big_button(title, capture, icon=ft.Icons.CAMERA_ALT))
        buttons.append(torch)

        def build() -> ft.Control:
            self.form_shown = True  # the form under the camera stays the one to reopen
            return ft.Column(
                [
                    ft.Container(
                        self.header(title, back=back),
                        padding=ft.Padding.only(left=16, top=8, right=16),
                    ),
                    ft.Container(camera, height=300, bgcolor=ft.Colors.BLACK),
                    ft.Container(
                        ft.Column([error, ft.Row(buttons), *extra], spacing=10),
                        padding=16,
                    ),
                ],
                expand=True,
                scroll=ft.ScrollMode.AUTO,
            )

        async def start() -> None:
            lens = await self._start_camera(camera, error)
            if lens is None:
                return
            state["mirrored"] = picture_is_mirrored(self.page.web, lens)
            if state["mirrored"]:  # the browser mirrors the preview too: show it as it is
                camera.scale = ft.Scale(scale_x=-1, scale_y=1)
                camera.update()
            try:  # also keeps a native camera's automatic flash from firing at every frame
                await camera.set_flash_mode(fc.FlashMode.OFF)
                torch.visible = True
                self.page.update()
            except Exception:  # no torch here (most browsers, desktops): no button
                pass
            if live is not None:
                await self._read_live(camera, live, build)

        self.show(build)
        self.page.run_task(start)

    async def _start_camera(self, camera: fc.Camera, error: ft.Text) -> str | None:
        """The back camera started; its lens direction, or None when there is no camera."""
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
            return None
        return str(rear.lens_direction.value)

    async def _read_live(
        self, camera: fc.Camera, live: LiveScan, screen: Callable[[], ft.Control]
    ) -> None:
        """Decode preview frames, one every FRAME_EVERY_S at most, while the scanner is on
        screen, until a label is accepted. Frames are taken from the preview (web, desktop);
        a phone streams them, and falls back to taking them if no stream frame comes."""
        busy = asyncio.Lock()

        async def offer(raw: bytes) -> None:
            texts = await asyncio.to_thread(live.read, raw)
            if self.screen is screen and not live.done:
                live.offer(texts)

        if not self.page.web and await _supports_streaming(camera):
            last = {"at": 0.0}

            async def streamed(e: Any) -> None:
                if busy.locked() or time.monotonic() - last["at"] < FRAME_EVERY_S:
                    return  # drop frames while one is being read
                async with busy:
                    last["at"] = time.monotonic()
                    await offer(bytes(e.bytes))
                if live.done:
                    with contextlib.suppress(Exception):
                        await camera.stop_image_stream()

            camera.on_stream_image = streamed
            camera.update()
            await camera.start_image_stream()
            await asyncio.sleep(2)
            if live.frames or live.done:
                return
            with contextlib.suppress(Exception):
                await camera.stop_image_stream()
        while self.screen is screen and not live.done:
            started = time.monotonic()
            try:
                raw = bytes(await camera.take_picture())
            except Exception:  # the camera is closing or busy: try again shortly
                await asyncio.sleep(0.5)
                continue
            await offer(raw)
            await asyncio.sleep(max(FRAME_EVERY_S - (time.monotonic() - started), 0.02))


async def _supports_streaming(camera: fc.Camera) -> bool:
    try:
        return bool(await camera.supports_image_streaming())
    except Exception:
        return False
