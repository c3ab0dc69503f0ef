from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from jiceng.notifications import actions, queries

# htmx stops polling when a response has this status.
STOP_POLLING = 286


def _without_session_renewal(
    view: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """Polling must not keep an idle session alive: sessions slide with every request
    (SESSION_SAVE_EVERY_REQUEST) and their age is the idle timeout. Without ``request.session`` the
    session middleware leaves the cookie and the stored expiry as they were."""

    def wrapped(request: HttpRequest) -> HttpResponse:
        response = view(request)
        if hasattr(request, "session"):
            del request.session
        return response

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") == "1"
    page = Paginator(queries.notifications(request.user, unread_only=unread_only), 30).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "notifications/notification_list.html",
        {"page": page, "unread_only": unread_only, "unread_count": queries.unread_count(request.user)},
    )


@require_POST
@login_required
def mark_read(request: HttpRequest) -> HttpResponse:
    if request.POST.get("all"):
        ids = None
    else:
        try:
            ids = [int(value) for value in request.POST.getlist("id")]
        except ValueError:
            ids = []
    marked = actions.mark_read(request.user, ids) if ids != [] else 0  # type: ignore[arg-type]
    if marked:
        messages.success(
            request,
            ngettext("%(count)d notification marked read.", "%(count)d notifications marked read.", marked)
            % {"count": marked},
        )
    target = reverse("notifications:list")
    return redirect(f"{target}?unread=1" if request.POST.get("unread") == "1" else target)


@never_cache
@require_GET
@_without_session_renewal
def badge(request: HttpRequest) -> HttpResponse:
    """The unread count for the top bar (an htmx partial, polled)."""
    if not request.user.is_authenticated:
        return HttpResponse(status=STOP_POLLING)
    return render(request, "notifications/_badge.html", {"unread_count": queries.unread_count(request.user)})
