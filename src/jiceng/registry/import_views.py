"""Pages of imports and exports: templates, upload, the job's progress and error report, list exports.

Thin: parse the request, call ``imports`` / ``exports`` / ``queries``, render. Jobs a user may not see are
404, like records outside the jurisdiction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from jiceng.accounts.permissions import has_role, require_role
from jiceng.core.errors import InvalidInput, NotFound
from jiceng.registry import actions, exports, imports, queries, schema
from jiceng.registry.forms import FullExportForm, filter_form

if TYPE_CHECKING:
    from jiceng.accounts.models import User


def _kind(kind: str) -> str:
    if kind not in schema.MODELS:
        raise NotFound()
    return kind


def _kinds() -> list[dict[str, Any]]:
    return [
        {"kind": kind, "label": model._meta.verbose_name_plural, "fields": len(schema.FIELDS[kind])}
        for kind, model in schema.MODELS.items()
    ]


@require_safe
@login_required
def index(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    return render(
        request,
        "registry/import/index.html",
        {
            "kinds": _kinds(),
            "jobs": imports.jobs(user)[:20],
            "can_import": has_role(user, *actions.EDITOR_ROLES),
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def upload(request: HttpRequest, kind: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    kind = _kind(kind)
    require_role(user, *actions.EDITOR_ROLES)
    error = ""
    if request.method == "POST":
        upload_file = request.FILES.get("file")
        if upload_file is None:
            error = _("Choose a file to import.")
        else:
            try:
                job = imports.start_import(user, kind, upload_file)
            except InvalidInput as exc:
                error = str(exc.message)
            else:
                messages.success(request, _("The file was uploaded; the import runs in the background."))
                return redirect("registry_import:job", job_id=job.pk)
    model = schema.MODELS[kind]
    notes = exports.column_notes(kind)
    return render(
        request,
        "registry/import/upload.html",
        {
            "kind": kind,
            "label": model._meta.verbose_name_plural,
            "columns": [
                {"label": imports.label_of(kind, s.name), "required": s.required, "help": notes[s.name]}
                for s in schema.FIELDS[kind]
            ],
            "error": error,
            "jobs": imports.jobs(user, kind)[:10],
        },
    )


@require_safe
@login_required
def template_file(request: HttpRequest, kind: str, fmt: str) -> HttpResponseBase:
    return exports.template(_kind(kind), fmt)


@require_safe
@login_required
def job(request: HttpRequest, job_id: int) -> HttpResponse:
    found = imports.job(request.user, job_id)
    return render(
        request,
        "registry/import/job.html",
        {"job": found, "label": schema.MODELS[found.kind]._meta.verbose_name_plural},
    )


@require_safe
@login_required
def job_progress(request: HttpRequest, job_id: int) -> HttpResponse:
    return render(request, "registry/import/_progress.html", {"job": imports.job(request.user, job_id)})


@require_safe
@login_required
def job_errors(request: HttpRequest, job_id: int) -> FileResponse:
    found = imports.job(request.user, job_id)
    if not found.error_report:
        raise NotFound()
    suffix = _("errors")
    return FileResponse(
        found.error_report.open("rb"),
        as_attachment=True,
        filename=f"{found.filename.rsplit('.', 1)[0]}-{suffix}.csv",
        content_type="text/csv; charset=utf-8",
    )


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def export(request: HttpRequest, kind: str) -> HttpResponseBase:
    """The list's records, with the list's filters (``forms.filter_form``), masked. In full only through
    the form that asks for a purpose (GET shows it, POST exports), for ``queries.FULL_EXPORT_ROLES``."""
    user: User = request.user  # type: ignore[assignment]
    kind = _kind(kind)
    data = request.POST if request.method == "POST" else request.GET
    filters = filter_form(user, kind, data).values()
    records = queries.records(user, kind, **filters)
    if request.method != "POST" and data.get("reveal") not in ("1", "true", "on"):
        return exports.export_rows(user, kind, records, fmt=data.get("fmt", "xlsx"), filters=filters)
    require_role(user, *queries.FULL_EXPORT_ROLES)
    form = FullExportForm(
        request.POST if request.method == "POST" else None, initial={"fmt": data.get("fmt", "xlsx")}
    )
    if form.is_valid():
        return exports.export_rows(
            user,
            kind,
            records,
            fmt=form.cleaned_data["fmt"],
            reveal=True,
            filters=filters,
            purpose=form.cleaned_data["purpose"],
        )
    return render(
        request,
        "registry/import/export_full.html",
        {
            "kind": kind,
            "label": schema.MODELS[kind]._meta.verbose_name_plural,
            "form": form,
            "filters": sorted(filters.items()),
            "count": records.count(),
            "list_url": f"{reverse('registry:list', kwargs={'kind': kind})}?{urlencode(filters)}",
        },
    )
