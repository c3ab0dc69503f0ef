from __future__ import annotations

import json
from typing import Any

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from jiceng.events import category_actions
from jiceng.events.models import EventCategory, Platform, Urgency
from jiceng.org.models import UnitKind


def schema_text(schema: dict[str, Any] | None) -> str:
    """A schema as the editor shows it: indented, Chinese as is."""
    return json.dumps(schema, ensure_ascii=False, indent=2) if schema else ""


def parse_schema_text(text: str) -> dict[str, Any]:
    """The schema typed into the editor; ValueError with a readable message when it is not a JSON object."""
    text = (text or "").strip()
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(
            _("Not valid JSON (line %(line)d, column %(col)d): %(msg)s")
            % {"line": exc.lineno, "col": exc.colno, "msg": exc.msg}
        ) from exc
    if not isinstance(value, dict):
        raise ValueError(_("The extra fields must be a JSON object."))
    return value


def _number(low: int, high: int) -> forms.NumberInput:
    return forms.NumberInput(attrs={"min": low, "max": high})


class CategoryForm(forms.Form):
    code = forms.CharField(
        label=_("Code"), max_length=20, help_text=_("1 to 20 letters or digits, e.g. CG0118")
    )
    name = forms.CharField(label=_("Name"), max_length=60)
    parent_code = forms.ChoiceField(label=_("Parent category"), required=False)
    platform = forms.ChoiceField(label=_("Platform"), choices=Platform.choices)
    standard = forms.CharField(
        label=_("Standard"), max_length=40, required=False, help_text=_("e.g. GB/T 31000-2015")
    )
    handler_kind = forms.ChoiceField(
        label=_("Usual handling unit"), choices=[("", "—"), *UnitKind.choices], required=False
    )
    handler_hint = forms.CharField(
        label=_("Usual handling unit (name)"), max_length=60, required=False, help_text=_("e.g. 综合执法中队")
    )
    urgencies = forms.MultipleChoiceField(
        label=_("Urgency levels allowed"),
        choices=Urgency.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None checked: all are allowed."),
    )
    accept_hours = forms.IntegerField(
        label=_("Hours to accept"), widget=_number(*category_actions.HOURS_RANGE)
    )
    dispatch_hours = forms.IntegerField(
        label=_("Hours to dispatch"), widget=_number(*category_actions.HOURS_RANGE)
    )
    sign_hours = forms.IntegerField(label=_("Hours to sign"), widget=_number(*category_actions.HOURS_RANGE))
    handle_days = forms.IntegerField(
        label=_("Working days to handle"), widget=_number(*category_actions.DAYS_RANGE)
    )
    verify_days = forms.IntegerField(
        label=_("Working days to verify"), widget=_number(*category_actions.DAYS_RANGE)
    )
    on_spot_needs_confirmation = forms.BooleanField(
        label=_("On-spot handling needs the dispatcher's confirmation"), required=False, initial=True
    )
    staff_only = forms.BooleanField(
        label=_("Reported by staff only"),
        required=False,
        help_text=_("Residents do not see it on the portal or through Open311."),
    )
    form_schema = forms.CharField(
        label=_("Extra fields (JSON Schema)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "false"}),
        help_text=_(
            'A JSON Schema with "type": "object"; each property becomes a field of the report form. '
            "Leave empty for no extra fields."
        ),
    )
    sort = forms.IntegerField(label=_("Sort order"), required=False, initial=0, min_value=0)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self, *args: Any, editing: bool = False, category: EventCategory | None = None, **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        tops = EventCategory.objects.filter(parent__isnull=True).order_by("sort", "code")
        if category is not None:
            tops = tops.exclude(pk=category.pk)
        self.fields["parent_code"].choices = [  # type: ignore[attr-defined]
            ("", _("— none: a top-level category —")),
            *((c.code, f"{c.code} {c.name}") for c in tops),
        ]
        self.fields["form_schema"].widget.attrs.update(
            {
                "hx-post": reverse("event_categories:schema_preview"),
                "hx-trigger": "input changed delay:600ms",
                "hx-target": "#schema-preview",
                "hx-swap": "innerHTML",
            }
        )
        if editing:
            self.fields["code"].disabled = True
            self.fields["code"].required = False
        else:
            del self.fields["is_active"]

    def clean_form_schema(self) -> dict[str, Any]:
        try:
            return parse_schema_text(self.cleaned_data.get("form_schema", ""))
        except ValueError as exc:
            raise forms.ValidationError(str(exc), code="invalid_json") from exc

    def action_values(self) -> dict[str, Any]:
        """The cleaned data as the category actions take it."""
        data = {k: v for k, v in self.cleaned_data.items() if k not in ("code", "version")}
        data["parent_code"] = data.get("parent_code") or ""
        if data.get("sort") is None:
            data["sort"] = 0
        return data
