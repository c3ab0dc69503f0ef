"""办件: the service item catalog (事项), applications (申请) and their flow, fees, ratings (好差评) and
the rectification of bad ratings.

An item's review steps and implementing department name *where* a unit is found (the accepting window, the
application's township, or the county), its kind and a keyword of its name, not a unit row: the same catalog
serves every township of the county.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any, ClassVar

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiceng.core.fields import EncryptedTextField
from jiceng.core.scope import EVERYTHING, ScopedQuerySet, jurisdiction_prefix
from jiceng.core.validators import mask_id_number, mask_phone
from jiceng.org.models import Region, Unit, UnitKind


class ItemLevel(models.TextChoices):
    COUNTY = "county", _("County")
    TOWNSHIP = "township", _("Township")
    VILLAGE = "village", _("Village agency")


class Delivery(models.TextChoices):
    WINDOW = "window", _("Pick up at the window")
    MAIL = "mail", _("By mail")
    ELECTRONIC = "electronic", _("Electronic")


class Channel(models.TextChoices):
    WINDOW = "window", _("Window")
    ONLINE = "online", _("Online application")
    AGENCY = "agency", _("Village agency")


class UnitScope(models.TextChoices):
    """Where the unit that acts is found."""

    WINDOW = "window", _("The accepting window")
    TOWNSHIP = "township", _("The applicant's township")
    COUNTY = "county", _("The county")


class ApplicationState(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted, to accept")
    SUPPLEMENT = "supplement", _("Waiting for supplements")
    REVIEWING = "reviewing", _("Under review")
    PAYMENT = "payment", _("Waiting for payment")
    APPROVED = "approved", _("Concluded: approved")
    DENIED = "denied", _("Concluded: denied")
    DELIVERED = "delivered", _("Result delivered")
    REFUSED = "refused", _("Not accepted")
    WITHDRAWN = "withdrawn", _("Withdrawn")


CONCLUDED_STATES = frozenset({ApplicationState.APPROVED, ApplicationState.DENIED, ApplicationState.DELIVERED})
CLOSED_STATES = CONCLUDED_STATES | {ApplicationState.REFUSED, ApplicationState.WITHDRAWN}
OPEN_STATES = frozenset(ApplicationState) - CLOSED_STATES


class Outcome(models.TextChoices):
    NONE = "", _("Not yet")
    APPROVED = "approved", _("Granted")
    DENIED = "denied", _("Denied")


class Warning(models.TextChoices):
    NONE = "", _("On time")
    # xgettext:no-python-format
    YELLOW = "yellow", _("Yellow: 80% of the time used")
    RED = "red", _("Red: overdue")


class RatingLevel(models.TextChoices):
    """政务服务“好差评”: five levels; the last two are bad ratings that must be rectified."""

    VERY_SATISFIED = "very_satisfied", _("Very satisfied")
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY_SATISFIED = "basically_satisfied", _("Basically satisfied")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")
    VERY_DISSATISFIED = "very_dissatisfied", _("Very dissatisfied")


BAD_RATINGS = frozenset({RatingLevel.DISSATISFIED, RatingLevel.VERY_DISSATISFIED})
RATING_SCORE = {
    RatingLevel.VERY_SATISFIED: 5,
    RatingLevel.SATISFIED: 4,
    RatingLevel.BASICALLY_SATISFIED: 3,
    RatingLevel.DISSATISFIED: 2,
    RatingLevel.VERY_DISSATISFIED: 1,
}


class RatingChannel(models.TextChoices):
    """How the applicant rated. Staff never rate for them (好差评 is the applicant's own word)."""

    ONLINE = "online", _("Online, signed in")
    LINK = "link", _("Rating link (SMS or QR code)")


class RectificationState(models.TextChoices):
    OPEN = "open", _("To rectify")
    REPLIED = "replied", _("Replied, to follow up")
    CLOSED = "closed", _("Closed after follow-up")


class ServiceItem(models.Model):
    """A government service item (事项) that residents apply for."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    department_name = models.CharField(_("implementing department"), max_length=100)
    department_scope = models.CharField(
        _("department found in"), max_length=10, choices=UnitScope.choices, default=UnitScope.COUNTY
    )
    department_kind = models.CharField(
        _("department kind"), max_length=32, choices=UnitKind.choices, default=UnitKind.COUNTY_DEPARTMENT
    )
    department_keyword = models.CharField(_("department name contains"), max_length=40, blank=True)
    level = models.CharField(_("level"), max_length=10, choices=ItemLevel.choices)
    legal_days = models.PositiveSmallIntegerField(_("legal time limit (working days)"), default=20)
    promised_days = models.PositiveSmallIntegerField(
        _("promised time limit (working days)"), default=5, help_text=_("0: handled the same day")
    )
    fee_cents = models.PositiveIntegerField(_("fee (fen)"), default=0)
    fee_basis = models.CharField(_("fee basis"), max_length=200, blank=True)
    form_schema = models.JSONField(_("application form (JSON Schema)"), default=dict, blank=True)
    deliveries = models.JSONField(_("delivery methods"), default=list)
    accept_levels = models.JSONField(_("accepted at"), default=list)
    online = models.BooleanField(_("can be applied for online"), default=True)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    sort = models.PositiveIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("service item")
        verbose_name_plural = _("service items")
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_immediate(self) -> bool:
        """即办件: handled the same day."""
        return self.promised_days == 0

    @property
    def fee_yuan(self) -> str:
        return f"{self.fee_cents / 100:.2f}"


class ItemMaterial(models.Model):
    """A material (材料) an item requires, with a blank template and a filled-in sample."""

    item = models.ForeignKey(ServiceItem, on_delete=models.CASCADE, related_name="materials")
    name = models.CharField(_("name"), max_length=100)
    required = models.BooleanField(_("required"), default=True)
    original = models.BooleanField(_("original to be shown"), default=False)
    copies = models.PositiveSmallIntegerField(_("copies"), default=1)
    note = models.CharField(_("note"), max_length=200, blank=True)
    template = models.FileField(_("template"), upload_to="applications/templates/", blank=True)
    sample = models.FileField(_("sample"), upload_to="applications/samples/", blank=True)
    sort = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("required material")
        verbose_name_plural = _("required materials")
        ordering = ["item", "sort", "id"]

    def __str__(self) -> str:
        return self.name

    # The files are served by applications:material_file, never from a media URL (nothing serves one).
    @property
    def template_url(self) -> str:
        return reverse("applications:material_file", args=[self.pk, "template"]) if self.template else ""

    @property
    def sample_url(self) -> str:
        return reverse("applications:material_file", args=[self.pk, "sample"]) if self.sample else ""


class ReviewStep(models.Model):
    """One review step (审核, 审批 …) of an item: the unit that acts and the role within it."""

    item = models.ForeignKey(ServiceItem, on_delete=models.CASCADE, related_name="steps")
    seq = models.PositiveSmallIntegerField(_("order"))
    name = models.CharField(_("name"), max_length=40)
    scope = models.CharField(_("unit found in"), max_length=10, choices=UnitScope.choices)
    unit_kind = models.CharField(_("unit kind"), max_length=32, choices=UnitKind.choices, blank=True)
    unit_keyword = models.CharField(_("unit name contains"), max_length=40, blank=True)
    role = models.CharField(_("role"), max_length=20, default="handler")

    class Meta:
        verbose_name = _("review step")
        verbose_name_plural = _("review steps")
        ordering = ["item", "seq"]
        constraints = [models.UniqueConstraint(fields=["item", "seq"], name="review_step_unique_seq")]

    def __str__(self) -> str:
        return f"{self.item_id}:{self.seq} {self.name}"


class ServiceWindow(models.Model):
    """A comprehensive window (综合窗口, 一窗受理) of a service center: its staff accept any item."""

    unit = models.OneToOneField(Unit, on_delete=models.PROTECT, related_name="service_window")
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=10, choices=ItemLevel.choices)
    region_code = models.CharField(max_length=18, db_index=True)
    is_active = models.BooleanField(_("active"), default=True)

    scope_field: ClassVar[str] = "region_code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("service window")
        verbose_name_plural = _("service windows")
        ordering = ["region_code", "id"]

    def __str__(self) -> str:
        return self.name


class ApplicationQuerySet(models.QuerySet["Application"]):
    def restrict(self, user: Any) -> ApplicationQuerySet:
        """Applications of the user's jurisdiction, those they made or handle, and a resident's own."""
        prefix = jurisdiction_prefix(user)
        if prefix is None:
            if user is not None and user.is_authenticated and user.is_active:
                return self.filter(Q(applicant_user_id=user.pk) | Q(created_by_id=user.pk))
            return self.none()
        if prefix == EVERYTHING:
            return self
        visible = Q(region_code__startswith=prefix) | Q(created_by_id=user.pk) | Q(agent_id=user.pk)
        unit_id = getattr(user, "unit_id", None)
        if unit_id:
            visible |= Q(current_unit_id=unit_id) | Q(rectification__unit_id=unit_id)
        return self.filter(visible)


class Application(models.Model):
    """One application (办件) for a service item."""

    item = models.ForeignKey(ServiceItem, verbose_name=_("service item"), on_delete=models.PROTECT)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    state = models.CharField(
        _("state"), max_length=12, choices=ApplicationState.choices, default=ApplicationState.SUBMITTED
    )
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, blank=True, default="")
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(max_length=18, db_index=True)
    applicant_person = models.ForeignKey(
        "registry.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    applicant_user = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="applications"
    )
    applicant_name = models.CharField(_("applicant"), max_length=60)
    applicant_id_number = EncryptedTextField(_("applicant's ID number"), blank=True, default="")
    applicant_phone = EncryptedTextField(_("applicant's phone"), default="")
    applicant_phone_index = models.CharField(max_length=40, default="", editable=False)
    agent = models.ForeignKey(
        "accounts.User",
        verbose_name=_("village agent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    window = models.ForeignKey(
        ServiceWindow, verbose_name=_("window"), null=True, blank=True, on_delete=models.PROTECT
    )
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    idempotency_key = models.CharField(max_length=64, blank=True)
    form_data = models.JSONField(_("application form"), default=dict, blank=True)
    delivery = models.CharField(_("delivery"), max_length=12, choices=Delivery.choices)
    delivery_address = models.CharField(_("delivery address"), max_length=200, blank=True)
    step_index = models.PositiveSmallIntegerField(default=0)
    current_unit = models.ForeignKey(
        Unit, verbose_name=_("acting unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    current_role = models.CharField(max_length=20, blank=True)
    supplement_from = models.CharField(max_length=12, blank=True)  # the state to return to
    supplement_items = models.JSONField(_("materials to supplement"), default=list, blank=True)
    fee_cents = models.PositiveIntegerField(_("fee (fen)"), default=0)
    submitted_at = models.DateTimeField(_("submitted at"), db_index=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    concluded_at = models.DateTimeField(_("concluded at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    stage_started_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True, db_index=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_seconds = models.FloatField(default=0)  # working seconds the clock stood still
    warning = models.CharField(_("warning"), max_length=8, choices=Warning.choices, blank=True, default="")
    was_overdue = models.BooleanField(_("was overdue"), default=False)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    scope_field: ClassVar[str] = "region_code"
    blind_indexes: ClassVar[dict[str, str]] = {"applicant_phone": "applicant_phone_index"}
    objects = ApplicationQuerySet.as_manager()

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["current_unit", "state"], name="application_unit_state"),
            models.Index(fields=["state", "region_code"], name="application_state_region"),
            models.Index(fields=["item", "submitted_at"], name="application_item_time"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["created_by", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="application_unique_idempotency_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ref} {self.item.name}"

    @property
    def ref(self) -> str:
        """The application number people quote: BJ + submission date (local, ``TIME_ZONE``) + id."""
        return f"BJ{timezone.localdate(self.submitted_at):%Y%m%d}{self.pk:07d}"

    def answers_to(self, ref: str) -> bool:
        """Whether ``ref`` is this application's number, or the one printed on receipts before numbers used
        the local date (the UTC date, for applications submitted before 08:00 Beijing time)."""
        return ref in (self.ref, f"BJ{self.submitted_at.astimezone(UTC):%Y%m%d}{self.pk:07d}")

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def fee_yuan(self) -> str:
        return f"{self.fee_cents / 100:.2f}"

    @property
    def applicant_id_number_masked(self) -> str:
        return mask_id_number(self.applicant_id_number) if self.applicant_id_number else ""

    @property
    def applicant_phone_masked(self) -> str:
        return mask_phone(self.applicant_phone) if self.applicant_phone else ""


class ApplicationMaterial(models.Model):
    """A material of one application: provided at intake or later as a supplement (补正)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="materials")
    material = models.ForeignKey(ItemMaterial, null=True, blank=True, on_delete=models.SET_NULL)
    name = models.CharField(_("name"), max_length=100)
    required = models.BooleanField(default=True)
    provided = models.BooleanField(_("provided"), default=False)
    provided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["application", "id"]

    def __str__(self) -> str:
        return self.name


class ApplicationFlow(models.Model):
    """One step of an application's timeline, written in the same transaction as the change."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="flows")
    at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_name = models.CharField(max_length=60, blank=True)
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(_("action"), max_length=24)
    from_state = models.CharField(max_length=12, blank=True)
    to_state = models.CharField(max_length=12)
    step_name = models.CharField(max_length=40, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("application flow record")
        verbose_name_plural = _("application flow records")
        ordering = ["application", "id"]

    def __str__(self) -> str:
        return f"{self.application_id} {self.action}"


class Payment(models.Model):
    """The fee of one application, paid once through the payment gateway."""

    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="payment")
    amount_cents = models.PositiveIntegerField(_("amount (fen)"))
    gateway = models.CharField(_("gateway"), max_length=40)
    transaction_id = models.CharField(_("transaction"), max_length=64, unique=True)
    paid_at = models.DateTimeField(_("paid at"))
    paid_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")

    def __str__(self) -> str:
        return self.transaction_id


class SimulatedTransaction(models.Model):
    """The ledger of the simulated payment gateway: one row per order, charged at most once."""

    order_no = models.CharField(max_length=40, unique=True)
    amount_cents = models.PositiveIntegerField()
    transaction_id = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.transaction_id


class Rating(models.Model):
    """好差评 of one concluded application."""

    application = models.OneToOneField(Application, on_delete=models.CASCADE, related_name="rating")
    level = models.CharField(_("rating"), max_length=20, choices=RatingLevel.choices)
    score = models.PositiveSmallIntegerField()
    tags = models.JSONField(_("tags"), default=list, blank=True)
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    rated_at = models.DateTimeField(_("rated at"), db_index=True)
    # The applicant's account; none through a rating link.
    rated_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField(
        _("rated through"), max_length=10, choices=RatingChannel.choices, default=RatingChannel.ONLINE
    )
    # Copied from the application for the statistics.
    item = models.ForeignKey(ServiceItem, on_delete=models.PROTECT, related_name="+")
    window = models.ForeignKey(
        ServiceWindow, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    department = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(max_length=18, db_index=True)

    scope_field: ClassVar[str] = "region_code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        ordering = ["-rated_at"]

    def __str__(self) -> str:
        return f"{self.application_id}:{self.level}"


class Rectification(models.Model):
    """The department's rectification (整改) of a bad rating: reply, then a follow-up visit (回访)."""

    application = models.OneToOneField(Application, on_delete=models.CASCADE, related_name="rectification")
    rating = models.OneToOneField(Rating, on_delete=models.CASCADE, related_name="rectification")
    unit = models.ForeignKey(
        Unit, verbose_name=_("responsible unit"), on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(
        _("state"), max_length=10, choices=RectificationState.choices, default=RectificationState.OPEN
    )
    opened_at = models.DateTimeField(_("opened at"))
    due_at = models.DateTimeField(_("due"))
    reply = models.TextField(_("reply"), blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    replied_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    visit_result = models.TextField(_("follow-up visit"), blank=True)
    visit_satisfied = models.BooleanField(_("satisfied after rectification"), null=True, blank=True)
    visited_at = models.DateTimeField(_("followed up at"), null=True, blank=True)
    visited_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    overdue = models.BooleanField(_("overdue"), default=False)
    region_code = models.CharField(max_length=18, db_index=True)

    scope_field: ClassVar[str] = "region_code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("rectification")
        verbose_name_plural = _("rectifications")
        ordering = ["due_at", "id"]

    def __str__(self) -> str:
        return f"{self.application_id}:{self.state}"
