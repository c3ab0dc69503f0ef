"""Every write to the event category tree (大类 → 小类).

Categories are shared by the whole platform, not kept per region, so only an administrator whose unit sits
at county level or above (or a superuser) may change them; a township administrator may only read them.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import TYPE_CHECKING, Any

import jsonschema
from django.db import transaction
from django.utils.translation import gettext as _

from jiceng.accounts.permissions import has_role, require_role
from jiceng.accounts.roles import Role
from jiceng.audit.actions import diff, record
from jiceng.core.concurrency import update_versioned
from jiceng.core.errors import PermissionDenied, field_error
from jiceng.events import category_cache
from jiceng.events.models import EventCategory, Platform, Urgency
from jiceng.events.schema_form import UnsupportedSchema, form_from_schema
from jiceng.org.models import RegionLevel, UnitKind

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from jiceng.accounts.models import User

CODE = re.compile(r"^[A-Za-z0-9]{1,20}$")
EDITOR_LEVELS = frozenset({RegionLevel.PROVINCE, RegionLevel.CITY, RegionLevel.COUNTY})
HOUR_FIELDS = ("accept_hours", "dispatch_hours", "sign_hours")
DAY_FIELDS = ("handle_days", "verify_days")
HOURS_RANGE = (1, 72)
DAYS_RANGE = (1, 90)
SORT_MAX = 1_000_000
SCHEMA_MAX_CHARS = 20_000
SCHEMA_MAX_DEPTH = 12
# What create/update accept besides code, parent_code and the version.
EDITABLE = (
    "name",
    "platform",
    "standard",
    "handler_kind",
    "handler_hint",
    "urgencies",
    *HOUR_FIELDS,
    *DAY_FIELDS,
    "form_schema",
    "on_spot_needs_confirmation",
    "staff_only",
    "is_active",
    "sort",
)


def can_edit_categories(user: User | AnonymousUser | None) -> bool:
    """Whether ``user`` may change the category tree (for showing edit buttons; actions check again)."""
    if not has_role(user, Role.ADMIN):
        return False
    if getattr(user, "is_superuser", False):
        return True
    unit = getattr(user, "unit", None)
    return unit is not None and unit.region.level in EDITOR_LEVELS


def require_category_admin(actor: User | AnonymousUser | None) -> User:
    admin = require_role(actor, Role.ADMIN)
    if not can_edit_categories(admin):
        raise PermissionDenied(
            _("Only an administrator at county level or above can change event categories.")
        )
    return admin


# --- validation ------------------------------------------------------------------------------------


def _int_in(name: str, value: Any, low: int, high: int, message: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise field_error(name, message % {"low": low, "high": high}, "out_of_range")
    return value


def _depth(value: Any) -> int:
    """How deeply objects and arrays nest in ``value`` (without recursion)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            if level <= SCHEMA_MAX_DEPTH:
                stack += [(v, level + 1) for v in (item.values() if isinstance(item, dict) else item)]
    return deepest


@cache
def _meta_validator() -> jsonschema.protocols.Validator:
    meta = jsonschema.Draft202012Validator
    return meta(meta.META_SCHEMA, format_checker=meta.FORMAT_CHECKER)


def check_form_schema(schema: Any) -> dict[str, Any]:
    """A valid JSON Schema (draft 2020-12) of type object that the report pages can show as a form."""
    if schema in (None, ""):
        return {}
    if not isinstance(schema, dict):
        raise field_error("form_schema", _("The extra fields must be a JSON object."), "invalid_schema")
    if not schema:
        return {}
    if _depth(schema) > SCHEMA_MAX_DEPTH:
        raise field_error("form_schema", _("The extra fields schema is nested too deeply."), "invalid_schema")
    try:
        text = json.dumps(schema, ensure_ascii=False, allow_nan=False)
    except ValueError as exc:
        raise field_error("form_schema", _("Numbers must be finite."), "invalid_schema") from exc
    if len(text) > SCHEMA_MAX_CHARS:
        raise field_error("form_schema", _("The extra fields schema is too long."), "invalid_schema")
    try:
        # What Draft202012Validator.check_schema does, with the meta-schema's validator built once.
        for error in _meta_validator().iter_errors(schema):
            raise jsonschema.SchemaError.create_from(error)
    except jsonschema.SchemaError as exc:
        where = "/".join(str(p) for p in exc.absolute_path)
        message = _("Not a valid JSON Schema: %(msg)s") % {"msg": exc.message}
        if where:
            message = f"{message} ({where})"
        raise field_error("form_schema", message, "invalid_schema") from exc
    if schema.get("type") != "object":
        raise field_error("form_schema", _('The schema must have "type": "object".'), "invalid_schema")
    try:
        form_from_schema(schema)
    except UnsupportedSchema as exc:
        raise field_error("form_schema", str(exc), "unsupported_schema") from exc
    return schema


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    """Check and normalize the editable fields present in ``values``."""
    clean: dict[str, Any] = {}
    if "name" in values:
        name = str(values["name"] or "").strip()
        if not name:
            raise field_error("name", _("A name is required."), "required")
        if len(name) > 60:
            raise field_error("name", _("A name has at most 60 characters."), "too_long")
        clean["name"] = name
    if "platform" in values:
        if values["platform"] not in Platform.values:
            raise field_error("platform", _("Unknown platform."), "invalid_platform")
        clean["platform"] = values["platform"]
    if "standard" in values:
        standard = str(values["standard"] or "").strip()
        if len(standard) > 40:
            raise field_error("standard", _("At most 40 characters."), "too_long")
        clean["standard"] = standard
    if "handler_kind" in values:
        kind = values["handler_kind"] or ""
        if kind and kind not in UnitKind.values:
            raise field_error("handler_kind", _("Unknown unit kind."), "invalid_kind")
        clean["handler_kind"] = kind
    if "handler_hint" in values:
        hint = str(values["handler_hint"] or "").strip()
        if len(hint) > 60:
            raise field_error("handler_hint", _("At most 60 characters."), "too_long")
        clean["handler_hint"] = hint
    if "urgencies" in values:
        urgencies = values["urgencies"] or []
        if not isinstance(urgencies, list | tuple) or any(u not in Urgency.values for u in urgencies):
            raise field_error("urgencies", _("Unknown urgency level."), "invalid_urgency")
        clean["urgencies"] = [u for u in Urgency.values if u in urgencies]
    for name in HOUR_FIELDS:
        if name in values:
            clean[name] = _int_in(name, values[name], *HOURS_RANGE, _("Between %(low)d and %(high)d hours."))
    for name in DAY_FIELDS:
        if name in values:
            clean[name] = _int_in(
                name, values[name], *DAYS_RANGE, _("Between %(low)d and %(high)d working days.")
            )
    if "form_schema" in values:
        clean["form_schema"] = check_form_schema(values["form_schema"])
    for name in ("on_spot_needs_confirmation", "staff_only", "is_active"):
        if name in values:
            if not isinstance(values[name], bool):
                raise field_error(name, _("Must be true or false."), "invalid_bool")
            clean[name] = values[name]
    if "sort" in values:
        clean["sort"] = _int_in("sort", values["sort"], 0, SORT_MAX, _("Between %(low)d and %(high)d."))
    return clean


def _parent(code: str | None, category: EventCategory | None = None) -> EventCategory | None:
    """The parent by code: an existing top-level category (the tree has two levels: 大类 → 小类)."""
    if not code:
        return None
    parent = EventCategory.objects.filter(code=code).first()
    if parent is None:
        raise field_error("parent_code", _("Unknown parent category."), "invalid_parent")
    if category is not None and parent.pk == category.pk:
        raise field_error("parent_code", _("A category cannot be its own parent."), "invalid_parent")
    if parent.parent_id is not None:
        raise field_error(
            "parent_code", _("The parent must be a top-level category (大类)."), "invalid_parent"
        )
    if category is not None and category.children.exists():
        raise field_error(
            "parent_code", _("This category has sub-categories, so it stays top-level."), "invalid_parent"
        )
    return parent


def snapshot(category: EventCategory) -> dict[str, Any]:
    parent = category.parent
    return {
        "code": category.code,
        "parent": parent.code if parent is not None else None,
        **{name: getattr(category, name) for name in EDITABLE},
    }


# --- actions ---------------------------------------------------------------------------------------


@transaction.atomic
def create_category(
    actor: User | AnonymousUser | None,
    *,
    code: str,
    name: str,
    platform: str,
    parent_code: str | None = None,
    **values: Any,
) -> EventCategory:
    """Add a category; ``values`` may hold any of ``EDITABLE`` (the model's defaults fill the rest)."""
    admin = require_category_admin(actor)
    return _create(admin, code=code, name=name, platform=platform, parent_code=parent_code, **values)


def _forget_cached() -> None:
    category_cache.reset()
    transaction.on_commit(category_cache.reset)  # and again once committed


def _create(
    actor: User | None, *, code: str, name: str, platform: str, parent_code: str | None = None, **values: Any
) -> EventCategory:
    code = (code or "").strip()
    if not CODE.match(code):
        raise field_error(
            "code", _("A category code has 1 to 20 letters or digits."), "invalid_category_code"
        )
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise field_error(sorted(unknown)[0], _("Unknown field."), "unknown_field")
    fields = _clean({"name": name, "platform": platform, **values})
    if EventCategory.objects.filter(code=code).exists():
        raise field_error("code", _("A category with this code exists already."), "duplicate_code")
    category = EventCategory.objects.create(code=code, parent=_parent(parent_code), **fields)
    _forget_cached()
    record(
        "event_category.create",
        actor=actor,
        obj=category,
        object_id=category.code,
        changes=diff({}, snapshot(category)),
    )
    return category


@transaction.atomic
def update_category(
    actor: User | AnonymousUser | None,
    category: EventCategory,
    *,
    expected_version: int | None = None,
    parent_code: str | None = None,
    **values: Any,
) -> EventCategory:
    """Change a category. The code is fixed once created: events and other systems refer to it.

    ``parent_code=None`` keeps the parent, ``""`` makes the category top-level. Values that are ``None``
    are left as they are.
    """
    admin = require_category_admin(actor)
    return _update(admin, category, expected_version=expected_version, parent_code=parent_code, **values)


def _update(
    actor: User | None,
    category: EventCategory,
    *,
    expected_version: int | None = None,
    parent_code: str | None = None,
    **values: Any,
) -> EventCategory:
    category = EventCategory.objects.select_related("parent").get(pk=category.pk)
    before = snapshot(category)
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise field_error(sorted(unknown)[0], _("Unknown field."), "unknown_field")
    changes = _clean({k: v for k, v in values.items() if v is not None})
    if parent_code is not None:
        changes["parent"] = _parent(parent_code, category)
    update_versioned(category, expected_version, changes)
    _forget_cached()
    record(
        "event_category.update",
        actor=actor,
        obj=category,
        object_id=category.code,
        changes=diff(before, snapshot(category)),
    )
    return category
