"""The federation's endpoints and pages.

``inbox`` and ``data`` are for machines: no session, no CSRF, every message signed (``messaging``).
The pages are thin: the operators' health view with dead letters, the hub's routed events, the county's
escalations and the reference department system's tasks.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from jiceng.core.middleware import client_ip
from jiceng.federation import county, department, messaging, queries, routing, sync, systems
from jiceng.federation.models import RouteState, System, SystemKind
from jiceng.web.forms import run_action


def _json_body(request: HttpRequest) -> Any:
    try:
        return json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        return None


@csrf_exempt
@require_POST
def inbox(request: HttpRequest) -> JsonResponse:
    body = _json_body(request)
    results = messaging.receive(body, remote_addr=client_ip(request))
    ok = [r for r in results.values() if not r.startswith("rejected:")]
    status = 200 if ok or not results else 403
    return JsonResponse({"results": results}, status=status, json_dumps_params={"ensure_ascii": False})


@csrf_exempt
@require_POST
def data(request: HttpRequest) -> JsonResponse:
    status, answer = sync.answer_query(_json_body(request), remote_addr=client_ip(request))
    return JsonResponse(answer, status=status, json_dumps_params={"ensure_ascii": False})


class CommentForm(forms.Form):
    # Optional here: the action says when it needs one (accepting does not), so a missing one is told once.
    comment = forms.CharField(
        label=gettext_lazy("Comment"), max_length=2000, widget=forms.Textarea, required=False
    )


TASK_ACTION_LABELS = {
    "accept": gettext_lazy("Accept"),
    "progress": gettext_lazy("Add progress"),
    "return": gettext_lazy("Return: not ours"),
    "resolve": gettext_lazy("Resolve"),
}


class AssignForm(forms.Form):
    department = forms.ChoiceField(label=gettext_lazy("Department system"))
    comment = forms.CharField(label=gettext_lazy("Comment"), max_length=2000, required=False)


class ResolveForm(forms.Form):
    result = forms.CharField(
        label=gettext_lazy("Answer to the county"), max_length=2000, widget=forms.Textarea
    )


class EscalateForm(forms.Form):
    event_id = forms.CharField(
        label=gettext_lazy("Event number"),
        max_length=40,
        help_text=gettext_lazy("As shown on the event, e.g. SJ202611280000005."),
    )
    comment = forms.CharField(label=gettext_lazy("Why the county cannot solve it"), max_length=2000)


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """The operators' health view: every registered system with its queue, lag and failures."""
    peers = queries.peer_statuses(request.user)
    platform = queries.this_platform()
    return render(
        request,
        "federation/overview.html",
        {
            "peers": peers,
            "dead": queries.dead_letters(request.user)[:100],
            "rejected": queries.rejected(request.user)[:50],
            "platform": platform,
            "store": queries.province_store(request.user) if platform.role == "hub" else [],
        },
    )


@login_required
@require_POST
def retry(request: HttpRequest) -> HttpResponse:
    ids = [int(v) for v in request.POST.getlist("id") if v.isdigit()] or None
    count = systems.retry_dead_letters(request.user, ids)
    messages.success(request, _("%(n)d messages queued again.") % {"n": count})
    return redirect("federation:overview")


@login_required
@require_POST
def rotate_key(request: HttpRequest, code: str) -> HttpResponse:
    """A new signing key for a registered system, shown this once (the old one stays accepted until the
    rotation is finished)."""
    system, key = systems.rotate_key(request.user, code)
    response = render(request, "federation/key.html", {"system": system, "key": key})
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def finish_rotation(request: HttpRequest, code: str) -> HttpResponse:
    system = systems.finish_rotation(request.user, code)
    messages.success(request, _("%(name)s: the previous key is no longer accepted.") % {"name": system.name})
    return redirect("federation:overview")


@login_required
@require_POST
def set_active(request: HttpRequest, code: str) -> HttpResponse:
    active = request.POST.get("active") == "1"
    system = systems.set_active(request.user, code, active)
    text = _("%(name)s is active again.") if active else _("%(name)s is inactive: nothing is routed to it.")
    messages.success(request, text % {"name": system.name})
    return redirect("federation:overview")


@login_required
def route_list(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "")
    routes = queries.routes(request.user).order_by("-id")
    if state in RouteState.values:
        routes = routes.filter(state=state)
    else:
        state = ""
    page = Paginator(routes, 50).get_page(request.GET.get("page"))
    tabs = queries.route_tabs(request.user)
    return render(request, "federation/routes.html", {"page": page, "tabs": tabs, "current": state})


@login_required
def route_detail(request: HttpRequest, routed_id: int) -> HttpResponse:
    routed = queries.route(request.user, routed_id)
    departments = System.objects.filter(kind=SystemKind.DEPARTMENT, is_active=True)
    assign_form = AssignForm(request.POST if "assign" in request.POST else None)
    assign_form.fields["department"].choices = [(d.code, d.name) for d in departments]  # type: ignore[attr-defined]
    resolve_form = ResolveForm(request.POST if "resolve" in request.POST else None)
    if request.method == "POST":
        done = None
        if "assign" in request.POST and assign_form.is_valid():
            done = run_action(
                assign_form,
                routing.operator_assign,
                request.user,
                routed.pk,
                assign_form.cleaned_data["department"],
                comment=assign_form.cleaned_data["comment"],
                version=routed.version,
            )
        elif "resolve" in request.POST and resolve_form.is_valid():
            done = run_action(
                resolve_form,
                routing.operator_resolve,
                request.user,
                routed.pk,
                result=resolve_form.cleaned_data["result"],
                version=routed.version,
            )
        if done is not None:
            return redirect("federation:route_detail", routed_id=routed.pk)
    return render(
        request,
        "federation/route_detail.html",
        {
            "routed": routed,
            "hops": queries.route_hops(routed),
            "facts": queries.route_facts(routed),
            "open": routed.state in (RouteState.ASSIGNED, RouteState.AWAITING_OPERATOR),
            "assign_form": assign_form,
            "resolve_form": resolve_form,
        },
    )


@login_required
def escalation_list(request: HttpRequest) -> HttpResponse:
    form = EscalateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        event_id = run_action(form, queries.event_for_escalation, request.user, form.cleaned_data["event_id"])
        link = None
        if event_id is not None:
            link = run_action(
                form, county.escalate_to_hub, request.user, event_id, comment=form.cleaned_data["comment"]
            )
        if link is not None:
            messages.success(request, _("Escalated to the collaboration platform."))
            return redirect("events:detail", event_id=link.event_id)
    page = Paginator(queries.escalations(request.user).order_by("-id"), 50).get_page(request.GET.get("page"))
    return render(request, "federation/escalations.html", {"page": page, "form": form})


@login_required
def task_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(queries.tasks(request.user), 50).get_page(request.GET.get("page"))
    for task in page:
        task.feedback_rows = queries.task_feedback(task)  # type: ignore[attr-defined]
    return render(
        request,
        "federation/tasks.html",
        {"page": page, "form": CommentForm(), "actions": department.TASK_ACTIONS},
    )


@login_required
@require_POST
def task_act(request: HttpRequest, task_id: int, action: str) -> HttpResponse:
    form = CommentForm(request.POST)
    form.is_valid()
    done = run_action(
        form,
        department.answer_task,
        request.user,
        task_id,
        action,
        comment=form.cleaned_data.get("comment", ""),
        version=int(request.POST["version"]) if request.POST.get("version", "").isdigit() else None,
    )
    if done is None:
        for name, errors in form.errors.items():
            label = form.fields[name].label if name in form.fields else ""
            for error in errors:
                text = _("%(field)s: %(error)s") % {"field": label, "error": error} if label else str(error)
                messages.error(request, text)
    else:
        messages.success(request, _("%(action)s: done.") % {"action": TASK_ACTION_LABELS.get(action, action)})
    return redirect("federation:tasks")
