from django import forms
from django.utils.translation import gettext_lazy as _

from jiceng.org.models import RegionLevel, UnitKind
from jiceng.web.forms import JSONTextField


class RegionForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=18)
    name = forms.CharField(label=_("Name"), max_length=100)
    level = forms.ChoiceField(label=_("Level"), choices=RegionLevel.choices)
    parent_code = forms.CharField(label=_("Parent region code"), max_length=18, required=False)
    boundary = JSONTextField(
        label=_("Boundary (GeoJSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "WGS-84. It must lie within the parent region's boundary. A grid's boundary can be redrawn but "
            "not removed."
        ),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: object, editing: bool = False, **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if editing:
            for name in ("code", "level", "parent_code"):
                self.fields[name].disabled = True
                self.fields[name].required = False
        else:
            del self.fields["is_active"]


class RegionImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"), help_text=_("Columns: code, name, parent_code, level, boundary")
    )


class UnitForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=UnitKind.choices)
    region_code = forms.CharField(label=_("Region code"), max_length=18)
    credit_code = forms.CharField(label=_("Unified social credit code"), max_length=18, required=False)
    phone = forms.CharField(label=_("Office phone"), max_length=32, required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: object, editing: bool = False, **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if editing:
            self.fields["code"].disabled = True
            self.fields["code"].required = False
        else:
            del self.fields["is_active"]
