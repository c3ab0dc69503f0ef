from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from jiceng.accounts import queries as account_queries
from jiceng.accounts.permissions import has_role, require_role
from jiceng.accounts.roles import Role
from jiceng.org import actions, queries
from jiceng.org.forms import RegionForm, RegionImportForm, UnitForm
from jiceng.org.models import RegionLevel, UnitKind
from jiceng.web.forms import run_action


@login_required
def region_list(request: HttpRequest) -> HttpResponse:
    level = request.GET.get("level", "")
    level = level if level in RegionLevel.values else ""
    parent, q = request.GET.get("parent", "")[:18], request.GET.get("q", "")[:50]
    if not (level or parent or q):
        regions = queries.root_regions(request.user)
    else:
        regions = queries.regions(request.user, level=level, parent=parent, q=q)
    page = Paginator(regions, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "org/region_list.html",
        {
            "page": page,
            "level": level,
            "parent": parent,
            "q": q,
            "levels": RegionLevel.choices,
            "can_edit": has_role(request.user, Role.ADMIN),
        },
    )


@login_required
def region_detail(request: HttpRequest, code: str) -> HttpResponse:
    region = queries.region(request.user, code)
    return render(
        request,
        "org/region_detail.html",
        {
            "region": region,
            "ancestors": queries.visible_ancestors(request.user, region),
            "children": queries.regions(request.user, parent=region.code),
            "units": queries.units(request.user, region=region.code),
            "can_edit": has_role(request.user, Role.ADMIN),
        },
    )


@login_required
def region_create(request: HttpRequest) -> HttpResponse:
    require_role(request.user, Role.ADMIN)
    form = RegionForm(request.POST or None, initial={"parent_code": request.GET.get("parent", "")})
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        region = run_action(form, actions.create_region, request.user, **data)
        if region is not None:
            messages.success(request, _("The region was created."))
            return redirect("org:region_detail", code=region.code)
    return render(request, "org/region_form.html", {"form": form, "creating": True})


@login_required
def region_edit(request: HttpRequest, code: str) -> HttpResponse:
    require_role(request.user, Role.ADMIN)
    region = queries.region(request.user, code)
    initial = {
        "code": region.code,
        "name": region.name,
        "level": region.level,
        "parent_code": region.parent.code if region.parent else "",
        "boundary": region.boundary,
        "is_active": region.is_active,
        "version": region.version,
    }
    form = RegionForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = run_action(
            form,
            actions.update_region,
            request.user,
            region,
            expected_version=data["version"],
            name=data["name"],
            boundary=data["boundary"],
            clear_boundary=not data["boundary"],
            is_active=data["is_active"],
        )
        if done is not None:
            messages.success(request, _("The region was saved."))
            return redirect("org:region_detail", code=region.code)
    return render(request, "org/region_form.html", {"form": form, "region": region, "creating": False})


@login_required
def region_import(request: HttpRequest) -> HttpResponse:
    require_role(request.user, Role.ADMIN)
    form = RegionImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        report = run_action(form, actions.import_regions, request.user, form.cleaned_data["file"].read())
        if report is not None and report.ok:
            messages.success(
                request,
                _("Imported: %(created)d created, %(updated)d updated.")
                % {"created": report.created, "updated": report.updated},
            )
            return redirect("org:region_list")
    return render(request, "org/region_import.html", {"form": form, "report": report})


@login_required
def unit_list(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    kind = kind if kind in UnitKind.values else ""
    region, q = request.GET.get("region", "")[:18], request.GET.get("q", "")[:50]
    page = Paginator(queries.units(request.user, region=region, kind=kind, q=q), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "org/unit_list.html",
        {
            "page": page,
            "kind": kind,
            "region": region,
            "q": q,
            "kinds": UnitKind.choices,
            "can_edit": has_role(request.user, Role.ADMIN),
        },
    )


@login_required
def unit_detail(request: HttpRequest, code: str) -> HttpResponse:
    unit = queries.unit(request.user, code)
    return render(
        request,
        "org/unit_detail.html",
        {
            "unit": unit,
            "members": account_queries.users(request.user, unit=unit.code),
            "can_edit": has_role(request.user, Role.ADMIN),
        },
    )


@login_required
def unit_create(request: HttpRequest) -> HttpResponse:
    require_role(request.user, Role.ADMIN)
    form = UnitForm(request.POST or None, initial={"region_code": request.GET.get("region", "")})
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        unit = run_action(form, actions.create_unit, request.user, **data)
        if unit is not None:
            messages.success(request, _("The unit was created."))
            return redirect("org:unit_detail", code=unit.code)
    return render(request, "org/unit_form.html", {"form": form, "creating": True})


@login_required
def unit_edit(request: HttpRequest, code: str) -> HttpResponse:
    require_role(request.user, Role.ADMIN)
    unit = queries.unit(request.user, code)
    initial = {
        "code": unit.code,
        "name": unit.name,
        "kind": unit.kind,
        "region_code": unit.region.code,
        "credit_code": unit.credit_code,
        "phone": unit.phone,
        "is_active": unit.is_active,
        "version": unit.version,
    }
    form = UnitForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k not in ("code", "version")}
        done = run_action(
            form,
            actions.update_unit,
            request.user,
            unit,
            expected_version=form.cleaned_data["version"],
            **data,
        )
        if done is not None:
            messages.success(request, _("The unit was saved."))
            return redirect("org:unit_detail", code=unit.code)
    return render(request, "org/unit_form.html", {"form": form, "unit": unit, "creating": False})
