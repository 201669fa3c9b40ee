"""Inspection templates as data: the defaults ship in assets/templates.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from domain.models import Template, TemplateItem

__all__ = ["DEFAULT_TEMPLATES_FILE", "load_templates", "template_from_dict", "template_to_dict"]

DEFAULT_TEMPLATES_FILE = Path(__file__).resolve().parent.parent / "assets" / "templates.json"


def template_from_dict(data: dict[str, Any]) -> Template:
    items = tuple(TemplateItem(**item) for item in data["items"])
    if len({item.key for item in items}) != len(items):
        raise ValueError(f"template {data['id']}: item keys must be unique")
    return Template(data["id"], int(data["version"]), data["name_zh"], data["name_en"], items)


def template_to_dict(template: Template) -> dict[str, Any]:
    return {
        "id": template.id,
        "version": template.version,
        "name_zh": template.name_zh,
        "name_en": template.name_en,
        "items": [
            {"key": i.key, "group": i.group, "label_zh": i.label_zh, "label_en": i.label_en}
            for i in template.items
        ],
    }


def load_templates(path: Path = DEFAULT_TEMPLATES_FILE) -> list[Template]:
    return [template_from_dict(d) for d in json.loads(path.read_text(encoding="utf-8"))]
