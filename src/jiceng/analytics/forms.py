from __future__ import annotations

import re
from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jiceng.analytics.models import PeriodKind, ScoringRule, SubjectType
from jiceng.analytics.scoring import last_period, metric_choices, period_bounds

PERIOD_PATTERN = re.compile(r"^\d{4}(?:-(?P<month>\d{1,2})|Q[1-4])$")
DAY_CHOICES = [(7, _("7 days")), (30, _("30 days")), (90, _("90 days")), (365, _("365 days"))]


class RuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    subject_type = forms.ChoiceField(label=_("Assessed"), choices=SubjectType.choices)
    metric = forms.ChoiceField(label=_("Metric"), choices=metric_choices)
    weight = forms.DecimalField(label=_("Weight (points)"), min_value=0, max_digits=6, decimal_places=2)
    target = forms.DecimalField(
        label=_("Target"),
        required=False,
        max_digits=10,
        decimal_places=4,
        help_text=_(
            "Rates as a fraction (0.9 = 90%): full points at or beyond it, proportionally fewer below. "
            "Counts (events reported …): full points from this many. Empty: proportional to the rate."
        ),
    )
    deduction = forms.DecimalField(
        label=_("Deduction per failure (points)"),
        required=False,
        max_digits=6,
        decimal_places=2,
        help_text=_(
            "Taken off for each record counting against the subject: a failed verification, a return, an "
            "overdue event, an event not closed on time …"
        ),
    )
    sort = forms.IntegerField(label=_("Order"), required=False, min_value=0, max_value=100000)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def action_values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        return data

    @staticmethod
    def initial_from(rule: ScoringRule) -> dict[str, Any]:
        return {
            name: getattr(rule, name)
            for name in (
                "name",
                "subject_type",
                "metric",
                "weight",
                "target",
                "deduction",
                "sort",
                "is_active",
                "version",
            )
        }


class PeriodForm(forms.Form):
    kind = forms.ChoiceField(label=_("Period"), choices=PeriodKind.choices, required=False)
    period = forms.CharField(
        label=_("Month or quarter"),
        required=False,
        max_length=7,
        help_text=_("e.g. 2026-10 or 2026Q3"),
        widget=forms.TextInput(attrs={"placeholder": "2026-10 / 2026Q3"}),
    )
    type = forms.ChoiceField(
        label=_("Assessed"), choices=[("", _("All")), *SubjectType.choices], required=False
    )

    def clean_period(self) -> str:
        text = (self.cleaned_data.get("period") or "").strip().upper()
        found = PERIOD_PATTERN.match(text)
        if text and (found is None or (found["month"] and not 1 <= int(found["month"]) <= 12)):
            raise forms.ValidationError(
                _("Enter a month as 2026-10 or a quarter as 2026Q3."), code="invalid_period"
            )
        return text

    def _valid(self) -> dict[str, Any]:
        """The fields that are valid (an invalid one is shown with its error and left at its default)."""
        self.is_valid()
        return getattr(self, "cleaned_data", {})

    def kind_value(self) -> str:
        return self._valid().get("kind") or PeriodKind.MONTH

    def start(self) -> date:
        kind = self.kind_value()
        text = self._valid().get("period") or ""
        try:
            if "Q" in text:
                year, quarter = text.split("Q", 1)
                return period_bounds(kind, date(int(year), 3 * (int(quarter) - 1) + 1, 1))[0]
            if text:
                year, month = text.split("-", 1)
                return period_bounds(kind, date(int(year), int(month), 1))[0]
        except (ValueError, TypeError):
            pass
        return last_period(kind)

    def subject_type(self) -> str:
        return self._valid().get("type") or ""
