"""Early warning (预警): a category suddenly frequent in a township, against its own recent baseline.

For each township × category, the events reported on ``day`` are compared with the same pair's daily
counts over the ``WINDOW_DAYS`` days before: a spike is at least ``min_count`` events and more than
mean + k × standard deviation (days without events count as 0). Read from the rollups (township rows of
the category slice), so a run costs the same whatever the number of events.

Each spike is recorded once per day, township and category (a unique key): the run that creates the
record notifies the township's command room (its dispatchers); later runs that day only raise the
recorded count. Running it again, or two runs at once, notifies nobody twice.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from jiceng.accounts.roles import Role
from jiceng.analytics.models import DailyRollup, EarlyWarning, Slice
from jiceng.analytics.rollups import local_day
from jiceng.events.models import EventCategory
from jiceng.notifications.actions import notify
from jiceng.org.models import Region, RegionLevel

logger = logging.getLogger(__name__)

WINDOW_DAYS = 28
NOTIFICATION_KIND = "early_warning"


def spike_k() -> float:
    return float(getattr(settings, "JICENG_SPIKE_K", 3.0))


def spike_min_count() -> int:
    return int(getattr(settings, "JICENG_SPIKE_MIN_COUNT", 5))


@dataclass(frozen=True)
class Spike:
    region_code: str
    category_id: int
    count: int
    mean: float
    std: float
    threshold: float


def spikes(day: date, *, k: float | None = None, min_count: int | None = None) -> list[Spike]:
    """The township × category pairs whose count on ``day`` stands out from their last WINDOW_DAYS days."""
    k = spike_k() if k is None else k
    min_count = spike_min_count() if min_count is None else min_count
    start = day - timedelta(days=WINDOW_DAYS)
    townships = list(Region.objects.filter(level=RegionLevel.TOWNSHIP).values_list("code", flat=True))
    rows = DailyRollup.objects.filter(
        region_code__in=townships, slice=Slice.CATEGORY, day__gte=start, day__lte=day, reported__gt=0
    ).values_list("region_code", "key", "day", "reported")
    today: dict[tuple[str, str], int] = {}
    history: dict[tuple[str, str], list[int]] = defaultdict(list)
    for region_code, key, row_day, reported in rows:
        if row_day == day:
            today[(region_code, key)] = reported
        else:
            history[(region_code, key)].append(reported)
    found = []
    for (region_code, key), count in sorted(today.items()):
        if count < min_count or not key.isdigit():
            continue
        values = history.get((region_code, key), [])
        mean = sum(values) / WINDOW_DAYS
        variance = sum((v - mean) ** 2 for v in values) + (WINDOW_DAYS - len(values)) * mean**2
        std = math.sqrt(variance / WINDOW_DAYS)
        threshold = mean + k * std
        if count > threshold:
            found.append(
                Spike(region_code, int(key), count, round(mean, 3), round(std, 3), round(threshold, 3))
            )
    return found


def _dispatchers(township_code: str) -> list[object]:
    from jiceng.accounts.models import User

    return list(
        User.objects.filter(roles__role=Role.DISPATCHER, unit__region__code=township_code, is_active=True)
        .distinct()
        .order_by("pk")
    )


def _title(warning: EarlyWarning) -> tuple[str, str]:
    with translation.override(settings.LANGUAGE_CODE):
        title = gettext("Early warning: %(category)s in %(township)s") % {
            "category": warning.category.name,
            "township": warning.region_name,
        }
        body = gettext(
            "%(count)s events on %(day)s, against %(mean).1f a day over the last %(window)s days "
            "(threshold %(threshold).1f)."
        ) % {
            "count": warning.count,
            "day": warning.day.isoformat(),
            "mean": warning.baseline_mean,
            "window": WINDOW_DAYS,
            "threshold": warning.threshold,
        }
    return title, body


def raise_warnings(
    day: date | None = None, *, k: float | None = None, min_count: int | None = None
) -> dict[str, int]:
    """Record the spikes of ``day`` (default today) and notify each township's command room once."""
    day = day or local_day(timezone.now())
    found = spikes(day, k=k, min_count=min_count)
    counts = {"spikes": len(found), "raised": 0, "notified": 0}
    if not found:
        return counts
    names = dict(Region.objects.filter(code__in={s.region_code for s in found}).values_list("code", "name"))
    categories = EventCategory.objects.in_bulk({s.category_id for s in found})
    for spike in found:
        category = categories.get(spike.category_id)
        if category is None:
            continue
        with transaction.atomic():
            warning, created = EarlyWarning.objects.get_or_create(
                day=day,
                region_code=spike.region_code,
                category=category,
                defaults={
                    "region_name": names.get(spike.region_code, spike.region_code),
                    "count": spike.count,
                    "baseline_mean": spike.mean,
                    "baseline_std": spike.std,
                    "threshold": spike.threshold,
                },
            )
            if not created:
                EarlyWarning.objects.filter(pk=warning.pk, count__lt=spike.count).update(count=spike.count)
                continue
            title, body = _title(warning)
            sent = notify(_dispatchers(spike.region_code), NOTIFICATION_KIND, title, body)  # type: ignore[arg-type]
            EarlyWarning.objects.filter(pk=warning.pk).update(notified=sent)
            counts["raised"] += 1
            counts["notified"] += sent
    if counts["raised"]:
        logger.info("early warnings: %(spikes)s spikes, %(raised)s new, %(notified)s notified", counts)
    return counts
