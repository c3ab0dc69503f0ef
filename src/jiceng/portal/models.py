"""The resident portal (数字社区平台): resident profiles and consents, notices, opinions, consultations,
volunteer activities, the learning corner, the moderated community feed and Open311 API clients."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jiceng.core.scope import ScopedQuerySet
from jiceng.events.models import Source
from jiceng.org.models import Region

# --- Open311 ----------------------------------------------------------------------------------------


class ApiClient(models.Model):
    """A registered third-party app (第三方应用) allowed to post Open311 requests for one jurisdiction.

    Only the key's SHA-256 is kept. Its requests are reported by a service account (a resident user
    without personal data) through the events module's own ``report_event``."""

    name = models.CharField(_("name"), max_length=100)
    contact = models.CharField(_("contact"), max_length=200, blank=True)
    key_prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    jurisdiction = models.ForeignKey(
        Region, verbose_name=_("jurisdiction"), on_delete=models.PROTECT, related_name="+"
    )
    jurisdiction_code = models.CharField(max_length=18, db_index=True)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, default=Source.RESIDENT)
    user = models.OneToOneField(
        "accounts.User", on_delete=models.PROTECT, related_name="open311_client", editable=False
    )
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    scope_field: ClassVar[str] = "jurisdiction_code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("Open311 API client")
        verbose_name_plural = _("Open311 API clients")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"


class ServiceRequest(models.Model):
    """What an Open311 POST brought besides the event itself."""

    event = models.OneToOneField("events.Event", on_delete=models.CASCADE, related_name="open311")
    client = models.ForeignKey(ApiClient, on_delete=models.PROTECT, related_name="requests")
    token = models.CharField(max_length=40, unique=True)
    media_url = models.URLField(max_length=500, blank=True)
    account_id = models.CharField(max_length=64, blank=True)
    device_id = models.CharField(max_length=64, blank=True)
    region_code = models.CharField(max_length=18, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.token


# --- residents ----------------------------------------------------------------------------------------


class ResidentProfile(models.Model):
    """A resident's community and real-name status. The phone and ID number live on the user
    (encrypted, with blind indexes)."""

    user = models.OneToOneField("accounts.User", on_delete=models.CASCADE, related_name="resident_profile")
    region = models.ForeignKey(
        Region, verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )
    region_code = models.CharField(max_length=18, db_index=True)
    verified_at = models.DateTimeField(_("real name verified"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    scope_field: ClassVar[str] = "region_code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("resident profile")
        verbose_name_plural = _("resident profiles")

    def __str__(self) -> str:
        return str(self.user_id)

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None


class ConsentKind(models.TextChoices):
    PRIVACY = "privacy", _("Privacy notice")
    SENSITIVE = "sensitive", _("Processing of sensitive personal information")


class Consent(models.Model):
    """One consent given (or withdrawn), with the version of the text agreed to (个人信息保护法)."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="consents")
    kind = models.CharField(_("kind"), max_length=12, choices=ConsentKind.choices)
    version = models.CharField(_("version"), max_length=20)
    given_at = models.DateTimeField(_("given at"))
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["user", "kind", "-given_at"]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.kind}:{self.version}"


class SmsCode(models.Model):
    """A one-time login/sign-up code: only a keyed hash of phone and code is stored."""

    phone_index = models.CharField(max_length=40, db_index=True)
    code_hash = models.CharField(max_length=64)
    purpose = models.CharField(max_length=12)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.purpose}:{self.pk}"


class RateCounter(models.Model):
    """Fixed-window request counters for the public endpoints (per IP, per account)."""

    key = models.CharField(max_length=120)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "window_start"], name="rate_counter_unique")]

    def __str__(self) -> str:
        return self.key


# --- notices ------------------------------------------------------------------------------------------


class NoticeKind(models.TextChoices):
    NOTICE = "notice", _("Notice")
    POLICY = "policy", _("Policy announcement")


class PublishState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Notice(models.Model):
    """A notice or policy announcement (公告 / 政务公开) for the residents of one region subtree."""

    kind = models.CharField(_("kind"), max_length=10, choices=NoticeKind.choices, default=NoticeKind.NOTICE)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"))
    region = models.ForeignKey(
        Region, verbose_name=_("target region"), on_delete=models.PROTECT, related_name="+"
    )
    region_code = models.CharField(max_length=18, db_index=True)
    state = models.CharField(
        _("state"), max_length=10, choices=PublishState.choices, default=PublishState.PUBLISHED
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, db_index=True)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    scope_field: ClassVar[str] = "region_code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-published_at", "-id"]

    def __str__(self) -> str:
        return self.title


class NoticeRead(models.Model):
    """A read receipt."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["notice", "user"], name="notice_read_unique")]

    def __str__(self) -> str:
        return f"{self.notice_id}:{self.user_id}"


# --- opinions -----------------------------------------------------------------------------------------


class OpinionState(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    REPLIED = "replied", _("Replied")
    HIDDEN = "hidden", _("Hidden")


class Opinion(models.Model):
    """An opinion or suggestion (意见建议) from a resident; staff reply in public."""

    author = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(max_length=18, db_index=True)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("content"))
    public = models.BooleanField(_("may be shown to other residents"), default=True)
    state = models.CharField(
        _("state"), max_length=10, choices=OpinionState.choices, default=OpinionState.SUBMITTED
    )
    reply = models.TextField(_("reply"), blank=True)
    replied_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    replied_unit = models.CharField(_("replied by (unit)"), max_length=100, blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    created_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    scope_field: ClassVar[str] = "region_code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("opinion")
        verbose_name_plural = _("opinions")
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.title


# --- consultations ------------------------------------------------------------------------------------


class ConsultationState(models.TextChoices):
    OPEN = "open", _("Open for discussion and votes")
    CLOSED = "closed", _("Voting closed")
    PUBLISHED = "published", _("Result published")


class Consultation(models.Model):
    """A topic of resident deliberation (居民议事) in one community, with a vote."""

    title = models.CharField(_("topic"), max_length=200)
    body = models.TextField(_("description"))
    region = models.ForeignKey(
        Region, verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )
    region_code = models.CharField(max_length=18, db_index=True)
    state = models.CharField(
        _("state"), max_length=10, choices=ConsultationState.choices, default=ConsultationState.OPEN
    )
    closes_at = models.DateTimeField(_("voting closes at"))
    result = models.TextField(_("published result"), blank=True)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    scope_field: ClassVar[str] = "region_code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.title


class ConsultationOption(models.Model):
    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="options")
    label = models.CharField(_("option"), max_length=100)
    sort = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["consultation", "sort", "id"]

    def __str__(self) -> str:
        return self.label


class Vote(models.Model):
    """One verified resident's vote; the unique constraint makes a second vote impossible."""

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="votes")
    option = models.ForeignKey(ConsultationOption, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    cast_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["consultation", "user"], name="vote_once")]

    def __str__(self) -> str:
        return f"{self.consultation_id}:{self.user_id}"


class Comment(models.Model):
    """A resident's or staff member's contribution to the discussion of a consultation."""

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("comment"))
    hidden = models.BooleanField(_("hidden by moderation"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["consultation", "id"]

    def __str__(self) -> str:
        return f"{self.consultation_id}:{self.pk}"


# --- volunteers ---------------------------------------------------------------------------------------


class VolunteerActivity(models.Model):
    """A volunteer activity (志愿服务) residents sign up for, check in to and earn hours with."""

    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("description"), blank=True)
    place = models.CharField(_("place"), max_length=200)
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(max_length=18, db_index=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    capacity = models.PositiveIntegerField(_("places"))
    hours = models.DecimalField(_("volunteer hours"), max_digits=5, decimal_places=1)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    scope_field: ClassVar[str] = "region_code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("volunteer activity")
        verbose_name_plural = _("volunteer activities")
        ordering = ["-starts_at"]

    def __str__(self) -> str:
        return self.title


class VolunteerSignup(models.Model):
    activity = models.ForeignKey(VolunteerActivity, on_delete=models.CASCADE, related_name="signups")
    user = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    signed_up_at = models.DateTimeField()
    checked_in_at = models.DateTimeField(null=True, blank=True)
    hours = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["activity", "user"], name="volunteer_signup_once")]

    def __str__(self) -> str:
        return f"{self.activity_id}:{self.user_id}"


# --- learning corner ----------------------------------------------------------------------------------


class ArticleKind(models.TextChoices):
    ARTICLE = "article", _("Article")
    COURSE = "course", _("Short course")
    ANTI_FRAUD = "anti_fraud", _("Anti-fraud alert")


class Article(models.Model):
    """The learning corner (数字素养): articles, short courses and anti-fraud alerts."""

    kind = models.CharField(_("kind"), max_length=12, choices=ArticleKind.choices)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("content"))
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(max_length=18, db_index=True)
    published_at = models.DateTimeField(_("published at"), db_index=True)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")

    scope_field: ClassVar[str] = "region_code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        ordering = ["-published_at", "-id"]

    def __str__(self) -> str:
        return self.title


# --- community feed -----------------------------------------------------------------------------------


class PublicReport(models.Model):
    """A resident report approved for the community feed, with the text as moderated (personal data
    removed)."""

    event = models.OneToOneField("events.Event", on_delete=models.CASCADE, related_name="public_report")
    region_code = models.CharField(max_length=18, db_index=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    approved_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField()
    hidden_at = models.DateTimeField(null=True, blank=True)

    scope_field: ClassVar[str] = "region_code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("public report")
        verbose_name_plural = _("public reports")
        ordering = ["-approved_at"]
        indexes = [
            models.Index(fields=["region_code"], condition=Q(hidden_at=None), name="public_report_visible")
        ]

    def __str__(self) -> str:
        return self.title
