"""The collaboration platform (协同平台): connected systems, signed messages, routing and data sync.

The same tables serve every role; each platform uses the ones its role needs (see ``roles.py``):
the hub keeps routed events and the province-wide store, a county keeps its escalation links and sync
cursor, the reference department system keeps its tasks.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from jiceng.core.fields import EncryptedTextField
from jiceng.core.scope import ScopedQuerySet


class SystemKind(models.TextChoices):
    HUB = "hub", _("Collaboration platform")
    COUNTY = "county", _("County platform")
    DEPARTMENT = "department", _("Department system")


class Health(models.TextChoices):
    UNKNOWN = "unknown", _("Unknown")
    OK = "ok", _("Answering")
    FAILING = "failing", _("Not answering")


class System(models.Model):
    """A registered system (接入系统) of the interface registry: a peer this platform talks to."""

    code = models.CharField(_("system code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=12, choices=SystemKind.choices)
    inbox_url = models.URLField(_("inbox URL"), max_length=300)
    data_url = models.URLField(_("data-service URL"), max_length=300, blank=True)
    # HMAC keys, encrypted at rest; during a rotation both the current and the previous key are accepted.
    key = EncryptedTextField(_("signing key"))
    previous_key = EncryptedTextField(_("previous signing key"), blank=True, default="")
    key_rotated_at = models.DateTimeField(_("key rotated at"), null=True, blank=True)
    categories = models.JSONField(
        _("categories handled"), default=list, blank=True, help_text=_("Category code prefixes; empty: all")
    )
    regions = models.JSONField(
        _("regions handled"), default=list, blank=True, help_text=_("Region code prefixes; empty: all")
    )
    priority = models.PositiveSmallIntegerField(_("routing order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)
    health = models.CharField(_("health"), max_length=10, choices=Health.choices, default=Health.UNKNOWN)
    last_contact_at = models.DateTimeField(_("last contact"), null=True, blank=True)
    last_success_at = models.DateTimeField(_("last successful delivery"), null=True, blank=True)
    last_failure_at = models.DateTimeField(_("last failed delivery"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    failures = models.PositiveIntegerField(_("failures in a row"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("registered system")
        verbose_name_plural = _("registered systems")
        ordering = ["kind", "priority", "code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class MessageType(models.TextChoices):
    ESCALATE = "event.escalate", _("Escalate")
    ASSIGN = "event.assign", _("Assign")
    RETURN = "event.return", _("Return (not ours)")
    PROGRESS = "event.progress", _("Progress")
    RESOLVED = "event.resolved", _("Resolved")
    FEEDBACK = "event.feedback", _("Feedback")
    RECALL = "event.recall", _("Recall")
    SYNC = "data.sync", _("Data sync")
    QUERY = "data.query", _("Data query")
    RESPONSE = "data.response", _("Data response")


class OutboxState(models.TextChoices):
    PENDING = "pending", _("Waiting")
    SENT = "sent", _("Delivered")
    DEAD = "dead", _("Dead letter")


class OutboxMessage(models.Model):
    """A message to send, written in the same transaction as the change it reports (发件箱)."""

    message_id = models.CharField(max_length=36, unique=True)
    type = models.CharField(_("type"), max_length=20, choices=MessageType.choices)
    target = models.ForeignKey(System, verbose_name=_("target"), on_delete=models.PROTECT, related_name="+")
    correlation = models.CharField(_("correlation"), max_length=80, blank=True)
    sequence = models.PositiveIntegerField(_("sequence"), default=0)
    payload = EncryptedTextField(_("payload"))  # JSON; may hold personal data
    created_at = models.DateTimeField(_("created at"))
    state = models.CharField(
        _("state"), max_length=10, choices=OutboxState.choices, default=OutboxState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"))
    # A delivery run claims rows by writing its token here until lease_until (no transaction held over HTTP).
    lease = models.CharField(max_length=32, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    sent_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        ordering = ["id"]
        indexes = [models.Index(fields=["state", "target", "next_attempt_at"], name="fed_outbox_due")]

    def __str__(self) -> str:
        return f"{self.type} → {self.target_id} {self.message_id}"


class SequenceCounter(models.Model):
    """The last sequence number sent to a target for one correlation (one event's conversation)."""

    target = models.ForeignKey(System, on_delete=models.CASCADE, related_name="+")
    correlation = models.CharField(max_length=80)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["target", "correlation"], name="fed_sequence_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.correlation}:{self.last}"


class InboxState(models.TextChoices):
    PROCESSED = "processed", _("Processed")
    HELD = "held", _("Held for an earlier message")
    FAILED = "failed", _("Failed")


class InboxMessage(models.Model):
    """A message received (收件箱); its id is unique, so a second delivery is dropped."""

    message_id = models.CharField(max_length=36, unique=True)
    type = models.CharField(_("type"), max_length=20, choices=MessageType.choices)
    source = models.ForeignKey(System, verbose_name=_("source"), on_delete=models.PROTECT, related_name="+")
    correlation = models.CharField(_("correlation"), max_length=80, blank=True)
    sequence = models.PositiveIntegerField(_("sequence"), default=0)
    payload = EncryptedTextField(_("payload"))
    sent_at = models.DateTimeField(_("sent at"))
    received_at = models.DateTimeField(_("received at"))
    state = models.CharField(_("state"), max_length=10, choices=InboxState.choices)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("inbox message")
        verbose_name_plural = _("inbox messages")
        ordering = ["id"]
        indexes = [
            models.Index(fields=["source", "correlation", "sequence"], name="fed_inbox_order"),
        ]

    def __str__(self) -> str:
        return f"{self.type} ← {self.source_id} {self.message_id}"


class InboxCursor(models.Model):
    """The last sequence processed from one source for one correlation: later ones wait for the gap."""

    source = models.ForeignKey(System, on_delete=models.CASCADE, related_name="+")
    correlation = models.CharField(max_length=80)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "correlation"], name="fed_inbox_cursor_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.correlation}:{self.last}"


class RejectReason(models.TextChoices):
    MALFORMED = "malformed", _("Malformed")
    UNKNOWN_SOURCE = "unknown_source", _("Unknown source")
    WRONG_TARGET = "wrong_target", _("Not addressed to this platform")
    UNSIGNED = "unsigned", _("Unsigned")
    BAD_SIGNATURE = "bad_signature", _("Wrong signature")
    STALE = "stale", _("Stale timestamp")
    REPLAY = "replay", _("Replayed (already received)")
    UNSUPPORTED = "unsupported", _("Type not handled by this platform")


class RejectedMessage(models.Model):
    """The log of refused messages (security events for the operators)."""

    at = models.DateTimeField(_("time"))
    reason = models.CharField(_("reason"), max_length=16, choices=RejectReason.choices)
    source_code = models.CharField(_("claimed source"), max_length=40, blank=True)
    message_id = models.CharField(_("message id"), max_length=64, blank=True)
    type = models.CharField(_("type"), max_length=40, blank=True)
    remote_addr = models.CharField(_("remote address"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("rejected message")
        verbose_name_plural = _("rejected messages")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.reason} {self.message_id}"


# --- county side ---------------------------------------------------------------------------------------


class EscalationLink(models.Model):
    """A county event handed to the collaboration platform, and what came back."""

    event = models.OneToOneField(
        "events.Event", verbose_name=_("event"), on_delete=models.CASCADE, related_name="hub_link"
    )
    hub = models.ForeignKey(System, on_delete=models.PROTECT, related_name="+")
    correlation = models.CharField(max_length=80, unique=True)
    region_code = models.CharField(max_length=18, db_index=True)
    state = models.CharField(_("state"), max_length=16, default="escalated")
    handled_by = models.CharField(_("handled by"), max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    scope_field: ClassVar[str] = "region_code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("escalation to the collaboration platform")
        verbose_name_plural = _("escalations to the collaboration platform")

    def __str__(self) -> str:
        return self.correlation


class SyncCursor(models.Model):
    """How far the county's base data has been queued for the hub, per record kind."""

    kind = models.CharField(max_length=20, unique=True)
    updated_at = models.DateTimeField(null=True, blank=True)
    last_id = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.kind}@{self.updated_at}"


# --- hub side -------------------------------------------------------------------------------------------


class RouteState(models.TextChoices):
    ASSIGNED = "assigned", _("With a department")
    AWAITING_OPERATOR = "awaiting_operator", _("No department left: operator decides")
    RESOLVED = "resolved", _("Resolved, back at the county")
    CLOSED = "closed", _("Closed by the county")
    RECALLED = "recalled", _("Recalled by the county")


class RoutedEvent(models.Model):
    """An event escalated to the hub by a county, and its way through the department systems."""

    county = models.ForeignKey(System, verbose_name=_("county"), on_delete=models.PROTECT, related_name="+")
    county_ref = models.CharField(_("county reference"), max_length=80)
    event_ref = models.CharField(_("event number"), max_length=40, blank=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    category_code = models.CharField(_("category"), max_length=20)
    category_name = models.CharField(_("category name"), max_length=60, blank=True)
    region_code = models.CharField(_("region code"), max_length=18, db_index=True)
    region_name = models.CharField(_("region"), max_length=100, blank=True)
    urgency = models.CharField(_("urgency"), max_length=10, blank=True)
    details = models.JSONField(default=dict, blank=True)
    state = models.CharField(_("state"), max_length=20, choices=RouteState.choices)
    candidates = models.JSONField(_("candidate departments"), default=list)
    tried = models.JSONField(_("departments tried"), default=list)
    department = models.ForeignKey(
        System,
        verbose_name=_("current department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    resolution = models.TextField(_("resolution"), blank=True)
    feedback = models.JSONField(_("county feedback"), default=dict, blank=True)
    created_at = models.DateTimeField(_("received at"))
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    scope_field: ClassVar[str] = "region_code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("routed event")
        verbose_name_plural = _("routed events")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["county", "county_ref"], name="fed_routed_unique_ref"),
        ]

    def __str__(self) -> str:
        return f"{self.county_ref} {self.title}"

    @property
    def correlation(self) -> str:
        return f"hub/{self.pk}"


class RouteHop(models.Model):
    """One step of a routed event at the hub: received, assigned, returned, progress, resolved, feedback."""

    routed = models.ForeignKey(RoutedEvent, on_delete=models.CASCADE, related_name="hops")
    at = models.DateTimeField(_("time"))
    action = models.CharField(_("action"), max_length=20)
    system = models.CharField(_("system"), max_length=40, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        ordering = ["routed", "id"]

    def __str__(self) -> str:
        return f"{self.routed_id} {self.action}"


class ProvinceRecord(models.Model):
    """A county's base-data record in the province-wide store (全省总库), kept per county code."""

    county_code = models.CharField(_("county"), max_length=40)
    kind = models.CharField(_("kind"), max_length=20)
    record_id = models.BigIntegerField()
    version = models.PositiveIntegerField(default=0)
    deleted = models.BooleanField(_("deleted"), default=False)
    name = models.CharField(_("name"), max_length=120, db_index=True)
    key_index = models.CharField(max_length=40, blank=True, db_index=True)  # blind index of ID / credit code
    region_code = models.CharField(_("region code"), max_length=18, db_index=True)
    data = EncryptedTextField(_("data"))  # JSON
    updated_at = models.DateTimeField(_("updated at"))

    scope_field: ClassVar[str] = "region_code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("province-wide record")
        verbose_name_plural = _("province-wide records")
        constraints = [
            models.UniqueConstraint(
                fields=["county_code", "kind", "record_id"], name="fed_province_record_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.county_code}/{self.kind}/{self.record_id}"


# --- reference department system -----------------------------------------------------------------------


class TaskState(models.TextChoices):
    NEW = "new", _("New")
    ACCEPTED = "accepted", _("Accepted")
    RETURNED = "returned", _("Returned")
    RESOLVED = "resolved", _("Resolved")
    RECALLED = "recalled", _("Recalled")


class DepartmentTask(models.Model):
    """An assignment received from the hub by the reference department system."""

    hub = models.ForeignKey(System, on_delete=models.PROTECT, related_name="+")
    correlation = models.CharField(max_length=80)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    category_name = models.CharField(_("category"), max_length=60, blank=True)
    region_name = models.CharField(_("region"), max_length=100, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=TaskState.choices, default=TaskState.NEW)
    answer = models.TextField(_("answer"), blank=True)
    feedback = models.JSONField(default=dict, blank=True)
    received_at = models.DateTimeField(_("received at"))
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("department task")
        verbose_name_plural = _("department tasks")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["hub", "correlation"], name="fed_task_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.correlation} {self.title}"
