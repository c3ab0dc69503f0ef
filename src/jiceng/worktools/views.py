"""Pages of the work tools: the grid worker's phone pages (mobile office, patrol, visit, log), the
dispatcher's patrol board, ledgers, leader assignments, address book, messages and the file library.
Thin: parse, call actions/queries, render."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from jiceng.audit.actions import record
from jiceng.core.errors import DomainError, NotFound
from jiceng.core.scope import scoped
from jiceng.events import page_queries as event_page_queries
from jiceng.events import queries as event_queries
from jiceng.events.models import Urgency
from jiceng.org.models import Region, RegionLevel, Unit
from jiceng.registry import queries as registry_queries
from jiceng.registry.models import KeyPlace
from jiceng.registry.page_queries import region_options
from jiceng.registry.schema import MODELS as REGISTRY_MODELS
from jiceng.web.forms import DateInput, run_action
from jiceng.worktools import (
    assignment_actions,
    assignment_queries,
    contacts,
    file_actions,
    file_queries,
    ledgers,
    message_actions,
    message_queries,
    patrol_actions,
    patrol_queries,
    serve,
    visit_actions,
    visit_queries,
)
from jiceng.worktools.common import DISPATCH_ROLES, DUTY_ROLES, PATROL_ROLES
from jiceng.worktools.models import DutyKind, PatrolState, PatrolTask

if TYPE_CHECKING:
    from jiceng.accounts.models import User


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


# --- mobile office ----------------------------------------------------------------------------------------


@login_required
def mobile_home(request: HttpRequest) -> HttpResponse:
    """The grid worker's home screen: today's tasks, quick report, patrol, messages."""
    user = _user(request)
    today = timezone.localdate()
    duties = [i for i in patrol_queries.duty_items(user) if i.status != "done"]
    follow_ups = (
        visit_queries.visits(user)
        .filter(visitor=user, follow_up_due__isnull=False, follow_up_due__lte=today + timedelta(days=3))
        .select_related("household", "house", "organization")
    )
    context = {
        "patrol": patrol_queries.active_patrol_of(user),
        "to_verify": event_queries.worklist(user, "grid_to_verify").count(),
        "duties": duties[:10],
        "duty_count": len(duties),
        "follow_ups": list(follow_ups[:10]),
        "tasks": list(PatrolTask.objects.filter(worker=user).order_by("-id")[:5]),
        "unread": message_queries.unread_total(user),
        "assignments": assignment_queries.queue(user).count(),
        "log_today": visit_queries.own_log(user, today),
    }
    return render(request, "worktools/mobile_home.html", context)


MANIFEST_ICON = "jiceng/favicon.svg"


@require_GET
def manifest(request: HttpRequest) -> HttpResponse:
    """The web-app manifest: the mobile office can be added to the phone's home screen."""
    from django.http import JsonResponse
    from django.templatetags.static import static
    from django.urls import reverse

    return JsonResponse(
        {
            "name": _("Jiceng mobile office"),
            "short_name": _("Grid work"),
            "start_url": reverse("worktools:mobile_home"),
            "display": "standalone",
            "background_color": "#f5f7fa",
            "theme_color": "#b71c1c",
            "icons": [{"src": static(MANIFEST_ICON), "sizes": "any", "type": "image/svg+xml"}],
        },
        content_type="application/manifest+json",
        json_dumps_params={"ensure_ascii": False},
    )


OFFLINE_PAGES = ("worktools:mobile_home", "worktools:patrol")
OFFLINE_ASSETS = (
    "jiceng/app.css",
    "vendor/htmx/htmx.min.js",
    "worktools/worktools.css",
    "worktools/patrol.js",
    "worktools/sw-register.js",
)


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker, served under /worktools/ so that it may control the mobile office's pages."""
    import json

    from django.templatetags.static import static
    from django.urls import reverse

    response = render(
        request,
        "worktools/sw.js",
        {
            "pages": json.dumps([reverse(name) for name in OFFLINE_PAGES]),
            "assets": json.dumps([static(path) for path in OFFLINE_ASSETS]),
        },
        content_type="text/javascript",
    )
    response["Cache-Control"] = "no-cache"
    return response


# --- patrols ----------------------------------------------------------------------------------------------


@login_required
def patrol_page(request: HttpRequest) -> HttpResponse:
    """The phone's patrol page: start/stop, the track sent in batches, check-in, report on patrol."""
    user = _user(request)
    patrol = patrol_queries.active_patrol_of(user)
    max_seq = -1  # the phone numbers its points from here on (another phone may have sent some)
    if patrol is not None:
        found = patrol.points.order_by("-seq").values_list("seq", flat=True).first()
        max_seq = -1 if found is None else found
    return render(
        request,
        "worktools/patrol.html",
        {
            "patrol": patrol,
            "max_seq": max_seq,
            "may_patrol": user.is_superuser or user.has_role(*PATROL_ROLES),
            "places": scoped(KeyPlace.objects.alive(), user).order_by("name").values("code", "name")[:300],
            "tree": event_page_queries.category_tree(),
            "recent": patrol_queries.patrols(user).filter(worker=user, state=PatrolState.ENDED)[:5],
        },
    )


@login_required
def patrol_detail(request: HttpRequest, patrol_id: int) -> HttpResponse:
    user = _user(request)
    patrol = patrol_queries.patrol(user, patrol_id)
    track = patrol_queries.track(patrol)
    return render(
        request,
        "worktools/patrol_detail.html",
        {
            "patrol": patrol,
            "svg": _track_svg(track),
            "events": patrol_queries.linked_events(patrol),
            "checkins": patrol.checkins.select_related("place", "house").order_by("at"),
        },
    )


def _track_svg(track: list[tuple[int, float, float]]) -> dict[str, Any] | None:
    """The track as an SVG polyline (no base map needed: the shape and the gaps are what matter)."""
    if len(track) < 2:
        return None
    import math

    shrink = math.cos(math.radians(sum(t[2] for t in track) / len(track)))  # a degree east is shorter
    lngs, lats = [t[1] * shrink for t in track], [t[2] for t in track]
    min_x, max_x, min_y, max_y = min(lngs), max(lngs), min(lats), max(lats)
    span = max(max_x - min_x, max_y - min_y) or 1e-6
    size = 300
    pts = " ".join(
        f"{(x - min_x) / span * size + 10:.1f},{(max_y - y) / span * size + 10:.1f}"
        for x, y in zip(lngs, lats, strict=True)
    )
    return {"points": pts, "size": size + 20}


class DutyForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Duty"), choices=DutyKind.choices)
    region_code = forms.ChoiceField(label=gettext_lazy("Region"))
    every_days = forms.IntegerField(
        label=gettext_lazy("Every (days)"),
        min_value=1,
        max_value=365,
        required=False,
        help_text=gettext_lazy("Empty: each key place's own inspection cycle"),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any):
        super().__init__(*args, **kwargs)
        regions = scoped(Region.objects.filter(is_active=True, level__in=DUTY_LEVELS), user).order_by("code")
        self.fields["region_code"].choices = [(r.code, r.name) for r in regions[:500]]  # type: ignore[attr-defined]


DUTY_LEVELS = (RegionLevel.COUNTY, RegionLevel.TOWNSHIP, RegionLevel.VILLAGE, RegionLevel.GRID)


class TaskForm(forms.Form):
    worker = forms.CharField(label=gettext_lazy("Worker"), max_length=150, widget=forms.HiddenInput)
    message = forms.CharField(label=gettext_lazy("Task"), max_length=500)


@login_required
def patrol_board(request: HttpRequest) -> HttpResponse:
    """The dispatcher's board: who is on patrol and where, the nearest to a point, duties due and missed."""
    user = _user(request)
    nearest: list[Any] = []
    lng, lat = request.GET.get("lng", ""), request.GET.get("lat", "")
    event = None
    if request.GET.get("event", "").isdigit():  # dispatch to the event's place
        event = event_queries.event(user, int(request.GET["event"]))
        if not (lng and lat) and event.lng is not None and event.lat is not None:
            lng, lat = str(event.lng), str(event.lat)
    try:
        if lng and lat:
            nearest = patrol_queries.nearest(user, float(lng), float(lat))
    except ValueError:
        flash.error(request, _("The location is not a valid longitude and latitude."))
    task_form = TaskForm(request.POST if "worker" in request.POST else None)
    duty_form = DutyForm(request.POST if "kind" in request.POST else None, user=user)
    if duty_form.is_bound and duty_form.is_valid():
        duty = run_action(duty_form, patrol_actions.add_duty, user, **duty_form.cleaned_data)
        if duty is not None:
            flash.success(request, _("The patrol duty was added."))
            return redirect(request.get_full_path())
    if task_form.is_bound and task_form.is_valid():
        done = run_action(
            task_form,
            patrol_actions.send_task,
            user,
            worker=task_form.cleaned_data["worker"],
            message=task_form.cleaned_data["message"],
            event_id=event.pk if event else None,
            lng=float(lng) if nearest else None,
            lat=float(lat) if nearest else None,
        )
        if done is not None:
            flash.success(request, _("The task was sent."))
            return redirect(request.get_full_path())
    for e in task_form.non_field_errors():
        flash.error(request, str(e))
    items = patrol_queries.duty_items(user)
    return render(
        request,
        "worktools/patrol_board.html",
        {
            "active": patrol_queries.on_patrol(user)[:200],
            "nearest": nearest,
            "lng": lng,
            "lat": lat,
            "event": event,
            "may_dispatch": user.is_superuser or user.has_role(*DISPATCH_ROLES),
            "may_configure": user.is_superuser or user.has_role(*DUTY_ROLES),
            "duty_form": duty_form,
            "duties": [i for i in items if i.status != "done"][:100],
            "duty_counts": patrol_queries.duty_counts(items),
            "far_checkins": patrol_queries.checkins(user).filter(far=True)[:20],
            "recent": patrol_queries.patrols(user).filter(state=PatrolState.ENDED)[:20],
        },
    )


# --- visits, logs, ledgers --------------------------------------------------------------------------------


class VisitForm(forms.Form):
    subject_kind = forms.CharField(widget=forms.HiddenInput)
    subject_key = forms.CharField(widget=forms.HiddenInput)
    purpose = forms.CharField(label=gettext_lazy("Purpose"), max_length=200, required=False)
    findings = forms.CharField(label=gettext_lazy("What was found"), widget=forms.Textarea(attrs={"rows": 4}))
    follow_up = forms.CharField(label=gettext_lazy("Follow-up"), max_length=500, required=False)
    follow_up_due = forms.DateField(label=gettext_lazy("Follow-up due"), required=False, widget=DateInput())
    photo = forms.ImageField(label=gettext_lazy("Photo"), required=False)


@login_required
def visits(request: HttpRequest) -> HttpResponse:
    """The phone's way to a visit: find the person, household, house or organization, then record it."""
    user = _user(request)
    kind = request.GET.get("kind", "person")
    kind = kind if kind in visit_actions.VISIT_SUBJECTS else "person"
    q = request.GET.get("q", "").strip()[:60]
    context = {
        "kind": kind,
        "kinds": [(k, capfirst(REGISTRY_MODELS[k]._meta.verbose_name)) for k in visit_actions.VISIT_SUBJECTS],
        "q": q,
        "subjects": visit_queries.visit_subjects(user, kind, q),
        "recent": list(visit_queries.visits(user).filter(visitor=user).order_by("-visited_at")[:10]),
    }
    return render(request, "worktools/visits.html", context)


@login_required
def visit_new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    source = request.POST if request.method == "POST" else request.GET
    kind, key = source.get("subject_kind", ""), source.get("subject_key", "")
    if kind not in visit_actions.VISIT_SUBJECTS:
        raise NotFound()
    subject = registry_queries.get(user, kind, key)
    form = VisitForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        initial={"subject_kind": kind, "subject_key": key},
    )
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items()}
        done = run_action(form, visit_actions.record_visit, user, **data)
        if done is not None:
            flash.success(request, _("The visit was recorded."))
            from django.urls import reverse

            return redirect(reverse("registry:detail", kwargs={"kind": kind, "key": key}))
    return render(
        request, "worktools/visit_form.html", {"form": form, "subject": subject, "kind": kind, "key": key}
    )


class WorkLogForm(forms.Form):
    day = forms.DateField(label=gettext_lazy("Date"), widget=DateInput())
    content = forms.CharField(label=gettext_lazy("Work done"), widget=forms.Textarea(attrs={"rows": 6}))
    issues = forms.CharField(
        label=gettext_lazy("Residents' concerns"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


@login_required
def work_log(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    try:
        day = (
            date.fromisoformat(request.GET.get("day", "")) if request.GET.get("day") else timezone.localdate()
        )
    except ValueError:
        day = timezone.localdate()
    existing = visit_queries.own_log(user, day)
    initial: dict[str, Any] = {"day": day}
    if existing is not None:
        initial.update(content=existing.content, issues=existing.issues, version=existing.version)
    form = WorkLogForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        done = run_action(form, visit_actions.save_work_log, user, **form.cleaned_data)
        if done is not None:
            flash.success(request, _("The work log was saved."))
            return redirect(f"{request.path}?day={done.day.isoformat()}")
    mine = visit_queries.work_logs(user).filter(author=user)[:14]
    return render(request, "worktools/work_log.html", {"form": form, "mine": mine, "day": day})


class LedgerForm(forms.Form):
    region = forms.ChoiceField(label=gettext_lazy("Village or grid"), required=False)
    since = forms.DateField(label=gettext_lazy("From"), required=False, widget=DateInput())
    until = forms.DateField(label=gettext_lazy("To"), required=False, widget=DateInput())
    worker = forms.CharField(label=gettext_lazy("Worker (username)"), max_length=150, required=False)
    q = forms.CharField(label=gettext_lazy("Text"), max_length=50, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", gettext_lazy("The end date is before the start date."))
        return data


def _ledger_filter(request: HttpRequest) -> tuple[LedgerForm, visit_queries.LedgerFilter]:
    form = LedgerForm(request.GET or None)
    form.fields["region"].choices = [("", "—"), *region_options(_user(request))]  # type: ignore[attr-defined]
    f = visit_queries.LedgerFilter()
    if form.is_valid():
        f = visit_queries.LedgerFilter(**form.cleaned_data)
    return form, f


@login_required
def ledger(request: HttpRequest, name: str) -> HttpResponse:
    if name not in visit_queries.LEDGERS:
        raise NotFound()
    user = _user(request)
    form, f = _ledger_filter(request)
    page = Paginator(visit_queries.ledger(user, name, f), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "worktools/ledger.html",
        {
            "form": form,
            "name": name,
            "title": ledgers.LEDGER_TITLES[name],
            "columns": [str(c.label) for c in ledgers.COLUMNS[name]],
            "rows": ledgers.rows(name, page.object_list),
            "offset": page.start_index() - 1 if page.paginator.count else 0,
            "page": page,
            "names": [(n, ledgers.LEDGER_TITLES[n]) for n in visit_queries.LEDGERS],
            "query": request.GET.urlencode(),
        },
    )


EXPORT_CAP = 50_000


@login_required
def ledger_export(request: HttpRequest, name: str) -> HttpResponse:
    """The ledger as an Excel workbook in the paper layout; every export is audited."""
    if name not in visit_queries.LEDGERS:
        raise NotFound()
    user = _user(request)
    _form, f = _ledger_filter(request)
    records = list(visit_queries.ledger(user, name, f)[:EXPORT_CAP])
    unit = user.unit.name if user.unit else ""
    wb = ledgers.workbook(name, records, unit=unit, since=f.since, until=f.until)
    record(
        "ledger.export",
        actor=user,
        changes={"ledger": name, "rows": len(records), "filter": request.GET.dict()},
    )
    response = HttpResponse(content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    from urllib.parse import quote

    filename = f"{ledgers.LEDGER_TITLES[name]}-{timezone.localdate().isoformat()}.xlsx"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    wb.save(response)
    return response


# --- leader assignments -----------------------------------------------------------------------------------


class AssignmentForm(forms.Form):
    unit_code = forms.ChoiceField(label=gettext_lazy("Assigned unit"))
    assignee = forms.CharField(
        label=gettext_lazy("Assigned person (username, optional)"), max_length=150, required=False
    )
    category = forms.ChoiceField(label=gettext_lazy("Category"))
    title = forms.CharField(label=gettext_lazy("Task"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("Details"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    deadline = forms.DateField(label=gettext_lazy("Deadline"), widget=DateInput())
    urgency = forms.ChoiceField(
        label=gettext_lazy("Urgency"), choices=Urgency.choices, initial=Urgency.NORMAL
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any):
        super().__init__(*args, **kwargs)
        units = scoped(Unit.objects.filter(is_active=True), user).order_by("region__code", "code")[:500]
        self.fields["unit_code"].choices = [(u.code, u.name) for u in units]  # type: ignore[attr-defined]
        self.fields["category"].choices = [  # type: ignore[attr-defined]
            (root.name, [(leaf.code, name or leaf.name) for leaf, name in leaves])
            for root, leaves in event_page_queries.category_tree()
        ]


@login_required
def assignments(request: HttpRequest) -> HttpResponse:
    """Leaders: assign, and follow the progress of what they assigned. Others: the queue of their unit."""
    user = _user(request)
    is_leader = user.is_superuser or user.has_role("leader")
    form = AssignmentForm(request.POST or None, user=user) if is_leader else None
    if form is not None and request.method == "POST" and form.is_valid():
        done = run_action(form, assignment_actions.assign, user, **form.cleaned_data)
        if done is not None:
            flash.success(request, _("Assigned. The event number is %(ref)s.") % {"ref": done.event.ref})
            return redirect("worktools:assignments")
    given = list(assignment_queries.given_by(user)) if is_leader else []
    queue = list(assignment_queries.queue(user))
    return render(
        request,
        "worktools/assignments.html",
        {
            "form": form,
            "given": [(a, assignment_queries.is_overdue(a)) for a in given],
            "progress": assignment_queries.progress(given),
            "queue": [(a, assignment_queries.is_overdue(a)) for a in queue],
        },
    )


# --- address book -----------------------------------------------------------------------------------------


@login_required
def address_book(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:50]
    return render(request, "worktools/contacts.html", {"groups": contacts.tree(_user(request), q=q), "q": q})


class TelRedirect(HttpResponseRedirect):
    allowed_schemes = ["tel"]


@require_POST
@login_required
def call(request: HttpRequest, username: str) -> HttpResponse:
    """Click-to-call: the number is revealed only here (audited) and handed to the phone's dialler."""
    return TelRedirect(f"tel:{contacts.call(_user(request), username)}")


# --- messages ---------------------------------------------------------------------------------------------


@login_required
def conversations(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    items = [(c, message_queries.display_title(c, user)) for c in message_queries.conversations(user)[:100]]
    return render(request, "worktools/conversations.html", {"items": items})


@require_POST
@login_required
def conversation_open(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    kind = request.POST.get("kind", "")
    try:
        if kind == "direct":
            conversation = message_actions.open_direct(user, request.POST.get("username", ""))
        elif kind == "unit":
            conversation = message_actions.open_unit(user)
        elif kind == "event":
            conversation = message_actions.open_event(user, int(request.POST.get("event_id") or 0))
        else:
            raise NotFound()
    except (ValueError, DomainError) as exc:
        if isinstance(exc, NotFound):
            raise
        flash.error(request, str(getattr(exc, "message", exc)))
        return redirect("worktools:conversations")
    return redirect("worktools:conversation", conversation_id=conversation.pk)


@login_required
def conversation(request: HttpRequest, conversation_id: int) -> HttpResponse:
    user = _user(request)
    found = message_queries.conversation(user, conversation_id)
    if request.method == "POST":
        try:
            message_actions.send(
                user, found.pk, request.POST.get("body", ""), client_id=request.POST.get("client_id", "")
            )
        except DomainError as exc:
            if isinstance(exc, NotFound):
                raise
            flash.error(request, str(exc.message))
        if request.headers.get("HX-Request"):
            return HttpResponse(status=204)  # the poller brings the message in
        return redirect("worktools:conversation", conversation_id=found.pk)
    items = message_queries.messages(user, found.pk)
    if items:
        message_actions.mark_read(user, found.pk, items[-1].pk)
    return render(
        request,
        "worktools/conversation.html",
        {
            "conversation": found,
            "title": message_queries.display_title(found, user),
            "members": message_queries.member_names(found),
            "items": items,
            "last_id": items[-1].pk if items else 0,
        },
    )


def _messages_partial(request: HttpRequest, conversation_id: int, after: int) -> HttpResponse:
    user = _user(request)
    items = message_queries.messages(user, conversation_id, after=after)
    if items:
        message_actions.mark_read(user, conversation_id, items[-1].pk)
    return render(
        request,
        "worktools/_messages.html",
        {"items": items, "conversation_id": conversation_id, "last_id": items[-1].pk if items else after},
    )


@require_GET
@login_required
def conversation_poll(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """New messages after ``after`` (htmx polls this every few seconds: live enough, and WSGI only)."""
    try:
        after = int(request.GET.get("after") or 0)
    except ValueError:
        after = 0
    message_queries.conversation(_user(request), conversation_id)
    return _messages_partial(request, conversation_id, after)


# --- file library -----------------------------------------------------------------------------------------


class FolderForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Folder name"), max_length=100)
    read_roles = forms.MultipleChoiceField(
        label=gettext_lazy("Only these roles may read (empty: everyone)"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, **kwargs: Any):
        from jiceng.accounts.roles import Role

        super().__init__(*args, **kwargs)
        self.fields["read_roles"].choices = [(r.value, r.label) for r in Role if r != Role.RESIDENT]  # type: ignore[attr-defined]


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("File"))
    comment = forms.CharField(label=gettext_lazy("Comment"), max_length=200, required=False)


@login_required
def library(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    q = request.GET.get("q", "").strip()[:100]
    folder_id = request.GET.get("folder", "")
    current = None
    if folder_id.isdigit():
        current = file_queries.folder(user, int(folder_id))
    folder_form = (
        FolderForm(request.POST or None)
        if request.method == "POST" and "name" in request.POST
        else FolderForm()
    )
    upload_form = UploadForm()
    if request.method == "POST":
        if "name" in request.POST and folder_form.is_valid():
            done = run_action(folder_form, file_actions.create_folder, user, **folder_form.cleaned_data)
            if done is not None:
                return redirect(f"{request.path}?folder={done.pk}")
        elif current is not None:
            upload_form = UploadForm(request.POST, request.FILES)
            if upload_form.is_valid():
                try:
                    file_actions.upload(
                        user,
                        current.pk,
                        upload_form.cleaned_data["file"],
                        comment=upload_form.cleaned_data["comment"],
                    )
                    flash.success(request, _("The file was uploaded."))
                    return redirect(f"{request.path}?folder={current.pk}")
                except DomainError as exc:
                    if isinstance(exc, NotFound):
                        raise
                    upload_form.add_error("file", str(exc.message))
    docs = (
        file_queries.documents(user, folder_id=current.pk if current else None, q=q)
        if (current or q)
        else None
    )
    return render(
        request,
        "worktools/library.html",
        {
            "folders": file_queries.folders(user),
            "current": current,
            "documents": docs,
            "q": q,
            "folder_form": folder_form,
            "upload_form": upload_form,
            "may_write": current is not None and file_queries.may_write(user, current),
            "may_create": user.is_superuser or user.has_role(*file_actions.FOLDER_ROLES),
        },
    )


@login_required
def document(request: HttpRequest, document_id: int) -> HttpResponse:
    user = _user(request)
    found = file_queries.document(user, document_id)
    return render(
        request,
        "worktools/document.html",
        {
            "document": found,
            "versions": file_queries.versions(found),
            "previewable": file_actions.PREVIEWABLE,
        },
    )


@login_required
def document_file(request: HttpRequest, document_id: int) -> FileResponse:
    number = request.GET.get("version", "")
    opened = file_actions.open_version(
        _user(request),
        document_id,
        int(number) if number.isdigit() else None,
        preview="preview" in request.GET,
    )
    item = opened["version"]
    return serve.file_response(item.file, item.content_type, opened["document"].name, inline=opened["inline"])


@login_required
def checkin_photo(request: HttpRequest, checkin_id: int) -> FileResponse:
    from jiceng.core.scope import get_in_scope
    from jiceng.worktools.models import CheckIn

    item = get_in_scope(CheckIn, _user(request), pk=checkin_id)
    name = item.photo.name or ""
    extension = name.rsplit(".", 1)[-1]
    return serve.file_response(
        item.photo, PHOTO_TYPES.get(extension, "application/octet-stream"), name, inline=True
    )


PHOTO_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
