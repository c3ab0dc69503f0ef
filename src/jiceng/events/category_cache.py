"""Active leaf categories by code, kept in memory: intake looks one up on every report.

Each process re-checks a cheap stamp (count and sum of versions) at most every RECHECK_SECONDS, so an
admin's change reaches every server worker within that time without a query per report.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from django.db.models import Count, Sum

from jiceng.events.models import EventCategory

RECHECK_SECONDS = 10.0


@dataclass
class _Cache:
    stamp: tuple[int, int]
    by_code: dict[str, tuple[EventCategory, bool]]  # code → (category, is a leaf)
    checked_at: float


_lock = threading.Lock()
_cache: _Cache | None = None


def _stamp() -> tuple[int, int]:
    agg = EventCategory.objects.aggregate(n=Count("id"), v=Sum("version"))
    return agg["n"] or 0, agg["v"] or 0


def _build(stamp: tuple[int, int]) -> _Cache:
    active = list(EventCategory.objects.filter(is_active=True))
    with_children = {c.parent_id for c in active if c.parent_id}
    return _Cache(stamp, {c.code: (c, c.pk not in with_children) for c in active}, time.monotonic())


def active_category(code: str) -> tuple[EventCategory, bool] | None:
    """(category, is_leaf) for an active category code, or None."""
    global _cache
    with _lock:
        if _cache is None or time.monotonic() - _cache.checked_at > RECHECK_SECONDS:
            stamp = _stamp()
            _cache = _build(stamp) if _cache is None or _cache.stamp != stamp else _cache
            _cache.checked_at = time.monotonic()
        return _cache.by_code.get(code)


def reset() -> None:
    global _cache
    with _lock:
        _cache = None
