"""Forms of the application pages: window intake and the workflow actions. Business rules stay in actions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jiceng.applications.actions import RATING_TAGS
from jiceng.applications.models import Application, Delivery, RatingLevel, ServiceItem
from jiceng.applications.workflow import Transition
from jiceng.web.forms import JSONTextField


class IntakeForm(forms.Form):
    """The window's (or village agent's) intake of one item for a person found in the registry."""

    person = forms.TypedChoiceField(label=_("Applicant"), coerce=int, widget=forms.RadioSelect)
    applicant_phone = forms.CharField(
        label=_("Phone"),
        max_length=20,
        required=False,
        help_text=_("Leave empty to use the phone in the registry."),
    )
    provided = forms.TypedMultipleChoiceField(
        label=_("Materials handed in"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    delivery = forms.ChoiceField(label=_("Delivery of the result"))
    delivery_address = forms.CharField(label=_("Delivery address"), max_length=200, required=False)

    def __init__(self, *args: Any, item: ServiceItem, people: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        person: Any = self.fields["person"]
        provided: Any = self.fields["provided"]
        delivery: Any = self.fields["delivery"]
        person.choices = [(p.pk, f"{p.name} · {p.id_number_masked} · {p.region.name}") for p in people]
        provided.choices = [
            (m.pk, m.name if m.required else _("%(material)s (optional)") % {"material": m.name})
            for m in item.materials.all()
        ]
        delivery.choices = [(d, Delivery(d).label) for d in item.deliveries]


REQUIRED_LABELS = {
    "refuse": _("Reason for not accepting"),
    "approve": _("Opinion"),
    "send_back": _("Opinion"),
    "deny": _("Reason for denial"),
    "withdraw": _("Reason"),
    "reply_rectification": _("Rectification reply"),
    "follow_up": _("Follow-up visit record"),
}


class ActionForm(forms.Form):
    """One workflow action's form; its fields follow what the transition requires."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, transition: Transition, application: Application, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", transition.action)
        super().__init__(*args, **kwargs)
        self.transition = transition
        action = transition.action
        rows = list(application.materials.all())
        if action == "request_supplement":
            self.fields["materials"] = forms.TypedMultipleChoiceField(
                label=_("Materials to supplement"),
                coerce=int,
                required=False,
                choices=[(m.pk, m.name) for m in rows],
                widget=forms.CheckboxSelectMultiple,
                help_text=_("Required materials not yet handed in are always listed."),
            )
            self.fields["other"] = forms.CharField(
                label=_("Other materials (one per line)"),
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
        if action == "supplement":
            self.fields["provided"] = forms.TypedMultipleChoiceField(
                label=_("Materials handed in"),
                coerce=int,
                choices=[(m.pk, m.name) for m in rows if not m.provided],
                widget=forms.CheckboxSelectMultiple,
            )
        if action == "rate":
            self.fields.update(_rating_fields())
        if action == "deliver" and application.delivery == Delivery.MAIL:
            self.fields["tracking_no"] = forms.CharField(
                label=_("Tracking number"), max_length=40, required=False
            )
        if action == "follow_up":
            self.fields["satisfied"] = forms.TypedChoiceField(
                label=_("Satisfied after the rectification"),
                choices=[("1", _("Yes")), ("0", _("No"))],
                coerce=lambda v: v == "1",
                widget=forms.RadioSelect,
            )
        if "comment" in transition.required or action in ("request_supplement", "rate", "accept", "deliver"):
            self.fields["comment"] = forms.CharField(
                label=REQUIRED_LABELS.get(action, _("Comment")),
                required="comment" in transition.required,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 3}),
            )
        self.fields["version"].initial = application.version

    def values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        if "other" in data:
            data["other"] = [line for line in (data["other"] or "").splitlines() if line.strip()]
        return data


def _rating_fields() -> dict[str, forms.Field]:
    return {
        "rating": forms.ChoiceField(label=_("Rating"), choices=RatingLevel.choices, widget=forms.RadioSelect),
        "tags": forms.MultipleChoiceField(
            label=_("Tags"),
            required=False,
            choices=[(t, t) for t in RATING_TAGS],
            widget=forms.CheckboxSelectMultiple,
        ),
    }


class RatingForm(forms.Form):
    """The applicant's 好差评 through the rating link."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(_rating_fields())
        self.fields["comment"] = forms.CharField(
            label=_("Comment"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3})
        )


class ProgressForm(forms.Form):
    number = forms.CharField(label=_("Application number"), max_length=20)
    phone = forms.CharField(label=_("Applicant's phone"), max_length=20)


class ItemForm(forms.Form):
    """Catalog administration of one item; the rules are checked by ``catalog.update_item``."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    name = forms.CharField(label=_("Name"), max_length=100)
    department_name = forms.CharField(label=_("Implementing department"), max_length=100)
    legal_days = forms.IntegerField(label=_("Legal time limit"), min_value=0, max_value=365)
    promised_days = forms.IntegerField(
        label=_("Promised time limit"), min_value=0, max_value=365, help_text=_("0: handled the same day")
    )
    fee_cents = forms.IntegerField(label=_("Fee (fen)"), min_value=0)
    fee_basis = forms.CharField(label=_("Fee basis"), max_length=200, required=False)
    online = forms.BooleanField(label=_("Can apply online"), required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    form_schema = JSONTextField(
        label=_("Application form (JSON Schema)"), required=False, widget=forms.Textarea(attrs={"rows": 12})
    )

    @classmethod
    def for_item(cls, item: ServiceItem, data: Any = None) -> ItemForm:
        initial = {name: getattr(item, name) for name in cls.base_fields}
        return cls(data, initial=initial)
