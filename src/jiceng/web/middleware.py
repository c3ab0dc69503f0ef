from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from jiceng.audit.actions import record
from jiceng.audit.models import AuditResult
from jiceng.core.errors import DomainError, NotAuthenticated, PermissionDenied

# Machine endpoints keep Django's bare 405 (their clients read the status and the Allow header).
MACHINE_PREFIXES = ("/api/", "/open311/")


class DomainErrorMiddleware:
    """Pages raise the same domain errors as the API; here they become error pages. So does Django's
    empty 405 (``require_POST``): opened in a browser — a bookmarked or reloaded action URL — it showed the
    browser's own "HTTP ERROR 405" page; a person gets the platform's error page, in their language."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 405 and _is_bare_page_answer(request, response):
            page = render(request, "web/error.html", {"status": 405}, status=405)
            if response.has_header("Allow"):
                page["Allow"] = response["Allow"]
            return page
        return response

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


def _is_bare_page_answer(request: HttpRequest, response: HttpResponse) -> bool:
    return (
        not getattr(response, "streaming", False)
        and not response.content
        and not request.path.startswith(MACHINE_PREFIXES)
        and "text/html" in request.headers.get("Accept", "")
    )
