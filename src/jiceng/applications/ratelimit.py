"""A small fixed-window rate limit on the shared cache, for endpoints open without login."""

from __future__ import annotations

import time

from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from jiceng.core.errors import DomainError

PROGRESS_LIMIT = 20  # queries per client address
PROGRESS_WINDOW = 60  # seconds


class TooManyRequests(DomainError):
    status = 429
    code = "too_many_requests"
    default_message = _("Too many queries. Wait a minute and try again.")


def client_address(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def check(
    scope: str, request: HttpRequest, limit: int = PROGRESS_LIMIT, window: int = PROGRESS_WINDOW
) -> None:
    """Count one request of ``scope`` from the client's address; raise TooManyRequests over ``limit``."""
    slot = int(time.time() // window)
    key = f"jiceng:ratelimit:{scope}:{client_address(request)}:{slot}"
    cache.add(key, 0, timeout=window * 2)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window * 2)
        count = 1
    if count > limit:
        raise TooManyRequests()
