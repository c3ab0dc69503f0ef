"""Fixed-window rate limits for the public endpoints, counted in the database so that every worker
process shares them."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiceng.core.errors import DomainError
from jiceng.core.middleware import client_ip
from jiceng.portal.models import RateCounter

__all__ = ["RateLimited", "client_ip", "hit", "purge"]


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"
    default_message = _("Too many requests. Please try again later.")


def _window(now: datetime, seconds: int) -> datetime:
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=now.tzinfo or timezone.get_current_timezone())


def hit(key: str, limit: int, seconds: int, *, now: datetime | None = None) -> None:
    """Count one request under ``key``; RateLimited once more than ``limit`` fall in the window."""
    now = now or timezone.now()
    start = _window(now, seconds)
    updated = RateCounter.objects.filter(key=key[:120], window_start=start).update(count=F("count") + 1)
    if not updated:
        try:
            with transaction.atomic():
                RateCounter.objects.create(key=key[:120], window_start=start, count=1)
        except IntegrityError:
            RateCounter.objects.filter(key=key[:120], window_start=start).update(count=F("count") + 1)
    count = (
        RateCounter.objects.filter(key=key[:120], window_start=start).values_list("count", flat=True).first()
    )
    if count is not None and count > limit:
        raise RateLimited()


def purge(now: datetime | None = None) -> int:
    """Drop counters of windows that ended more than a day ago."""
    cutoff = (now or timezone.now()) - timedelta(days=1)
    return RateCounter.objects.filter(window_start__lt=cutoff).delete()[0]
