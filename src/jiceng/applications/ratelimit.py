"""A fixed-window rate limit for endpoints open without login (the progress query)."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from jiceng.core.errors import DomainError

PROGRESS_LIMIT = 20  # queries per client address
PROGRESS_WINDOW = 60  # seconds


class TooManyRequests(DomainError):
    status = 429
    code = "too_many_requests"
    default_message = _("Too many queries. Wait a minute and try again.")


def check(
    scope: str, request: HttpRequest, limit: int = PROGRESS_LIMIT, window: int = PROGRESS_WINDOW
) -> None:
    """Count one request of ``scope`` from the client's address; raise TooManyRequests over ``limit``.

    Counted in the database with the portal's counters, so every server process shares the limit, and by
    the client's address as the platform resolves it (behind a trusted proxy: X-Forwarded-For)."""
    from jiceng.portal.ratelimit import RateLimited, client_ip, hit

    try:
        hit(f"{scope}:{client_ip(request)}", limit, window)
    except RateLimited as exc:
        raise TooManyRequests() from exc
