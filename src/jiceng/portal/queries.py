"""Scoped reads of the portal. Residents see what is addressed to their community (and the regions above
it) plus their own things; staff see what lies in their jurisdiction (``core.scope``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy

from jiceng.core.errors import NotFound
from jiceng.core.scope import get_in_scope, scoped
from jiceng.events.models import Event, EventFlow, EventState
from jiceng.org.models import Region
from jiceng.portal.actions import residents_under
from jiceng.portal.models import (
    Article,
    Comment,
    Consultation,
    ConsultationState,
    Notice,
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
from jiceng.portal.text import mask_personal_data

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from jiceng.accounts.models import User


def profile(user: User | AnonymousUser) -> ResidentProfile | None:
    if not user.is_authenticated:
        return None
    return ResidentProfile.objects.select_related("region").filter(user=user).first()


def region_chain(region: Region) -> list[int]:
    """The region and every region above it (what may address this community)."""
    ids = [region.pk]
    parent_id = region.parent_id
    while parent_id is not None:
        ids.append(parent_id)
        parent_id = Region.objects.filter(pk=parent_id).values_list("parent_id", flat=True).first()
    return ids


def _chain(user: User | AnonymousUser) -> list[int]:
    found = profile(user)
    return region_chain(found.region) if found else []


# --- notices ------------------------------------------------------------------------------------------


def notices_for(user: User | AnonymousUser) -> QuerySet[Notice]:
    """Published notices for the resident's community, with ``is_read`` for this resident."""
    return (
        Notice.objects.filter(state=PublishState.PUBLISHED, region_id__in=_chain(user))
        .select_related("region")
        .annotate(is_read=Count("reads", filter=Q(reads__user_id=user.pk or 0)))
        .order_by("-published_at", "-id")
    )


def notice_for(user: User | AnonymousUser, notice_id: int) -> Notice:
    found = notices_for(user).filter(pk=notice_id).first()
    if found is None:
        raise NotFound()
    return found


def unread_notices(user: User | AnonymousUser) -> int:
    return notices_for(user).exclude(reads__user_id=user.pk or 0).count()


def staff_notices(user: User | AnonymousUser) -> QuerySet[Notice]:
    return (
        scoped(Notice.objects.select_related("region", "created_by"), user)
        .annotate(read_count=Count("reads"))
        .order_by("-published_at", "-id")
    )


@dataclass
class ReadStats:
    audience: int
    read: int

    @property
    def percent(self) -> int:
        return round(100 * self.read / self.audience) if self.audience else 0


def read_stats(notice: Notice) -> ReadStats:
    audience = residents_under(notice.region)
    return ReadStats(
        audience=audience.count(),
        read=NoticeRead.objects.filter(notice=notice, user__in=audience).count(),
    )


def staff_notice(user: User | AnonymousUser, notice_id: int) -> Notice:
    return get_in_scope(Notice.objects.select_related("region"), user, pk=notice_id)


# --- opinions -----------------------------------------------------------------------------------------


def community_opinions(user: User | AnonymousUser) -> QuerySet[Opinion]:
    """Public opinions of the resident's community, and the resident's own."""
    found = profile(user)
    if found is None:
        return Opinion.objects.none()
    public = Q(region_code=found.region_code, public=True) & ~Q(state=OpinionState.HIDDEN)
    return Opinion.objects.filter(public | Q(author_id=user.pk)).order_by("-id")


def staff_opinions(user: User | AnonymousUser, state: str = "") -> QuerySet[Opinion]:
    qs = scoped(Opinion.objects.select_related("author"), user)
    return qs.filter(state=state) if state else qs


def staff_opinion(user: User | AnonymousUser, opinion_id: int) -> Opinion:
    return get_in_scope(Opinion, user, pk=opinion_id)


# --- consultations ------------------------------------------------------------------------------------


def consultations_for(user: User | AnonymousUser) -> QuerySet[Consultation]:
    return Consultation.objects.filter(region_id__in=_chain(user)).order_by("-id")


def consultation_for(user: User | AnonymousUser, consultation_id: int) -> Consultation:
    found = consultations_for(user).filter(pk=consultation_id).first()
    if found is None:
        raise NotFound()
    return found


def staff_consultations(user: User | AnonymousUser) -> QuerySet[Consultation]:
    return scoped(Consultation.objects.select_related("region"), user).annotate(vote_count=Count("votes"))


def staff_consultation(user: User | AnonymousUser, consultation_id: int) -> Consultation:
    return get_in_scope(Consultation.objects.select_related("region"), user, pk=consultation_id)


def tally(consultation: Consultation) -> list[tuple[Any, int]]:
    """(option, votes) in the options' order."""
    counts = dict(
        Vote.objects.filter(consultation=consultation).values_list("option_id").annotate(n=Count("id"))
    )
    return [(o, counts.get(o.pk, 0)) for o in consultation.options.all()]


def results_visible(consultation: Consultation) -> bool:
    return consultation.state == ConsultationState.PUBLISHED


def my_vote(user: User | AnonymousUser, consultation: Consultation) -> Vote | None:
    return (
        Vote.objects.filter(consultation=consultation, user_id=user.pk or 0).select_related("option").first()
    )


def discussion(consultation: Consultation, *, include_hidden: bool = False) -> QuerySet[Comment]:
    qs = Comment.objects.filter(consultation=consultation).select_related("author")
    return qs if include_hidden else qs.filter(hidden=False)


# --- volunteers and learning --------------------------------------------------------------------------


def activities_for(user: User | AnonymousUser) -> QuerySet[VolunteerActivity]:
    return (
        VolunteerActivity.objects.filter(region_id__in=_chain(user), cancelled_at__isnull=True)
        .annotate(signed_up=Count("signups"))
        .order_by("-starts_at")
    )


def activity_for(user: User | AnonymousUser, activity_id: int) -> VolunteerActivity:
    found = activities_for(user).filter(pk=activity_id).first()
    if found is None:
        raise NotFound()
    return found


def my_signup(user: User | AnonymousUser, activity: VolunteerActivity) -> VolunteerSignup | None:
    return VolunteerSignup.objects.filter(activity=activity, user_id=user.pk or 0).first()


def my_hours(user: User | AnonymousUser) -> Any:
    return VolunteerSignup.objects.filter(user_id=user.pk or 0).aggregate(total=Sum("hours"))["total"] or 0


def staff_activities(user: User | AnonymousUser) -> QuerySet[VolunteerActivity]:
    return scoped(VolunteerActivity.objects.select_related("region"), user).annotate(
        signed_up=Count("signups"),
        checked_in=Count("signups", filter=Q(signups__checked_in_at__isnull=False)),
    )


def staff_activity(user: User | AnonymousUser, activity_id: int) -> VolunteerActivity:
    return get_in_scope(VolunteerActivity.objects.select_related("region"), user, pk=activity_id)


def articles_for(user: User | AnonymousUser, kind: str = "") -> QuerySet[Article]:
    qs = Article.objects.filter(region_id__in=_chain(user), published_at__lte=timezone.now())
    return qs.filter(kind=kind) if kind else qs


def article_for(user: User | AnonymousUser, article_id: int) -> Article:
    found = articles_for(user).filter(pk=article_id).first()
    if found is None:
        raise NotFound()
    return found


def staff_articles(user: User | AnonymousUser) -> QuerySet[Article]:
    return scoped(Article.objects.select_related("region"), user)


# --- reports and feed ---------------------------------------------------------------------------------


def my_reports(user: User | AnonymousUser) -> QuerySet[Event]:
    if not user.is_authenticated:
        return Event.objects.none()
    return Event.objects.filter(reporter_id=user.pk).select_related("category").order_by("-id")


def my_report(user: User | AnonymousUser, event_id: int) -> Event:
    found = my_reports(user).filter(pk=event_id).first()
    if found is None:
        raise NotFound()
    return found


# What a resident sees of the flow of their own report: the steps, never who took them; the words of the
# steps that answer the resident (the result, a verification, why it is reworked or refused), with ID and
# phone numbers masked. Internal steps (return, progress, extension, supervision) and their words stay out.
# Each step with the resident's words for it.
RESIDENT_STEPS = {
    "report": gettext_lazy("Reported"),
    "accept": gettext_lazy("Accepted"),
    "dispatch": gettext_lazy("Sent to the responsible unit"),
    "sign": gettext_lazy("Taken on by the unit"),
    "handle": gettext_lazy("Handled"),
    "verify_pass": gettext_lazy("Checked and closed"),
    "verify_fail": gettext_lazy("Being handled again"),
    "reject": gettext_lazy("Not accepted"),
    "merge": gettext_lazy("Merged with the same report"),
    "evaluate": gettext_lazy("You rated it"),
    "reopen": gettext_lazy("Reopened"),
    "escalate": gettext_lazy("Passed up a level"),
}
RESIDENT_NOTES = frozenset({"handle", "verify_pass", "verify_fail", "reject"})


@dataclass(frozen=True)
class ProgressStep:
    at: datetime
    action: str
    state: str
    note: str  # the staff's words for the resident, masked; "" when none or not for residents

    @property
    def label(self) -> str:
        return str(RESIDENT_STEPS[self.action])


def report_progress(event: Event) -> list[ProgressStep]:
    """The resident's view of their report's flow, oldest first (``event`` comes from ``my_report``)."""
    flows = (
        EventFlow.objects.filter(event_id=event.pk, action__in=RESIDENT_STEPS)
        .only("at", "action", "to_state", "comment")  # never the actor or the unit
        .order_by("id")
    )
    return [
        ProgressStep(
            at=f.at,
            action=f.action,
            state=f.to_state,
            note=mask_personal_data(f.comment.strip()) if f.action in RESIDENT_NOTES else "",
        )
        for f in flows
    ]


def handling_result(event: Event, steps: list[ProgressStep]) -> str:
    """What was done, in the handler's words: the latest result, once the report is handled or closed."""
    if event.state not in (EventState.HANDLED, EventState.CLOSED):
        return ""
    return next((s.note for s in reversed(steps) if s.action == "handle" and s.note), "")


def feed_for(user: User | AnonymousUser) -> QuerySet[PublicReport]:
    """Moderated reports of the resident's community."""
    found = profile(user)
    if found is None:
        return PublicReport.objects.none()
    return (
        PublicReport.objects.filter(hidden_at__isnull=True, region_code__startswith=found.region_code)
        .select_related("event", "event__category")
        .order_by("-approved_at")
    )


def staff_feed_candidates(user: User | AnonymousUser) -> QuerySet[Event]:
    """Resident reports in the jurisdiction, newest first, with their feed status."""
    from jiceng.events.models import Source

    return (
        scoped(Event.objects.select_related("category", "public_report"), user)
        .filter(source=Source.RESIDENT)
        .order_by("-id")
    )
