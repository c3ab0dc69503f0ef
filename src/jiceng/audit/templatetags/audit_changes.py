"""The "changes" of an audit entry as lines a person reads: ``field: before → after``, the field named by
its model's verbose name (translated) when the entry's object type is a model that has it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django import template
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext as _

from jiceng.audit.models import AuditEntry

register = template.Library()


@dataclass(frozen=True)
class ChangeLine:
    label: str
    before: str
    after: str
    is_diff: bool  # before → after; otherwise ``after`` is a plain value (a request path, a purpose, …)


def _label(model: Any, name: str) -> str:
    if model is not None:
        try:
            return str(model._meta.get_field(name).verbose_name)
        except FieldDoesNotExist:
            pass
    return name


def _text(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if value is True:
        return _("Yes")
    if value is False:
        return _("No")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def change_lines(entry: AuditEntry) -> list[ChangeLine]:
    changes = entry.changes if isinstance(entry.changes, dict) else {"": entry.changes}
    try:
        model = apps.get_model(entry.object_type) if "." in entry.object_type else None
    except (LookupError, ValueError):
        model = None
    lines = []
    for name, value in changes.items():
        if isinstance(value, dict) and set(value) == {"before", "after"}:
            lines.append(ChangeLine(_label(model, name), _text(value["before"]), _text(value["after"]), True))
        else:
            lines.append(ChangeLine(_label(model, name), "", _text(value), False))
    return lines


register.filter("change_lines", change_lines)
