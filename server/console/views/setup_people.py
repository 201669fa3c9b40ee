"""Admin screens "People" (accounts, passwords, deactivation, devices, spreadsheet import
with a per-row report before confirming) and "Audit log".

Thin over `server.people`, `server.imports`, `server.admin.audit_log` and
`server.console.models.setup`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import flet as ft

from domain.models import Role
from server import admin, imports, people
from server.console.i18n import register
from server.console.models.setup import ImportDraft, audit_line, audit_names, audit_time
from server.console.refusals import refusal_text
from server.console.views.base import (
    BIG,
    GREEN,
    GREY,
    RED,
    ScreenView,
    big_button,
    message,
    two_panes,
)
from server.console.views.setup_places import _field, guarded

if TYPE_CHECKING:
    from server.console.views.shell import Console

__all__ = ["AuditScreen", "PeopleScreen"]

register(
    {
        "screen_people": ("账号管理", "Accounts"),
        "screen_audit": ("操作日志", "Audit log"),
        "audit_empty": ("还没有设置变更记录", "No set-up changes recorded yet"),
        "audit_site_create": ("新建项目", "site created"),
        "audit_site_update": ("修改项目", "site changed"),
        "audit_settings_update": ("修改项目设置", "settings changed"),
        "audit_plan_upload": ("上传平面图", "plan uploaded"),
        "audit_point_create": ("新增点位", "point added"),
        "audit_point_update": ("修改点位", "point changed"),
        "audit_point_delete": ("删除点位", "point deleted"),
        "audit_point_retire": ("停用点位", "point retired"),
        "audit_route_create": ("新建路线", "route created"),
        "audit_route_update": ("修改路线", "route changed"),
        "audit_schedule_create": ("新建排班", "schedule created"),
        "audit_schedule_update": ("修改排班", "schedule changed"),
        "audit_schedule_end": ("结束排班", "schedule ended"),
        "audit_template_publish": ("发布模板", "template published"),
        "audit_person_create": ("新增人员", "person added"),
        "audit_person_update": ("修改人员", "person changed"),
        "audit_person_password": ("重置密码", "password reset"),
        "audit_person_deactivate": ("停用账号", "account deactivated"),
        "audit_device_sign_out": ("退出设备", "device signed out"),
        "audit_import_points": ("导入点位", "points imported"),
        "audit_import_people": ("导入人员", "people imported"),
        "new_person": ("新增人员", "New person"),
        "login_name": ("登录名", "Username"),
        "person_name": ("姓名", "Name"),
        "role": ("岗位", "Role"),
        "password_optional": (
            "密码或6位PIN（留空自动生成）",
            "Password or 6-digit PIN (blank: made)",
        ),
        "create": ("创建", "Create"),
        "one_time": (
            "{name} 的一次性密码：{pw}（只显示这一次）",
            "One-time password for {name}: {pw} (shown once)",
        ),
        "reset_password": ("重置密码", "Reset password"),
        "deactivate": ("停用账号", "Deactivate"),
        "inactive": ("已停用", "inactive"),
        "devices": ("设备", "Devices"),
        "sign_out_device": ("退出此设备", "Sign out this device"),
        "no_devices": ("没有登录过的设备", "No devices"),
        "import_people": ("从表格导入人员（XLSX/CSV）", "Import people (XLSX/CSV)"),
        "import_points": ("从表格导入点位（XLSX/CSV）", "Import points (XLSX/CSV)"),
        "import_columns": ("表头：{cols}", "Columns: {cols}"),
        "import_ok": ("{ok} 行可以导入，{bad} 行有错误", "{ok} rows ready, {bad} rows wrong"),
        "row": ("第 {n} 行", "Row {n}"),
        "confirm_import": ("确认导入", "Confirm import"),
        "imported": ("已导入 {n} 条", "Imported {n}"),
        "fix_and_upload": (
            "请改正错误后重新上传，未导入任何数据",
            "Fix the rows and upload again: nothing was imported",
        ),
    }
)


class PeopleScreen(ScreenView):
    def __init__(self, console: Console) -> None:
        super().__init__(console)
        self.new: dict[str, Any] = {"username": "", "name": "", "role": "guard", "password": ""}
        self.shown_devices: str | None = None
        self.upload = ImportDraft()
        self.picker = ft.FilePicker()
        self.secrets: list[str] = []  # one-time passwords to show once

    def _now(self) -> datetime:
        return datetime.now(UTC)

    def _ctx(self) -> tuple[Any, Any, str]:
        return self.c.session.storage, self.c.session.user(), self.c.site_id

    # -- actions ---------------------------------------------------------------------------

    def _create(self, _: Any) -> None:
        storage, user, site_id = self._ctx()
        body = {k: v for k, v in self.new.items() if v}
        made = people.create_person(storage, user, site_id, body, self._now())
        if made["one_time_password"]:
            self.secrets.append(
                self.c.t("one_time", name=made["username"], pw=made["one_time_password"])
            )
        self.new = {"username": "", "name": "", "role": self.new["role"], "password": ""}

    def _reset(self, person: dict[str, Any]) -> None:
        storage, user, site_id = self._ctx()
        done = people.reset_secret(storage, user, site_id, person["id"], None, self._now())
        self.secrets.append(
            self.c.t("one_time", name=person["username"], pw=done["one_time_password"])
        )

    def _deactivate(self, person_id: str) -> None:
        storage, user, site_id = self._ctx()
        people.deactivate_person(storage, user, site_id, person_id, self._now())

    def _sign_out(self, person_id: str, device_id: str) -> None:
        storage, user, site_id = self._ctx()
        people.sign_out_device(storage, user, site_id, person_id, device_id, self._now())

    async def _pick(self, kind: str) -> None:
        if self.picker not in self.c.page.services:
            self.c.page.services.append(self.picker)
        files = await self.picker.pick_files(
            file_type=ft.FilePickerFileType.CUSTOM,
            allowed_extensions=["xlsx", "csv"],
            with_data=True,
        )
        if not files or files[0].bytes is None:
            return
        storage, user, site_id = self._ctx()
        data = files[0].bytes
        self.upload = ImportDraft(kind, data, files[0].name)
        self.upload.report = imports.check_import(storage, user, site_id, _kind(kind), data)

    async def _confirm(self, _: Any) -> None:
        report = self.upload.report
        if not report or not report["token"]:
            return
        storage, user, site_id = self._ctx()
        done = await imports.confirm_import_off_loop(
            storage,
            user,
            site_id,
            _kind(self.upload.kind),
            self.upload.data,
            report["token"],
            self._now(),
            self.c.state.hash_limiter,
        )
        for made in done["created"]:
            if made.get("one_time_password"):
                self.secrets.append(
                    self.c.t("one_time", name=made["username"], pw=made["one_time_password"])
                )
        self.c.toast(self.c.t("imported", n=len(done["created"])))
        self.upload = ImportDraft()

    # -- building --------------------------------------------------------------------------

    def build(self) -> ft.Control:
        storage, user, site_id = self._ctx()
        everyone = people.list_people(storage, user, site_id)
        forms = ft.Column([self._secrets(), self._form(), ft.Divider(), self._import()])
        if not self.c.wide:  # a phone: add and import first, the list below
            return two_panes(False, forms, self._list(everyone), first_width=0)
        return two_panes(True, self._list(everyone), forms, first_width=560)

    def _secrets(self) -> ft.Control:
        return ft.Column(
            [ft.Text(s, size=16, color=GREEN, selectable=True) for s in self.secrets[-20:]],
            key="secrets",
        )

    def _list(self, everyone: list[dict[str, Any]]) -> ft.Control:
        storage, user, site_id = self._ctx()
        rows: list[ft.Control] = []
        for p in everyone:
            role = self.c.t(f"role_{p['role']}")
            state = "" if p["active"] else f" · {self.c.t('inactive')}"
            buttons: list[ft.Control] = []
            if p["active"] and p["id"] != user.id:
                buttons = [
                    ft.TextButton(
                        self.c.t("reset_password"),
                        height=BIG,
                        on_click=guarded(self.c, lambda e, p=p: self._reset(p)),
                    ),
                    ft.TextButton(
                        self.c.t("devices"),
                        height=BIG,
                        on_click=self.c.act(
                            lambda e, pid=p["id"]: setattr(self, "shown_devices", pid)
                        ),
                    ),
                    ft.TextButton(
                        self.c.t("deactivate"),
                        height=BIG,
                        style=ft.ButtonStyle(color=RED),
                        on_click=guarded(self.c, lambda e, pid=p["id"]: self._deactivate(pid)),
                    ),
                ]
            rows.append(
                ft.Column(
                    [
                        ft.Text(
                            f"{p['name']} ({p['username']}) · {role}{state}",
                            size=15,
                            color=None if p["active"] else GREY,
                        ),
                        ft.Row(buttons, wrap=True, spacing=0),
                    ],
                    spacing=0,
                )
            )
            if self.shown_devices == p["id"]:
                devices = people.list_devices(storage, user, site_id, p["id"])
                if not devices:
                    rows.append(ft.Text(self.c.t("no_devices"), color=GREY))
                for d in devices:
                    rows.append(
                        ft.Row(
                            [
                                ft.Text(
                                    f"  {d['device_id']} · {d['last_sign_in'][:16]}"
                                    f" · {d['signed_in']}",
                                    expand=True,
                                ),
                                ft.TextButton(
                                    self.c.t("sign_out_device"),
                                    height=BIG,
                                    disabled=d["signed_in"] == 0,
                                    on_click=guarded(
                                        self.c,
                                        lambda e, pid=p["id"], dev=d["device_id"]: self._sign_out(
                                            pid, dev
                                        ),
                                    ),
                                ),
                            ]
                        )
                    )
        return ft.Column(rows, spacing=6)

    def _form(self) -> ft.Control:
        n = self.new
        return ft.Column(
            [
                ft.Text(self.c.t("new_person"), size=18, weight=ft.FontWeight.BOLD),
                ft.Row(
                    [
                        _field(
                            self.c.t("login_name"),
                            n["username"],
                            lambda v: n.__setitem__("username", v),
                            180,
                        ),
                        _field(
                            self.c.t("person_name"),
                            n["name"],
                            lambda v: n.__setitem__("name", v),
                            180,
                        ),
                        ft.Dropdown(
                            label=self.c.t("role"),
                            value=n["role"],
                            width=200,
                            options=[
                                ft.DropdownOption(key=r.value, text=self.c.t(f"role_{r.value}"))
                                for r in Role
                            ],
                            on_select=lambda e: n.__setitem__("role", e.control.value or "guard"),
                        ),
                        _field(
                            self.c.t("password_optional"),
                            n["password"],
                            lambda v: n.__setitem__("password", v),
                            280,
                        ),
                        big_button(
                            self.c.t("create"),
                            guarded(self.c, self._create),
                            icon=ft.Icons.PERSON_ADD,
                        ),
                    ],
                    wrap=True,
                ),
            ]
        )

    def _import(self) -> ft.Control:
        controls: list[ft.Control] = []
        for kind, key in (("people", "import_people"), ("points", "import_points")):
            # The header row's first word names the column, as in the template's "username 登录名".
            cols = " · ".join(
                f"{c} {zh.split()[0]}" if self.c.session.lang == "zh" else c
                for c, zh, _ in imports.COLUMNS[kind]
            )
            controls += [
                big_button(
                    self.c.t(key),
                    guarded(self.c, lambda e, k=kind: self._pick(k)),
                    icon=ft.Icons.UPLOAD_FILE,
                    filled=False,
                ),
                ft.Text(self.c.t("import_columns", cols=cols), color=GREY, size=13),
            ]
        report = self.upload.report
        if report is not None:
            controls.append(
                ft.Text(
                    self.c.t("import_ok", ok=report["ok"], bad=report["errors"]),
                    size=16,
                    weight=ft.FontWeight.BOLD,
                    color=RED if report["errors"] else GREEN,
                )
            )
            for r in report["rows"]:
                values = " · ".join(str(v) for v in r["values"].values() if v)
                text = f"{self.c.t('row', n=r['row'])}: {values}"
                if not r["ok"]:
                    problems = "; ".join(r["errors"])
                    text += " — " + refusal_text(problems, self.c.session.lang)
                controls.append(ft.Text(text, color=None if r["ok"] else RED, size=14))
            if report["token"]:
                controls.append(
                    big_button(
                        self.c.t("confirm_import"),
                        guarded(self.c, self._confirm),
                        icon=ft.Icons.CHECK,
                    )
                )
            else:
                controls.append(ft.Text(self.c.t("fix_and_upload"), color=RED))
        return ft.Column(controls, spacing=6, key="import")


class AuditScreen(ScreenView):
    def build(self) -> ft.Control:
        s = self.c.session
        entries = admin.audit_log(s.storage, s.user(), self.c.site_id, 300)
        if not entries:
            return message(self.c.t("audit_empty"), icon=ft.Icons.HISTORY)
        names = audit_names(s.storage, self.c.site_id, s.lang)
        rows: list[ft.Control] = []
        for e in entries:
            at, who = audit_time(e["at"], names), e["user_name"]
            what = audit_line(e, names)
            if self.c.wide:
                rows.append(
                    ft.Row(
                        [
                            ft.Text(at, width=170, color=GREY),
                            ft.Text(who, width=120),
                            ft.Text(what, expand=True),
                        ],
                        vertical_alignment=ft.CrossAxisAlignment.START,
                    )
                )
            else:  # a phone: when and who above, what below, all the width
                rows.append(
                    ft.Column([ft.Text(f"{at} · {who}", color=GREY), ft.Text(what)], spacing=0)
                )
        return ft.Column(rows, scroll=ft.ScrollMode.AUTO, expand=True, spacing=8)


def _kind(kind: str) -> imports.ImportKind:
    return "points" if kind == "points" else "people"
