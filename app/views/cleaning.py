"""Cleaners' and cleaning supervisors' screens: areas, rectifications, inspections."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

import flet as ft

from app.state import Inspection
from app.views.shell import GREEN, GREY, RED, SEGMENT_STYLE, Shell, big_button, labelled

__all__ = ["CleaningScreens"]


class CleaningScreens(Shell):
    """Cleaners: areas and fixes. Cleaning supervisors: inspections and re-checks."""

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

    def item_label(self, rect: dict[str, Any]) -> str:
        """The failed item's words in the user's language, e.g. 地面清洁."""
        template: dict[str, Any] = next(
            (t for t in self.app.site["templates"] if t["id"] == rect["template_id"]), {"items": []}
        )
        return next(
            (i[f"label_{self.app.lang}"] for i in template["items"] if i["key"] == rect["item"]),
            rect["item"],
        )

    def item_heading(self, rect: dict[str, Any]) -> ft.Control:
        note = rect.get("note") or ""
        return ft.Column(
            [
                ft.Text(self.item_label(rect), size=20, weight=ft.FontWeight.BOLD),
                *([ft.Text(note, size=16, color=GREY)] if note else []),
            ],
            spacing=2,
        )

    def rect_card(self, rect: dict[str, Any], open_: Callable[[], ft.Control]) -> ft.Control:
        label = self.item_label(rect)
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

    def photo_pair(self, rect: dict[str, Any]) -> ft.Control:
        """The 'before' photo and, when a fix came back, the rejected 'after' photo side
        by side, loaded from the phone or the server once the screen is up."""
        before, after = ft.Column(expand=True), ft.Column(expand=True)
        shown = [
            (before, "before", rect.get("before_photos") or []),
            (after, "after", rect.get("after_photos") or []),
        ]

        async def load() -> None:
            for column, label, shas in shown:
                if shas and (data := await self.app.photo(shas[0])):
                    column.controls = [
                        ft.Text(self.t(label), size=16),
                        ft.Image(src=data, height=160, fit=ft.BoxFit.CONTAIN),
                    ]
            self.page.update()

        self.page.run_task(load)
        return ft.Row([before, after], vertical_alignment=ft.CrossAxisAlignment.START)

    def fix_screen(self, rect: dict[str, Any]) -> ft.Control:
        key = rect["id"]
        self.remember("fix", rect_id=key)
        controls: list[ft.Control] = [
            self.header(rect["point_name"], back=self.home),
            self.item_heading(rect),
        ]
        if rect.get("reopened") or rect.get("recheck_note"):
            comment = rect.get("recheck_note") or ""
            controls.append(
                ft.Container(
                    ft.Column(
                        [
                            ft.Text(self.t("sent_back"), size=18, weight=ft.FontWeight.BOLD),
                            *([ft.Text(comment, size=18)] if comment else []),
                        ],
                        spacing=4,
                    ),
                    padding=12,
                    border_radius=10,
                    border=ft.Border.all(2, RED),
                )
            )
        controls.append(self.photo_pair(rect))
        draft = self.app.draft("fix", key)
        note = ft.TextField(
            label=self.t("fix_note"),
            multiline=True,
            text_size=18,
            value=draft.get("note", ""),
            on_change=lambda e: self.app.save_draft("fix", key, note=e.control.value),
        )
        photo_row = self.photo_row(rect["point_name"], "fix", key, lambda: self.fix_screen(rect))

        def submit(_: Any) -> None:
            photo = self.app.draft("fix", key).get("photo")
            if not photo:
                self.toast(self.t("photo_required"), error=True)
                return
            self.app.fix_rectification(rect, photo, note.value or "")
            self.toast(self.t("fixed_submitted"))
            self.show(self.home)

        return self.page_body(
            *controls, note, photo_row, ft.Row([big_button(self.t("submit"), submit)])
        )

    def rect_by_id(self, rect_id: str) -> dict[str, Any] | None:
        """A rectification of the cached lists, to reopen its screen after a restart."""
        every = self.app.my_rectifications() + self.app.recheck_queue()
        return next((r for r in every if r["id"] == rect_id), None)

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
        self.app.start_inspection(payload, method)
        self.show(self.inspection_screen)

    def inspection_screen(self) -> ft.Control:
        insp = self.app.inspection_draft()
        if insp is None:
            return self.home()
        self.remember("inspection")
        lang = self.app.lang
        rows: list[ft.Control] = []
        for item in insp.template["items"]:
            key = item["key"]
            segments = [
                ft.Segment(v, label=ft.Text(self.t(v), size=18)) for v in ("pass", "fail", "na")
            ]
            choice = ft.SegmentedButton(
                segments=segments,
                selected=[insp.results[key]] if key in insp.results else [],
                allow_empty_selection=True,
                on_change=lambda e, k=key: self._set_result(k, e.control.selected),
                style=SEGMENT_STYLE,
            )
            row: list[ft.Control] = [ft.Text(item[f"label_{lang}"], size=18), ft.Row([choice])]
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
            if self.attempt(lambda: self.app.submit_inspection(insp)):
                self.toast(self.t("inspection_saved", n=len(insp.failed)))
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
            *self.assignee_picker(insp),
            ft.Row([big_button(self.t("submit"), submit)]),
        )

    def assignee_picker(self, insp: Inspection) -> list[ft.Control]:
        """Who fixes the failed items, shown once something failed."""
        if not insp.failed:
            return []

        def pick(e: Any) -> None:
            insp.assignee_id = e.control.value or None
            self.app.save_inspection(insp)

        anyone = ft.DropdownOption("", text=self.t("any_cleaner"))
        picker = ft.Dropdown(
            label=self.t("assignee"),
            text_size=18,
            value=insp.assignee_id or "",
            on_select=pick,
            expand=True,
            options=[
                anyone,
                *(ft.DropdownOption(p["id"], text=p["name"]) for p in self.app.cleaners()),
            ],
        )
        return [ft.Row([labelled(picker, self.t("assignee"))])]

    def _set_result(self, key: str, selected: list[str]) -> None:
        insp = self.app.inspection_draft()
        if insp is None:
            return
        if selected:
            insp.results[key] = selected[0]
        else:
            insp.results.pop(key, None)
        self.app.save_inspection(insp)
        self.show(self.inspection_screen)

    def _open_item_camera(self, key: str, _: Any) -> None:
        self.open_camera(partial(self._item_photo, key), self.inspection_screen)

    def _item_photo(self, key: str, raw: bytes) -> None:
        insp = self.app.inspection_draft()
        if insp is None:
            return
        insp.photos[key] = [self.app.take_photo(raw, insp.point["name"])]
        self.app.save_inspection(insp)
        self.show(self.inspection_screen)

    def recheck_screen(self, rect: dict[str, Any]) -> ft.Control:
        key = rect["id"]
        self.remember("recheck", rect_id=key)
        note = ft.TextField(
            label=self.t("recheck_note"),
            multiline=True,
            text_size=18,
            value=self.app.draft("recheck", key).get("note", ""),
            on_change=lambda e: self.app.save_draft("recheck", key, note=e.control.value),
        )

        def decide(passed: bool) -> Callable[[Any], None]:
            def save(_: Any) -> None:
                if self.attempt(lambda: self.app.recheck(rect, passed, note.value or "")):
                    self.toast(self.t("recheck_saved"))
                    self.show(self.home)

            return save

        return self.page_body(
            self.header(rect["point_name"], back=self.home),
            self.item_heading(rect),
            self.photo_pair(rect),
            note,
            ft.Row([big_button(self.t("recheck_pass"), decide(True), colour=GREEN)]),
            ft.Row([big_button(self.t("recheck_fail"), decide(False), colour=RED)]),
        )
