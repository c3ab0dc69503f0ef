"""Work tools (工作台): patrols and check-ins, visits and work logs, leader assignments, messages, files.

Every record carries the ``region_code`` it is scoped by (the worker's unit region, or the record's place),
so reads go through ``jiceng.core.scope`` like the other modules.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jiceng.core.scope import ScopedQuerySet
from jiceng.org.models import Region, Unit

USER = settings.AUTH_USER_MODEL


# --- patrols and check-ins (巡查, 签到) ----------------------------------------------------------------


class PatrolState(models.TextChoices):
    ACTIVE = "active", _("On patrol")
    ENDED = "ended", _("Ended")


class Patrol(models.Model):
    """巡查: one walk of a worker, with its track of positions sent from the phone."""

    worker = models.ForeignKey(USER, verbose_name=_("worker"), on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(_("region code"), max_length=18, db_index=True)
    state = models.CharField(
        _("state"), max_length=8, choices=PatrolState.choices, default=PatrolState.ACTIVE
    )
    started_at = models.DateTimeField(_("started at"), db_index=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    distance_m = models.FloatField(_("distance (m)"), default=0)
    point_count = models.PositiveIntegerField(_("points"), default=0)
    last_lng = models.FloatField(null=True, blank=True)
    last_lat = models.FloatField(null=True, blank=True)
    last_at = models.DateTimeField(_("last position at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    version = models.PositiveIntegerField(default=1)

    scope_field: ClassVar[str] = "region_code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("patrol")
        verbose_name_plural = _("patrols")
        ordering = ["-id"]
        constraints = [
            # One active patrol per worker at a time.
            models.UniqueConstraint(
                fields=["worker"], condition=Q(state="active"), name="worktools_one_active_patrol"
            )
        ]

    def __str__(self) -> str:
        return f"{self.worker_id} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def duration_s(self) -> int:
        from django.utils import timezone

        end = self.ended_at or timezone.now()
        return max(0, int((end - self.started_at).total_seconds()))


class TrackPoint(models.Model):
    """A position of a patrol; ``seq`` is numbered by the phone, so a batch sent twice is stored once."""

    patrol = models.ForeignKey(Patrol, on_delete=models.CASCADE, related_name="points")
    seq = models.PositiveIntegerField()
    lng = models.FloatField()
    lat = models.FloatField()
    accuracy_m = models.FloatField(null=True, blank=True)
    recorded_at = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)
    grid_code = models.CharField(max_length=18, blank=True)

    class Meta:
        ordering = ["patrol", "seq"]
        constraints = [models.UniqueConstraint(fields=["patrol", "seq"], name="worktools_point_seq")]

    def __str__(self) -> str:
        return f"{self.patrol_id}#{self.seq}"


class PatrolEvent(models.Model):
    """An event reported during a patrol."""

    patrol = models.ForeignKey(Patrol, on_delete=models.CASCADE, related_name="event_links")
    event = models.OneToOneField("events.Event", on_delete=models.CASCADE, related_name="+")

    def __str__(self) -> str:
        return f"{self.patrol_id}:{self.event_id}"


class CheckIn(models.Model):
    """签到 at a key place or a house, with the phone's position; flagged when too far from the place."""

    worker = models.ForeignKey(USER, verbose_name=_("worker"), on_delete=models.PROTECT, related_name="+")
    patrol = models.ForeignKey(
        Patrol,
        verbose_name=_("patrol"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="checkins",
    )
    place = models.ForeignKey(
        "registry.KeyPlace",
        verbose_name=_("key place"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    house = models.ForeignKey(
        "registry.House",
        verbose_name=_("house"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    region_code = models.CharField(_("region code"), max_length=18, db_index=True)
    at = models.DateTimeField(_("time"), db_index=True)
    lng = models.FloatField(_("longitude"))
    lat = models.FloatField(_("latitude"))
    distance_m = models.FloatField(_("distance from the place (m)"), null=True, blank=True)
    far = models.BooleanField(_("far from the place"), default=False)
    note = models.CharField(_("note"), max_length=500, blank=True)
    photo = models.FileField(_("photo"), upload_to="worktools/checkins/%Y/%m/", blank=True, default="")
    client_id = models.CharField(max_length=64, blank=True)

    scope_field: ClassVar[str] = "region_code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["worker", "client_id"], condition=~Q(client_id=""), name="worktools_checkin_client_id"
            )
        ]

    def __str__(self) -> str:
        return f"{self.worker_id} {self.at:%Y-%m-%d %H:%M}"

    @property
    def target_name(self) -> str:
        if self.place_id:
            return str(self.place)
        return str(self.house) if self.house_id else ""


class DutyKind(models.TextChoices):
    GRID = "grid", _("Patrol each grid")
    PLACE = "place", _("Inspect each key place")


class PatrolDuty(models.Model):
    """A configured duty: each grid patrolled every N days, or each key place inspected per its cycle."""

    kind = models.CharField(_("kind"), max_length=8, choices=DutyKind.choices)
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(_("region code"), max_length=18, db_index=True)
    every_days = models.PositiveSmallIntegerField(
        _("every (days)"), null=True, blank=True, help_text=_("Empty: each key place's own inspection cycle")
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    scope_field: ClassVar[str] = "region_code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("patrol duty")
        verbose_name_plural = _("patrol duties")
        ordering = ["region_code", "kind"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.region_code}"


class PatrolTask(models.Model):
    """调度: a task a dispatcher sends to a worker (usually the nearest one on patrol)."""

    sender = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    worker = models.ForeignKey(USER, verbose_name=_("worker"), on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(max_length=18, db_index=True)
    event = models.ForeignKey(
        "events.Event", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.CharField(_("message"), max_length=500)
    lng = models.FloatField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    distance_m = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    scope_field: ClassVar[str] = "region_code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.message[:30]


# --- visits, work logs (走访, 民情日志) ----------------------------------------------------------------


class Visit(models.Model):
    """走访: a visit to a person, household, house or organization, with what was found and follow-up."""

    visitor = models.ForeignKey(USER, verbose_name=_("visitor"), on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(_("region code"), max_length=18, db_index=True)
    visited_at = models.DateTimeField(_("visited at"), db_index=True)
    person = models.ForeignKey(
        "registry.Person",
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    household = models.ForeignKey(
        "registry.Household",
        verbose_name=_("household"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    house = models.ForeignKey(
        "registry.House",
        verbose_name=_("house"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    organization = models.ForeignKey(
        "registry.Organization",
        verbose_name=_("organization"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    subject_name = models.CharField(_("visited"), max_length=200)
    purpose = models.CharField(_("purpose"), max_length=200, blank=True)
    findings = models.TextField(_("what was found"))
    follow_up = models.CharField(_("follow-up"), max_length=500, blank=True)
    follow_up_due = models.DateField(_("follow-up due"), null=True, blank=True)
    photo = models.FileField(_("photo"), upload_to="worktools/visits/%Y/%m/", blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    scope_field: ClassVar[str] = "region_code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-visited_at", "-id"]

    def __str__(self) -> str:
        return f"{self.subject_name} {self.visited_at:%Y-%m-%d}"

    @property
    def subject(self) -> tuple[str, str] | None:
        """(kind, key) of what was visited, as the visit form and the registry pages address it."""
        if self.person_id:
            return "person", str(self.person_id)
        for kind in ("household", "house", "organization"):
            obj = getattr(self, kind)
            if obj is not None:
                return kind, str(getattr(obj, obj.natural_key))
        return None


class WorkLog(models.Model):
    """民情日志: one worker's log of one day."""

    author = models.ForeignKey(USER, verbose_name=_("author"), on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(_("region code"), max_length=18, db_index=True)
    day = models.DateField(_("date"), db_index=True)
    content = models.TextField(_("content"))
    issues = models.TextField(_("residents' concerns"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    scope_field: ClassVar[str] = "region_code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("work log")
        verbose_name_plural = _("work logs")
        ordering = ["-day", "-id"]
        constraints = [models.UniqueConstraint(fields=["author", "day"], name="worktools_one_log_a_day")]

    def __str__(self) -> str:
        return f"{self.author_id} {self.day}"


# --- leader assignments (领导交办) ---------------------------------------------------------------------


class LeaderAssignment(models.Model):
    """领导交办: a task from a leader to a unit (or one person in it), run as an event of source "leader"."""

    leader = models.ForeignKey(USER, verbose_name=_("leader"), on_delete=models.PROTECT, related_name="+")
    event = models.OneToOneField("events.Event", on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(
        Unit, verbose_name=_("assigned unit"), on_delete=models.PROTECT, related_name="+"
    )
    assignee = models.ForeignKey(
        USER,
        verbose_name=_("assigned person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    region_code = models.CharField(max_length=18, db_index=True)
    deadline = models.DateField(_("deadline"))
    created_at = models.DateTimeField(auto_now_add=True)

    scope_field: ClassVar[str] = "region_code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("leader assignment")
        verbose_name_plural = _("leader assignments")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.event_id}"


# --- instant messages (即时通讯) -----------------------------------------------------------------------


class ConversationKind(models.TextChoices):
    DIRECT = "direct", _("One-to-one")
    GROUP = "group", _("Group")
    UNIT = "unit", _("Unit group")
    EVENT = "event", _("Event group")


class Conversation(models.Model):
    kind = models.CharField(_("kind"), max_length=8, choices=ConversationKind.choices)
    title = models.CharField(_("title"), max_length=100, blank=True)
    # "direct:<small id>:<large id>", "unit:<id>", "event:<id>": one conversation per pair, unit, event.
    key = models.CharField(max_length=60, blank=True)
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    event = models.ForeignKey(
        "events.Event", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_message_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        ordering = ["-last_message_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["key"], condition=~Q(key=""), name="worktools_conv_key")
        ]

    def __str__(self) -> str:
        return self.title or self.key


class Member(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    last_read_id = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation", "user"], name="worktools_member_unique")
        ]

    def __str__(self) -> str:
        return f"{self.conversation_id}:{self.user_id}"


class Message(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.PROTECT, related_name="messages")
    sender = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(auto_now_add=True)
    client_id = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["sender", "client_id"], condition=~Q(client_id=""), name="worktools_message_client_id"
            )
        ]

    def __str__(self) -> str:
        return self.body[:30]


# --- file library (文件库) -----------------------------------------------------------------------------


class Folder(models.Model):
    """A folder of a unit's documents; ``read_roles`` empty means every staff member who sees the unit."""

    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(max_length=18, db_index=True)
    # The unit's region subtree: staff working below the unit read its folders too.
    scope_prefix = models.CharField(max_length=18, db_index=True)
    name = models.CharField(_("name"), max_length=100)
    read_roles = models.JSONField(_("roles that may read"), default=list, blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    scope_field: ClassVar[str] = "region_code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("folder")
        verbose_name_plural = _("folders")
        ordering = ["unit", "name"]
        constraints = [models.UniqueConstraint(fields=["unit", "name"], name="worktools_folder_name")]

    def __str__(self) -> str:
        return self.name


class Document(models.Model):
    folder = models.ForeignKey(
        Folder, verbose_name=_("folder"), on_delete=models.PROTECT, related_name="documents"
    )
    name = models.CharField(_("name"), max_length=200, db_index=True)
    current_version = models.PositiveIntegerField(_("version"), default=0)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["folder", "name"], name="worktools_document_name")]

    def __str__(self) -> str:
        return self.name


class DocumentVersion(models.Model):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    file = models.FileField(upload_to="worktools/files/%Y/%m/", max_length=200)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    comment = models.CharField(_("comment"), max_length=200, blank=True)

    class Meta:
        ordering = ["document", "-number"]
        constraints = [models.UniqueConstraint(fields=["document", "number"], name="worktools_doc_version")]

    def __str__(self) -> str:
        return f"{self.document_id} v{self.number}"
