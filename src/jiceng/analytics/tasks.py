"""Background work of analytics: spike detection (hourly) and the scorecards of the last period (daily).

Both are idempotent: a spike is recorded and notified once per day, township and category; a period's
scorecard is computed once the period is over and then kept.
"""

from __future__ import annotations

from datetime import date

from celery import shared_task
from django.utils import timezone
from django.utils.dateparse import parse_date

from jiceng.analytics import alerts, scoring
from jiceng.analytics.models import PeriodKind, Scorecard, ScoringRule
from jiceng.analytics.rollups import local_day


def _day(value: date | str | None) -> date:
    if value is None:
        return local_day(timezone.now())
    if isinstance(value, str):  # passed through a broker as text
        parsed = parse_date(value)
        if parsed is None:
            raise ValueError(f"not a date: {value!r}")
        return parsed
    return value


@shared_task(name="jiceng.analytics.tasks.detect_spikes", soft_time_limit=240, time_limit=290)
def detect_spikes(day: date | str | None = None) -> dict[str, int]:
    """Early warnings for ``day`` (default today): record new spikes and tell the command rooms."""
    return alerts.raise_warnings(_day(day))


@shared_task(name="jiceng.analytics.tasks.compute_scorecards", soft_time_limit=540, time_limit=600)
def compute_scorecards(today: date | str | None = None) -> dict[str, str]:
    """The scorecards of the last complete month and quarter, if not computed yet — or computed before
    the period ended (someone looked early): those miss the last days and are computed again."""
    done: dict[str, str] = {}
    if not ScoringRule.objects.filter(is_active=True).exists():
        return done
    for kind in (PeriodKind.MONTH, PeriodKind.QUARTER):
        start = scoring.last_period(kind, _day(today))
        existing = Scorecard.objects.filter(period_kind=kind, period_start=start).first()
        if existing is not None and not scoring.is_provisional(existing):
            continue
        scoring.compute_scorecard(None, kind, start, system=True, replace=existing is not None)
        done[kind] = scoring.period_label(kind, start)
    return done


@shared_task(name="jiceng.analytics.tasks.fold_rollups", soft_time_limit=240, time_limit=290)
def fold_rollups() -> int:
    """Fold the journalled event changes into the rollups (asked for by the writes; also periodic)."""
    from jiceng.analytics.rollups import fold

    return fold()
