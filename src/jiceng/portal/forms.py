"""Forms of the portal pages. They parse input; the actions decide what is allowed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jiceng.events.models import Evaluation
from jiceng.portal.models import ArticleKind, NoticeKind
from jiceng.web.forms import DateTimeInput

PHONE_ATTRS = {"inputmode": "tel", "autocomplete": "tel", "placeholder": _("Mobile number")}


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=_("Mobile number"), max_length=20, widget=forms.TextInput(attrs=PHONE_ATTRS)
    )


class CodeLoginForm(PhoneForm):
    code = forms.CharField(
        label=_("Verification code"),
        max_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class PasswordLoginForm(PhoneForm):
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput)


class SignUpForm(CodeLoginForm):
    community = forms.ChoiceField(label=_("Your village or community"))
    full_name = forms.CharField(label=_("Name (optional)"), max_length=60, required=False)
    password = forms.CharField(
        label=_("Password (optional)"),
        required=False,
        widget=forms.PasswordInput,
        help_text=_("Without a password you log in with an SMS code."),
    )
    privacy = forms.BooleanField(label=_("I have read and agree to the privacy notice"))
    sensitive = forms.BooleanField(
        label=_("I separately agree to the processing of my sensitive personal information"),
        required=False,
        help_text=_("Needed for real-name verification (ID number). You can agree later or withdraw."),
    )

    def __init__(self, *args: Any, communities: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["community"].choices = [("", _("Choose…")), *communities]  # type: ignore[attr-defined]


class VerifyForm(forms.Form):
    full_name = forms.CharField(label=_("Name as on the ID card"), max_length=30)
    id_number = forms.CharField(label=_("ID number"), max_length=18)


class EraseForm(forms.Form):
    confirm_phone = forms.CharField(
        label=_("Type your mobile number to confirm"),
        max_length=20,
        widget=forms.TextInput(attrs=PHONE_ATTRS),
    )


class RateForm(forms.Form):
    evaluation = forms.ChoiceField(
        label=_("Your rating"), choices=Evaluation.choices, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("Your remarks"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class OpinionForm(forms.Form):
    title = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(
        label=_("Your opinion or suggestion"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )
    public = forms.BooleanField(
        label=_("Other residents may see it (without my name)"), required=False, initial=True
    )


class CommentForm(forms.Form):
    body = forms.CharField(label=_("Your view"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


# --- staff --------------------------------------------------------------------------------------------


class RegionChoiceMixin(forms.Form):
    region_code = forms.ChoiceField(label=_("For residents of"))

    def __init__(self, *args: Any, regions: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region_code"].choices = regions  # type: ignore[attr-defined]


class NoticeForm(RegionChoiceMixin):
    kind = forms.ChoiceField(label=_("Kind"), choices=NoticeKind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 6}))


class ReplyForm(forms.Form):
    reply = forms.CharField(
        label=_("Public reply"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class ConsultationForm(RegionChoiceMixin):
    title = forms.CharField(label=_("Topic"), max_length=200)
    body = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 5}))
    options = forms.CharField(
        label=_("Options (one per line)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        initial="同意\n不同意\n弃权",
    )
    closes_at = forms.DateTimeField(label=_("Voting closes at"), widget=DateTimeInput())


class ResultForm(forms.Form):
    result = forms.CharField(label=_("Result to publish"), widget=forms.Textarea(attrs={"rows": 4}))


class ActivityForm(RegionChoiceMixin):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    place = forms.CharField(label=_("Place"), max_length=200)
    starts_at = forms.DateTimeField(label=_("Starts at"), widget=DateTimeInput())
    ends_at = forms.DateTimeField(label=_("Ends at"), widget=DateTimeInput())
    capacity = forms.IntegerField(label=_("Places"), min_value=1, max_value=10000)
    hours = forms.DecimalField(label=_("Volunteer hours"), min_value=0, max_value=24, decimal_places=1)


class ArticleForm(RegionChoiceMixin):
    kind = forms.ChoiceField(label=_("Kind"), choices=ArticleKind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 8}))


class ApiClientForm(forms.Form):
    name = forms.CharField(label=_("App name"), max_length=100)
    contact = forms.CharField(label=_("Contact"), max_length=200, required=False)
    jurisdiction_code = forms.ChoiceField(label=_("County"))

    def __init__(self, *args: Any, counties: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["jurisdiction_code"].choices = counties  # type: ignore[attr-defined]
