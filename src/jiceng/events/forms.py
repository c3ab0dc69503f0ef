"""Forms of the event pages. They parse input; the actions decide what is allowed."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from typing import Any, cast

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from jiceng.events.models import Evaluation, EventCategory, EventState, Source, Urgency
from jiceng.events.queries import EventFilter
from jiceng.events.schema_form import SchemaForm, UnsupportedSchema, form_from_schema
from jiceng.events.workflow import Transition
from jiceng.web.forms import DateInput

MAX_PHOTOS = 9


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class PhotoField(forms.FileField):
    """Several photos from one ``<input type=file multiple>``; checked by the attachments module."""

    widget = MultipleFileInput

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*", "capture": "environment"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = data if isinstance(data, list | tuple) else [data] if data else []
        cleaned = [super(PhotoField, self).clean(f, initial) for f in files]
        result = [f for f in cleaned if f]
        if len(result) > MAX_PHOTOS:
            raise forms.ValidationError(_("At most %(n)d photos.") % {"n": MAX_PHOTOS})
        return result


class ReportForm(forms.Form):
    """A grid worker's report from the phone. The 小类 list is filtered by the 大类 in report.js."""

    major = forms.ChoiceField(label=_("Main category"), required=False)
    category = forms.ChoiceField(label=_("Sub-category"))
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. rubbish piled by the bridge")}),
    )
    description = forms.CharField(
        label=_("Description"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    urgency = forms.ChoiceField(
        label=_("Urgency"), choices=Urgency.choices, initial=Urgency.NORMAL, widget=forms.RadioSelect
    )
    photos = PhotoField(label=_("Photos"))
    lng = forms.FloatField(required=False, min_value=-180, max_value=180, widget=forms.HiddenInput)
    lat = forms.FloatField(required=False, min_value=-90, max_value=90, widget=forms.HiddenInput)
    accuracy = forms.FloatField(required=False, min_value=0, widget=forms.HiddenInput)
    coord_system = forms.CharField(initial="wgs84", max_length=10, widget=forms.HiddenInput)
    address = forms.CharField(label=_("Address"), required=False, max_length=200)
    on_spot = forms.BooleanField(label=_("Handled on the spot"), required=False)
    on_spot_result = forms.CharField(
        label=_("How it was handled"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    after_photos = PhotoField(label=_("Photos after handling"))
    idempotency_key = forms.CharField(max_length=64, required=False, widget=forms.HiddenInput)

    def __init__(
        self, *args: Any, tree: list[tuple[EventCategory, list[tuple[EventCategory, str]]]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        major = cast(forms.ChoiceField, self.fields["major"])
        major.choices = [("", _("Choose…")), *[(root.code, root.name) for root, _leaves in tree]]
        category = cast(forms.ChoiceField, self.fields["category"])
        category.choices = [("", _("Choose…"))] + [
            (root.name, [(leaf.code, name or leaf.name) for leaf, name in leaves]) for root, leaves in tree
        ]
        self.leaf_parent = {leaf.code: root.code for root, leaves in tree for leaf, _name in leaves}
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)
        for name in ("lng", "lat", "accuracy"):
            self.fields[name].widget.attrs["data-geo"] = name

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (data.get("lng") is None) != (data.get("lat") is None):
            data["lng"] = data["lat"] = None
        if data.get("category"):
            data["major"] = self.leaf_parent.get(data["category"], data.get("major", ""))
        return data

    def report_kwargs(self, form_data: dict[str, Any]) -> dict[str, Any]:
        """The arguments of ``actions.report_event`` from the cleaned data."""
        d = self.cleaned_data
        return {
            "category": d["category"],
            "title": d["title"],
            "description": d["description"],
            "urgency": d["urgency"],
            "lng": d.get("lng"),
            "lat": d.get("lat"),
            "coord_system": d.get("coord_system") or "wgs84",
            "address": d["address"],
            "on_spot": d["on_spot"],
            "on_spot_result": d["on_spot_result"] if d["on_spot"] else "",
            "idempotency_key": d["idempotency_key"],
            "form_data": form_data,
        }


def extra_fields_form(category: EventCategory | None, data: Any = None) -> SchemaForm | None:
    """The category's extra fields (``form_schema``) as a form, prefixed ``form_data``; None when the
    category has none, or a schema the form builder cannot show (``report_event`` still checks the data)."""
    if category is None or not category.form_schema:
        return None
    try:
        form_class = form_from_schema(category.form_schema)
    except UnsupportedSchema:  # the category editor refuses these
        return None
    return form_class(data, prefix="form_data")


# --- workflow actions ------------------------------------------------------------------------------

COMMENT_LABELS: dict[str, str | Promise] = {
    "reject": _("Reason for rejecting"),
    "return": _("Reason for returning"),
    "escalate": _("Why it goes up a level"),
    "progress": _("Progress"),
    "request_extension": _("Reason for the extension"),
    "deny_extension": _("Reason for denying"),
    "suspend": _("Reason for suspending"),
    "handle": _("How it was handled"),
    "verify_fail": _("What is still not fixed"),
    "reopen": _("Reason for reopening"),
    "supervise": _("Supervision notice"),
    "evaluate": _("Your remarks"),
}


class ActionForm(forms.Form):
    """One workflow action: exactly the transition's required fields, an optional comment and the version."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    comment = forms.CharField(
        label=_("Comment"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(
        self,
        *args: Any,
        transition: Transition,
        units: list[tuple[str, list[tuple[str, str]]]] | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("prefix", transition.action)
        super().__init__(*args, **kwargs)
        self.transition = transition
        required = set(transition.required)
        comment = self.fields["comment"]
        comment.label = cast(str, COMMENT_LABELS.get(transition.action, _("Comment")))
        comment.required = "comment" in required
        if not comment.required:
            comment.widget = forms.TextInput(attrs={"placeholder": _("Optional")})
        if "lead_unit" in required:
            self.fields["lead_unit"] = forms.ChoiceField(
                label=_("Lead unit"), choices=[("", _("Choose…")), *(units or [])]
            )
            self.fields["co_units"] = forms.MultipleChoiceField(
                label=_("Co-handling units"),
                required=False,
                choices=units or [],
                widget=forms.SelectMultiple(attrs={"size": 4}),
                help_text=_("Optional. Hold Ctrl (or Cmd) to choose several."),
            )
            self.fields["due_days"] = forms.IntegerField(
                label=_("Working days to handle"),
                required=False,
                min_value=1,
                max_value=90,
                help_text=_("Leave empty for the category's time limit."),
            )
        if "extra_days" in required:
            self.fields["extra_days"] = forms.IntegerField(
                label=_("Extra working days"), min_value=1, max_value=30
            )
        if "evaluation" in required:
            self.fields["evaluation"] = forms.ChoiceField(
                label=_("Evaluation"), choices=Evaluation.choices, widget=forms.RadioSelect
            )
        if "merge_into" in required:
            self.fields["merge_into"] = forms.IntegerField(
                label=_("Merge into event (number)"),
                min_value=1,
                widget=forms.NumberInput(attrs={"list": f"{self.prefix}-hints"}),
            )
        # Keep the comment last, after the action's own fields.
        self.order_fields([n for n in self.fields if n != "comment"] + ["comment"])

    def action_fields(self) -> dict[str, Any]:
        """The keyword arguments of ``actions.perform`` besides version and comment."""
        return {
            k: v
            for k, v in self.cleaned_data.items()
            if k not in ("version", "comment") and v not in (None, "", [])
        }


# --- search ----------------------------------------------------------------------------------------

OPEN = "open"


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Keyword"),
        required=False,
        max_length=50,
        widget=forms.TextInput(attrs={"placeholder": _("Title, description, address")}),
    )
    state = forms.ChoiceField(label=_("State"), required=False)
    category = forms.ChoiceField(label=_("Category"), required=False)
    source = forms.ChoiceField(
        label=_("Source"), required=False, choices=[("", _("All sources")), *Source.choices]
    )
    region = forms.RegexField(
        label=_("Region code"),
        required=False,
        regex=r"^\d{1,18}$",
        max_length=18,
        widget=forms.TextInput(attrs={"placeholder": _("Code or its beginning"), "inputmode": "numeric"}),
    )
    since = forms.DateField(label=_("Reported from"), required=False, widget=DateInput())
    until = forms.DateField(label=_("Reported to"), required=False, widget=DateInput())
    overdue = forms.ChoiceField(
        label=_("Overdue"),
        required=False,
        choices=[("", _("Any")), ("yes", _("Overdue")), ("no", _("Not overdue"))],
    )

    def __init__(self, *args: Any, categories: list[EventCategory], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        state = cast(forms.ChoiceField, self.fields["state"])
        state.choices = [("", _("All states")), (OPEN, _("All open")), *EventState.choices]
        category = cast(forms.ChoiceField, self.fields["category"])
        category.choices = [("", _("All categories"))] + [
            (c.code, f"{'　' if c.parent_id else ''}{c.name}") for c in categories
        ]

    def valid_data(self) -> dict[str, Any]:
        """The filters that are valid (an invalid one is ignored, the others still apply)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return self.cleaned_data

    def event_filter(self) -> EventFilter:
        d = self.valid_data()
        state = d.get("state", "")
        tz = timezone.get_current_timezone()
        since, until = d.get("since"), d.get("until")
        overdue = {"yes": True, "no": False}.get(d.get("overdue", ""))
        return EventFilter(
            state="" if state == OPEN else state,
            open_only=state == OPEN,
            category=d.get("category", ""),
            source=d.get("source", ""),
            region=d.get("region", ""),
            q=d.get("q", "").strip(),
            overdue=overdue,
            since=datetime.combine(since, time.min, tzinfo=tz) if since else None,
            until=datetime.combine(until + timedelta(days=1), time.min, tzinfo=tz) if until else None,
        )

    def used_filters(self) -> dict[str, str]:
        """The filters given, as text (for the audit log of exports)."""
        return {k: str(v) for k, v in self.valid_data().items() if v not in (None, "")}
