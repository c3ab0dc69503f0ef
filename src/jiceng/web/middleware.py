from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from jiceng.audit.actions import record
from jiceng.audit.models import AuditResult
from jiceng.core.errors import DomainError, NotAuthenticated, PermissionDenied


class DomainErrorMiddleware:
    """Pages raise the same domain errors as the API; here they become error pages."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not isinstance(exc, DomainError):
            return None
        if isinstance(exc, NotAuthenticated):
            return redirect_to_login(request.get_full_path())
        if isinstance(exc, PermissionDenied):
            record(
                "permission.denied",
                actor=getattr(request, "user", None),
                result=AuditResult.DENIED,
                changes={"path": request.path, "method": request.method},
            )
        return render(request, "web/error.html", {"status": exc.status, "error": exc}, status=exc.status)
