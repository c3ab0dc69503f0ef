"""Page forms of the device registry and rules (checks of meaning are in the actions)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from jiceng.events.models import Urgency
from jiceng.events.page_queries import category_tree
from jiceng.iot.labels import ALARM_CODES, metric_label
from jiceng.iot.models import Comparison, DeviceType, RuleKind


def _types() -> list[tuple[str, str]]:
    return [(t.code, t.name) for t in DeviceType.objects.all()]


def _codes_help() -> str:
    """The codes the metric field takes, with their labels: nobody has to guess “temperature” or “smoke”."""
    types = [
        f"{t.name}: " + ", ".join(f"{m['key']} ({metric_label(m['key'], t)})" for m in t.metrics)
        for t in DeviceType.objects.all()
        if t.metrics
    ]
    alarms = ", ".join(f"{code} ({label})" for code, label in ALARM_CODES.items())
    return str(
        _("Threshold rules, the metric: %(types)s. Device rules, the alarm code (empty: any): %(alarms)s.")
        % {"types": "; ".join(types), "alarms": alarms}
    )


class DeviceForm(forms.Form):
    code = forms.CharField(label=_("Device code"), max_length=64)
    name = forms.CharField(label=_("Name"), max_length=100)
    device_type = forms.ChoiceField(label=_("Device type"), choices=())
    vendor = forms.CharField(label=_("Vendor"), max_length=100, required=False)
    lng = forms.FloatField(label=_("Longitude"), min_value=-180, max_value=180)
    lat = forms.FloatField(label=_("Latitude"), min_value=-90, max_value=90)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    # The actions ask for a region when the position lies outside every grid: the page must offer it.
    region_code = forms.CharField(
        label=_("Region code (when the position is outside every grid)"), max_length=18, required=False
    )
    unit = forms.CharField(label=_("Responsible unit (code)"), max_length=40, required=False)

    def __init__(self, *args: object, editing: bool = False, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["device_type"].choices = _types()  # type: ignore[attr-defined]
        if editing:
            del self.fields["code"]
            self.fields["is_active"] = forms.BooleanField(label=_("Active"), required=False)


class RuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    device_type = forms.ChoiceField(label=_("Device type"), choices=())
    device = forms.CharField(label=_("Only this device (code)"), max_length=64, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=RuleKind.choices)
    metric = forms.CharField(label=_("Metric or alarm code"), max_length=40, required=False)
    comparison = forms.ChoiceField(label=_("Comparison"), choices=Comparison.choices)
    threshold = forms.FloatField(label=_("Threshold"), initial=0)
    consecutive = forms.IntegerField(label=_("Consecutive readings"), min_value=1, max_value=1000, initial=1)
    hold_seconds = forms.IntegerField(
        label=_("For at least (seconds)"), min_value=0, max_value=7 * 86400, initial=0
    )
    cooldown_minutes = forms.IntegerField(
        label=_("Cooldown (minutes)"), min_value=0, max_value=30 * 1440, initial=30
    )
    category_code = forms.ChoiceField(label=_("Event category"), choices=())
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices)
    form_field = forms.CharField(label=_("Event form field for the value"), max_length=40, required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(
        self, *args: object, editing: bool = False, county_wide: bool = True, **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["device_type"].choices = _types()  # type: ignore[attr-defined]
        if not county_wide:  # below the county: rules of one device only, asked for before the form is sent
            self.fields["device"].required = True
            self.fields["device"].help_text = _(
                "Rules for every device of a type are set at county level; here, a rule for one device "
                "of your jurisdiction."
            )
        self.fields["metric"].help_text = _codes_help()
        self.fields["category_code"].choices = [("", "—")] + [  # type: ignore[attr-defined]
            (root.name, [(leaf.code, f"{name or leaf.name} ({leaf.code})") for leaf, name in leaves])
            for root, leaves in category_tree()
        ]
        if editing:
            del self.fields["device_type"]
            del self.fields["device"]
            del self.fields["kind"]
