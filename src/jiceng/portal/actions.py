"""Every write of the portal's community features: notices, opinions, consultations and votes,
volunteer activities, the learning corner and moderation of the community feed. One transaction each;
staff act within their jurisdiction (``core.scope``), residents within their own community."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiceng.accounts.models import User
from jiceng.accounts.permissions import require_role
from jiceng.accounts.roles import Role
from jiceng.audit.actions import record
from jiceng.core.concurrency import update_versioned
from jiceng.core.errors import Conflict, DomainError, NotFound, PermissionDenied, field_error
from jiceng.core.scope import get_in_scope
from jiceng.events import queries as event_queries
from jiceng.notifications.actions import notify
from jiceng.org.models import Region, RegionLevel
from jiceng.portal.models import (
    Article,
    ArticleKind,
    Comment,
    Consultation,
    ConsultationOption,
    ConsultationState,
    Notice,
    NoticeKind,
    NoticeRead,
    Opinion,
    OpinionState,
    PublicReport,
    PublishState,
    ResidentProfile,
    VolunteerActivity,
    VolunteerSignup,
    Vote,
)
from jiceng.portal.residents import resident
from jiceng.portal.text import mask_personal_data

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

# Staff who run the portal's community side for their jurisdiction.
PORTAL_STAFF = (Role.ADMIN, Role.LEADER, Role.VILLAGE_CADRE, Role.DISPATCHER, Role.COUNTY_CENTER)
CHECK_IN_EARLY = timedelta(hours=1)


class AlreadyVoted(DomainError):
    status = 409
    code = "already_voted"
    default_message = gettext_lazy("You have already voted on this topic.")


class ActivityFull(DomainError):
    status = 409
    code = "activity_full"
    default_message = gettext_lazy("The activity is full.")


def _staff(actor: User | AnonymousUser | None) -> User:
    return require_role(actor, *PORTAL_STAFF)


def _text(value: str, field: str, max_length: int) -> str:
    value = (value or "").strip()
    if not value:
        raise field_error(field, _("This field is required."), "required")
    if len(value) > max_length:
        raise field_error(field, _("Too long."), "too_long")
    return value


def _region(staff: User, code: str, field: str = "region") -> Region:
    try:
        return get_in_scope(Region.objects.filter(is_active=True), staff, code=code)
    except NotFound as exc:
        raise field_error(
            field, _("Unknown region, or outside your jurisdiction."), "invalid_region"
        ) from exc


def _profile(user: User) -> ResidentProfile:
    profile = ResidentProfile.objects.filter(user=user).first()
    if profile is None:
        raise PermissionDenied(_("Choose your community first."))
    return profile


def residents_under(region: Region) -> Any:
    """Active residents whose community lies in ``region``'s subtree."""
    return User.objects.filter(
        is_active=True, resident_profile__region_code__startswith=region.scope_prefix
    ).order_by("pk")


def _push(region: Region, kind: str, title: str, body: str = "") -> int:
    """An in-app notification to every resident of the region, in the caller's transaction."""
    users = list(residents_under(region))
    return notify(users, kind, title, body)


# --- notices ------------------------------------------------------------------------------------------


@transaction.atomic
def publish_notice(
    actor: User | AnonymousUser | None,
    *,
    title: str,
    body: str,
    region_code: str,
    kind: str = NoticeKind.NOTICE,
    now: datetime | None = None,
) -> Notice:
    """A notice for the residents of one region (and everything below it); they are notified."""
    staff = _staff(actor)
    if kind not in NoticeKind.values:
        raise field_error("kind", _("Unknown kind."), "invalid_kind")
    region = _region(staff, region_code)
    notice = Notice.objects.create(
        kind=kind,
        title=_text(title, "title", 200),
        body=_text(body, "body", 20000),
        region=region,
        region_code=region.code,
        state=PublishState.PUBLISHED,
        published_at=now or timezone.now(),
        created_by=staff,
    )
    record("portal.notice.publish", actor=staff, obj=notice, changes={"region": region.code, "kind": kind})
    _push(region, "notice", notice.title)
    return notice


@transaction.atomic
def withdraw_notice(
    actor: User | AnonymousUser | None, notice_id: int, *, version: int | None = None
) -> Notice:
    staff = _staff(actor)
    notice = get_in_scope(Notice, staff, pk=notice_id)
    update_versioned(notice, version, {"state": PublishState.WITHDRAWN})
    record("portal.notice.withdraw", actor=staff, obj=notice)
    return notice


def mark_notice_read(
    actor: User | AnonymousUser | None, notice: Notice, *, now: datetime | None = None
) -> bool:
    """A read receipt, once per resident; True the first time."""
    user = resident(actor)
    try:
        with transaction.atomic():
            NoticeRead.objects.create(notice=notice, user=user, read_at=now or timezone.now())
    except IntegrityError:
        return False
    return True


# --- opinions -----------------------------------------------------------------------------------------


@transaction.atomic
def submit_opinion(
    actor: User | AnonymousUser | None, *, title: str, body: str, public: bool = True
) -> Opinion:
    user = resident(actor)
    profile = _profile(user)
    opinion = Opinion.objects.create(
        author=user,
        region_code=profile.region_code,
        title=_text(title, "title", 200),
        body=_text(body, "body", 5000),
        public=public,
    )
    record("portal.opinion.submit", actor=user, obj=opinion, changes={"public": public})
    return opinion


@transaction.atomic
def reply_opinion(
    actor: User | AnonymousUser | None, opinion_id: int, *, reply: str, version: int | None = None
) -> Opinion:
    """A public reply from staff, in the name of their unit."""
    staff = _staff(actor)
    opinion = get_in_scope(Opinion, staff, pk=opinion_id)
    if opinion.state == OpinionState.HIDDEN:
        raise field_error("reply", _("A hidden opinion cannot be replied to."), "opinion_hidden")
    update_versioned(
        opinion,
        version,
        {
            "reply": _text(reply, "reply", 5000),
            "state": OpinionState.REPLIED,
            "replied_by": staff,
            "replied_unit": staff.unit.name if staff.unit else "",
            "replied_at": timezone.now(),
        },
    )
    record("portal.opinion.reply", actor=staff, obj=opinion)
    notify(User.objects.filter(pk=opinion.author_id, is_active=True), "opinion_reply", opinion.title)
    return opinion


@transaction.atomic
def hide_opinion(
    actor: User | AnonymousUser | None, opinion_id: int, *, version: int | None = None
) -> Opinion:
    staff = _staff(actor)
    opinion = get_in_scope(Opinion, staff, pk=opinion_id)
    update_versioned(opinion, version, {"state": OpinionState.HIDDEN})
    record("portal.opinion.hide", actor=staff, obj=opinion)
    return opinion


# --- consultations ------------------------------------------------------------------------------------


@transaction.atomic
def open_consultation(
    actor: User | AnonymousUser | None,
    *,
    title: str,
    body: str,
    region_code: str,
    options: list[str],
    closes_at: datetime,
    now: datetime | None = None,
) -> Consultation:
    """A topic for one village or community, with two or more options to vote on."""
    staff = _staff(actor)
    region = _region(staff, region_code)
    if region.level != RegionLevel.VILLAGE:
        raise field_error(
            "region", _("A consultation is held in one village or community."), "invalid_region"
        )
    labels = list(dict.fromkeys(o.strip()[:100] for o in options if o.strip()))
    if len(labels) < 2:
        raise field_error("options", _("Give at least two options."), "too_few_options")
    if closes_at <= (now or timezone.now()):
        raise field_error("closes_at", _("The closing time must be in the future."), "invalid_time")
    consultation = Consultation.objects.create(
        title=_text(title, "title", 200),
        body=_text(body, "body", 20000),
        region=region,
        region_code=region.code,
        closes_at=closes_at,
        created_by=staff,
    )
    ConsultationOption.objects.bulk_create(
        ConsultationOption(consultation=consultation, label=label, sort=i) for i, label in enumerate(labels)
    )
    record("portal.consultation.open", actor=staff, obj=consultation, changes={"region": region.code})
    _push(region, "consultation", consultation.title)
    return consultation


def _in_community(user: User, consultation: Consultation) -> ResidentProfile:
    profile = _profile(user)
    if not profile.region_code.startswith(consultation.region_code):
        raise NotFound()
    return profile


def cast_vote(
    actor: User | AnonymousUser | None, consultation_id: int, option_id: int, *, now: datetime | None = None
) -> Vote:
    """One vote per verified resident of the community; a second one is refused."""
    user = resident(actor)
    now = now or timezone.now()
    with transaction.atomic():
        consultation = Consultation.objects.filter(pk=consultation_id).first()
        if consultation is None:
            raise NotFound()
        profile = _in_community(user, consultation)
        if not profile.is_verified:
            raise PermissionDenied(_("Only residents with a verified real name can vote."))
        if consultation.state != ConsultationState.OPEN or consultation.closes_at <= now:
            raise field_error("option", _("Voting on this topic has closed."), "voting_closed")
        option = ConsultationOption.objects.filter(pk=option_id, consultation=consultation).first()
        if option is None:
            raise field_error("option", _("Choose one of the options."), "invalid_option")
        try:
            with transaction.atomic():
                vote = Vote.objects.create(consultation=consultation, option=option, user=user, cast_at=now)
        except IntegrityError as exc:
            raise AlreadyVoted() from exc
        record("portal.consultation.vote", actor=user, obj=consultation)
    return vote


@transaction.atomic
def add_comment(actor: User | AnonymousUser | None, consultation_id: int, *, body: str) -> Comment:
    """A contribution to the discussion: residents of the community, or staff covering it."""
    if actor is not None and actor.is_authenticated and actor.unit_id is not None:
        staff = _staff(actor)
        consultation = get_in_scope(Consultation, staff, pk=consultation_id)
        author = staff
    else:
        author = resident(actor)
        found = Consultation.objects.filter(pk=consultation_id).first()
        if found is None:
            raise NotFound()
        _in_community(author, found)
        consultation = found
    if consultation.state != ConsultationState.OPEN:
        raise field_error("body", _("The discussion has closed."), "discussion_closed")
    comment = Comment.objects.create(
        consultation=consultation, author=author, body=mask_personal_data(_text(body, "body", 2000))
    )
    record("portal.consultation.comment", actor=author, obj=comment)
    return comment


@transaction.atomic
def hide_comment(actor: User | AnonymousUser | None, comment_id: int) -> Comment:
    staff = _staff(actor)
    comment = Comment.objects.select_related("consultation").filter(pk=comment_id).first()
    if comment is None:
        raise NotFound()
    get_in_scope(Consultation, staff, pk=comment.consultation_id)
    Comment.objects.filter(pk=comment.pk).update(hidden=True)
    comment.hidden = True
    record("portal.consultation.comment_hide", actor=staff, obj=comment)
    return comment


@transaction.atomic
def close_consultation(
    actor: User | AnonymousUser | None, consultation_id: int, *, version: int | None = None
) -> Consultation:
    staff = _staff(actor)
    consultation = get_in_scope(Consultation, staff, pk=consultation_id)
    if consultation.state != ConsultationState.OPEN:
        raise Conflict(_("The consultation is not open."))
    update_versioned(consultation, version, {"state": ConsultationState.CLOSED})
    record("portal.consultation.close", actor=staff, obj=consultation)
    return consultation


@transaction.atomic
def publish_result(
    actor: User | AnonymousUser | None, consultation_id: int, *, result: str, version: int | None = None
) -> Consultation:
    """Publish the outcome; the vote counts are shown beside it from then on."""
    staff = _staff(actor)
    consultation = get_in_scope(Consultation.objects.select_related("region"), staff, pk=consultation_id)
    if consultation.state == ConsultationState.OPEN:
        raise field_error("result", _("Close the voting first."), "still_open")
    update_versioned(
        consultation,
        version,
        {"state": ConsultationState.PUBLISHED, "result": _text(result, "result", 20000)},
    )
    record("portal.consultation.publish", actor=staff, obj=consultation)
    _push(consultation.region, "consultation_result", consultation.title)
    return consultation


# --- volunteers ---------------------------------------------------------------------------------------


@transaction.atomic
def create_activity(
    actor: User | AnonymousUser | None,
    *,
    title: str,
    body: str = "",
    place: str,
    region_code: str,
    starts_at: datetime,
    ends_at: datetime,
    capacity: int,
    hours: Decimal | float | str,
) -> VolunteerActivity:
    staff = _staff(actor)
    region = _region(staff, region_code)
    if ends_at <= starts_at:
        raise field_error("ends_at", _("The end must be after the start."), "invalid_time")
    if not 1 <= int(capacity) <= 10000:
        raise field_error("capacity", _("Between 1 and 10000 places."), "invalid_capacity")
    credit = Decimal(str(hours))
    if not Decimal("0") < credit <= Decimal("24"):
        raise field_error("hours", _("Between 0.5 and 24 hours."), "invalid_hours")
    activity = VolunteerActivity.objects.create(
        title=_text(title, "title", 200),
        body=body.strip(),
        place=_text(place, "place", 200),
        region=region,
        region_code=region.code,
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=int(capacity),
        hours=credit,
        created_by=staff,
    )
    record("portal.volunteer.create", actor=staff, obj=activity, changes={"region": region.code})
    return activity


def _activity_for(user: User, activity_id: int) -> VolunteerActivity:
    """An activity whose region covers the resident's community (a township's activity is for all its
    villages), locked for the sign-up count."""
    profile = _profile(user)
    activity = (
        VolunteerActivity.objects.select_for_update(of=("self",))
        .select_related("region")
        .filter(pk=activity_id)
        .first()
    )
    if activity is None or not profile.region_code.startswith(activity.region.scope_prefix):
        raise NotFound()
    return activity


def sign_up_for_activity(
    actor: User | AnonymousUser | None, activity_id: int, *, now: datetime | None = None
) -> VolunteerSignup:
    user = resident(actor)
    now = now or timezone.now()
    with transaction.atomic():
        activity = _activity_for(user, activity_id)
        if activity.cancelled_at is not None or activity.ends_at <= now:
            raise field_error("activity", _("Sign-up for this activity has closed."), "signup_closed")
        existing = VolunteerSignup.objects.filter(activity=activity, user=user).first()
        if existing is not None:
            return existing
        if VolunteerSignup.objects.filter(activity=activity).count() >= activity.capacity:
            raise ActivityFull()
        signup = VolunteerSignup.objects.create(activity=activity, user=user, signed_up_at=now)
        record("portal.volunteer.sign_up", actor=user, obj=activity)
    return signup


@transaction.atomic
def check_in(
    actor: User | AnonymousUser | None, activity_id: int, *, now: datetime | None = None
) -> VolunteerSignup:
    """The volunteer checks in on the day: from an hour before the start until the end."""
    user = resident(actor)
    now = now or timezone.now()
    activity = _activity_for(user, activity_id)
    signup = VolunteerSignup.objects.filter(activity=activity, user=user).first()
    if signup is None:
        raise field_error("activity", _("Sign up first."), "not_signed_up")
    if not activity.starts_at - CHECK_IN_EARLY <= now <= activity.ends_at:
        raise field_error("activity", _("Check-in is open during the activity only."), "check_in_closed")
    if signup.checked_in_at is None:
        VolunteerSignup.objects.filter(pk=signup.pk).update(checked_in_at=now)
        signup.checked_in_at = now
        record("portal.volunteer.check_in", actor=user, obj=activity)
    return signup


@transaction.atomic
def credit_hours(actor: User | AnonymousUser | None, activity_id: int) -> int:
    """After the activity: every volunteer who checked in gets the activity's hours. Idempotent."""
    staff = _staff(actor)
    activity = get_in_scope(VolunteerActivity, staff, pk=activity_id)
    if activity.ends_at > timezone.now():
        raise field_error("activity", _("Hours are credited after the activity."), "not_finished")
    count = VolunteerSignup.objects.filter(
        activity=activity, checked_in_at__isnull=False, hours__isnull=True
    ).update(hours=activity.hours)
    record("portal.volunteer.credit", actor=staff, obj=activity, changes={"volunteers": count})
    return count


# --- learning corner ----------------------------------------------------------------------------------


@transaction.atomic
def publish_article(
    actor: User | AnonymousUser | None,
    *,
    kind: str,
    title: str,
    body: str,
    region_code: str,
    now: datetime | None = None,
) -> Article:
    """An article or short course; an anti-fraud alert is also pushed to every resident of the region."""
    staff = _staff(actor)
    if kind not in ArticleKind.values:
        raise field_error("kind", _("Unknown kind."), "invalid_kind")
    region = _region(staff, region_code)
    article = Article.objects.create(
        kind=kind,
        title=_text(title, "title", 200),
        body=_text(body, "body", 50000),
        region=region,
        region_code=region.code,
        published_at=now or timezone.now(),
        created_by=staff,
    )
    record("portal.article.publish", actor=staff, obj=article, changes={"kind": kind, "region": region.code})
    if kind == ArticleKind.ANTI_FRAUD:
        _push(region, "anti_fraud", article.title)
    return article


# --- community feed -----------------------------------------------------------------------------------


@transaction.atomic
def publish_report(
    actor: User | AnonymousUser | None,
    event_id: int,
    *,
    title: str = "",
    description: str = "",
    now: datetime | None = None,
) -> PublicReport:
    """Approve an event for the community feed; ID numbers and phones in the text are masked."""
    staff = _staff(actor)
    event = event_queries.event(staff, event_id)
    text_title = mask_personal_data(_text(title or event.title, "title", 200))
    text = mask_personal_data((description if description else event.description).strip())[:5000]
    public, _created = PublicReport.objects.update_or_create(
        event=event,
        defaults={
            "region_code": event.region_code,
            "title": text_title,
            "description": text,
            "approved_by": staff,
            "approved_at": now or timezone.now(),
            "hidden_at": None,
        },
    )
    record("portal.feed.publish", actor=staff, obj=event)
    return public


@transaction.atomic
def hide_report(
    actor: User | AnonymousUser | None, event_id: int, *, now: datetime | None = None
) -> PublicReport:
    staff = _staff(actor)
    public = get_in_scope(PublicReport, staff, event_id=event_id)
    PublicReport.objects.filter(pk=public.pk).update(hidden_at=now or timezone.now())
    record("portal.feed.hide", actor=staff, obj=public.event)
    return public
