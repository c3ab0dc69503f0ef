"""The residents' phone pages. Thin: parse, call ``residents`` / ``actions`` / ``queries``, render."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth import login, logout
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from jiceng.accounts.roles import Role
from jiceng.core.errors import DomainError, PermissionDenied
from jiceng.events import attachments, page_queries
from jiceng.events.actions import perform, report_event
from jiceng.events.forms import ReportForm, extra_fields_form
from jiceng.events.models import AttachmentStage, Event, EventState
from jiceng.events.schema_form import SchemaForm, extra_field_errors
from jiceng.events.workflow import can
from jiceng.gis import maplibre
from jiceng.org.models import Region
from jiceng.portal import actions, queries, ratelimit, residents
from jiceng.portal.forms import (
    CodeLoginForm,
    CommentForm,
    EraseForm,
    OpinionForm,
    PasswordLoginForm,
    PhoneForm,
    RateForm,
    SignUpForm,
    VerifyForm,
)
from jiceng.portal.models import ArticleKind, ConsentKind
from jiceng.portal.ratelimit import client_ip
from jiceng.web.forms import run_action

if TYPE_CHECKING:
    from jiceng.accounts.models import User

View = Callable[..., HttpResponse]
# Limits per account (per IP for log-in) on the residents' writes.
REPORTS_PER_HOUR = 20
OPINIONS_PER_HOUR = 10
LOGINS_PER_10_MINUTES = 30


def resident_required(view: View) -> View:
    """Logged-in residents only; others go to the resident log-in page (staff get 403)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return redirect(f"{_url('portal:login')}?next={request.path}")
        if not user.has_role(Role.RESIDENT) or user.unit_id is not None:
            raise PermissionDenied(_("This is for residents."))
        return view(request, *args, **kwargs)

    return wrapped


def _url(name: str, **kwargs: Any) -> str:
    from django.urls import reverse

    return reverse(name, kwargs=kwargs or None)


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    return target if target.startswith("/portal/") and "//" not in target else _url("portal:home")


# --- entry, sign-up, log-in ---------------------------------------------------------------------------


def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_authenticated:
        return render(request, "portal/welcome.html")
    if not user.has_role(Role.RESIDENT) or user.unit_id is not None:
        return redirect("portal:staff_home")
    profile = queries.profile(user)
    return render(
        request,
        "portal/home.html",
        {
            "profile": profile,
            "unread": queries.unread_notices(user),
            "open_reports": queries.my_reports(user)
            .exclude(state__in=["closed", "rejected", "merged"])
            .count(),
            "alerts": queries.articles_for(user, ArticleKind.ANTI_FRAUD)[:3],
        },
    )


@require_POST
def send_code(request: HttpRequest) -> HttpResponse:
    """htmx: text a code to the phone in the form; the answer is the same whether it has an account."""
    form = PhoneForm(request.POST)
    purpose = "signup" if request.POST.get("purpose") == "signup" else "login"
    message, ok = "", False
    if form.is_valid():
        try:
            residents.request_code(form.cleaned_data["phone"], purpose, ip=client_ip(request))
            message, ok = _("If the number can receive SMS, a code is on its way."), True
        except DomainError as exc:
            message = str(exc.message)
    else:
        message = _("Enter a valid mobile number.")
    return render(request, "portal/_code_sent.html", {"message": message, "ok": ok})


def log_in(request: HttpRequest) -> HttpResponse:
    method = request.POST.get("method") or request.GET.get("method") or "code"
    bound = request.method == "POST"
    code_form = CodeLoginForm(request.POST if bound and method == "code" else None)
    password_form = PasswordLoginForm(request.POST if bound and method == "password" else None)
    form = code_form if method == "code" else password_form
    if bound and form.is_valid():
        data = form.cleaned_data
        try:
            ratelimit.hit(f"portal:login:{client_ip(request)}", LOGINS_PER_10_MINUTES, 600)
            user = (
                residents.log_in_with_code(data["phone"], data["code"])
                if method == "code"
                else residents.log_in_with_password(data["phone"], data["password"])
            )
        except DomainError as exc:
            form.add_error(None, str(exc.message))
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect(_safe_next(request))
    return render(
        request,
        "portal/login.html",
        {
            "code_form": code_form,
            "password_form": password_form,
            "method": method,
            "next": _safe_next(request),
        },
    )


def sign_up(request: HttpRequest) -> HttpResponse:
    communities = [(r.code, r.name) for r in residents.communities()]
    form = SignUpForm(request.POST or None, communities=communities)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        user = run_action(
            form,
            residents.sign_up,
            phone=d["phone"],
            code=d["code"],
            community=d["community"],
            privacy_version=residents.PRIVACY_VERSION if d["privacy"] else "",
            sensitive_consent=d["sensitive"],
            full_name=d["full_name"],
            password=d["password"],
        )
        if user is not None:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome! Your account is ready."))
            return redirect("portal:home")
    return render(request, "portal/signup.html", {"form": form})


@require_POST
def log_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("portal:home")


def privacy(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "portal/privacy.html",
        {"privacy_version": residents.PRIVACY_VERSION, "sensitive_version": residents.SENSITIVE_VERSION},
    )


# --- my account ---------------------------------------------------------------------------------------


@resident_required
def account(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    verify_form = VerifyForm(request.POST if request.POST.get("form") == "verify" else None)
    erase_form = EraseForm(request.POST if request.POST.get("form") == "erase" else None)
    if request.method == "POST":
        which = request.POST.get("form")
        if which == "verify" and verify_form.is_valid():
            try:
                done = run_action(verify_form, residents.verify_real_name, user, **verify_form.cleaned_data)
            except PermissionDenied as exc:
                verify_form.add_error(None, str(exc.message))
                done = None
            if done is not None:
                messages.success(request, _("Your real name is verified."))
                return redirect("portal:account")
        elif which == "community":
            try:
                residents.change_community(user, request.POST.get("community", ""))
                messages.success(request, _("Your community is saved."))
                return redirect("portal:account")
            except DomainError as exc:
                messages.error(request, str(exc.message))
        elif which == "consent":
            residents.give_consent(user, ConsentKind.SENSITIVE)
            messages.success(request, _("Consent recorded."))
            return redirect("portal:account")
        elif which == "withdraw":
            residents.withdraw_sensitive_consent(user)
            messages.success(request, _("Consent withdrawn; your ID number has been deleted."))
            return redirect("portal:account")
        elif which == "erase" and erase_form.is_valid():
            run_action(erase_form, residents.erase_account, user, **erase_form.cleaned_data)
            if not erase_form.errors:
                logout(request)
                messages.success(request, _("Your account and personal data have been deleted."))
                return redirect("portal:home")
    return render(
        request,
        "portal/account.html",
        {
            "profile": queries.profile(user),
            "consents": residents.current_consents(user),
            "sensitive_ok": residents.has_sensitive_consent(user),
            "verify_form": verify_form,
            "erase_form": erase_form,
            "hours": queries.my_hours(user),
            "communities": residents.communities(),
        },
    )


@resident_required
def export(request: HttpRequest) -> HttpResponse:
    data = residents.export_data(request.user)
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="my-data.json"'
    return response


# --- reports ------------------------------------------------------------------------------------------


def _report(user: User, form: ReportForm, extra: SchemaForm | None, community: str) -> Event:
    """Report and attach the photos in one transaction (a refused photo undoes the report)."""
    kwargs = form.report_kwargs(extra.json_data() if extra is not None else {})
    kwargs.update(on_spot=False, on_spot_result="", region_code=community)
    with extra_field_errors(extra), attachments.atomic_with_files():
        event, created = report_event(user, **kwargs)
        photos = form.cleaned_data["photos"]
        if created and photos:
            attachments.add_attachments(
                user,
                event.pk,
                photos,
                stage=AttachmentStage.BEFORE,
                flow_id=page_queries.flow_id(event, "report"),
            )
    return event


@resident_required
def report(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    profile = queries.profile(user)
    if profile is None:
        messages.info(request, _("Choose your community first."))
        return redirect("portal:account")
    tree = page_queries.category_tree(residents=True)
    bound = request.method == "POST"
    form = ReportForm(request.POST if bound else None, request.FILES if bound else None, tree=tree)
    category = (
        page_queries.leaf_category(str(form.data.get("category", "")), residents=True) if bound else None
    )
    # The category's extra fields, as on the grid worker's form (swapped by htmx when the category changes).
    extra = extra_fields_form(category, request.POST if bound else None)
    if bound and form.is_valid() and (extra is None or extra.is_valid()):
        try:
            ratelimit.hit(f"portal:report:{user.pk}", REPORTS_PER_HOUR, 3600)
            done = run_action(form, _report, user, form, extra, profile.region_code)
        except DomainError as exc:
            form.add_error(None, str(exc.message))
            done = None
        if done is not None:
            messages.success(request, _("Reported. The number is %(ref)s.") % {"ref": done.ref})
            return redirect("portal:my_report", event_id=done.pk)
    if bound and request.FILES and (form.errors or (extra is not None and extra.errors)):
        form.add_error(None, _("Please choose the photos again."))
    return render(
        request,
        "portal/report.html",
        {"form": form, "extra": extra, "tree": tree, "map_config": _pick_map(profile.region)},
    )


@require_GET
@resident_required
def report_fields(request: HttpRequest) -> HttpResponse:
    """The extra fields of one category (htmx swaps them into the report form)."""
    category = page_queries.leaf_category(request.GET.get("category", "")[:20], residents=True)
    return render(request, "events/_extra_fields.html", {"extra": extra_fields_form(category)})


def _bounds(geometry: dict[str, Any] | None) -> list[float] | None:
    points: list[tuple[float, float]] = []

    def walk(value: Any) -> None:
        if (
            isinstance(value, list | tuple)
            and len(value) >= 2
            and all(isinstance(v, int | float) for v in value[:2])
        ):
            points.append((float(value[0]), float(value[1])))
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item)

    walk((geometry or {}).get("coordinates"))
    if not points:
        return None
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return [min(xs), min(ys), max(xs), max(ys)]


def _pick_map(region: Region) -> dict[str, Any]:
    """What the report page's map needs: the base map, and the community to start from."""
    center = [region.center_lng, region.center_lat] if region.center_lng and region.center_lat else None
    return {
        **maplibre.base_config(),
        "center": center,
        "bounds": _bounds(region.boundary),
        "boundary": region.boundary,
    }


@resident_required
def my_reports(request: HttpRequest) -> HttpResponse:
    page = Paginator(queries.my_reports(request.user), 20).get_page(request.GET.get("page"))
    return render(request, "portal/my_reports.html", {"page": page})


@resident_required
def my_report(request: HttpRequest, event_id: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    event = queries.my_report(user, event_id)
    form = RateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = run_action(
            form,
            perform,
            user,
            event.pk,
            "evaluate",
            version=int(request.POST.get("version", event.version)),
            evaluation=form.cleaned_data["evaluation"],
            comment=form.cleaned_data["comment"],
        )
        if done is not None:
            messages.success(request, _("Thank you for your rating."))
            return redirect("portal:my_report", event_id=event.pk)
    progress = queries.report_progress(event)
    steps = [{"label": s.label, "at": s.at, "note": s.note} for s in progress]
    photos = [a for a in attachments.attachments(user, event.pk) if a.kind == "photo"]
    return render(
        request,
        "portal/my_report.html",
        {
            "event": event,
            "steps": steps,
            "result": queries.handling_result(event, progress),
            "photos": photos,
            "can_rate": can(user, event, "evaluate"),
            "rate_form": form,
            "closed": event.state == EventState.CLOSED,
        },
    )


@resident_required
def feed(request: HttpRequest) -> HttpResponse:
    page = Paginator(queries.feed_for(request.user), 20).get_page(request.GET.get("page"))
    return render(request, "portal/feed.html", {"page": page})


# --- notices ------------------------------------------------------------------------------------------


@resident_required
def notices(request: HttpRequest) -> HttpResponse:
    page = Paginator(queries.notices_for(request.user), 20).get_page(request.GET.get("page"))
    return render(request, "portal/notices.html", {"page": page})


@resident_required
def notice(request: HttpRequest, notice_id: int) -> HttpResponse:
    found = queries.notice_for(request.user, notice_id)
    actions.mark_notice_read(request.user, found)
    return render(request, "portal/notice.html", {"notice": found})


# --- opinions -----------------------------------------------------------------------------------------


@resident_required
def opinions(request: HttpRequest) -> HttpResponse:
    form = OpinionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ratelimit.hit(f"portal:opinion:{request.user.pk}", OPINIONS_PER_HOUR, 3600)
            done = run_action(form, actions.submit_opinion, request.user, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, str(exc.message))
            done = None
        if done is not None:
            messages.success(request, _("Thank you. Staff will reply here."))
            return redirect("portal:opinions")
    page = Paginator(queries.community_opinions(request.user), 20).get_page(request.GET.get("page"))
    return render(request, "portal/opinions.html", {"page": page, "form": form})


# --- consultations ------------------------------------------------------------------------------------


@resident_required
def consultations(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/consultations.html", {"items": queries.consultations_for(request.user)})


@resident_required
def consultation(request: HttpRequest, consultation_id: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    topic = queries.consultation_for(user, consultation_id)
    form = CommentForm(request.POST if request.POST.get("form") == "comment" else None)
    if request.method == "POST":
        try:
            if request.POST.get("form") == "vote":
                actions.cast_vote(user, topic.pk, int(request.POST.get("option") or 0))
                messages.success(request, _("Your vote is counted."))
                return redirect("portal:consultation", consultation_id=topic.pk)
            if (
                form.is_valid()
                and run_action(form, actions.add_comment, user, topic.pk, **form.cleaned_data) is not None
            ):
                return redirect("portal:consultation", consultation_id=topic.pk)
        except (DomainError, ValueError) as exc:
            messages.error(request, str(getattr(exc, "message", _("Choose one of the options."))))
    profile = queries.profile(user)
    return render(
        request,
        "portal/consultation.html",
        {
            "topic": topic,
            "options": topic.options.all(),
            "my_vote": queries.my_vote(user, topic),
            "verified": bool(profile and profile.is_verified),
            "tally": queries.tally(topic) if queries.results_visible(topic) else None,
            "comments": queries.discussion(topic),
            "form": form,
        },
    )


# --- volunteers and learning --------------------------------------------------------------------------


@resident_required
def activities(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "portal/activities.html",
        {"items": queries.activities_for(request.user), "hours": queries.my_hours(request.user)},
    )


@resident_required
def activity(request: HttpRequest, activity_id: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    found = queries.activity_for(user, activity_id)
    if request.method == "POST":
        try:
            if request.POST.get("do") == "check_in":
                actions.check_in(user, found.pk)
                messages.success(request, _("Checked in. Thank you for volunteering!"))
            else:
                actions.sign_up_for_activity(user, found.pk)
                messages.success(request, _("You are signed up."))
        except DomainError as exc:
            messages.error(request, str(exc.message))
        return redirect("portal:activity", activity_id=found.pk)
    return render(
        request, "portal/activity.html", {"activity": found, "signup": queries.my_signup(user, found)}
    )


@resident_required
def learning(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    kind = kind if kind in ArticleKind.values else ""
    return render(
        request,
        "portal/learning.html",
        {"items": queries.articles_for(request.user, kind)[:50], "kind": kind, "kinds": ArticleKind.choices},
    )


@resident_required
def article(request: HttpRequest, article_id: int) -> HttpResponse:
    return render(request, "portal/article.html", {"article": queries.article_for(request.user, article_id)})


@resident_required
def services(request: HttpRequest) -> HttpResponse:
    """The 办件 catalog (what to bring, how long it takes) and the resident's own applications."""
    from jiceng.applications import queries as applications
    from jiceng.applications.actions import open_rating_path

    mine = applications.applications(request.user).select_related("item", "rating").order_by("-id")[:50]
    return render(
        request,
        "portal/services.html",
        {
            "items": applications.items().prefetch_related("materials").order_by("level", "name"),
            "mine": [(a, open_rating_path(a)) for a in mine],
        },
    )
