"""Time limits on the official working-day calendar: due times, the stopped clock and time used."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from jiceng.applications.models import Warning
from jiceng.core.workdays import DEFAULT_DAY_END, DEFAULT_DAY_START, DEFAULT_LUNCH, default_calendar

ACCEPT_DAYS = 1  # a submitted application is accepted or refused within a working day
RECTIFY_DAYS = 5  # a bad rating is rectified within five working days
YELLOW_AT = 0.8
WORKDAY_SECONDS = (
    (DEFAULT_DAY_END.hour * 60 + DEFAULT_DAY_END.minute)
    - (DEFAULT_DAY_START.hour * 60 + DEFAULT_DAY_START.minute)
    - (DEFAULT_LUNCH[1].hour * 60 + DEFAULT_LUNCH[1].minute)
    + (DEFAULT_LUNCH[0].hour * 60 + DEFAULT_LUNCH[0].minute)
) * 60


def end_of_working_day(moment: datetime) -> datetime:
    """即办件: the end of today's working hours, or of the next working day when today's are over."""
    calendar = default_calendar()
    local = timezone.localtime(moment)
    end = timezone.make_aware(datetime.combine(local.date(), DEFAULT_DAY_END))
    if calendar.is_workday(local.date()) and local < end:
        return end
    next_day = calendar.add_workdays(local.date(), 1)
    return timezone.make_aware(datetime.combine(next_day, DEFAULT_DAY_END))


def promised_due(promised_days: int, start: datetime) -> datetime:
    if promised_days == 0:
        return end_of_working_day(start)
    return default_calendar().add_workdays(start, promised_days)


def accept_due(start: datetime) -> datetime:
    return default_calendar().add_workdays(start, ACCEPT_DAYS)


def rectify_due(start: datetime) -> datetime:
    return default_calendar().add_workdays(start, RECTIFY_DAYS)


def work_seconds(a: datetime, b: datetime) -> float:
    return default_calendar().work_seconds_between(a, b) if b > a else 0.0


def shift(due: datetime, seconds: float) -> datetime:
    """Move a due time on by ``seconds`` of working time (the clock stood still that long)."""
    return default_calendar().add_work_hours(due, seconds / 3600) if seconds > 0 else due


def workdays_used(accepted_at: datetime | None, end: datetime | None, paused_seconds: float) -> float | None:
    """Working days from acceptance to ``end``, without the time the clock stood still (补正)."""
    if accepted_at is None or end is None:
        return None
    return round(max(work_seconds(accepted_at, end) - paused_seconds, 0.0) / WORKDAY_SECONDS, 2)


def warning_for(stage_started_at: datetime | None, due_at: datetime | None, now: datetime) -> str:
    """Yellow once 80 % of the working time is used, red when overdue."""
    if due_at is None or stage_started_at is None:
        return Warning.NONE
    if now >= due_at:
        return Warning.RED
    total = work_seconds(stage_started_at, due_at)
    if total <= 0:
        return Warning.NONE
    return Warning.YELLOW if work_seconds(stage_started_at, now) / total >= YELLOW_AT else Warning.NONE
