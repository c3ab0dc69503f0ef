"""A category's extra fields: from its JSON Schema to a Django form, and back to JSON.

An event category may ask for extra facts (涉及人数, 面积, 积水深度 …) in ``EventCategory.form_schema``, a
JSON Schema (draft 2020-12) of ``"type": "object"``. The report pages and the category editor's preview
render that schema with::

    from jiceng.events.schema_form import form_from_schema

    ExtraForm = form_from_schema(category.form_schema)
    form = ExtraForm(request.POST or None, prefix="form_data")
    if form.is_valid():
        form_data = form.json_data()        # JSON-ready dict for report_event(form_data=…)

``json_data()`` gives numbers as ``int``/``float`` (never ``Decimal``), dates as ISO strings, and leaves out
optional fields left empty, so the result validates against the same schema that ``report_event`` checks.

What is understood, per property (anything else raises ``UnsupportedSchema``):

=================================  ===========================================================
JSON Schema                        form field
=================================  ===========================================================
string + ``enum``                  ChoiceField (labels are the values)
string + ``oneOf``/``anyOf`` of    ChoiceField with the ``title`` of each ``{"const": …}`` as label
``{"const", "title"}``
string                             CharField (``maxLength``, ``minLength``, ``pattern``;
                                   ``maxLength`` > 200 → a textarea)
string + ``format`` date /         DateField / DateTimeField / EmailField
date-time / email
integer                            IntegerField (``minimum``, ``maximum``, ``exclusiveMinimum``,
                                   ``exclusiveMaximum``; with ``enum`` or ``oneOf`` → a choice)
number                             DecimalField (the same bounds)
boolean                            BooleanField, never required (an unchecked box is ``false``)
array of string ``enum``/``oneOf`` MultipleChoiceField with checkboxes (``minItems``, ``maxItems``)
=================================  ===========================================================

``title`` is the label, ``description`` the help text, ``default`` the initial value; the object's
``required`` list makes fields required. Property names must be ASCII identifiers (they become form field
names and the keys of ``Event.form_data``).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any, ClassVar

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext as _

from jiceng.core.errors import InvalidInput
from jiceng.web.forms import DateInput, DateTimeInput

PROPERTY_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,39}$")
TEXTAREA_FROM = 200  # a string that may be longer than this gets a textarea


COERCE: dict[str, Any] = {"string": str, "integer": int, "number": Decimal}


class UnsupportedSchema(ValueError):
    """The schema is valid JSON Schema but cannot be shown as a form; the message says where."""


class SchemaForm(forms.Form):
    """Base of every generated form: knows its schema and turns cleaned data back into JSON."""

    schema: ClassVar[dict[str, Any]] = {}
    boolean_fields: ClassVar[frozenset[str]] = frozenset()

    def json_data(self) -> dict[str, Any]:
        """The cleaned data as ``Event.form_data``: JSON types only, empty optional fields left out."""
        data: dict[str, Any] = {}
        for name, value in self.cleaned_data.items():
            if name in self.boolean_fields:
                data[name] = bool(value)
                continue
            if value is None or value == "" or value == []:
                continue
            data[name] = _to_json(value)
        return data


def _to_json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_to_json(v) for v in value]
    return value


def _choices(spec: dict[str, Any], where: str) -> list[tuple[Any, str]] | None:
    if "enum" in spec:
        return [(v, str(v)) for v in spec["enum"]]
    for key in ("oneOf", "anyOf"):
        if key in spec:
            options = spec[key]
            if not all(isinstance(o, dict) and "const" in o for o in options):
                raise UnsupportedSchema(
                    _("%(field)s: each of %(key)s needs a const value.") % {"field": where, "key": key}
                )
            return [(o["const"], str(o.get("title", o["const"]))) for o in options]
    return None


def _bounds(spec: dict[str, Any]) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    if "minimum" in spec:
        kwargs["min_value"] = spec["minimum"]
    if "maximum" in spec:
        kwargs["max_value"] = spec["maximum"]
    return kwargs


def _exclusive_validators(spec: dict[str, Any]) -> list[Any]:
    validators: list[Any] = []
    if "exclusiveMinimum" in spec:
        low = spec["exclusiveMinimum"]

        def above(value: Any, low: Any = low) -> None:
            if value is not None and not value > low:
                raise ValidationError(_("Must be more than %(n)s.") % {"n": low}, code="min_value")

        validators.append(above)
    if "exclusiveMaximum" in spec:
        high = spec["exclusiveMaximum"]

        def below(value: Any, high: Any = high) -> None:
            if value is not None and not value < high:
                raise ValidationError(_("Must be less than %(n)s.") % {"n": high}, code="max_value")

        validators.append(below)
    return validators


def _string_field(spec: dict[str, Any], common: dict[str, Any]) -> forms.Field:
    fmt = spec.get("format")
    if fmt == "date":
        return forms.DateField(widget=DateInput(), **common)
    if fmt == "date-time":
        return forms.DateTimeField(widget=DateTimeInput(), **common)
    if fmt == "email":
        return forms.EmailField(max_length=spec.get("maxLength"), **common)
    validators = list(common.pop("validators", []))
    if "pattern" in spec:
        validators.append(
            RegexValidator(re.compile(spec["pattern"]), _("The value is not in the expected format."))
        )
    max_length = spec.get("maxLength")
    long_text = max_length is None or max_length > TEXTAREA_FROM
    widget = forms.Textarea(attrs={"rows": 3}) if long_text else forms.TextInput()
    return forms.CharField(
        max_length=max_length,
        min_length=spec.get("minLength"),
        validators=validators,
        widget=widget,
        strip=True,
        **common,
    )


def _field(name: str, spec: Any, required: bool) -> forms.Field:
    if not isinstance(spec, dict):
        raise UnsupportedSchema(_("%(field)s: the definition must be an object.") % {"field": name})
    kind = spec.get("type")
    common: dict[str, Any] = {
        "label": str(spec.get("title") or name),
        "help_text": str(spec.get("description") or ""),
        "required": required,
    }
    if "default" in spec:
        common["initial"] = spec["default"]
    if kind == "boolean":
        common["required"] = False
        return forms.BooleanField(**common)
    if kind == "array":
        items = spec.get("items")
        choices = _choices(items, name) if isinstance(items, dict) else None
        if not choices:
            raise UnsupportedSchema(
                _("%(field)s: a list must have items with enum or oneOf choices.") % {"field": name}
            )
        validators: list[Any] = []
        low, high = spec.get("minItems"), spec.get("maxItems")
        if low is not None or high is not None:
            validators.append(_count_validator(low, high))
        item_type = items.get("type", "string") if isinstance(items, dict) else "string"
        return forms.TypedMultipleChoiceField(
            choices=[(str(v), label) for v, label in choices],
            coerce=COERCE.get(item_type, str),
            widget=forms.CheckboxSelectMultiple,
            validators=validators,
            **common,
        )
    if kind not in ("string", "integer", "number"):
        raise UnsupportedSchema(
            _("%(field)s: the type %(type)s cannot be shown as a form field.") % {"field": name, "type": kind}
        )
    choices = _choices(spec, name)
    if choices is not None:
        coerce = COERCE[kind]
        blank = [] if required else [("", "—")]
        return forms.TypedChoiceField(
            choices=blank + [(str(v), label) for v, label in choices],
            coerce=coerce,
            empty_value=None,
            **common,
        )
    if kind == "string":
        return _string_field(spec, common)
    validators = _exclusive_validators(spec)
    if kind == "integer":
        return forms.IntegerField(validators=validators, **_bounds(spec), **common)
    return forms.DecimalField(validators=validators, **_bounds(spec), **common)


def _count_validator(low: int | None, high: int | None) -> Any:
    def check(value: Iterable[Any]) -> None:
        count = len(list(value or []))
        if low is not None and count < low:
            raise ValidationError(_("Choose at least %(n)d.") % {"n": low}, code="min_items")
        if high is not None and count > high:
            raise ValidationError(_("Choose at most %(n)d.") % {"n": high}, code="max_items")

    return check


def form_from_schema(schema: dict[str, Any] | None, *, name: str = "ExtraFieldsForm") -> type[SchemaForm]:
    """A form class for the extra fields described by ``schema`` (an empty schema gives an empty form).

    Raises ``UnsupportedSchema`` when the schema is not an object of supported properties; it does not
    check that ``schema`` is valid JSON Schema (``jsonschema.Draft202012Validator.check_schema`` does).
    """
    schema = schema or {}
    if not isinstance(schema, dict):
        raise UnsupportedSchema(_("The schema must be a JSON object."))
    if schema and schema.get("type") != "object":
        raise UnsupportedSchema(_('The schema must have "type": "object".'))
    properties = schema.get("properties") or {}
    if not isinstance(properties, dict):
        raise UnsupportedSchema(_("The properties must be a JSON object."))
    required = set(schema.get("required") or [])
    unknown = required - set(properties)
    if unknown:
        raise UnsupportedSchema(
            _("Required fields without a definition: %(names)s") % {"names": ", ".join(sorted(unknown))}
        )
    fields: dict[str, Any] = {}
    booleans = set()
    for prop, spec in properties.items():
        if not PROPERTY_NAME.match(prop):
            raise UnsupportedSchema(
                _("%(field)s: a field name has up to 40 letters, digits or _ and starts with a letter.")
                % {"field": prop}
            )
        fields[prop] = _field(prop, spec, prop in required)
        if isinstance(spec, dict) and spec.get("type") == "boolean":
            booleans.add(prop)
    attrs: dict[str, Any] = {
        **fields,
        "schema": schema,
        "boolean_fields": frozenset(booleans),
        "__module__": __name__,
    }
    return type(name, (SchemaForm,), attrs)


@contextmanager
def extra_field_errors(extra: SchemaForm | None) -> Iterator[None]:
    """Put the ``form_data.<name>`` errors of an action on the extra fields' form; the rest go on."""
    try:
        yield
    except InvalidInput as exc:
        rest: dict[str, Any] = {}
        for name, problems in exc.details.items():
            field = name.removeprefix("form_data.")
            if extra is not None and name.startswith("form_data.") and field in extra.fields:
                extra.add_error(field, problems)
            else:
                rest[name] = problems
        if rest == exc.details:
            raise
        raise InvalidInput(exc.message, code=exc.code, details=rest) from exc
