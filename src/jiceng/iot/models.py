"""IoT devices (物联感知设备): device types and their metrics, devices, readings, alarm rules and alarms.

Devices and alarms carry the ``region_code`` of the device's place (its grid), so reads go through
``jiceng.core.scope`` like every other module. Device types and type-wide rules are county configuration.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jiceng.core.scope import ScopedQuerySet
from jiceng.events import category_cache
from jiceng.events.models import Urgency
from jiceng.iot.labels import alarm_code_label, metric_label
from jiceng.org.models import Region, Unit


class DeviceDomain(models.TextChoices):
    SECURITY = "security", _("Security")
    GARBAGE = "garbage", _("Garbage sorting")
    ENVIRONMENT = "environment", _("Environment monitoring")
    FLOOD = "flood", _("Flood control")


class DeviceType(models.Model):
    """设备类型: what a kind of device reports. ``metrics`` is a list of
    ``{"key", "name", "unit", "min", "max"}``; a reading outside [min, max] is rejected as implausible."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    domain = models.CharField(_("domain"), max_length=12, choices=DeviceDomain.choices)
    metrics = models.JSONField(_("metrics"), default=list, blank=True)
    offline_after_minutes = models.PositiveIntegerField(_("offline after (minutes silent)"), default=30)

    class Meta:
        verbose_name = _("device type")
        verbose_name_plural = _("device types")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def metric(self, key: str) -> dict[str, Any] | None:
        return next((m for m in self.metrics if m.get("key") == key), None)


class DeviceStatus(models.TextChoices):
    ONLINE = "online", _("Online")
    OFFLINE = "offline", _("Offline")
    FAULT = "fault", _("Fault")


class Device(models.Model):
    """物联感知设备: one installed device, located in a grid."""

    code = models.CharField(_("device code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=100)
    device_type = models.ForeignKey(
        DeviceType, verbose_name=_("device type"), on_delete=models.PROTECT, related_name="devices"
    )
    vendor = models.CharField(_("vendor"), max_length=100, blank=True)
    lng = models.FloatField(_("longitude"))
    lat = models.FloatField(_("latitude"))
    address = models.CharField(_("address"), max_length=200, blank=True)
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(_("region code"), max_length=18, db_index=True)
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("responsible unit"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    status = models.CharField(
        _("status"), max_length=8, choices=DeviceStatus.choices, default=DeviceStatus.OFFLINE
    )
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)
    latest = models.JSONField(_("latest values"), default=dict, blank=True)
    latest_at = models.DateTimeField(_("latest values at"), null=True, blank=True)
    history_at = models.DateTimeField(null=True, blank=True)  # time of the last kept reading
    secret_hash = models.CharField(max_length=64, blank=True)
    secret_prefix = models.CharField(max_length=12, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    scope_field: ClassVar[str] = "region_code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("device")
        verbose_name_plural = _("devices")
        ordering = ["code"]
        indexes = [models.Index(fields=["status", "last_seen_at"], name="iot_device_status_seen")]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Reading(models.Model):
    """A kept reading (history for charts): at most one per device per history interval, for a few days."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="readings")
    at = models.DateTimeField(_("time"))
    values = models.JSONField(_("values"), default=dict)

    class Meta:
        verbose_name = _("reading")
        verbose_name_plural = _("readings")
        indexes = [
            models.Index(fields=["device", "at"], name="iot_reading_device_at"),
            models.Index(fields=["at"], name="iot_reading_at"),
        ]

    def __str__(self) -> str:
        return f"{self.device_id}@{self.at:%Y-%m-%d %H:%M}"


class RuleKind(models.TextChoices):
    THRESHOLD = "threshold", _("Threshold on a metric")
    DEVICE = "device", _("Device's own alarm")


class Comparison(models.TextChoices):
    GT = "gt", ">"
    GE = "ge", "≥"
    LT = "lt", "<"
    LE = "le", "≤"
    EQ = "eq", "="
    NE = "ne", "≠"


class AlarmRule(models.Model):
    """告警规则: per device type (or one device). A threshold rule fires when ``metric comparison threshold``
    holds for ``consecutive`` readings and at least ``hold_seconds``; a device rule fires on the device's
    own alarm message with code ``metric`` (empty: any code). Firing opens an event of ``category_code``."""

    name = models.CharField(_("name"), max_length=100)
    device_type = models.ForeignKey(
        DeviceType, verbose_name=_("device type"), on_delete=models.PROTECT, related_name="rules"
    )
    device = models.ForeignKey(
        Device,
        verbose_name=_("device (only this one)"),
        on_delete=models.CASCADE,
        related_name="own_rules",
        null=True,
        blank=True,
    )
    kind = models.CharField(_("kind"), max_length=10, choices=RuleKind.choices, default=RuleKind.THRESHOLD)
    metric = models.CharField(_("metric or alarm code"), max_length=40, blank=True)
    comparison = models.CharField(
        _("comparison"), max_length=2, choices=Comparison.choices, default=Comparison.GT
    )
    threshold = models.FloatField(_("threshold"), default=0)
    consecutive = models.PositiveIntegerField(_("consecutive readings"), default=1)
    hold_seconds = models.PositiveIntegerField(_("for at least (seconds)"), default=0)
    cooldown_minutes = models.PositiveIntegerField(_("cooldown (minutes)"), default=30)
    category_code = models.CharField(_("event category"), max_length=20)
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    form_field = models.CharField(_("event form field for the value"), max_length=40, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("alarm rule")
        verbose_name_plural = _("alarm rules")
        ordering = ["device_type__code", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def metric_label(self) -> str:
        """The metric (threshold rules) or alarm code (device rules) as people read it."""
        if self.kind == RuleKind.DEVICE:
            return alarm_code_label(self.metric)
        return metric_label(self.metric, self.device_type)

    @property
    def unit(self) -> str:
        found = self.device_type.metric(self.metric) if self.kind == RuleKind.THRESHOLD else None
        return str(found.get("unit", "")) if found else ""

    @property
    def condition_label(self) -> str:
        """``噪声 > 85 dB(A)``, or ``设备告警：火情`` for a device rule."""
        if self.kind == RuleKind.DEVICE:
            return _("device alarm: %(code)s") % {"code": self.metric_label}
        return f"{self.metric_label} {self.get_comparison_display()} {self.threshold:g} {self.unit}".strip()

    @property
    def category_label(self) -> str:
        found = category_cache.active_category(self.category_code)
        return f"{found[0].name} ({self.category_code})" if found else self.category_code


class RuleStreak(models.Model):
    """How many readings in a row have met a threshold rule, since when (reset by one that does not)."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="+")
    rule = models.ForeignKey(AlarmRule, on_delete=models.CASCADE, related_name="+")
    count = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["device", "rule"], name="iot_streak_unique")]

    def __str__(self) -> str:
        return f"{self.device_id}/{self.rule_id}: {self.count}"


class AlarmState(models.TextChoices):
    # Own context: the bare "Active" is the switch on rules, devices and units (启用), not an alarm (告警中).
    ACTIVE = "active", pgettext_lazy("alarm state", "Active")
    CLEARED = "cleared", pgettext_lazy("alarm state", "Cleared")


class Alarm(models.Model):
    """告警: a fired rule on one device and the event it opened. Repeats while that event is open (or within
    the rule's cooldown) are counted on it instead of opening new events."""

    device = models.ForeignKey(
        Device, verbose_name=_("device"), on_delete=models.CASCADE, related_name="alarms"
    )
    rule = models.ForeignKey(
        AlarmRule, verbose_name=_("rule"), on_delete=models.PROTECT, related_name="alarms"
    )
    region_code = models.CharField(_("region code"), max_length=18, db_index=True)
    state = models.CharField(_("state"), max_length=8, choices=AlarmState.choices, default=AlarmState.ACTIVE)
    code = models.CharField(_("alarm code"), max_length=40, blank=True)
    message = models.CharField(_("message"), max_length=200, blank=True)
    event = models.ForeignKey(
        "events.Event",
        verbose_name=_("event"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    count = models.PositiveIntegerField(_("times"), default=1)
    first_value = models.FloatField(_("first value"), null=True, blank=True)
    last_value = models.FloatField(_("last value"), null=True, blank=True)
    raised_at = models.DateTimeField(_("raised at"), db_index=True)
    last_at = models.DateTimeField(_("last at"))
    cleared_at = models.DateTimeField(_("cleared at"), null=True, blank=True)
    clear_value = models.FloatField(_("value at clearing"), null=True, blank=True)

    scope_field: ClassVar[str] = "region_code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("alarm")
        verbose_name_plural = _("alarms")
        ordering = ["-raised_at", "-id"]
        indexes = [models.Index(fields=["device", "rule", "-id"], name="iot_alarm_device_rule")]
        constraints = [
            # At most one active alarm per device and rule.
            models.UniqueConstraint(
                fields=["device", "rule"], condition=Q(state="active"), name="iot_one_active_alarm"
            )
        ]

    def __str__(self) -> str:
        return f"{self.rule_id}@{self.device_id} ({self.state})"

    @property
    def code_label(self) -> str:
        """The alarm's code as people read it: a metric's label, or the device's alarm code's."""
        if self.rule.kind == RuleKind.THRESHOLD:
            return metric_label(self.code, self.device.device_type)
        return alarm_code_label(self.code)
