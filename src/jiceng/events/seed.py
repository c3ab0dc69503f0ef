"""The seeded event category tree: data/categories.json, written idempotently by code.

The file holds several trees (城市管理事件 GB/T 30428.2, 矛盾纠纷 GB/T 31000-2015, and the business modules of
the four platforms). Values are inherited downwards: a tree's ``defaults`` apply to its categories and a
category's values to its children unless they set their own; ``form_schema`` replaces the inherited extra
fields and ``form_extra`` (``{"properties": …, "required": […]}``) adds to them.

``seed_categories`` creates the categories that are missing and brings the others in line with the file,
through the same validation as the category actions; categories that are not in the file and the ``active``
flag (which administrators set) are left alone. Running it twice changes nothing the second time.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.db import transaction

from jiceng.audit.actions import record
from jiceng.events import category_actions
from jiceng.events.models import EventCategory

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from jiceng.accounts.models import User

DATA_FILE = Path(__file__).resolve().parent / "data" / "categories.json"
# The values a seed entry may set and that are inherited downwards.
INHERITED = (
    "platform",
    "standard",
    "handler_kind",
    "handler_hint",
    "urgencies",
    *category_actions.HOUR_FIELDS,
    *category_actions.DAY_FIELDS,
    "on_spot_needs_confirmation",
    "staff_only",
    "form_schema",
)
SORT_STEP = 10


@dataclass
class SeedResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0

    @property
    def changed(self) -> int:
        return len(self.created) + len(self.updated)


def _merge_form(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = copy.deepcopy(base) if base else {"type": "object", "properties": {}}
    merged.setdefault("properties", {}).update(copy.deepcopy(extra.get("properties", {})))
    required = list(merged.get("required", []))
    required += [name for name in extra.get("required", []) if name not in required]
    if required:
        merged["required"] = required
    return merged


def _flatten(
    nodes: list[dict[str, Any]], inherited: dict[str, Any], parent: str | None, sort_from: int
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for index, node in enumerate(nodes):
        values = {**inherited, **{k: node[k] for k in INHERITED if k in node}}
        if "form_extra" in node:
            values["form_schema"] = _merge_form(values.get("form_schema") or {}, node["form_extra"])
        rows.append(
            {
                "code": node["code"],
                "name": node["name"],
                "parent_code": parent,
                "sort": sort_from + index * SORT_STEP,
                **copy.deepcopy(values),
            }
        )
        rows += _flatten(node.get("children", []), values, node["code"], 0)
    return rows


def seed_rows(path: Path = DATA_FILE) -> list[dict[str, Any]]:
    """Every category of the file with its inherited values resolved, parents before their children."""
    data = json.loads(path.read_text(encoding="utf-8"))
    rows: list[dict[str, Any]] = []
    for tree in data["trees"]:
        rows += _flatten(tree["categories"], dict(tree.get("defaults", {})), None, len(rows) * SORT_STEP)
    return rows


def _differences(category: EventCategory, row: dict[str, Any]) -> dict[str, Any]:
    changes = {
        name: row[name]
        for name in ("name", "sort", *INHERITED)
        if name in row and getattr(category, name) != row[name]
    }
    parent = category.parent.code if category.parent is not None else None
    if parent != row["parent_code"]:
        changes["parent_code"] = row["parent_code"] or ""
    return changes


@transaction.atomic
def apply_seed(actor: User | AnonymousUser | None = None, *, overwrite: bool = True) -> SeedResult:
    """Create the missing categories of the file and, with ``overwrite``, update the others to match it.

    With an ``actor`` it must be allowed to edit categories; without one (management command, data set-up)
    the system writes. Either way every change is audited.
    """
    admin = category_actions.require_category_admin(actor) if actor is not None else None
    result = SeedResult()
    existing = {c.code: c for c in EventCategory.objects.select_related("parent")}
    for row in seed_rows():
        category = existing.get(row["code"])
        if category is None:
            values = {k: v for k, v in row.items() if k not in ("code", "name", "platform", "parent_code")}
            existing[row["code"]] = category_actions._create(
                admin,
                code=row["code"],
                name=row["name"],
                platform=row["platform"],
                parent_code=row["parent_code"],
                **values,
            )
            result.created.append(row["code"])
            continue
        changes = _differences(category, row) if overwrite else {}
        if not changes:
            result.unchanged += 1
            continue
        parent_code = changes.pop("parent_code", None)
        existing[row["code"]] = category_actions._update(admin, category, parent_code=parent_code, **changes)
        result.updated.append(row["code"])
    if result.changed:
        record(
            "event_category.seed",
            actor=admin,
            object_type="events.eventcategory",
            changes={"created": len(result.created), "updated": len(result.updated), "file": DATA_FILE.name},
        )
    return result


def seed_categories(actor: User | AnonymousUser | None = None, *, overwrite: bool = True) -> int:
    """Seed the category tree; returns how many categories were created or changed (0 when up to date)."""
    return apply_seed(actor, overwrite=overwrite).changed
