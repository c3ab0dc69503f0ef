"""Forms of the registry pages, generated from ``schema.FIELDS``.

Every input is text or a choice; the values go to ``actions.create`` / ``actions.update`` as strings and are
cleaned there (``schema.clean``), so a page accepts and refuses exactly what the API and imports do. The
forms only turn records into initial strings and submitted strings into the data the actions take.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from jiceng.core.validators import mask_id_number, mask_phone
from jiceng.registry import codes, schema, search
from jiceng.registry.models import CreditRecord, Record, SpecialGroup
from jiceng.web.forms import DateInput

# schema.py declares these labels through an alias message extraction cannot see (its other labels are the
# models' verbose names): named here so that the catalog has them and imports, exports and forms are Chinese.
SCHEMA_ONLY_LABELS = (
    gettext_noop("grid or village code"),
    gettext_noop("15-digit grid or 12-digit village code"),
    gettext_noop("subject ID number"),
    gettext_noop("subject credit code"),
)

EMPTY = [("", "—")]
YES_NO = [("", "—"), ("1", _("Yes")), ("0", _("No"))]
TEXTAREA_FIELDS = {"description"}
# Reference fields: the natural key of the record they point to.
REFERENCES = {"house": "code", "household": "number", "organization": "credit_code"}


def model_field(kind: str, name: str) -> models.Field[Any, Any] | None:
    try:
        field = schema.MODELS[kind]._meta.get_field(name)
    except FieldDoesNotExist:  # a pseudo field (region, subject_*)
        return None
    return field if isinstance(field, models.Field) else None


def field_choices(kind: str, name: str) -> list[tuple[str, Any]] | None:
    """The coded values of a field (from the model), or None for free text."""
    if name == "care_groups":
        return list(codes.CARE_GROUPS)
    field = model_field(kind, name)
    if field is None or not field.choices:
        return None
    return [(str(code), label) for code, label in field.choices]


def display_value(kind: str, name: str, value: Any) -> str:
    """A stored or audited value as people read it: code-table names, 是/否, lists joined."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    options = field_choices(kind, name)
    if options is not None:
        names = {code: str(label) for code, label in options}
        if isinstance(value, list):
            return "、".join(names.get(str(v), str(v)) for v in value)
        return names.get(str(value), str(value))
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def as_text(value: Any) -> str:
    """A model value as the text a form field holds."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    if isinstance(value, Record):
        return str(getattr(value, value.natural_key))
    return str(value)


def initial_for(kind: str, obj: Record) -> dict[str, Any]:
    """The form's initial values for an existing record; personal data is left out (never in the page)."""
    initial: dict[str, Any] = {"version": obj.version}
    for spec in schema.FIELDS[kind]:
        if spec.personal:
            continue
        if spec.name == "region":
            initial["region"] = obj.region_code
        elif spec.name == "subject_credit_code":
            assert isinstance(obj, CreditRecord)
            org = obj.subject_organization
            initial[spec.name] = org.credit_code if org else ""
        elif spec.name == "care_groups":
            initial[spec.name] = list(getattr(obj, spec.name) or [])
        else:
            initial[spec.name] = as_text(getattr(obj, spec.name, None))
    return initial


def masked_personal(kind: str, obj: Record, name: str) -> str:
    if kind == "credit" and name == "subject_id_number":
        assert isinstance(obj, CreditRecord)
        person = obj.subject_person
        return person.id_number_masked if person else ""
    value = str(getattr(obj, name, "") or "")
    return mask_id_number(value) if name == "id_number" else mask_phone(value)


class RecordForm(forms.Form):
    """One record of ``kind``. With ``instance`` it edits: the identifying code is fixed, personal data is
    not filled in (left blank it stays as it is), and ``data_for_update`` holds only what changed."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self,
        kind: str,
        data: Any = None,
        *,
        regions: list[tuple[str, str]],
        instance: Record | None = None,
        **kwargs: Any,
    ) -> None:
        self.kind = kind
        self.instance = instance
        if instance is not None:
            kwargs.setdefault("initial", initial_for(kind, instance))
        super().__init__(data, **kwargs)
        self.natural = None if instance is None else self._natural_field(kind)
        for spec in schema.FIELDS[kind]:
            self.fields[spec.name] = self._field(spec, regions)

    @staticmethod
    def _natural_field(kind: str) -> str | None:
        key = schema.MODELS[kind].natural_key
        return None if key == "pk" or kind == "person" else key

    def _field(self, spec: schema.Field, regions: list[tuple[str, str]]) -> forms.Field:
        common: dict[str, Any] = {"label": capfirst(spec.label), "required": spec.required}
        model = model_field(self.kind, spec.name)
        field: forms.Field
        if spec.name == "region":
            common["label"] = _("Grid or village")
            field = forms.ChoiceField(
                choices=[("", _("— from the coordinates —")), *regions],
                help_text=_("The grid or village; leave it to the coordinates when they are given."),
                **common,
            )
        elif spec.name == "care_groups":
            field = forms.MultipleChoiceField(
                choices=codes.CARE_GROUPS, widget=forms.CheckboxSelectMultiple, **common
            )
        elif isinstance(model, models.BooleanField):
            field = forms.ChoiceField(choices=YES_NO, **common)
        elif (options := field_choices(self.kind, spec.name)) is not None:
            field = forms.ChoiceField(choices=[*EMPTY, *options], **common)
        elif isinstance(model, models.DateField):
            field = forms.CharField(widget=DateInput(), **common)
        elif spec.name in TEXTAREA_FIELDS:
            field = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), **common)
        else:
            attrs: dict[str, str] = {}
            if isinstance(model, models.IntegerField):
                attrs["inputmode"] = "numeric"
            elif isinstance(model, models.DecimalField | models.FloatField):
                attrs["inputmode"] = "decimal"
            elif spec.personal and "phone" in spec.name:
                attrs["inputmode"] = "tel"
            if spec.personal:
                attrs["autocomplete"] = "off"
            field = forms.CharField(widget=forms.TextInput(attrs=attrs), strip=True, **common)
        if spec.help and spec.name != "region":
            field.help_text = spec.help
        if self.instance is not None:
            if spec.name == self.natural:
                field.disabled = True
                field.required = False
                field.help_text = _("The code identifies the record and cannot be changed.")
            elif spec.personal:
                field.required = False
                masked = masked_personal(self.kind, self.instance, spec.name)
                field.help_text = (
                    _("Leave blank to keep the current value (%(masked)s).") % {"masked": masked}
                    if masked
                    else _("Not recorded yet.")
                )
        return field

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            # The page is shown again: say at once what the record's own check finds in the other fields
            # (a wrong credit code as well as a missing type), not one round of errors after another.
            filled = {
                spec.name: text
                for spec in schema.FIELDS[self.kind]
                if spec.name not in self.errors and (text := self._text(cleaned.get(spec.name)))
            }
            for name, problems in schema.clean(self.kind, filled, partial=True).errors.items():
                for _code, message in problems:
                    self.add_error(name, message)
        return cleaned

    @staticmethod
    def _text(value: Any) -> str:
        if isinstance(value, list | tuple):
            return ",".join(str(v) for v in value)
        return "" if value is None else str(value)

    def data_for_create(self) -> dict[str, str]:
        return {spec.name: self._text(self.cleaned_data.get(spec.name)) for spec in schema.FIELDS[self.kind]}

    def data_for_update(self) -> dict[str, str]:
        """The fields that differ from the record: personal data only when typed, a point as a pair."""
        changed = set(self.changed_data) - {"version"}
        if self.natural:
            changed.discard(self.natural)
        if changed & {"lng", "lat"}:
            changed |= {"lng", "lat"}
        data = {}
        for spec in schema.FIELDS[self.kind]:
            if spec.name not in changed:
                continue
            value = self._text(self.cleaned_data.get(spec.name))
            if spec.personal and not value:
                continue
            data[spec.name] = value
        return data


class FilterForm(forms.Form):
    """The list page's search box and filters (unknown values are dropped, not errors; a search too long is
    an error: the page lists nothing rather than everyone)."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=search.MAX_QUERY,
        error_messages={
            "max_length": _(
                "The search is too long: at most %(limit_value)d characters (it has %(show_value)d). "
                "Nothing is listed until it is shortened."
            )
        },
    )
    region = forms.ChoiceField(label=_("Grid or village"), required=False)

    # kind → the filters offered besides search and region: (parameter, label, choices source)
    FILTERS: dict[str, list[str]] = {
        "person": ["population_type", "care_group", "group"],
        "household": [],
        "house": ["use", "rental_use"],
        "organization": ["org_kind", "risk_level"],
        "place": ["place_type", "risk_level"],
        "component": ["major", "state"],
        "credit": ["credit_kind"],
    }
    LABELS: dict[str, Promise] = {
        "care_group": _("Care group"),
        "group": _("Special group"),
        "major": _("Major class"),
    }

    def __init__(
        self, kind: str, data: Any = None, *, regions: list[tuple[str, str]], special_groups: bool
    ) -> None:
        super().__init__(data)
        self.kind = kind
        self.fields["q"].widget.attrs["placeholder"] = SEARCH_HINTS.get(kind, "")
        self.fields["q"].widget.input_type = "search"
        cast(forms.ChoiceField, self.fields["region"]).choices = [("", _("All")), *regions]
        for name in self.FILTERS[kind]:
            if name == "group" and not special_groups:
                continue
            options: list[tuple[str, Any]]
            if name == "care_group":
                options = list(codes.CARE_GROUPS)
            elif name == "group":
                options = list(SpecialGroup.choices)
            elif name == "major":
                options = list(codes.COMPONENT_MAJOR)
            else:
                options = field_choices(kind, name) or []
            label: Any = self.LABELS.get(name) or capfirst(model_field(kind, name).verbose_name)  # type: ignore[union-attr]
            self.fields[name] = forms.ChoiceField(
                label=label, required=False, choices=[("", _("All")), *options]
            )

    def values(self) -> dict[str, str]:
        """The valid filters, as ``queries.records`` takes them."""
        if self.is_bound:
            self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        return {name: cleaned[name] for name in self.fields if cleaned.get(name)}


def filter_form(user: Any, kind: str, data: Any) -> FilterForm:
    """The filters of ``kind``'s list as ``user`` may use them, read from ``data`` (a query string or a
    posted form): the list page and its exports read them here, so both hold the same records."""
    from jiceng.accounts.permissions import has_role
    from jiceng.registry import page_queries, queries

    return FilterForm(
        kind,
        data or None,
        regions=page_queries.region_options(user),
        special_groups=has_role(user, *queries.SPECIAL_GROUP_ROLES),
    )


SEARCH_HINTS: dict[str, Promise] = {
    "person": _("Name, pinyin, ID number, phone or address"),
    "household": _("Household number or address"),
    "house": _("House code, owner or address"),
    "organization": _("Name, credit code, phone or address"),
    "place": _("Name, code, phone or address"),
    "component": _("Component code, class or address"),
    "credit": _("Title, source or decision number"),
}


class RevealForm(forms.Form):
    purpose = forms.CharField(
        label=_("Why do you need the full values?"),
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. home visit, verifying a report")}),
    )


class FullExportForm(forms.Form):
    """An export with personal data in full: asked for with a purpose, which the audit entry keeps."""

    purpose = forms.CharField(
        label=_("Purpose of the export"),
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. annual census check ordered by the county")}),
    )
    fmt = forms.ChoiceField(label=_("Format"), choices=[("xlsx", "Excel"), ("csv", "CSV")], initial="xlsx")


class DeleteForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Reason for deletion"), max_length=200, widget=forms.TextInput(), required=False
    )


# The special-group detail fields in words (codes.SPECIAL_GROUP_FIELDS names the code table of each).
SPECIAL_GROUP_FIELD_LABELS: dict[str, Promise] = {
    "rectifying_category": _("Correction category"),
    "crime_class": _("Crime classification"),
    "four_histories": _("Four histories"),
    "three_related": _("Three involvements"),
    "release_type": _("Type of release from correction"),
    "risk_type": _("Risk assessment"),
    "cohesion": _("Hand-over"),
    "resettlement": _("Resettlement"),
    "help_situation": _("Assistance"),
    "diagnosis": _("Current diagnosis"),
    "risk_level": _("Current risk level"),
    "treatment": _("Reason for hospital treatment"),
    "family_economy": _("Family finances"),
    "participation": _("Involved in care management"),
    "help_means": _("Means of assistance"),
    "control": _("Control status"),
    "admission": _("Admission to treatment"),
    "personnel_type": _("Personnel type"),
    "family_situation": _("Family situation"),
    "left_behind_type": _("Left-behind type"),
    "health": _("Health"),
    "infection_pathway": _("Infection route"),
    "concern_degree": _("Level of attention"),
}


def special_group_field_label(name: str) -> str:
    return str(SPECIAL_GROUP_FIELD_LABELS.get(name, name))


class SpecialGroupForm(forms.Form):
    """Putting a person in one special group: its coded details (GB/T 31000) and since when."""

    group = forms.CharField(widget=forms.HiddenInput)
    started_on = forms.DateField(label=_("Since"), required=False, widget=DateInput())

    def __init__(self, group: str, data: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", group)
        super().__init__(data, initial={"group": group}, **kwargs)
        self.group_code = group
        self.label = dict(SpecialGroup.choices).get(group, group)
        tables = {**codes.SPECIAL_GROUP_FIELDS[group], **codes.COMMON_SPECIAL_GROUP_FIELDS}
        for name, table in tables.items():
            self.fields[name] = forms.ChoiceField(
                label=special_group_field_label(name),
                required=False,
                choices=[*EMPTY, *codes.choices(table)],
            )
        self.order_fields(["group", *tables, "started_on"])

    def details(self) -> dict[str, str]:
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if name not in ("group", "started_on") and value
        }


class EndSpecialGroupForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    ended_on = forms.DateField(label=_("Until"), widget=DateInput())
