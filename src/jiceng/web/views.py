from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from jiceng.accounts.roles import Role
from jiceng.web import queries


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@login_required
def home(request: HttpRequest) -> HttpResponse:
    roles: frozenset[str] = getattr(request.user, "role_codes", frozenset())
    if roles and roles <= {Role.RESIDENT}:  # residents have their own pages
        return redirect("portal:home")
    if roles and roles <= {Role.GRID_WORKER}:  # the unit counts say nothing to them: their work is here
        return redirect("worktools:mobile_home")
    if settings.PLATFORM_ROLE == "department" and Role.HANDLER in roles:
        # A department system's handlers have no jurisdiction to sum up: their work is the assignments.
        return redirect("federation:tasks")
    return render(request, "web/home.html", queries.home_summary(request.user))  # type: ignore[arg-type]


def _error(request: HttpRequest, status: int, exception: Any = None) -> HttpResponse:
    return render(request, "web/error.html", {"status": status}, status=status)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _error(request, 403)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _error(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    return _error(request, 500)
