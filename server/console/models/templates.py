"""View-model of the "Inspection templates" screen: plain data, no flet.

An admin picks one of the site's templates (六清三无 and the others, the company's, the
site's own) and edits a draft of it: add, remove, reword and reorder items (by dragging or
with up/down buttons), then publishes it as the next version. Past inspections keep the
version they name. A company template is read-only for a site's admins (they copy it);
the quality department edits the company's templates here.

Every read and publish goes through `server.admin` (the API's functions, with the same
permission checks).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from domain.models import Role
from server import admin
from server.access import role_of
from server.console.models.setup import reorder
from server.storage import Storage, UserRow

__all__ = [
    "ItemDraft",
    "TemplateDraft",
    "load_company_templates",
    "load_site_templates",
    "may_keep_company_templates",
    "publish",
    "reorder",
]

Target = Literal["site", "company"]


@dataclass(slots=True)
class ItemDraft:
    key: str
    label_zh: str
    group: str = ""
    label_en: str = ""


@dataclass(slots=True)
class TemplateDraft:
    """A template being edited. `template_id` None: a new template. `target`: where it
    is published (the site's templates, or the company's)."""

    template_id: str | None = None
    target: Target = "site"
    version: int = 0
    name_zh: str = ""
    name_en: str = ""
    items: list[ItemDraft] = field(default_factory=list)

    @classmethod
    def of(cls, template: dict[str, Any], target: Target = "site") -> TemplateDraft:
        return cls(
            template["id"],
            target,
            template["version"],
            template["name_zh"],
            template.get("name_en", ""),
            [
                ItemDraft(i["key"], i["label_zh"], i.get("group", ""), i.get("label_en", ""))
                for i in template["items"]
            ],
        )

    def add_item(self, label_zh: str = "", group: str = "") -> None:
        """A new item at the end, with a key not used by the others."""
        taken = {i.key for i in self.items}
        n = len(self.items) + 1
        while f"item{n}" in taken:
            n += 1
        self.items.append(ItemDraft(f"item{n}", label_zh, group or self._last_group()))

    def _last_group(self) -> str:
        return self.items[-1].group if self.items else ""

    def remove(self, index: int) -> None:
        if 0 <= index < len(self.items):
            del self.items[index]

    def reword(self, index: int, label_zh: str) -> None:
        if 0 <= index < len(self.items):
            self.items[index].label_zh = label_zh

    def regroup(self, index: int, group: str) -> None:
        if 0 <= index < len(self.items):
            self.items[index].group = group

    def move(self, index: int, delta: int) -> None:
        """Up (-1) or down (+1): the accessible alternative to dragging."""
        target = min(max(index + delta, 0), len(self.items) - 1)
        self.items = reorder(self.items, index, target)

    def drag(self, old_index: int, new_index: int) -> None:
        self.items = reorder(self.items, old_index, new_index)

    def body(self) -> dict[str, Any]:
        """The API's TemplateIn body (keys are kept, so a reworded item stays the same
        item in reports; a new one gets a fresh key)."""
        return {
            "name_zh": self.name_zh.strip(),
            "name_en": self.name_en.strip(),
            "items": [
                {
                    "key": i.key,
                    "group": i.group.strip(),
                    "label_zh": i.label_zh.strip(),
                    "label_en": i.label_en.strip(),
                }
                for i in self.items
            ],
        }


def _by_group(templates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    order = {"default": 0, "site": 0, "company": 1}
    return sorted(templates, key=lambda t: (order.get(t.get("scope", ""), 2), t["name_zh"]))


def load_site_templates(storage: Storage, user: UserRow, site_id: str) -> list[dict[str, Any]]:
    """The newest version of each template the site uses, with `scope` and `editable`
    (403 for roles that do not administer the site, 404 for another site)."""
    return _by_group(admin.list_templates(storage, user, site_id))


def may_keep_company_templates(user: UserRow) -> bool:
    """Whether the screen offers editing the company's templates (the quality dept)."""
    return role_of(user) is Role.QUALITY


def load_company_templates(storage: Storage, user: UserRow) -> list[dict[str, Any]]:
    return admin.list_company_templates(storage, user)


def publish(
    storage: Storage, user: UserRow, site_id: str, draft: TemplateDraft, now: datetime
) -> dict[str, Any]:
    """Publish the draft as the next version (or a new template); refusals are the API's
    (403 company template for a site admin, 422 naming every problem)."""
    body = draft.body()
    if draft.target == "company":
        return admin.publish_company_template(storage, user, draft.template_id, body, now)
    return admin.publish_template(storage, user, site_id, draft.template_id, body, now)
