from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, ClassVar

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiceng.core.fields import EncryptedTextField
from jiceng.core.scope import EVERYTHING, jurisdiction_prefix
from jiceng.org.models import Region, Unit, UnitKind


class Platform(models.TextChoices):
    """The four platforms of the township (四个平台)."""

    SOCIAL_GOVERNANCE = "social_governance", _("Social governance")
    MARKET_SUPERVISION = "market_supervision", _("Market supervision")
    LAW_ENFORCEMENT = "law_enforcement", _("Comprehensive law enforcement")
    PUBLIC_SERVICE = "public_service", _("Public service")


class Urgency(models.TextChoices):
    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent")
    CRITICAL = "critical", _("Critical")


class Source(models.TextChoices):
    GRID_WORKER = "grid_worker", _("Grid worker")
    RESIDENT = "resident", _("Resident")
    HOTLINE = "hotline", _("12345 hotline")
    LEADER = "leader", _("Leader assignment")
    DEPARTMENT = "department", _("Department report")
    IOT = "iot", _("IoT alarm")
    OTHER = "other", _("Other")


class EventState(models.TextChoices):
    REPORTED = "reported", _("Reported")
    PENDING_DISPATCH = "pending_dispatch", _("Pending dispatch")
    DISPATCHED = "dispatched", _("Dispatched")
    HANDLING = "handling", _("Handling")
    EXTENSION_PENDING = "extension_pending", _("Extension requested")
    SUSPENDED = "suspended", _("Suspended")
    HANDLED = "handled", _("Handled, to verify")
    CLOSED = "closed", _("Closed")
    REJECTED = "rejected", _("Rejected")
    MERGED = "merged", _("Merged")


OPEN_STATES = frozenset(EventState) - {EventState.CLOSED, EventState.REJECTED, EventState.MERGED}


class Level(models.TextChoices):
    """Where an event sits in the four-level flow: who triages it now."""

    VILLAGE = "village", _("Village")
    TOWNSHIP = "township", _("Township")
    COUNTY = "county", _("County")
    HUB = "hub", _("Collaboration platform")


class Warning(models.TextChoices):
    NONE = "", _("On time")
    # xgettext:no-python-format
    YELLOW = "yellow", _("Yellow: 80% of the time used")
    RED = "red", _("Red: overdue")


class Evaluation(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY_SATISFIED = "basically_satisfied", _("Basically satisfied")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")


class EventCategory(models.Model):
    """A node of the category tree (大类 → 小类) with its time limits, handler and extra form."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=60)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    platform = models.CharField(_("platform"), max_length=24, choices=Platform.choices)
    standard = models.CharField(_("standard"), max_length=40, blank=True, help_text=_("e.g. GB/T 31000-2015"))
    handler_kind = models.CharField(
        _("usual handling unit"), max_length=32, choices=UnitKind.choices, blank=True
    )
    handler_hint = models.CharField(_("usual handling unit (name)"), max_length=60, blank=True)
    urgencies = models.JSONField(_("urgency levels allowed"), default=list, blank=True)
    # Time allowed per stage; working hours for the short stages, working days for handling.
    accept_hours = models.PositiveSmallIntegerField(_("hours to accept"), default=2)
    dispatch_hours = models.PositiveSmallIntegerField(_("hours to dispatch"), default=4)
    sign_hours = models.PositiveSmallIntegerField(_("hours to sign"), default=4)
    handle_days = models.PositiveSmallIntegerField(_("working days to handle"), default=5)
    verify_days = models.PositiveSmallIntegerField(_("working days to verify"), default=2)
    form_schema = models.JSONField(_("extra fields (JSON Schema)"), default=dict, blank=True)
    staff_only = models.BooleanField(
        _("reported by staff only"),
        default=False,
        help_text=_(
            "Not offered to residents (portal, Open311): staff's own work, such as 重点人群 and 社区矫正."
        ),
    )
    on_spot_needs_confirmation = models.BooleanField(
        _("on-spot handling needs the dispatcher's confirmation"), default=True
    )
    is_active = models.BooleanField(_("active"), default=True)
    sort = models.PositiveIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("event category")
        verbose_name_plural = _("event categories")
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return self.name


class EventQuerySet(models.QuerySet["Event"]):
    def restrict(self, user: Any) -> EventQuerySet:
        """Events in the user's jurisdiction, or sent to the user's unit (as lead or co-handler)."""
        prefix = jurisdiction_prefix(user)
        if prefix is None:
            # Residents have no jurisdiction but see what they reported themselves.
            if user is not None and user.is_authenticated and user.is_active:
                return self.filter(Q(reporter_id=user.pk) | Q(created_by_id=user.pk))
            return self.none()
        if prefix == EVERYTHING:
            return self
        visible = Q(region_code__startswith=prefix) | Q(reporter_id=user.pk) | Q(created_by_id=user.pk)
        unit_id = getattr(user, "unit_id", None)
        if unit_id:
            visible |= Q(lead_unit_id=unit_id) | Q(
                pk__in=EventCoUnit.objects.filter(unit_id=unit_id).values("event_id")
            )
        return self.filter(visible)


# SJ + 8-digit report date + id (at least 7 digits).
EVENT_NUMBER = re.compile(r"^SJ\d{8}(\d{7,})$")


class Event(models.Model):
    """One event (事件) in the closed loop."""

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    # Indexed by event_category_time (category first).
    category = models.ForeignKey(
        EventCategory, verbose_name=_("category"), on_delete=models.PROTECT, db_index=False
    )
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    source_ref = models.CharField(
        _("source reference"), max_length=64, blank=True, help_text=_("e.g. the 12345 work order number")
    )
    state = models.CharField(
        _("state"), max_length=20, choices=EventState.choices, default=EventState.REPORTED
    )
    level = models.CharField(_("level"), max_length=10, choices=Level.choices, default=Level.TOWNSHIP)
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(max_length=18, db_index=True)
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    occurred_at = models.DateTimeField(_("occurred at"))
    reported_at = models.DateTimeField(_("reported at"), db_index=True)
    reporter = models.ForeignKey(
        "accounts.User",
        verbose_name=_("reporter"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reported_events",
    )
    reporter_name = models.CharField(_("reporter name"), max_length=60, blank=True)
    reporter_phone = EncryptedTextField(_("reporter phone"), blank=True, default="")
    reporter_phone_index = models.CharField(max_length=40, blank=True, default="", editable=False)
    anonymous = models.BooleanField(_("anonymous"), default=False)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    idempotency_key = models.CharField(max_length=64, blank=True)
    form_data = models.JSONField(_("extra fields"), default=dict, blank=True)
    on_spot = models.BooleanField(_("handled on the spot"), default=False)

    # Indexed by event_lead_unit (lead unit first).
    lead_unit = models.ForeignKey(
        Unit,
        verbose_name=_("lead unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    stage_started_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(_("stage due"), null=True, blank=True, db_index=True)
    handle_due_at = models.DateTimeField(_("handling due"), null=True, blank=True)
    warning = models.CharField(_("warning"), max_length=8, choices=Warning.choices, blank=True, default="")
    was_overdue = models.BooleanField(_("was overdue"), default=False)
    return_count = models.PositiveSmallIntegerField(default=0)
    rework_count = models.PositiveSmallIntegerField(default=0)
    extension_count = models.PositiveSmallIntegerField(default=0)
    escalation_count = models.PositiveSmallIntegerField(default=0)
    reopen_count = models.PositiveSmallIntegerField(default=0)
    supervision_count = models.PositiveSmallIntegerField(default=0)
    handled_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    evaluation = models.CharField(_("evaluation"), max_length=20, choices=Evaluation.choices, blank=True)
    evaluation_comment = models.CharField(_("evaluation comment"), max_length=500, blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged"
    )
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    scope_field: ClassVar[str] = "region_code"
    blind_indexes: ClassVar[dict[str, str]] = {"reporter_phone": "reporter_phone_index"}
    objects = EventQuerySet.as_manager()

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["-id"]
        indexes = [
            # Pattern ops so "region_code LIKE 'prefix%'" can use it on PostgreSQL whatever the collation.
            models.Index(
                fields=["state", "level", "region_code"],
                name="event_worklist",
                opclasses=["varchar_pattern_ops"] * 3,
            ),
            # Queues newest first (the API's keyset order): the scan reads the queue's rows, not every newer
            # event of other states, as the primary key's backward scan did.
            models.Index(fields=["state", "level", "id"], name="event_queue_newest"),
            models.Index(fields=["lead_unit", "state"], name="event_lead_unit"),
            models.Index(fields=["category", "reported_at"], name="event_category_time"),
            # Exact matches only (a blind index): no pattern-ops twin.
            models.Index(fields=["reporter_phone_index"], name="event_reporter_phone"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "source_ref"], condition=~Q(source_ref=""), name="event_unique_source_ref"
            ),
            models.UniqueConstraint(
                fields=["created_by", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="event_unique_idempotency_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ref} {self.title}"

    @property
    def ref(self) -> str:
        """The number people quote: SJ + report date (local, ``TIME_ZONE``) + id."""
        return self.number(self.pk, self.reported_at)

    @staticmethod
    def number(pk: int, reported_at: datetime) -> str:
        """``ref`` of the event ``pk`` reported at ``reported_at``, without loading it."""
        return f"SJ{timezone.localdate(reported_at):%Y%m%d}{pk:07d}"

    @staticmethod
    def pk_in(ref: str) -> int | None:
        """The id a number names (its form only: ``answers_to`` checks it is that event's)."""
        match = EVENT_NUMBER.match(ref.strip().upper())
        return int(match.group(1)) if match else None

    def answers_to(self, ref: str) -> bool:
        """Whether ``ref`` is this event's number, or the one it was given before numbers used the local
        date (an event reported before 08:00 Beijing time was numbered with the UTC date, the day before)
        — third-party apps keep those as Open311 ``service_request_id``."""
        return ref in (self.ref, f"SJ{self.reported_at.astimezone(UTC):%Y%m%d}{self.pk:07d}")

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class EventCoUnit(models.Model):
    """A co-handling unit (协办) of an event."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="co_units")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "unit"], name="event_co_unit_unique")]

    def __str__(self) -> str:
        return f"{self.event_id}:{self.unit_id}"


class EventFlow(models.Model):
    """One step of an event's timeline, written in the same transaction as the change."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="flows")
    at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_name = models.CharField(max_length=60, blank=True)
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(_("action"), max_length=24)
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20)
    level = models.CharField(max_length=10, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("event flow record")
        verbose_name_plural = _("event flow records")
        ordering = ["event", "id"]

    def __str__(self) -> str:
        return f"{self.event_id} {self.action}"


class Supervision(models.Model):
    """A supervision notice (督办) that the lead unit must acknowledge."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="supervisions")
    by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    message = models.CharField(_("message"), max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.event_id}: {self.message[:20]}"


class AttachmentKind(models.TextChoices):
    PHOTO = "photo", _("Photo")
    VOICE = "voice", _("Voice")
    VIDEO = "video", _("Video")
    FILE = "file", _("File")


class AttachmentStage(models.TextChoices):
    NONE = "", _("Not marked")
    BEFORE = "before", _("Before handling")
    AFTER = "after", _("After handling")


class EventAttachment(models.Model):
    """A photo, voice note, video or document attached to an event, optionally at one step of its flow.

    The original is kept byte for byte; photos get a small JPEG thumbnail. Files are served only through
    views that check the event's scope, never from a public media URL.
    """

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="attachments")
    flow = models.ForeignKey(
        EventFlow,
        verbose_name=_("flow step"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="attachments",
    )
    kind = models.CharField(_("kind"), max_length=8, choices=AttachmentKind.choices)
    stage = models.CharField(
        _("stage"), max_length=8, choices=AttachmentStage.choices, blank=True, default=""
    )
    file = models.FileField(_("file"), upload_to="events/%Y/%m/", max_length=200)
    thumbnail = models.FileField(
        _("thumbnail"), upload_to="events/%Y/%m/", max_length=200, blank=True, default=""
    )
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64)
    original_name = models.CharField(_("original file name"), max_length=255, blank=True)
    width = models.PositiveIntegerField(_("width"), null=True, blank=True)
    height = models.PositiveIntegerField(_("height"), null=True, blank=True)
    uploaded_by = models.ForeignKey(
        "accounts.User", verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("event attachment")
        verbose_name_plural = _("event attachments")
        ordering = ["event", "id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "sha256"], name="event_attachment_unique_content"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id}:{self.original_name or self.pk}"
