"""Pages of the event category tree: everyone logged in reads it, county-level administrators edit it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiceng.core.errors import InvalidInput
from jiceng.events import category_actions, category_queries
from jiceng.events.category_actions import can_edit_categories, require_category_admin
from jiceng.events.category_forms import CategoryForm, parse_schema_text, schema_text
from jiceng.events.models import EventCategory, Platform, Urgency
from jiceng.events.schema_form import SchemaForm, UnsupportedSchema, form_from_schema
from jiceng.web.forms import run_action


@dataclass
class Row:
    category: EventCategory
    is_child: bool

    @property
    def urgency_labels(self) -> list[str]:
        return [str(Urgency(u).label) for u in self.category.urgencies if u in Urgency.values]


@dataclass
class Preview:
    form: SchemaForm | None = None
    error: str = ""


def preview_of(schema: Any) -> Preview:
    """The report form that ``schema`` would give, or why it cannot be shown."""
    if not schema:
        return Preview()
    try:
        category_actions.check_form_schema(schema)
        return Preview(form=form_from_schema(schema)(prefix="preview"))
    except UnsupportedSchema as exc:
        return Preview(error=str(exc))
    except InvalidInput as exc:
        return Preview(error=str(exc.message))


@login_required
def category_list(request: HttpRequest) -> HttpResponse:
    platform = request.GET.get("platform", "")
    platform = platform if platform in Platform.values else ""
    q = request.GET.get("q", "")[:50]
    can_edit = can_edit_categories(request.user)
    branches = category_queries.tree(platform=platform, q=q, include_inactive=can_edit)
    rows = []
    for branch in branches:
        rows.append(Row(branch.category, False))
        rows += [Row(child, True) for child in branch.children]
    return render(
        request,
        "events/category_list.html",
        {
            "rows": rows,
            "branch_count": len(branches),
            "platform": platform,
            "platforms": Platform.choices,
            "q": q,
            "can_edit": can_edit,
        },
    )


@login_required
def category_detail(request: HttpRequest, code: str) -> HttpResponse:
    category = category_queries.category(code)
    return render(
        request,
        "events/category_detail.html",
        {
            "category": category,
            "row": Row(category, category.parent_id is not None),
            "children": category_queries.children(category),
            "schema_text": schema_text(category.form_schema),
            "preview": preview_of(category.form_schema),
            "can_edit": can_edit_categories(request.user),
        },
    )


def _form_page(request: HttpRequest, form: CategoryForm, category: EventCategory | None) -> HttpResponse:
    try:
        schema = parse_schema_text(form.data.get("form_schema", "")) if form.is_bound else None
    except ValueError as exc:
        preview = Preview(error=str(exc))
    else:
        preview = preview_of(schema if form.is_bound else (category.form_schema if category else None))
    return render(
        request,
        "events/category_form.html",
        {"form": form, "category": category, "creating": category is None, "preview": preview},
    )


@login_required
def category_create(request: HttpRequest) -> HttpResponse:
    require_category_admin(request.user)
    initial: dict[str, Any] = {"parent_code": request.GET.get("parent", "")[:20]}
    parent = EventCategory.objects.filter(code=initial["parent_code"], parent__isnull=True).first()
    defaults = EventCategory(platform=parent.platform if parent else Platform.SOCIAL_GOVERNANCE)
    for name in ("platform", *category_actions.HOUR_FIELDS, *category_actions.DAY_FIELDS):
        initial[name] = getattr(parent or defaults, name)
    if parent is not None:
        initial.update(
            standard=parent.standard,
            handler_kind=parent.handler_kind,
            handler_hint=parent.handler_hint,
            urgencies=parent.urgencies,
            on_spot_needs_confirmation=parent.on_spot_needs_confirmation,
            staff_only=parent.staff_only,
            form_schema=schema_text(parent.form_schema),
        )
    form = CategoryForm(request.POST or None, initial=initial)
    if request.method == "POST" and "preview" not in request.POST and form.is_valid():
        category = run_action(
            form,
            category_actions.create_category,
            request.user,
            code=form.cleaned_data["code"],
            **form.action_values(),
        )
        if category is not None:
            messages.success(request, _("The event category was created."))
            return redirect("event_categories:detail", code=category.code)
    return _form_page(request, form, None)


@login_required
def category_edit(request: HttpRequest, code: str) -> HttpResponse:
    require_category_admin(request.user)
    category = category_queries.category(code)
    initial = {
        "code": category.code,
        "parent_code": category.parent.code if category.parent else "",
        "form_schema": schema_text(category.form_schema),
        "version": category.version,
        **{name: getattr(category, name) for name in category_actions.EDITABLE if name != "form_schema"},
    }
    form = CategoryForm(request.POST or None, initial=initial, editing=True, category=category)
    if request.method == "POST" and "preview" not in request.POST and form.is_valid():
        done = run_action(
            form,
            category_actions.update_category,
            request.user,
            category,
            expected_version=form.cleaned_data["version"],
            **form.action_values(),
        )
        if done is not None:
            messages.success(request, _("The event category was saved."))
            return redirect("event_categories:detail", code=category.code)
    return _form_page(request, form, category)


@login_required
@require_POST
def schema_preview(request: HttpRequest) -> HttpResponse:
    """The live preview of the extra fields while the schema is typed (htmx)."""
    try:
        preview = preview_of(parse_schema_text(request.POST.get("form_schema", "")))
    except ValueError as exc:
        preview = Preview(error=str(exc))
    return render(request, "events/category_schema_preview.html", {"preview": preview})
