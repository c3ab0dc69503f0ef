"""Analytics data: event rollups, early warnings and the scorecards of 量化考核.

The rollups are counters kept current by every change to an event (``rollups.py``), so that no dashboard
reads the events themselves. A row holds the counters of one region (at every level from the event's
own grid up to the county, ``depth`` 1–5) and one day, in total or for one slice: a category, a source or
a lead unit. Counters may be negative only inside a transaction; ``rebuild_rollups`` recomputes them all.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from jiceng.core.scope import ScopedQuerySet


class Slice(models.TextChoices):
    TOTAL = "", _("All events")
    CATEGORY = "category", _("Category")
    SOURCE = "source", _("Source")
    UNIT = "unit", _("Lead unit")


# Counters of the events reported on ``day`` (the day's cohort), as those events stand now; and one
# counter of activity on ``day``: the events closed that day (``closed_on_day``, total slice only).
DAILY_COUNTERS = (
    "reported",
    "accepted",
    "rejected",
    "merged",
    "open",
    "closed",
    "closed_on_time",
    "overdue",
    "suspended",
    "returned",
    "reworked",
    "extended",
    "escalated",
    "supervised",
    "on_spot",
    "eval_satisfied",
    "eval_basic",
    "eval_dissatisfied",
    "close_seconds",
    "closed_on_day",
)
# Counters of the events as they stand now, whatever their day.
CURRENT_COUNTERS = (
    "open",
    "overdue",
    "yellow",
    "suspended",
    "to_accept",
    "to_dispatch",
    "in_handling",
    "to_verify",
)


class RollupBase(models.Model):
    region_code = models.CharField(max_length=18)
    depth = models.PositiveSmallIntegerField()  # 1 county, 2 township, 3 village, 4 grid, 5 micro-grid
    slice = models.CharField(max_length=8, choices=Slice.choices, blank=True, default="")
    key = models.CharField(max_length=24, blank=True, default="")  # category id, source, unit id

    class Meta:
        abstract = True


class DailyRollup(RollupBase):
    """Counters of one region × day × slice key (see DAILY_COUNTERS)."""

    day = models.DateField()
    reported = models.IntegerField(default=0)
    accepted = models.IntegerField(default=0)
    rejected = models.IntegerField(default=0)
    merged = models.IntegerField(default=0)
    open = models.IntegerField(default=0)
    closed = models.IntegerField(default=0)
    closed_on_time = models.IntegerField(default=0)
    overdue = models.IntegerField(default=0)
    suspended = models.IntegerField(default=0)
    returned = models.IntegerField(default=0)
    reworked = models.IntegerField(default=0)
    extended = models.IntegerField(default=0)
    escalated = models.IntegerField(default=0)
    supervised = models.IntegerField(default=0)
    on_spot = models.IntegerField(default=0)
    eval_satisfied = models.IntegerField(default=0)
    eval_basic = models.IntegerField(default=0)
    eval_dissatisfied = models.IntegerField(default=0)
    close_seconds = models.BigIntegerField(default=0)
    closed_on_day = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("daily event rollup")
        verbose_name_plural = _("daily event rollups")
        constraints = [
            models.UniqueConstraint(fields=["region_code", "slice", "day", "key"], name="daily_rollup_key"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.region_code} {self.slice}:{self.key}"


class CurrentRollup(RollupBase):
    """Counters of one region × slice key about the events as they stand now (see CURRENT_COUNTERS)."""

    open = models.IntegerField(default=0)
    overdue = models.IntegerField(default=0)
    yellow = models.IntegerField(default=0)
    suspended = models.IntegerField(default=0)
    to_accept = models.IntegerField(default=0)
    to_dispatch = models.IntegerField(default=0)
    in_handling = models.IntegerField(default=0)
    to_verify = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("current event rollup")
        verbose_name_plural = _("current event rollups")
        constraints = [
            models.UniqueConstraint(fields=["region_code", "slice", "key"], name="current_rollup_key"),
        ]

    def __str__(self) -> str:
        return f"{self.region_code} {self.slice}:{self.key}"


class EarlyWarning(models.Model):
    """A spike (预警): more events of one category in one township on one day than its own baseline."""

    day = models.DateField(_("day"))
    region_code = models.CharField(_("township"), max_length=18)
    region_name = models.CharField(_("township name"), max_length=100)
    category = models.ForeignKey(
        "events.EventCategory", verbose_name=_("category"), on_delete=models.PROTECT, related_name="+"
    )
    count = models.PositiveIntegerField(_("events that day"))
    baseline_mean = models.FloatField(_("baseline mean"))
    baseline_std = models.FloatField(_("baseline standard deviation"))
    threshold = models.FloatField(_("threshold"))
    created_at = models.DateTimeField(_("raised at"), auto_now_add=True)
    notified = models.PositiveIntegerField(_("people notified"), default=0)

    scope_field: ClassVar[str] = "region_code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("early warning")
        verbose_name_plural = _("early warnings")
        ordering = ["-day", "-count", "id"]
        constraints = [
            models.UniqueConstraint(fields=["day", "region_code", "category"], name="early_warning_once"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.region_name} {self.category_id}: {self.count}"


class SubjectType(models.TextChoices):
    GRID_WORKER = "grid_worker", _("Grid worker")
    UNIT = "unit", _("Department or station")
    VILLAGE = "village", _("Village or community")
    TOWNSHIP = "township", _("Township or street")


class PeriodKind(models.TextChoices):
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")


class ScoringRule(models.Model):
    """One line of the assessment (量化考核): a metric of a subject type, its weight, target and deduction."""

    name = models.CharField(_("name"), max_length=60)
    subject_type = models.CharField(_("assessed"), max_length=16, choices=SubjectType.choices)
    metric = models.CharField(_("metric"), max_length=32)
    weight = models.DecimalField(_("weight (points)"), max_digits=6, decimal_places=2)
    target = models.DecimalField(
        _("target"),
        max_digits=10,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("A rate as a fraction (0.9 = 90%) or a count, depending on the metric."),
    )
    deduction = models.DecimalField(
        _("deduction per failure (points)"), max_digits=6, decimal_places=2, default=0
    )
    is_active = models.BooleanField(_("active"), default=True)
    sort = models.PositiveIntegerField(_("order"), default=0)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("scoring rule")
        verbose_name_plural = _("scoring rules")
        ordering = ["subject_type", "sort", "id"]

    def __str__(self) -> str:
        return self.name


class Scorecard(models.Model):
    """The stored result of one assessment period: rows per subject, items per rule (history stays put)."""

    period_kind = models.CharField(_("period"), max_length=8, choices=PeriodKind.choices)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("until (exclusive)"))
    computed_at = models.DateTimeField(_("computed at"))
    computed_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rules = models.JSONField(_("rules used"), default=list)

    class Meta:
        verbose_name = _("scorecard")
        verbose_name_plural = _("scorecards")
        ordering = ["-period_start", "period_kind"]
        constraints = [
            models.UniqueConstraint(fields=["period_kind", "period_start"], name="scorecard_period_once"),
        ]

    def __str__(self) -> str:
        return f"{self.period_kind} {self.period_start}"


class ScoreRow(models.Model):
    """One subject's score in a scorecard."""

    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="rows")
    subject_type = models.CharField(max_length=16, choices=SubjectType.choices)
    subject_code = models.CharField(max_length=150)
    subject_name = models.CharField(max_length=100)
    region_code = models.CharField(max_length=18)
    total = models.DecimalField(max_digits=8, decimal_places=2)
    full_marks = models.DecimalField(max_digits=8, decimal_places=2)
    rank = models.PositiveIntegerField()

    scope_field: ClassVar[str] = "region_code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["scorecard", "subject_type", "rank", "subject_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["scorecard", "subject_type", "subject_code"], name="score_row_subject_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject_name}: {self.total}"


class ScoreItem(models.Model):
    """One rule applied to one subject, with the records behind the figure (the drill-down)."""

    row = models.ForeignKey(ScoreRow, on_delete=models.CASCADE, related_name="items")
    rule = models.ForeignKey(ScoringRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    rule_name = models.CharField(max_length=60)
    metric = models.CharField(max_length=32)
    weight = models.DecimalField(max_digits=6, decimal_places=2)
    target = models.DecimalField(max_digits=10, decimal_places=4, null=True, blank=True)
    deduction = models.DecimalField(max_digits=6, decimal_places=2, default=0)
    value = models.FloatField(null=True, blank=True)  # None: nothing to measure (no base)
    numerator = models.PositiveIntegerField(default=0)
    denominator = models.PositiveIntegerField(default=0)
    failures = models.PositiveIntegerField(default=0)
    points = models.DecimalField(max_digits=8, decimal_places=2)
    # The records: events in the base (``event_ids``), those counted in the numerator or as failures
    # (``hit_event_ids``), and workflow steps (``flow_ids``) for metrics counted on the flow.
    event_ids = models.JSONField(default=list)
    hit_event_ids = models.JSONField(default=list)
    flow_ids = models.JSONField(default=list)
    # Work records behind a work metric: {"patrol": [ids], "visit": [ids]}.
    records = models.JSONField(default=dict, blank=True)

    scope_field: ClassVar[str] = "row__region_code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["row", "id"]

    def __str__(self) -> str:
        return f"{self.rule_name}: {self.points}"


class RollupChange(models.Model):
    """An event's facts before and after a change, waiting to be folded into the rollups by a worker.

    Written in the change's own transaction when side effects are deferred (DEFER_SIDE_EFFECTS): one
    plain insert instead of upserting the shared county and township rows, which every concurrent
    write would wait for. ``rollups.fold`` sums many of them into one upsert per table.
    """

    id = models.BigAutoField(primary_key=True)
    before = models.JSONField(null=True)
    after = models.JSONField(null=True)

    class Meta:
        verbose_name = _("rollup change")
        verbose_name_plural = _("rollup changes")

    def __str__(self) -> str:
        return f"rollup change #{self.pk}"
