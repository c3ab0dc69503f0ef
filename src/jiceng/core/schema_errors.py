"""Readable messages for JSON Schema errors of a form's data (an event's extra fields, an application form).

jsonschema's own messages are English and name fields by their key ("'area' is a required property");
residents and API clients get one message per problem naming the field by its ``title``::

    details = form_errors(validator, schema, form_data)   # {"form_data.area": ["请填写“面积（平方米）”。"]}

Only the object's own properties are named; anything deeper is reported on its top-level property.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import jsonschema
from django.utils.translation import gettext as _

PREFIX = "form_data"


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _type_message(expected: Any) -> str:
    kinds = expected if isinstance(expected, list) else [expected]
    kind = next((k for k in kinds if k != "null"), "")
    if kind == "integer":
        return _("“%(field)s” must be a whole number.")
    if kind == "number":
        return _("“%(field)s” must be a number.")
    if kind == "string":
        return _("“%(field)s” must be text.")
    if kind == "boolean":
        return _("“%(field)s” must be yes or no.")
    if kind == "array":
        return _("“%(field)s” must be a list.")
    return _("“%(field)s” has the wrong kind of value.")


def _message(error: jsonschema.ValidationError, field: str) -> str:
    """The message of one error about the field titled ``field``."""
    kind, value = error.validator, error.validator_value
    n = _number(value)
    if kind == "type":
        return _type_message(value) % {"field": field}
    if kind in ("enum", "const", "oneOf", "anyOf"):
        return _("“%(field)s” is not one of the choices.") % {"field": field}
    if kind == "minimum":
        return _("“%(field)s” may not be less than %(n)s.") % {"field": field, "n": n}
    if kind == "maximum":
        return _("“%(field)s” may not be more than %(n)s.") % {"field": field, "n": n}
    if kind == "exclusiveMinimum":
        return _("“%(field)s” must be more than %(n)s.") % {"field": field, "n": n}
    if kind == "exclusiveMaximum":
        return _("“%(field)s” must be less than %(n)s.") % {"field": field, "n": n}
    if kind == "minLength":
        return _("“%(field)s” needs at least %(n)s characters.") % {"field": field, "n": n}
    if kind == "maxLength":
        return _("“%(field)s” may have at most %(n)s characters.") % {"field": field, "n": n}
    if kind in ("pattern", "format"):
        return _("“%(field)s” is not in the expected format.") % {"field": field}
    if kind == "minItems":
        return _("Choose at least %(n)s for “%(field)s”.") % {"field": field, "n": n}
    if kind == "maxItems":
        return _("Choose at most %(n)s for “%(field)s”.") % {"field": field, "n": n}
    if kind == "uniqueItems":
        return _("“%(field)s” has the same choice twice.") % {"field": field}
    return _("“%(field)s” is not valid.") % {"field": field}


def _title(schema: dict[str, Any], name: str) -> str:
    spec = (schema.get("properties") or {}).get(name)
    title = spec.get("title") if isinstance(spec, dict) else None
    return str(title or name)


def explain(schema: dict[str, Any], errors: Iterable[jsonschema.ValidationError]) -> dict[str, list[str]]:
    """``{"form_data.<name>": [message, …]}`` for the errors of one form's data, in the schema's order;
    problems of the form as a whole (not an object, unknown fields) under ``"form_data"``."""
    found: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        messages = found.setdefault(f"{PREFIX}.{name}" if name else PREFIX, [])
        if message not in messages:
            messages.append(message)

    for error in errors:
        path = list(error.absolute_path)
        if path:
            name = str(path[0])
            add(name, _message(error, _title(schema, name)))
        elif error.validator == "required" and isinstance(error.instance, dict):
            for name in error.validator_value:
                if name not in error.instance:
                    add(str(name), _("Please fill in “%(field)s”.") % {"field": _title(schema, str(name))})
        elif error.validator == "additionalProperties" and isinstance(error.instance, dict):
            known = set(schema.get("properties") or {})
            unknown = sorted(str(k) for k in error.instance if k not in known)
            add("", _("Unknown fields: %(names)s.") % {"names": ", ".join(unknown)})
        elif error.validator == "type":
            add("", _("The form data must be a JSON object."))
        else:
            add("", _("The form data is not valid."))
    if not found:
        return found
    order = {f"{PREFIX}.{name}": i for i, name in enumerate(schema.get("properties") or {})}
    return dict(sorted(found.items(), key=lambda item: order.get(item[0], -1)))


def form_errors(validator: Any, schema: dict[str, Any], data: Any) -> dict[str, list[str]]:
    """Every problem of ``data`` against ``schema`` (checked by ``validator``), explained; {} when valid."""
    return explain(schema, validator.iter_errors(data))
