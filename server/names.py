"""How a site names the things its records hold by id or key: template items, templates and
people. One read for every screen and file (the rectification follow-up, exports, the
monthly PDF), so an item never shows as ``handrails`` in one place and 扶手栏杆清洁 in
another.

Total over whatever is stored: an item, template or person that is no longer known shows
as its key or id rather than failing the read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server.storage import Storage

__all__ = ["SiteNames", "site_names"]


@dataclass(frozen=True, slots=True)
class SiteNames:
    """Item labels by (template, version, item) — what an inspection was made with, so a
    later rewording never changes a past inspection — and by (template, item), the
    newest, for a record that names no version; template names by id (newest version);
    people's names by id (deactivated people included, so old records still say who)."""

    items: dict[tuple[Any, ...], tuple[str, str]]
    templates: dict[str, tuple[str, str]]
    people: dict[str, str]

    def item_pair(self, template_id: str, version: int | None, key: str) -> tuple[str, str]:
        """(中文, English) label of a template item; (key, key) if unknown."""
        return self.items.get(
            (template_id, version, key), self.items.get((template_id, key), (key, key))
        )

    def item(self, template_id: str, version: int | None, key: str, lang: str = "zh") -> str:
        return self.item_pair(template_id, version, key)[0 if lang == "zh" else 1]

    def template(self, template_id: str, lang: str = "zh") -> str:
        """A template's name (its newest version's); the id if unknown."""
        pair = self.templates.get(template_id)
        return template_id if pair is None else pair[0 if lang == "zh" else 1]

    def person(self, user_id: str | None) -> str:
        """A person's name; '' for nobody, the id of someone the site never had."""
        return self.people.get(user_id, user_id) if user_id else ""


def site_names(storage: Storage, site_id: str) -> SiteNames:
    """The names of the site's templates, their items and its people (three small reads)."""
    items: dict[tuple[Any, ...], tuple[str, str]] = {}
    templates: dict[str, tuple[str, str]] = {}
    for template in sorted(storage.templates(site_id), key=lambda t: t.version):
        templates[template.id] = (template.name_zh, template.name_en)
        for it in template.items:
            items[(template.id, it.key)] = (it.label_zh, it.label_en)
            items[(template.id, template.version, it.key)] = (it.label_zh, it.label_en)
    return SiteNames(items, templates, storage.user_names(site_id))
