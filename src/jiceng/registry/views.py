"""Pages of the base data (基础数据): overview, lists, the 360° record pages, forms and data quality.

Thin: parse, call ``actions`` / ``queries``, render. Everything is read through the user's jurisdiction
(``queries``), so a record outside it is a 404 like a missing one; personal data is masked unless the user
asks to see it in full (audited by ``actions.reveal``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.http import urlencode
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from jiceng.accounts.permissions import has_role, require_role
from jiceng.accounts.roles import Role
from jiceng.audit.actions import record_sensitive_view
from jiceng.core.errors import Conflict, NotFound, PermissionDenied
from jiceng.registry import actions, page_queries, quality, queries, schema
from jiceng.registry.forms import (
    DeleteForm,
    EndSpecialGroupForm,
    RecordForm,
    RevealForm,
    SpecialGroupForm,
    display_value,
    filter_form,
    initial_for,
    model_field,
    special_group_field_label,
)
from jiceng.registry.models import (
    CityComponent,
    CreditRecord,
    House,
    Household,
    Organization,
    Person,
    Record,
    SpecialGroup,
    SpecialGroupRecord,
)
from jiceng.web.forms import run_action

if TYPE_CHECKING:
    from jiceng.accounts.models import User

PAGE_SIZE = 50


def kind_label(kind: str, plural: bool = True) -> str:
    meta = schema.MODELS[kind]._meta
    return capfirst(str(meta.verbose_name_plural if plural else meta.verbose_name))


def record_key(obj: Record) -> str:
    """How pages address a record: its natural key, or its id for people and credit records."""
    if obj.kind == "person" or obj.natural_key == "pk":
        return str(obj.pk)
    return str(getattr(obj, obj.natural_key))


def record_url(obj: Record | None, name: str = "detail") -> str:
    if obj is None:
        return ""
    return reverse(f"registry:{name}", kwargs={"kind": obj.kind, "key": record_key(obj)})


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _can_edit(user: User) -> bool:
    return has_role(user, *actions.EDITOR_ROLES)


# --- overview -----------------------------------------------------------------------------------------------


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    counts = page_queries.counts(user)
    kinds = [
        {
            "kind": kind,
            "label": kind_label(kind),
            "count": counts[kind],
            "url": reverse("registry:list", kwargs={"kind": kind}),
        }
        for kind in schema.KINDS
    ]
    return render(request, "registry/overview.html", {"kinds": kinds, "can_edit": _can_edit(user)})


# --- lists --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    label: Any
    value: Callable[[Any], Any]
    wide_only: bool = False  # hidden on phones


def _region_name(obj: Record) -> str:
    return obj.region.name if obj.region_id else ""


def _choice(obj: Record, name: str) -> str:
    return display_value(obj.kind, name, getattr(obj, name))


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


def _subject(obj: CreditRecord) -> str:
    subject = obj.subject_person or obj.subject_organization
    return str(subject) if subject else ""


COLUMNS: dict[str, list[Column]] = {
    "person": [
        Column(gettext_lazy("ID number"), lambda p: p.id_number_masked),
        Column(gettext_lazy("sex"), lambda p: p.get_sex_display()),
        Column(gettext_lazy("date of birth"), lambda p: _day(p.birth_date)),
        Column(gettext_lazy("population type"), lambda p: p.get_population_type_display(), wide_only=True),
        Column(gettext_lazy("grid or village"), _region_name),
        Column(gettext_lazy("address"), lambda p: p.address, wide_only=True),
        Column(gettext_lazy("phone"), lambda p: p.phone_masked, wide_only=True),
    ],
    "household": [
        Column(gettext_lazy("head of household"), lambda h: h.head.name if h.head else ""),
        Column(gettext_lazy("members"), lambda h: h.member_count),
        Column(gettext_lazy("house"), lambda h: h.house.code if h.house else "", wide_only=True),
        Column(gettext_lazy("grid or village"), _region_name),
        Column(gettext_lazy("address"), lambda h: h.address, wide_only=True),
    ],
    "house": [
        Column(gettext_lazy("address"), lambda h: h.address),
        Column(gettext_lazy("use"), lambda h: _choice(h, "use"), wide_only=True),
        Column(gettext_lazy("owner name"), lambda h: h.owner_name),
        Column(gettext_lazy("rented out for"), lambda h: _choice(h, "rental_use"), wide_only=True),
        Column(gettext_lazy("grid or village"), _region_name),
    ],
    "organization": [
        Column(gettext_lazy("unified social credit code"), lambda o: o.credit_code),
        Column(gettext_lazy("kind"), lambda o: o.get_org_kind_display()),
        Column(gettext_lazy("legal representative"), lambda o: o.legal_representative, wide_only=True),
        Column(gettext_lazy("risk level"), lambda o: o.get_risk_level_display()),
        Column(gettext_lazy("grid or village"), _region_name),
    ],
    "place": [
        Column(gettext_lazy("place code"), lambda p: p.code),
        Column(gettext_lazy("type"), lambda p: p.get_place_type_display()),
        Column(gettext_lazy("risk level"), lambda p: p.get_risk_level_display()),
        Column(gettext_lazy("last inspected on"), lambda p: _day(p.last_inspected_on), wide_only=True),
        Column(gettext_lazy("grid or village"), _region_name),
    ],
    "component": [
        Column(gettext_lazy("class"), lambda c: c.class_name),
        Column(gettext_lazy("state"), lambda c: c.get_state_display()),
        Column(gettext_lazy("address"), lambda c: c.address, wide_only=True),
        Column(gettext_lazy("grid or village"), _region_name),
    ],
    "credit": [
        Column(gettext_lazy("kind"), lambda c: c.get_credit_kind_display()),
        Column(gettext_lazy("subject"), _subject),
        Column(gettext_lazy("decided on"), lambda c: _day(c.decided_on)),
        Column(gettext_lazy("source"), lambda c: c.source, wide_only=True),
    ],
}
# The first column: what the record is called in the list.
TITLE_LABELS: dict[str, Promise] = {
    "person": schema.PERSON_NAME,
    "household": gettext_lazy("household number"),
    "house": gettext_lazy("house code"),
    "organization": gettext_lazy("name"),
    "place": gettext_lazy("name"),
    "component": gettext_lazy("component code"),
    "credit": gettext_lazy("title"),
}


def _title(obj: Record) -> str:
    if isinstance(obj, Household):
        return obj.number
    if isinstance(obj, House | CityComponent):
        return obj.code
    return str(obj)


def _rows(objects: Any, kind: str) -> list[dict[str, Any]]:
    return [
        {
            "title": _title(obj),
            "url": record_url(obj),
            "cells": [(capfirst(str(col.label)), col.value(obj), col.wide_only) for col in COLUMNS[kind]],
        }
        for obj in objects
    ]


@login_required
def record_list(request: HttpRequest, kind: str) -> HttpResponse:
    user = _user(request)
    form = filter_form(user, kind, request.GET)
    filters = form.values()
    objects = page_queries.listing(user, kind, **filters)
    search_error = form.is_bound and "q" in form.errors
    if search_error:  # a dropped search would list (and export) everyone
        objects = objects.none()
        filters["q"] = request.GET.get("q", "")
    page = Paginator(objects, PAGE_SIZE).get_page(request.GET.get("page"))
    export_base = reverse("registry_import:export", kwargs={"kind": kind})
    return render(
        request,
        "registry/list.html",
        {
            "kind": kind,
            "label": kind_label(kind),
            "title_label": capfirst(str(TITLE_LABELS[kind])),
            "columns": [(capfirst(str(c.label)), c.wide_only) for c in COLUMNS[kind]],
            "form": form,
            "page": page,
            "rows": _rows(page.object_list, kind),
            "filtered": bool(filters) or search_error,
            "export_xlsx": f"{export_base}?{urlencode({**filters, 'fmt': 'xlsx'})}",
            "export_csv": f"{export_base}?{urlencode({**filters, 'fmt': 'csv'})}",
            "export_full": f"{export_base}?{urlencode({**filters, 'reveal': '1'})}"
            if queries.may_export_full(user) and any(s.personal for s in schema.FIELDS[kind])
            else "",
            "import_url": reverse("registry_import:upload", kwargs={"kind": kind}),
            "can_edit": _can_edit(user),
        },
    )


# --- the record page ----------------------------------------------------------------------------------------


def _link(obj: Record | None) -> tuple[str, str]:
    return (str(obj), record_url(obj)) if obj is not None else ("", "")


def _facts(kind: str, obj: Record, revealed: dict[str, str] | None) -> list[dict[str, Any]]:
    """Every declared field of the record as people read it; personal data masked unless revealed."""
    facts: list[dict[str, Any]] = []

    def add(label: Any, text: Any, url: str = "", personal: bool = False, full: bool = False) -> None:
        facts.append(
            {"label": capfirst(str(label)), "text": text, "url": url, "personal": personal, "full": full}
        )

    for spec in schema.FIELDS[kind]:
        name = spec.name
        if name == "region":
            add(
                gettext_lazy("grid or village"),
                f"{obj.region.name} ({obj.region_code})",
                reverse("org:region_detail", args=[obj.region_code]),
            )
        elif name == "subject_id_number":
            assert isinstance(obj, CreditRecord)
            if obj.subject_person is not None:
                person = obj.subject_person
                add(gettext_lazy("subject"), person.name, record_url(person))
                add(spec.label, person.id_number_masked, personal=True)
        elif name == "subject_credit_code":
            assert isinstance(obj, CreditRecord)
            if obj.subject_organization is not None:
                add(gettext_lazy("subject"), *_link(obj.subject_organization))
                add(spec.label, obj.subject_organization.credit_code)
        elif spec.personal:
            full = revealed is not None and name in revealed
            value = revealed[name] if revealed is not None and name in revealed else _masked(obj, name)
            add(spec.label, value, personal=True, full=full)
        elif name in ("house", "household", "organization"):
            target, field = getattr(obj, name), model_field(kind, name)
            label = field.verbose_name if field is not None else spec.label
            add(label, _title(target) if target else "", record_url(target))
        else:
            add(spec.label, display_value(kind, name, getattr(obj, name, None)))
        if name == "id_number" and isinstance(obj, Person):
            add(gettext_lazy("date of birth"), _day(obj.birth_date))
            add(gettext_lazy("sex"), obj.get_sex_display())
        if name == "code" and isinstance(obj, CityComponent):
            add(
                gettext_lazy("component class"), f"{obj.get_major_display()} › {obj.class_name} ({obj.minor})"
            )
    return facts


def _masked(obj: Record, name: str) -> str:
    masked = getattr(obj, f"{name}_masked", None)
    return str(masked or "")


def _has_personal(kind: str, obj: Record) -> bool:
    return any(s.personal and getattr(obj, s.name, "") for s in schema.FIELDS[kind])


ACTION_LABELS: dict[str, Promise] = {
    "create": gettext_lazy("Record created"),
    "update": gettext_lazy("Record changed"),
    "delete": gettext_lazy("Record deleted"),
    "tenant": gettext_lazy("Tenant added"),
}


def _history_items(user: User, kind: str, obj: Record) -> list[dict[str, Any]]:
    labels: dict[str, Any] = {s.name: s.label for s in schema.FIELDS[kind]}
    labels["reason"] = gettext_lazy("Reason for deletion")
    labels["person"] = gettext_lazy("person")
    items = []
    for entry in page_queries.history(user, obj):
        rows: list[tuple[str, str | None, str]] = []
        verb = entry.action.rsplit(".", 1)[-1]
        for name, change in (entry.changes or {}).items():
            label = capfirst(str(labels.get(name, name)))
            if isinstance(change, dict) and set(change) == {"before", "after"}:
                if verb == "create" and change["after"] in (None, "", []):
                    continue
                rows.append(
                    (
                        label,
                        display_value(kind, name, change["before"]),
                        display_value(kind, name, change["after"]),
                    )
                )
            else:
                rows.append((label, None, display_value(kind, name, change)))
        items.append(
            {"entry": entry, "label": ACTION_LABELS.get(verb, entry.action), "rows": rows, "verb": verb}
        )
    return items


def _special_groups(user: User, person: Person) -> list[dict[str, Any]] | None:
    """The person's special-group records for those who may see them; showing them is audited."""
    groups = queries.special_groups(user, person)
    if groups is None:
        return None
    record_sensitive_view(user, person, ["special_groups"], action="registry.person.special_groups.view")
    return [
        {
            "view": g,
            "details": [(special_group_field_label(k), code, name) for k, (code, name) in g.details.items()],
            "end_form": EndSpecialGroupForm(initial={"version": g.version}, prefix=f"end-{g.id}")
            if g.ended_on is None
            else None,
        }
        for g in groups
    ]


def _context_360(user: User, obj: Record) -> dict[str, Any]:
    if isinstance(obj, Person):
        return {"p360": queries.person_360(user, obj)}
    if isinstance(obj, House):
        return {"h360": queries.house_360(user, obj)}
    if isinstance(obj, Organization):
        return {"o360": queries.organization_360(user, obj)}
    if isinstance(obj, Household):
        return {
            "members": queries.records(user, "person")
            .filter(household=obj)
            .order_by("relation_to_head", "id")
        }
    return {}


def _render_detail(
    request: HttpRequest,
    kind: str,
    obj: Record,
    *,
    revealed: dict[str, str] | None = None,
    reveal_form: RevealForm | None = None,
    delete_form: DeleteForm | None = None,
    group_form: SpecialGroupForm | None = None,
    end_form: tuple[int, EndSpecialGroupForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = _user(request)
    context: dict[str, Any] = {
        "kind": kind,
        "label": kind_label(kind),
        "singular": kind_label(kind, plural=False),
        "obj": obj,
        "title": _title(obj),
        "key": record_key(obj),
        "list_url": reverse("registry:list", kwargs={"kind": kind}),
        "facts": _facts(kind, obj, revealed),
        "revealed": revealed is not None,
        "can_reveal": revealed is None and queries.may_reveal(user) and _has_personal(kind, obj),
        "reveal_form": reveal_form or RevealForm(),
        "can_edit": _can_edit(user),
        "delete_form": delete_form or DeleteForm(initial={"version": obj.version}),
        "history": _history_items(user, kind, obj),
        "viewers": list(queries.viewers(user, obj)[:50]) if has_role(user, Role.ADMIN) else None,
        **_context_360(user, obj),
    }
    if isinstance(obj, Person):
        groups = _special_groups(user, obj)
        if groups is not None and end_form is not None:
            for g in groups:
                if g["view"].id == end_form[0]:
                    g["end_form"] = end_form[1]
        context["special_groups"] = groups
        if groups is not None:
            context["group_forms"] = [
                group_form
                if group_form is not None and group_form.group_code == value
                else SpecialGroupForm(value)
                for value in SpecialGroup.values
            ]
            context["group_form_failed"] = group_form.group_code if group_form is not None else ""
    return render(request, "registry/detail.html", context, status=status)


@login_required
def detail(request: HttpRequest, kind: str, key: str) -> HttpResponse:
    user = _user(request)
    return _render_detail(request, kind, queries.get(user, kind, key))


@require_http_methods(["GET", "POST"])
@login_required
def reveal(request: HttpRequest, kind: str, key: str) -> HttpResponse:
    """The record's personal data in full, once, for the roles that may ask; every view is audited.

    The answer to the POST is the page itself: the full values are never put in the session for a
    redirect. A GET here — the address bar after a reveal, a reload or a bookmark — goes back to the record
    (masked again) instead of an error."""
    if request.method == "GET":
        return redirect(reverse("registry:detail", kwargs={"kind": kind, "key": key}))
    user = _user(request)
    obj = queries.get(user, kind, key)
    if not queries.may_reveal(user):
        raise PermissionDenied()
    form = RevealForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, kind, obj, reveal_form=form)
    values = actions.reveal(user, obj, form.cleaned_data["purpose"])
    return _render_detail(request, kind, obj, revealed=values)


@require_POST
@login_required
def delete(request: HttpRequest, kind: str, key: str) -> HttpResponse:
    user = _user(request)
    obj = queries.get(user, kind, key)
    require_role(user, *actions.EDITOR_ROLES)
    form = DeleteForm(request.POST)
    if form.is_valid():
        done = run_action(
            form,
            actions.delete,
            user,
            obj,
            form.cleaned_data["reason"],
            expected_version=form.cleaned_data["version"],
        )
        if done is not None:
            messages.success(request, _("%(record)s was deleted.") % {"record": _title(obj)})
            return redirect("registry:list", kind=kind)
    return _render_detail(request, kind, obj, delete_form=form)


# --- forms --------------------------------------------------------------------------------------------------


STALE_EDIT = gettext_lazy(
    "Someone else saved this record while you were editing it, so your changes were not saved. "
    "What you typed is still in the form; where the saved record now differs, its value is shown "
    "under the field. Check and save again."
)


class StaleEdit(Exception):
    """Someone saved the record after the form was opened."""


def _update(user: User, obj: Record, data: dict[str, str], version: int | None) -> Record:
    try:
        return actions.update(user, obj, data, expected_version=version)
    except Conflict as exc:
        raise StaleEdit() from exc


def _render_form(
    request: HttpRequest,
    kind: str,
    form: RecordForm,
    obj: Record | None = None,
    saved_now: dict[str, str] | None = None,
) -> HttpResponse:
    saved_now = saved_now or {}
    return render(
        request,
        "registry/form.html",
        {
            "kind": kind,
            "label": kind_label(kind),
            "singular": kind_label(kind, plural=False),
            "form": form,
            "fields": [(f, saved_now.get(f.name)) for f in form.visible_fields()],
            "obj": obj,
            "title": _title(obj) if obj is not None else "",
            "cancel_url": record_url(obj)
            if obj is not None
            else reverse("registry:list", kwargs={"kind": kind}),
        },
    )


@login_required
def create(request: HttpRequest, kind: str) -> HttpResponse:
    user = require_role(request.user, *actions.EDITOR_ROLES)
    names = {s.name for s in schema.FIELDS[kind]}
    initial = {k: v[:100] for k, v in request.GET.items() if k in names}
    form = RecordForm(
        kind,
        request.POST if request.method == "POST" else None,
        regions=page_queries.region_options(user),
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        obj = run_action(form, actions.create, user, kind, form.data_for_create())
        if obj is not None:
            messages.success(request, _("%(record)s was saved.") % {"record": _title(obj)})
            return redirect(record_url(obj))
    return _render_form(request, kind, form)


@login_required
def edit(request: HttpRequest, kind: str, key: str) -> HttpResponse:
    user = require_role(request.user, *actions.EDITOR_ROLES)
    obj = queries.get(user, kind, key)
    regions = page_queries.region_options(user)
    form = RecordForm(kind, request.POST if request.method == "POST" else None, regions=regions, instance=obj)
    if request.method != "POST" or not form.is_valid():
        return _render_form(request, kind, form, obj)
    data = form.data_for_update()
    if not data:
        messages.info(request, _("Nothing was changed."))
        return redirect(record_url(obj))
    try:
        done = run_action(form, _update, user, obj, data, form.cleaned_data["version"])
    except StaleEdit:
        return _stale(request, kind, key, form)
    if done is None:
        return _render_form(request, kind, form, obj)
    messages.success(request, _("%(record)s was saved.") % {"record": _title(done)})
    return redirect(record_url(done))


def _stale(request: HttpRequest, kind: str, key: str, typed: RecordForm) -> HttpResponse:
    """Someone else saved first: keep what the user typed, show what is saved now, and let them save again."""
    user = _user(request)
    current = queries.get(user, kind, key)  # 404 when it was deleted meanwhile
    data = request.POST.copy()
    data["version"] = str(current.version)
    form = RecordForm(kind, data, regions=page_queries.region_options(user), instance=current)
    form.is_valid()
    form.add_error(None, str(STALE_EDIT))
    now = current_values(kind, current)
    saved_now = {
        name: _shown(form, name, now[name])
        for name in typed.changed_data
        if name in now and str(_as_text(typed.cleaned_data.get(name))) != now[name]
    }
    return _render_form(request, kind, form, current, saved_now)


def _as_text(value: Any) -> str:
    return ",".join(value) if isinstance(value, list | tuple) else "" if value is None else str(value)


def current_values(kind: str, obj: Record) -> dict[str, str]:
    """The record's non-personal values as the form holds them (for the stale-edit comparison)."""
    return {name: _as_text(value) for name, value in initial_for(kind, obj).items() if name != "version"}


def _shown(form: RecordForm, name: str, text: str) -> str:
    """A form value as the user reads it: the names of coded values."""
    choices = getattr(form.fields[name], "choices", None)
    if not choices or not text:
        return text
    labels = {str(code): str(label) for code, label in choices}
    return "、".join(labels.get(part, part) for part in text.split(","))


# --- special groups -----------------------------------------------------------------------------------------


def _group_person(user: User, key: str) -> Person:
    person = queries.get(user, "person", key)
    assert isinstance(person, Person)
    if not queries.may_see_special_groups(user, person):
        raise PermissionDenied()
    return person


@require_POST
@login_required
def special_group_add(request: HttpRequest, key: str, kind: str = "person") -> HttpResponse:
    user = _user(request)
    person = _group_person(user, key)
    group = request.POST.get("group", "")
    if group not in SpecialGroup.values:
        raise NotFound()
    form = SpecialGroupForm(group, request.POST)
    if form.is_valid():
        done = run_action(
            form,
            actions.add_special_group,
            user,
            person,
            group,
            form.details(),
            started_on=form.cleaned_data["started_on"],
        )
        if done is not None:
            messages.success(request, _("Added to the special group “%(group)s”.") % {"group": form.label})
            return redirect(record_url(person))
    return _render_detail(request, "person", person, group_form=form)


@require_POST
@login_required
def special_group_end(request: HttpRequest, key: str, entry_id: int, kind: str = "person") -> HttpResponse:
    user = _user(request)
    person = _group_person(user, key)
    groups = queries.special_groups(user, person) or []
    if not any(g.id == entry_id for g in groups):
        raise NotFound()
    form = EndSpecialGroupForm(request.POST, prefix=f"end-{entry_id}")
    if form.is_valid():
        done = run_action(
            form,
            actions.end_special_group,
            user,
            SpecialGroupRecord(pk=entry_id),
            form.cleaned_data["ended_on"],
            expected_version=form.cleaned_data["version"],
        )
        if done is not None:
            messages.success(request, _("The special-group record was ended."))
            return redirect(record_url(person))
    return _render_detail(request, "person", person, end_form=(entry_id, form))


# --- data quality -------------------------------------------------------------------------------------------


@login_required
def quality_page(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    try:
        months = int(request.GET.get("months", quality.DEFAULT_MONTHS))
    except ValueError:
        months = quality.DEFAULT_MONTHS
    if months not in quality.MONTH_CHOICES:
        months = quality.DEFAULT_MONTHS
    show = request.GET.get("show", "")[:60]
    listed: dict[str, Any] | None = None
    if show in quality.CHECKS_BY_ID:
        check = quality.CHECKS_BY_ID[show]
        listed = {"label": check.label, "kind": check.kind, "records": quality.failing(user, show)}
    elif show.startswith("stale:") and show[6:] in schema.KINDS:
        stale_kind = show[6:]
        listed = {
            "label": _("%(kind)s not updated for %(n)d months")
            % {"kind": kind_label(stale_kind), "n": months},
            "kind": stale_kind,
            "records": quality.not_updated(user, stale_kind, months),
            "stale": True,
        }
    if listed is not None:
        listed["rows"] = [
            {"title": _title(r), "url": record_url(r), "region": _region_name(r), "updated_at": r.updated_at}
            for r in listed["records"]
        ]
    rows = quality.per_grid(user)
    top = quality.column_max(rows)
    summary = quality.summary(user, months)
    return render(
        request,
        "registry/quality.html",
        {
            "summary": summary,
            "missing": summary.section(quality.MISSING),
            "invalid": summary.section(quality.INVALID),
            "stale": [
                {"kind": k, "label": kind_label(k), "count": summary.stale[k], "total": summary.totals[k]}
                for k in schema.KINDS
            ],
            "grid_kinds": [(k, kind_label(k)) for k in quality.GRID_KINDS],
            "grid_rows": [
                {"code": r.code, "name": r.name, "cells": [(r.count(k), top[k]) for k in quality.GRID_KINDS]}
                for r in rows
            ],
            "duplicates": quality.duplicates(user),
            "months": months,
            "month_choices": quality.MONTH_CHOICES,
            "listed": listed,
            "show": show,
            "today": timezone.localdate(),
        },
    )
