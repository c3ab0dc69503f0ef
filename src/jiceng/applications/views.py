"""Pages of 办件: the workbench (window and reviewers), window intake, the application page, the receipt,
the catalog, rating statistics and the public progress query. Thin: parse, call actions / queries, render;
what a user may do comes from the workflow."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from jiceng.accounts.permissions import require_role
from jiceng.accounts.roles import Role
from jiceng.applications import actions, queries, ratelimit
from jiceng.applications import catalog as catalog_actions
from jiceng.applications.forms import ActionForm, IntakeForm, ItemForm, ProgressForm, RatingForm
from jiceng.applications.models import CONCLUDED_STATES, Application, ApplicationState, RatingLevel
from jiceng.applications.workflow import (
    TRANSITIONS,
    available_actions,
    may_see_applicant,
    window_of,
)
from jiceng.core.errors import DomainError, NotFound
from jiceng.events.schema_form import SchemaForm, UnsupportedSchema, extra_field_errors, form_from_schema
from jiceng.registry import queries as registry_queries
from jiceng.web.forms import run_action

if TYPE_CHECKING:
    from jiceng.accounts.models import User

PAGE_SIZE = 50


@dataclass
class Queue:
    name: str
    label: str | Promise
    count: int


QUEUE_LABELS: dict[str, str | Promise] = {
    "to_accept": gettext_lazy("To accept"),
    "to_review": gettext_lazy("To review"),
    "supplement": gettext_lazy("Waiting for supplements"),
    "to_pay": gettext_lazy("Waiting for payment"),
    "to_deliver": gettext_lazy("To deliver"),
    "rectify": gettext_lazy("Bad ratings to rectify"),
    "to_follow_up": gettext_lazy("Follow-up visits"),
    "mine": gettext_lazy("Taken in by me"),
}


def _queues(user: User) -> list[Queue]:
    names = ["to_review", "rectify"]
    if window_of(user) is not None:
        names = ["to_accept", "supplement", "to_pay", "to_deliver", "to_follow_up", *names, "mine"]
    elif user.has_role("village_cadre"):
        names = ["mine", "supplement", *names]
    return [Queue(n, QUEUE_LABELS[n], queries.worklist(user, n).count()) for n in names]


@login_required
def workbench(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    queues = _queues(user)
    names = [q.name for q in queues]
    current = request.GET.get("tab", "")
    if current not in names:
        current = next((q.name for q in queues if q.count), names[0])
    page = Paginator(queries.worklist(user, current), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "applications/workbench.html",
        {"queues": queues, "current": current, "page": page, "window": window_of(user)},
    )


# --- intake ----------------------------------------------------------------------------------------------


def _schema_form(item: Any, data: Any = None) -> SchemaForm | None:
    if not item.form_schema:
        return None
    try:
        return form_from_schema(item.form_schema)(data, prefix="form_data")
    except UnsupportedSchema:
        return None


@login_required
def intake(request: HttpRequest) -> HttpResponse:
    """New application at the window or a village agency: choose the item, find the applicant in the
    registry, tick the materials handed in and fill in the item's form."""
    user: User = request.user  # type: ignore[assignment]
    code = request.GET.get("item") or request.POST.get("item") or ""
    item = queries.items().filter(code=code).prefetch_related("materials").first() if code else None
    if item is None:
        return render(request, "applications/intake_items.html", {"items": queries.items()})
    q = (request.GET.get("q") or request.POST.get("q") or "").strip()
    people = list(registry_queries.records(user, "person", q=q)[:10]) if q else []
    if request.method == "POST" and request.POST.get("person"):
        chosen = request.POST.get("person")
        if chosen and not any(str(p.pk) == chosen for p in people):
            people += list(registry_queries.records(user, "person").filter(pk=chosen)[:1])
    form = IntakeForm(request.POST if request.method == "POST" else None, item=item, people=people)
    extra = _schema_form(item, request.POST if request.method == "POST" else None)
    if request.method == "POST":
        extra_ok = extra is None or extra.is_valid()
        if form.is_valid() and extra_ok:
            application = run_action(
                form,
                _submit,
                user,
                item.code,
                form.cleaned_data,
                extra,
                request.POST.get("idempotency_key", ""),
            )
            if application is not None:
                messages.success(request, _("Application %(ref)s submitted.") % {"ref": application.ref})
                return redirect("applications:detail", application.pk)
    return render(
        request,
        "applications/intake.html",
        {"item": item, "form": form, "extra": extra, "q": q, "people": people},
    )


def _submit(user: User, item: str, data: dict[str, Any], extra: SchemaForm | None, key: str) -> Application:
    # The application form's own errors go on its fields; the rest on the intake form.
    with extra_field_errors(extra):
        application, _created = actions.submit_application(
            user,
            item=item,
            person=data["person"],
            applicant_phone=data.get("applicant_phone") or "",
            provided=data.get("provided") or [],
            delivery=data["delivery"],
            delivery_address=data.get("delivery_address") or "",
            form_data=extra.json_data() if extra is not None else {},
            idempotency_key=key,
        )
    return application


# --- the application page ---------------------------------------------------------------------------------


def _action_forms(user: User, application: Application, bound: ActionForm | None = None) -> list[ActionForm]:
    forms = []
    for transition in available_actions(user, application):
        if bound is not None and bound.transition.action == transition.action:
            forms.append(bound)
        else:
            forms.append(ActionForm(transition=transition, application=application))
    return forms


def _render_detail(
    request: HttpRequest, application: Application, bound: ActionForm | None = None
) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    forms = _action_forms(user, application, bound)
    return render(
        request,
        "applications/detail.html",
        {
            "app": application,
            "main_forms": [f for f in forms if not f.transition.danger],
            "danger_forms": [f for f in forms if f.transition.danger],
            "timeline": queries.timeline(application),
            "materials": queries.materials(application),
            "workdays_used": queries.workdays_used(application),
            "may_reveal": may_see_applicant(user, application),
            "rating": getattr(application, "rating", None),
            "rectification": getattr(application, "rectification", None),
            "payment": getattr(application, "payment", None),
            "form_rows": _form_rows(application),
            "rating_url": _rating_qr(request, user, application),
        },
    )


def _rating_qr(request: HttpRequest, user: User, application: Application) -> str:
    path = actions.window_rating_path(user, application)
    return request.build_absolute_uri(path) if path else ""


def _form_rows(application: Application) -> list[tuple[str, Any]]:
    properties = (application.item.form_schema or {}).get("properties", {})
    return [(properties.get(k, {}).get("title", k), v) for k, v in application.form_data.items()]


@login_required
def detail(request: HttpRequest, application_id: int) -> HttpResponse:
    return _render_detail(request, queries.application(request.user, application_id))


@login_required
@require_POST
def act(request: HttpRequest, application_id: int, action: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    application = queries.application(user, application_id)
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise NotFound()
    form = ActionForm(request.POST, transition=transition, application=application)
    if form.is_valid():
        values = form.values()
        done = run_action(
            form,
            actions.perform,
            user,
            application.pk,
            action,
            version=form.cleaned_data["version"],
            comment=values.pop("comment", "") or "",
            **values,
        )
        if done is not None:
            messages.success(request, _("Done: %(action)s.") % {"action": transition.label})
            return redirect("applications:detail", application.pk)
    return _render_detail(request, queries.application(user, application_id), form)


@login_required
@require_POST
def reveal_applicant(request: HttpRequest, application_id: int) -> HttpResponse:
    application = actions.reveal_applicant(request.user, application_id)
    return render(request, "applications/_applicant.html", {"app": application, "revealed": True})


def rate(request: HttpRequest, token: str) -> HttpResponse:
    """No login: the applicant's 好差评 through the link of the SMS or the window's QR code."""
    try:
        application = actions.application_for_rating(token)
    except DomainError as exc:
        return render(request, "applications/rate.html", {"problem": exc.message}, status=exc.status)
    form = RatingForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            ratelimit.check("application_rating", request)
            done = run_action(
                form,
                actions.rate_by_link,
                token,
                rating=form.cleaned_data["rating"],
                tags=form.cleaned_data["tags"],
                comment=form.cleaned_data["comment"],
                by=request.user,
            )
        except DomainError as exc:
            form.add_error(None, str(exc.message))
            done = None
        if done is not None:
            messages.success(request, _("Thank you for your rating."))
            return redirect("applications:rate", token)
    return render(
        request,
        "applications/rate.html",
        {
            "app": application,
            "form": form,
            "rating": getattr(application, "rating", None),
            "open": application.state in CONCLUDED_STATES,
            "staff": actions.staff_not_applicant(request.user, application),
        },
    )


@login_required
def receipt(request: HttpRequest, application_id: int) -> HttpResponse:
    """The printable receipt: 受理回执, or the 一次性告知书 while supplements are awaited."""
    application = queries.application(request.user, application_id)
    return render(
        request,
        "applications/receipt.html",
        {"app": application, "materials": queries.materials(application)},
    )


# --- catalog and statistics ------------------------------------------------------------------------------


@login_required
def catalog(request: HttpRequest) -> HttpResponse:
    return render(request, "applications/catalog.html", {"items": queries.items(active_only=False)})


@login_required
def catalog_item(request: HttpRequest, code: str) -> HttpResponse:
    item = queries.item(code)
    may_edit = request.user.is_superuser or request.user.has_role(Role.ADMIN)  # type: ignore[union-attr]
    return render(
        request,
        "applications/catalog_item.html",
        {"item": item, "extra": _schema_form(item), "may_edit": may_edit},
    )


@login_required
def catalog_edit(request: HttpRequest, code: str) -> HttpResponse:
    require_role(request.user, Role.ADMIN)
    item = queries.item(code)
    form = ItemForm.for_item(item, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        values = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        if values.get("form_schema") is None:
            values["form_schema"] = {}
        done = run_action(
            form,
            catalog_actions.update_item,
            request.user,
            code,
            values,
            version=form.cleaned_data["version"],
        )
        if done is not None:
            messages.success(request, _("Saved."))
            return redirect("applications:catalog_item", code)
    return render(request, "applications/catalog_edit.html", {"item": item, "form": form})


@login_required
def stats(request: HttpRequest) -> HttpResponse:
    by = request.GET.get("by", "item")
    if by not in ("item", "department", "window"):
        by = "item"
    rows = queries.rating_stats(request.user, by)
    chart = {
        "names": [r["name"] for r in rows[:15]],
        "levels": [
            {
                "key": level.value,
                "label": str(level.label),
                "values": [r["levels"][level.value] for r in rows[:15]],
            }
            for level in RatingLevel
        ],
    }
    return render(
        request,
        "applications/stats.html",
        {
            "rows": rows,
            "by": by,
            "chart": chart,
            "levels": list(RatingLevel),
            "counts": queries.counts(request.user),
            "rectifications": queries.rectifications(request.user).exclude(state="closed")[:50],
        },
    )


# --- the public progress query ----------------------------------------------------------------------------


def progress(request: HttpRequest) -> HttpResponse:
    """No login: the application number and the applicant's phone. Wrong either way: the same answer."""
    form = ProgressForm(request.GET or None)
    found, not_found, limited = None, False, False
    if form.is_valid():
        try:
            ratelimit.check("application_progress", request)
            found = queries.progress(form.cleaned_data["number"], form.cleaned_data["phone"])
            not_found = found is None
        except DomainError:
            limited = True
    return render(
        request,
        "applications/progress.html",
        {
            "form": form,
            "found": found,
            "steps": queries.public_timeline(found) if found else [],
            "not_found": not_found,
            "limited": limited,
            "supplement": found is not None and found.state == ApplicationState.SUPPLEMENT,
        },
        status=429 if limited else 200,
    )


MATERIAL_FILE_LABELS = {"template": gettext_lazy("template"), "sample": gettext_lazy("sample")}
# Stored forms are text, office documents or PDF; anything else is offered as bytes, never rendered.
MATERIAL_FILE_TYPES = {
    ".txt": "text/plain; charset=utf-8",
    ".pdf": "application/pdf",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".wps": "application/octet-stream",
}


@require_safe
def material_file(request: HttpRequest, material_id: int, which: str) -> FileResponse:
    """A material's blank template or sample, downloaded under its Chinese name (材料名-空白模板.docx).
    Only these files of the catalog: nothing else of the media folder is reachable by URL."""
    material = queries.material_file(request.user, material_id, which)
    field = getattr(material, which)
    try:
        handle = field.open("rb")
    except OSError as exc:
        raise NotFound() from exc
    extension = PurePosixPath(field.name).suffix.lower()
    label = MATERIAL_FILE_LABELS[which]
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"{material.name}-{label}{extension}",
        content_type=MATERIAL_FILE_TYPES.get(extension, "application/octet-stream"),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "public, max-age=3600"
    return response
