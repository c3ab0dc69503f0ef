"""Staff pages of the portal: notices with read statistics, opinions and replies, consultations,
volunteer activities, the learning corner, feed moderation and Open311 API keys — all within the
user's jurisdiction (reads through ``queries``, writes through ``actions``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from jiceng.accounts.permissions import require_role
from jiceng.accounts.roles import Role
from jiceng.core.errors import DomainError
from jiceng.core.scope import scoped
from jiceng.org.models import Region, RegionLevel
from jiceng.portal import actions, queries
from jiceng.portal.forms import (
    ActivityForm,
    ApiClientForm,
    ArticleForm,
    ConsultationForm,
    NoticeForm,
    ReplyForm,
    ResultForm,
)
from jiceng.portal.models import ApiClient, ConsultationState
from jiceng.portal.open311 import actions as open311_actions
from jiceng.web.forms import run_action

if TYPE_CHECKING:
    from jiceng.accounts.models import User

PAGE_SIZE = 30


def _staff(request: HttpRequest) -> User:
    return require_role(request.user, *actions.PORTAL_STAFF)


def _regions(user: User, levels: tuple[str, ...] | None = None) -> list[tuple[str, str]]:
    qs = scoped(Region.objects.filter(is_active=True), user).exclude(
        level__in=[RegionLevel.GRID, RegionLevel.MICROGRID]
    )
    if levels:
        qs = qs.filter(level__in=levels)
    return [(r.code, r.name) for r in qs.order_by("code")[:500]]


def _done(request: HttpRequest, message: str, name: str, **kwargs: int) -> HttpResponse:
    messages.success(request, message)
    return redirect(reverse(name, kwargs=kwargs or None))


@login_required
def staff_home(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    return render(
        request,
        "portal/staff/home.html",
        {
            "notices": queries.staff_notices(user).count(),
            "waiting": queries.staff_opinions(user, "submitted").count(),
            "open_topics": queries.staff_consultations(user).filter(state=ConsultationState.OPEN).count(),
            "activities": queries.staff_activities(user).count(),
            "is_admin": user.is_superuser or user.has_role(Role.ADMIN),
        },
    )


# --- notices ------------------------------------------------------------------------------------------


@login_required
def staff_notices(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    form = NoticeForm(request.POST or None, regions=_regions(user))
    if (
        request.method == "POST"
        and form.is_valid()
        and run_action(form, actions.publish_notice, user, **form.cleaned_data) is not None
    ):
        return _done(request, _("Published; the residents have been notified."), "portal:staff_notices")
    page = Paginator(queries.staff_notices(user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "portal/staff/notices.html", {"page": page, "form": form})


@login_required
def staff_notice(request: HttpRequest, notice_id: int) -> HttpResponse:
    user = _staff(request)
    notice = queries.staff_notice(user, notice_id)
    if request.method == "POST":
        try:
            actions.withdraw_notice(user, notice.pk, version=int(request.POST.get("version") or 0))
            return _done(request, _("Withdrawn."), "portal:staff_notice", notice_id=notice.pk)
        except DomainError as exc:
            messages.error(request, str(exc.message))
    return render(
        request, "portal/staff/notice.html", {"notice": notice, "stats": queries.read_stats(notice)}
    )


# --- opinions -----------------------------------------------------------------------------------------


@login_required
def staff_opinions(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    state = request.GET.get("state", "submitted")
    page = Paginator(queries.staff_opinions(user, state).order_by("-id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "portal/staff/opinions.html", {"page": page, "state": state})


@login_required
def staff_opinion(request: HttpRequest, opinion_id: int) -> HttpResponse:
    user = _staff(request)
    opinion = queries.staff_opinion(user, opinion_id)
    form = ReplyForm(
        request.POST if request.POST.get("do") == "reply" else None, initial={"version": opinion.version}
    )
    if request.method == "POST":
        if request.POST.get("do") == "hide":
            actions.hide_opinion(user, opinion.pk)
            return _done(request, _("Hidden from residents."), "portal:staff_opinions")
        if form.is_valid():
            done = run_action(
                form,
                actions.reply_opinion,
                user,
                opinion.pk,
                reply=form.cleaned_data["reply"],
                version=form.cleaned_data["version"],
            )
            if done is not None:
                return _done(request, _("Reply published."), "portal:staff_opinion", opinion_id=opinion.pk)
    return render(request, "portal/staff/opinion.html", {"opinion": opinion, "form": form})


# --- consultations ------------------------------------------------------------------------------------


@login_required
def staff_consultations(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    form = ConsultationForm(request.POST or None, regions=_regions(user, (RegionLevel.VILLAGE,)))
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        done = run_action(
            form,
            actions.open_consultation,
            user,
            title=d["title"],
            body=d["body"],
            region_code=d["region_code"],
            options=d["options"].splitlines(),
            closes_at=d["closes_at"],
        )
        if done is not None:
            return _done(
                request, _("The consultation is open."), "portal:staff_consultation", consultation_id=done.pk
            )
    items = queries.staff_consultations(user).order_by("-id")[:100]
    return render(request, "portal/staff/consultations.html", {"items": items, "form": form})


@login_required
def staff_consultation(request: HttpRequest, consultation_id: int) -> HttpResponse:
    user = _staff(request)
    topic = queries.staff_consultation(user, consultation_id)
    form = ResultForm(request.POST if request.POST.get("do") == "publish" else None)
    if request.method == "POST":
        do = request.POST.get("do")
        try:
            if do == "close":
                actions.close_consultation(user, topic.pk)
                return _done(
                    request, _("Voting closed."), "portal:staff_consultation", consultation_id=topic.pk
                )
            if do == "hide_comment":
                actions.hide_comment(user, int(request.POST.get("comment") or 0))
                return _done(
                    request,
                    _("Hidden from residents."),
                    "portal:staff_consultation",
                    consultation_id=topic.pk,
                )
            if (
                do == "publish"
                and form.is_valid()
                and run_action(form, actions.publish_result, user, topic.pk, **form.cleaned_data) is not None
            ):
                return _done(
                    request, _("Result published."), "portal:staff_consultation", consultation_id=topic.pk
                )
        except (DomainError, ValueError) as exc:
            messages.error(request, str(getattr(exc, "message", exc)))
    return render(
        request,
        "portal/staff/consultation.html",
        {
            "topic": topic,
            "tally": queries.tally(topic),
            "comments": queries.discussion(topic, include_hidden=True),
            "form": form,
        },
    )


# --- volunteers ---------------------------------------------------------------------------------------


@login_required
def staff_activities(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    form = ActivityForm(request.POST or None, regions=_regions(user))
    if request.method == "POST" and form.is_valid():
        done = run_action(form, actions.create_activity, user, **form.cleaned_data)
        if done is not None:
            return _done(request, _("Activity published."), "portal:staff_activity", activity_id=done.pk)
    items = queries.staff_activities(user).order_by("-starts_at")[:100]
    return render(request, "portal/staff/activities.html", {"items": items, "form": form})


@login_required
def staff_activity(request: HttpRequest, activity_id: int) -> HttpResponse:
    user = _staff(request)
    activity = queries.staff_activity(user, activity_id)
    if request.method == "POST":
        try:
            count = actions.credit_hours(user, activity.pk)
            return _done(
                request,
                _("Hours credited to %(n)d volunteers.") % {"n": count},
                "portal:staff_activity",
                activity_id=activity.pk,
            )
        except DomainError as exc:
            messages.error(request, str(exc.message))
    signups = activity.signups.select_related("user").order_by("signed_up_at")
    return render(request, "portal/staff/activity.html", {"activity": activity, "signups": signups})


# --- learning corner and feed -------------------------------------------------------------------------


@login_required
def staff_articles(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    form = ArticleForm(request.POST or None, regions=_regions(user))
    if (
        request.method == "POST"
        and form.is_valid()
        and run_action(form, actions.publish_article, user, **form.cleaned_data) is not None
    ):
        return _done(request, _("Published."), "portal:staff_articles")
    items = queries.staff_articles(user).order_by("-published_at")[:100]
    return render(request, "portal/staff/articles.html", {"items": items, "form": form})


@login_required
def staff_feed(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    if request.method == "POST":
        try:
            event_id = int(request.POST.get("event") or 0)
            if request.POST.get("do") == "hide":
                actions.hide_report(user, event_id)
            else:
                actions.publish_report(user, event_id)
            return _done(request, _("Community feed updated."), "portal:staff_feed")
        except (DomainError, ValueError) as exc:
            messages.error(request, str(getattr(exc, "message", exc)))
    page = Paginator(queries.staff_feed_candidates(user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "portal/staff/feed.html", {"page": page})


# --- Open311 API keys ---------------------------------------------------------------------------------


@login_required
def staff_api_clients(request: HttpRequest) -> HttpResponse:
    user = require_role(request.user, Role.ADMIN)
    counties = _regions(user, (RegionLevel.COUNTY,))
    form = ApiClientForm(request.POST if request.POST.get("do") == "issue" else None, counties=counties)
    new_key = ""
    if request.method == "POST":
        if request.POST.get("do") == "revoke":
            try:
                open311_actions.revoke_client(user, int(request.POST.get("client") or 0))
                return _done(request, _("The key is revoked."), "portal:staff_api_clients")
            except (DomainError, ValueError) as exc:
                messages.error(request, str(getattr(exc, "message", exc)))
        elif form.is_valid():
            issued = run_action(form, open311_actions.issue_client, user, **form.cleaned_data)
            if issued is not None:
                new_key = issued[1]
                form = ApiClientForm(counties=counties)
    clients = scoped(ApiClient.objects.select_related("jurisdiction"), user)
    return render(
        request, "portal/staff/api_clients.html", {"clients": clients, "form": form, "new_key": new_key}
    )
