"""Due times per stage, on the official working-day calendar."""

from __future__ import annotations

from datetime import datetime

from jiceng.core.workdays import default_calendar
from jiceng.events.models import EventCategory, EventState, Urgency, Warning

HOURS_PER_WORKDAY = 8
URGENCY_FACTOR = {Urgency.NORMAL: 1.0, Urgency.URGENT: 0.5, Urgency.CRITICAL: 0.25}
YELLOW_AT = 0.8


def _hours(start: datetime, hours: float, urgency: str) -> datetime:
    return default_calendar().add_work_hours(start, hours * URGENCY_FACTOR[Urgency(urgency)])


def handle_due(category: EventCategory, urgency: str, start: datetime, extra_days: int = 0) -> datetime:
    """Handling time: whole working days when normal, a share of the working hours when urgent."""
    days = category.handle_days + extra_days
    if urgency == Urgency.NORMAL:
        return default_calendar().add_workdays(start, days)
    return _hours(start, days * HOURS_PER_WORKDAY, urgency)


def stage_due(
    category: EventCategory, urgency: str, state: str, start: datetime, handle_due_at: datetime | None
) -> datetime | None:
    """When the stage the event enters now must be done."""
    if state == EventState.REPORTED:
        return _hours(start, category.accept_hours, urgency)
    if state == EventState.PENDING_DISPATCH:
        return _hours(start, category.dispatch_hours, urgency)
    if state == EventState.DISPATCHED:
        return _hours(start, category.sign_hours, urgency)
    if state in (EventState.HANDLING, EventState.EXTENSION_PENDING):
        return handle_due_at
    if state == EventState.HANDLED:
        return default_calendar().add_workdays(start, category.verify_days)
    return None


def remaining_work_seconds(now: datetime, due: datetime) -> float:
    return default_calendar().work_seconds_between(now, due) if due > now else 0.0


def shift_by_work_seconds(start: datetime, seconds: float) -> datetime:
    return default_calendar().add_work_hours(start, seconds / 3600) if seconds > 0 else start


def warning_for(stage_started_at: datetime | None, due_at: datetime | None, now: datetime) -> str:
    """Yellow once 80 % of the stage's working time is used, red when overdue."""
    if due_at is None or stage_started_at is None:
        return Warning.NONE
    if now >= due_at:
        return Warning.RED
    calendar = default_calendar()
    total = calendar.work_seconds_between(stage_started_at, due_at)
    used = calendar.work_seconds_between(stage_started_at, now)
    if total <= 0:
        return Warning.RED if now >= due_at else Warning.NONE
    return Warning.YELLOW if used / total >= YELLOW_AT else Warning.NONE
