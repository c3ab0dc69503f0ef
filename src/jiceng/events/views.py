"""Pages of the event closed loop: workbenches, the grid worker's phone pages, the event page, search
and export. Thin: parse, call ``actions`` / ``queries``, render. Who may do what comes from the
workflow (``available_actions``); templates only render what they are given."""

from __future__ import annotations

import tempfile
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.uploadedfile import UploadedFile
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import dateformat, timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from jiceng.audit.actions import record
from jiceng.core.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from jiceng.events import actions, attachments, page_queries, queries
from jiceng.events.forms import ActionForm, ReportForm, SearchForm, extra_fields_form
from jiceng.events.models import AttachmentStage, Evaluation, Event, Level, Source
from jiceng.events.schema_form import SchemaForm, extra_field_errors
from jiceng.events.workflow import TRANSITIONS, Transition, available_actions, flow_label, state_label
from jiceng.federation import queries as federation_queries
from jiceng.web.forms import run_action

if TYPE_CHECKING:
    from jiceng.accounts.models import User

PAGE_SIZE = 50
EXPORT_CAP = 100_000

# --- workbench -------------------------------------------------------------------------------------


@login_required
def workbench(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    queues = page_queries.queues(user)
    names = [q.name for q in queues]
    current = request.GET.get("tab", "")
    if current not in names:
        current = next((q.name for q in queues if q.count), names[0] if names else "")
    page = Paginator(
        page_queries.queue_events(user, current) if current else Event.objects.none(), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    level = page_queries.triage_level(user)
    return render(
        request,
        "events/workbench.html",
        {
            "queues": queues,
            "current": current,
            "page": page,
            "level_label": Level(level).label if level else "",
        },
    )


# --- the grid worker's phone pages ----------------------------------------------------------------


@login_required
def mobile_home(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    return render(
        request,
        "events/mobile_home.html",
        {
            "mine": queries.worklist(user, "my_reports").count(),
            "to_verify": queries.worklist(user, "grid_to_verify").count(),
        },
    )


MOBILE_LISTS = {"my_reports": gettext_lazy("My reports"), "grid_to_verify": gettext_lazy("To verify")}


@login_required
def mobile_list(request: HttpRequest, name: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    page = Paginator(page_queries.queue_events(user, name), 20).get_page(request.GET.get("page"))
    return render(
        request, "events/mobile_list.html", {"page": page, "heading": MOBILE_LISTS[name], "name": name}
    )


def _on_photo_field(field: str, call: Any, *args: Any, **kwargs: Any) -> Any:
    """Run an attachments write; its refusals (not a photo, too large …) land on the form's photo field."""
    try:
        return call(*args, **kwargs)
    except (PermissionDenied, NotFound):
        raise
    except DomainError as exc:
        raise InvalidInput(exc.message, code=exc.code, details={field: [str(exc.message)]}) from exc


def _report(user: User, form: ReportForm, extra: SchemaForm | None) -> Event:
    """Report and attach the photos in one transaction: a refused photo undoes the report (and deletes
    the files already stored)."""
    photos: list[UploadedFile] = form.cleaned_data["photos"]
    after: list[UploadedFile] = form.cleaned_data["after_photos"] if form.cleaned_data["on_spot"] else []
    form_data = extra.json_data() if extra is not None else {}
    with extra_field_errors(extra), attachments.atomic_with_files():
        event, created = actions.report_event(user, **form.report_kwargs(form_data))
        if created and photos:  # linked to the report step even when an on-spot "handle" step follows
            _on_photo_field(
                "photos",
                attachments.add_attachments,
                user,
                event.pk,
                photos,
                stage=AttachmentStage.BEFORE,
                flow_id=page_queries.flow_id(event, "report"),
            )
        if created and after:  # the newest step is the on-spot "handle"
            _on_photo_field(
                "after_photos",
                attachments.attach_to_latest_flow,
                user,
                event.pk,
                after,
                AttachmentStage.AFTER,
            )
    return event


@login_required
def report(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    tree = page_queries.category_tree()
    bound = request.method == "POST"
    form = ReportForm(request.POST if bound else None, request.FILES if bound else None, tree=tree)
    category = page_queries.leaf_category(str(form.data.get("category", ""))) if bound else None
    extra = extra_fields_form(category, request.POST if bound else None)
    if bound and form.is_valid() and (extra is None or extra.is_valid()):
        try:
            done = run_action(form, _report, user, form, extra)
        except PermissionDenied as exc:
            form.add_error(None, str(exc.message))
            done = None
        if done is not None:
            messages.success(request, _("Reported. The event number is %(ref)s.") % {"ref": done.ref})
            return redirect("events:detail", event_id=done.pk)
    if bound and request.FILES:
        # A browser cannot put files back into a form: say so next to the errors.
        form.add_error(None, _("Please choose the photos again."))
    return render(request, "events/report.html", {"form": form, "extra": extra, "tree": tree})


@require_GET
@login_required
def report_fields(request: HttpRequest) -> HttpResponse:
    """The extra fields of one category (htmx swaps them into the report form)."""
    category = page_queries.leaf_category(request.GET.get("category", "")[:20])
    return render(request, "events/_extra_fields.html", {"extra": extra_fields_form(category)})


# --- the event page --------------------------------------------------------------------------------

COUNT_LABELS = [
    ("return_count", gettext_lazy("Returned")),
    ("rework_count", gettext_lazy("Reworked")),
    ("extension_count", gettext_lazy("Extended")),
    ("escalation_count", gettext_lazy("Escalated")),
    ("reopen_count", gettext_lazy("Reopened")),
    ("supervision_count", gettext_lazy("Supervised")),
]


def _when(value: str) -> str:
    parsed = parse_datetime(value) if isinstance(value, str) else None
    return dateformat.format(timezone.localtime(parsed), "Y-m-d H:i") if parsed else str(value)


def _choice(enum: Any, value: Any) -> str:
    return str(enum(value).label) if value in enum.values else str(value)


def _flow_data(data: dict[str, Any], names: dict[str, str]) -> list[tuple[str, str, str]]:
    """(label, text, link) of a flow record's data worth showing."""
    rows: list[tuple[str, str, str]] = []
    if data.get("source"):
        rows.append((_("Source"), _choice(Source, data["source"]), ""))
    if data.get("source_ref"):
        rows.append((_("Source reference"), str(data["source_ref"]), ""))
    if data.get("lead_unit"):
        rows.append((_("Lead unit"), names.get(data["lead_unit"], data["lead_unit"]), ""))
    if data.get("co_units"):
        rows.append((_("Co-handling units"), "、".join(names.get(c, c) for c in data["co_units"]), ""))
    if data.get("handle_due_at"):
        rows.append((_("Handling due"), _when(data["handle_due_at"]), ""))
    if data.get("extra_days"):
        n = int(data["extra_days"])
        rows.append((_("Extension"), ngettext("%(n)d working day", "%(n)d working days", n) % {"n": n}, ""))
    if data.get("to_level"):
        rows.append((_("To level"), _choice(Level, data["to_level"]), ""))
    if data.get("merge_into"):
        target = int(data["merge_into"])
        rows.append((_("Merged into"), f"#{target}", reverse("events:detail", args=[target])))
    if data.get("evaluation"):
        rows.append((_("Evaluation"), _choice(Evaluation, data["evaluation"]), ""))
    if data.get("previous_evaluation"):
        rows.append((_("Previous evaluation"), _choice(Evaluation, data["previous_evaluation"]), ""))
    return rows


def _timeline(user: User, event: Event, revealed: bool = False) -> list[dict[str, Any]]:
    flows = queries.timeline(user, event, revealed=revealed)
    codes: set[str] = set()
    for f in flows:
        codes.update(c for c in [f.data.get("lead_unit"), *(f.data.get("co_units") or [])] if c)
    names = page_queries.unit_names(codes)
    items = []
    for f in flows:
        label = flow_label(f.action)
        if f.action == "handle" and f.data.get("on_spot"):
            label = _("Handled on the spot")
        items.append(
            {
                "flow": f,
                "label": label,
                "from": state_label(f.from_state) if f.from_state else "",
                "to": state_label(f.to_state),
                "data": _flow_data(f.data, names),
                "changed": f.from_state != f.to_state,
            }
        )
    return items


def _form_data_rows(event: Event) -> list[tuple[str, str]]:
    props = (event.category.form_schema or {}).get("properties", {})
    rows = []
    for key, value in (event.form_data or {}).items():
        label = str((props.get(key) or {}).get("title") or key)
        if isinstance(value, bool):
            text = _("Yes") if value else _("No")
        elif isinstance(value, list):
            text = "、".join(str(v) for v in value)
        else:
            text = str(value)
        rows.append((label, text))
    return rows


def _attachment_items(user: User, event: Event) -> list[dict[str, Any]]:
    """The event's attachments with the URLs of the file and its thumbnail (when those pages are mounted)."""
    items = []
    for item in attachments.attachments(user, event.pk):
        try:
            file_url = reverse("event_attachments:file", args=[event.pk, item.pk])
            thumb_url = (
                reverse("event_attachments:thumbnail", args=[event.pk, item.pk]) if item.thumbnail else ""
            )
        except NoReverseMatch:
            return []
        items.append({"item": item, "url": file_url, "thumbnail_url": thumb_url})
    return items


def _action_form(user: User, event: Event, transition: Transition, data: Any = None) -> ActionForm:
    units = page_queries.dispatch_units(user, event.category) if "lead_unit" in transition.required else None
    return ActionForm(data, transition=transition, units=units, initial={"version": event.version})


# Which of the offered actions is shown open (the others fold away): presentation only, the workflow
# decides what is offered.
MAIN_ACTIONS = (
    "accept",
    "dispatch",
    "sign",
    "handle",
    "resume",
    "approve_extension",
    "verify_pass",
    "evaluate",
    "acknowledge",
)


def _render_detail(
    request: HttpRequest, event: Event, *, failed: ActionForm | None = None, reveal: bool = False
) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    transitions = available_actions(user, event)
    action_forms = [
        failed
        if failed is not None and failed.transition.action == t.action
        else _action_form(user, event, t)
        for t in transitions
    ]
    stale = failed if failed is not None and failed not in action_forms else None
    primary = [f for f in action_forms if not f.transition.danger]
    main = next(
        (f for name in MAIN_ACTIONS for f in primary if f.transition.action == name),
        primary[0] if primary else None,
    )
    can_merge = any(t.action == "merge" for t in transitions)
    return render(
        request,
        "events/detail.html",
        {
            "event": event,
            "trail": page_queries.region_trail(user, event.region),
            "timeline": _timeline(user, event, reveal),
            "co_units": page_queries.co_units(event),
            "supervisions": page_queries.supervisions(event),
            "attachments": _attachment_items(user, event),
            "counts": [(label, getattr(event, field)) for field, label in COUNT_LABELS],
            "extra_rows": _form_data_rows(event),
            "reporter": queries.reporter_shown(user, event, revealed=reveal),
            "main_form": main,
            "more_forms": [f for f in primary if f is not main],
            "danger_forms": [f for f in action_forms if f.transition.danger],
            "stale_form": stale,
            "duplicates": page_queries.duplicate_hints(user, event) if can_merge else [],
            "hub_escalation": federation_queries.can_escalate(user, event),
        },
    )


@login_required
def detail(request: HttpRequest, event_id: int) -> HttpResponse:
    return _render_detail(request, queries.event(request.user, event_id))


def _perform(
    user: User, event_id: int, action: str, version: int, comment: str, fields: dict[str, Any]
) -> Event:
    try:
        return actions.perform(user, event_id, action, version=version, comment=comment, **fields)
    except (Conflict, actions.ActionNotAvailable) as exc:
        raise Conflict(_("This event has just been handled by someone else. Refresh and try again.")) from exc


@require_POST
@login_required
def act(request: HttpRequest, event_id: int, action: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    event = queries.event(user, event_id)
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise NotFound()
    form = _action_form(user, event, transition, request.POST)
    if form.is_valid():
        done = run_action(
            form,
            _perform,
            user,
            event.pk,
            action,
            form.cleaned_data["version"],
            form.cleaned_data["comment"],
            form.action_fields(),
        )
        if done is not None:
            messages.success(request, _("%(action)s: done.") % {"action": transition.label})
            return redirect("events:detail", event_id=event.pk)
    return _render_detail(request, event, failed=form)


@require_POST
@login_required
def reveal_reporter(request: HttpRequest, event_id: int) -> HttpResponse:
    """Show the reporter's name and phone in full, to those who work on the event; audited."""
    user: User = request.user  # type: ignore[assignment]
    event = actions.reveal_reporter(user, event_id)
    if request.headers.get("HX-Request"):
        # The reporter, and their name in the timeline (swapped out of band).
        return render(
            request,
            "events/_reporter.html",
            {
                "event": event,
                "reporter": queries.reporter_shown(user, event, revealed=True),
                "timeline": _timeline(user, event, revealed=True),
                "timeline_oob": True,
            },
        )
    return _render_detail(request, event, reveal=True)


# --- search and export -----------------------------------------------------------------------------


def _search_form(request: HttpRequest) -> SearchForm:
    return SearchForm(request.GET or None, categories=list(queries.categories().order_by("code")))


@login_required
def search(request: HttpRequest) -> HttpResponse:
    form = _search_form(request)
    page = Paginator(queries.search(request.user, form.event_filter()), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "events/search.html",
        {"form": form, "page": page, "export_cap": EXPORT_CAP, "over_cap": page.paginator.count > EXPORT_CAP},
    )


EXPORT_COLUMNS = [
    gettext_lazy("Number"),
    gettext_lazy("Title"),
    gettext_lazy("Category"),
    gettext_lazy("State"),
    gettext_lazy("Source"),
    gettext_lazy("Region"),
    gettext_lazy("Region code"),
    gettext_lazy("Address"),
    gettext_lazy("Reported at"),
    gettext_lazy("Due"),
    gettext_lazy("Lead unit"),
    gettext_lazy("Evaluation"),
    gettext_lazy("Times returned"),
    gettext_lazy("Times reworked"),
]
EXPORT_WIDTHS = [20, 30, 20, 12, 12, 18, 16, 30, 17, 17, 22, 10, 9, 9]


def _naive(value: datetime | None) -> datetime | None:
    """Excel has no time zones: local time without one."""
    return timezone.localtime(value).replace(tzinfo=None) if value else None


def _text(ws: Any, value: str) -> Any:
    """A text cell that spreadsheets never read as a formula (titles come from the public)."""
    cell = WriteOnlyCell(ws, value=value)
    cell.data_type = "s"
    return cell


@require_GET
@login_required
def export(request: HttpRequest) -> FileResponse:
    user: User = request.user  # type: ignore[assignment]
    form = _search_form(request)
    f = form.event_filter()
    total = queries.search(user, f).count()
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_("Events"))
    for index, width in enumerate(EXPORT_WIDTHS):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    bold = Font(bold=True)
    header = []
    for title in EXPORT_COLUMNS:
        cell = WriteOnlyCell(sheet, value=str(title))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    rows = 0
    for e in page_queries.export_rows(user, f, EXPORT_CAP):
        category = f"{e.category.parent.name}/{e.category.name}" if e.category.parent else e.category.name
        sheet.append(
            [
                e.ref,
                _text(sheet, e.title),
                category,
                e.get_state_display(),
                e.get_source_display(),
                e.region.name,
                e.region_code,
                _text(sheet, e.address),
                _naive(e.reported_at),
                _naive(e.due_at),
                e.lead_unit.name if e.lead_unit else "",
                e.get_evaluation_display(),
                e.return_count,
                e.rework_count,
            ]
        )
        rows += 1
    if total > rows:
        sheet.append([])
        sheet.append(
            [
                _("Only the first %(rows)d of %(total)d events were exported; narrow the filters.")
                % {"rows": rows, "total": total}
            ]
        )
    record(
        "event.export",
        actor=user,
        object_type="events.event",
        changes={"filters": form.used_filters(), "rows": rows, **({"total": total} if total > rows else {})},
    )
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it after streaming
    workbook.save(spool)
    spool.seek(0)
    prefix = _("events")
    name = f"{prefix}-{timezone.localdate():%Y%m%d}.xlsx"
    return FileResponse(
        spool,
        as_attachment=True,
        filename=name,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
