"""Admin screen "Inspection templates": pick a template (六清三无 and the others, the
company's, the site's own), edit its items (add, remove, reword, regroup, reorder by
dragging or with up/down buttons) and publish the next version. A site admin copies a
company template to adapt it; the quality department edits the company's templates.

Thin over `server.console.models.templates`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import flet as ft

from server.console.i18n import register
from server.console.models import templates as vm
from server.console.views.base import BIG, GREY, ScreenView, big_button, two_panes
from server.console.views.setup_places import _field, guarded

if TYPE_CHECKING:
    from server.console.views.shell import Console

__all__ = ["TemplatesScreen"]

register(
    {
        "screen_templates": ("巡检模板", "Inspection templates"),
        "templates_site": ("本项目使用的模板", "Templates this site uses"),
        "templates_company": ("公司模板（各项目通用）", "Company templates (every site)"),
        "scope_default": ("默认", "default"),
        "scope_site": ("本项目", "this site"),
        "scope_company": ("公司", "company"),
        "template_version": ("第 {n} 版", "version {n}"),
        "copy_to_site": ("复制到本项目", "Copy to this site"),
        "new_template": ("新建模板", "New template"),
        "new_company_template": ("新建公司模板", "New company template"),
        "template_name": ("模板名称", "Template name"),
        "template_items": ("检查项（拖动或用上移/下移排序）", "Items (drag, or use up/down)"),
        "item_group": ("分组", "Group"),
        "item_label": ("检查内容", "Item"),
        "add_item": ("添加检查项", "Add item"),
        "publish_version": ("发布新版本", "Publish new version"),
        "published": ("已发布第 {n} 版，以往检查记录保持原版本", "Published version {n}"),
        "pick_template": ("请选择一个模板进行编辑", "Pick a template to edit"),
        "company_read_only": (
            "公司模板由品质部维护：复制到本项目后可修改",
            "Company templates are kept by the quality department: copy one to change it",
        ),
        "item_up": ("上移", "Up"),
        "item_down": ("下移", "Down"),
        "item_remove": ("删除", "Remove"),
    }
)


class TemplatesScreen(ScreenView):
    def __init__(self, console: Console) -> None:
        super().__init__(console)
        self.draft: vm.TemplateDraft | None = None

    def _now(self) -> datetime:
        return datetime.now(UTC)

    def _ctx(self) -> tuple[Any, Any, str]:
        return self.c.session.storage, self.c.session.user(), self.c.site_id

    # -- actions ---------------------------------------------------------------------------

    def _edit(self, template: dict[str, Any] | None, target: vm.Target) -> None:
        if template is None:
            self.draft = vm.TemplateDraft(target=target)
            self.draft.add_item()
        else:
            self.draft = vm.TemplateDraft.of(template, target)

    def _copy(self, template_id: str) -> None:
        from server import admin

        storage, user, site_id = self._ctx()
        made = admin.copy_template(storage, user, site_id, template_id, self._now())
        self.draft = vm.TemplateDraft.of(made, "site")

    def _publish(self, _: Any) -> None:
        if self.draft is None:
            return
        storage, user, site_id = self._ctx()
        done = vm.publish(storage, user, site_id, self.draft, self._now())
        self.draft = vm.TemplateDraft.of(done, self.draft.target)
        self.c.toast(self.c.t("published", n=done["version"]))

    def _reorder(self, event: Any) -> None:
        if self.draft is not None and event.old_index is not None and event.new_index is not None:
            self.draft.drag(event.old_index, event.new_index)

    # -- building --------------------------------------------------------------------------

    def build(self) -> ft.Control:
        storage, user, site_id = self._ctx()
        lists: list[ft.Control] = []
        if vm.may_keep_company_templates(user):
            lists.append(self._company_list(vm.load_company_templates(storage, user)))
        else:
            lists.append(self._site_list(vm.load_site_templates(storage, user, site_id)))
        return two_panes(self.c.wide, ft.Column(lists), self._editor(), first_width=420)

    def _label(self, t: dict[str, Any]) -> str:
        scope = self.c.t(f"scope_{t.get('scope', 'company')}")
        return f"{t['name_zh']} · {self.c.t('template_version', n=t['version'])} · {scope}"

    def _site_list(self, templates: list[dict[str, Any]]) -> ft.Control:
        rows: list[ft.Control] = []
        for t in templates:
            if t["editable"]:
                rows.append(
                    ft.OutlinedButton(
                        content=self._label(t),
                        icon=ft.Icons.EDIT,
                        height=BIG,
                        on_click=self.c.act(lambda e, t=t: self._edit(t, "site")),
                    )
                )
            else:
                rows.append(
                    ft.Row(
                        [
                            ft.Text(self._label(t), expand=True, size=15),
                            ft.TextButton(
                                self.c.t("copy_to_site"),
                                icon=ft.Icons.COPY,
                                height=BIG,
                                on_click=guarded(self.c, lambda e, tid=t["id"]: self._copy(tid)),
                            ),
                        ]
                    )
                )
        rows.append(
            ft.OutlinedButton(
                content=self.c.t("new_template"),
                icon=ft.Icons.ADD,
                height=BIG,
                on_click=self.c.act(lambda e: self._edit(None, "site")),
            )
        )
        if any(not t["editable"] for t in templates):
            rows.append(ft.Text(self.c.t("company_read_only"), color=GREY))
        return ft.Column(
            [ft.Text(self.c.t("templates_site"), size=18, weight=ft.FontWeight.BOLD), *rows],
            spacing=6,
        )

    def _company_list(self, templates: list[dict[str, Any]]) -> ft.Control:
        rows: list[ft.Control] = [
            ft.OutlinedButton(
                content=self._label(t),
                icon=ft.Icons.EDIT,
                height=BIG,
                on_click=self.c.act(lambda e, t=t: self._edit(t, "company")),
            )
            for t in templates
        ]
        rows.append(
            ft.OutlinedButton(
                content=self.c.t("new_company_template"),
                icon=ft.Icons.ADD,
                height=BIG,
                on_click=self.c.act(lambda e: self._edit(None, "company")),
            )
        )
        return ft.Column(
            [ft.Text(self.c.t("templates_company"), size=18, weight=ft.FontWeight.BOLD), *rows],
            spacing=6,
        )

    def _editor(self) -> ft.Control:
        d = self.draft
        if d is None:
            return ft.Text(self.c.t("pick_template"), color=GREY, size=16)
        rows: list[ft.Control] = []
        for i, item in enumerate(d.items):
            rows.append(
                ft.Container(
                    key=f"item-{item.key}",
                    padding=ft.Padding.symmetric(vertical=6),
                    content=ft.Row(
                        [
                            ft.ReorderableDragHandle(
                                content=ft.Icon(ft.Icons.DRAG_INDICATOR),
                                mouse_cursor=ft.MouseCursor.GRAB,
                            ),
                            ft.TextField(
                                label=self.c.t("item_group"),
                                value=item.group,
                                width=90,
                                on_change=lambda e, i=i: d.regroup(i, e.control.value or ""),
                            ),
                            ft.TextField(
                                label=self.c.t("item_label"),
                                value=item.label_zh,
                                expand=True,
                                on_change=lambda e, i=i: d.reword(i, e.control.value or ""),
                            ),
                            self._button(
                                ft.Icons.ARROW_UPWARD, "item_up", lambda e, i=i: d.move(i, -1)
                            ),
                            self._button(
                                ft.Icons.ARROW_DOWNWARD, "item_down", lambda e, i=i: d.move(i, 1)
                            ),
                            self._button(ft.Icons.CLOSE, "item_remove", lambda e, i=i: d.remove(i)),
                        ],
                        spacing=4,
                    ),
                )
            )
        return ft.Column(
            [
                _field(self.c.t("template_name"), d.name_zh, lambda v: setattr(d, "name_zh", v)),
                ft.Text(self.c.t("template_items"), color=GREY),
                ft.ReorderableListView(
                    controls=rows,
                    show_default_drag_handles=False,
                    on_reorder=self.c.act(self._reorder),
                    height=min(66 * max(len(rows), 1), 660),
                ),
                ft.Row(
                    [
                        big_button(
                            self.c.t("add_item"),
                            self.c.act(lambda e: d.add_item()),
                            icon=ft.Icons.ADD,
                            filled=False,
                        ),
                        big_button(
                            self.c.t("publish_version"),
                            guarded(self.c, self._publish),
                            icon=ft.Icons.PUBLISH,
                        ),
                    ],
                    wrap=True,
                ),
            ],
            spacing=8,
        )

    def _button(self, icon: ft.IconData, tip: str, fn: Any) -> ft.Control:
        return ft.IconButton(
            icon, tooltip=self.c.t(tip), width=BIG, height=BIG, on_click=self.c.act(fn)
        )
