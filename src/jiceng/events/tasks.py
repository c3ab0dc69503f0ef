"""Background work on events: the deadline check that raises yellow and red warnings."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from jiceng.analytics import rollups
from jiceng.events.deadlines import warning_for
from jiceng.events.models import OPEN_STATES, Event, Warning
from jiceng.notifications.actions import notify_event

logger = logging.getLogger(__name__)

CHUNK = 1000
RANK = {Warning.NONE: 0, Warning.YELLOW: 1, Warning.RED: 2}
NOTIFICATION_KIND = {Warning.YELLOW: "warning_yellow", Warning.RED: "warning_red"}


@dataclass(frozen=True)
class _Change:
    event_id: int
    old: str
    new: str
    stage_started_at: datetime | None
    due_at: datetime


def _moment(now: datetime | str | None) -> datetime:
    if now is None:
        return timezone.now()
    if isinstance(now, str):  # passed through a broker as text
        parsed = parse_datetime(now)
        if parsed is None:
            raise ValueError(f"not a date and time: {now!r}")
        now = parsed
    if timezone.is_naive(now):
        now = timezone.make_aware(now)
    return now


def _candidates(now: datetime) -> Q:
    """Open events whose warning may still rise: none yet, or yellow and now past due."""
    return Q(state__in=OPEN_STATES, due_at__isnull=False) & (
        Q(warning=Warning.NONE) | Q(warning=Warning.YELLOW, due_at__lte=now)
    )


def _changes(rows: list[tuple[int, str, datetime | None, datetime]], now: datetime) -> list[_Change]:
    changes = []
    for pk, old, started, due in rows:
        new = Warning.RED if due <= now else warning_for(started, due, now)
        if RANK[Warning(new)] > RANK[Warning(old)]:
            changes.append(_Change(pk, old, new, started, due))
    return changes


def _apply(changes: list[_Change]) -> dict[str, int]:
    """Compare-and-set each warning and notify, in one transaction per chunk.

    The update only matches while the event is still in the stage that was read (same start and due)
    with the old warning, so of two runs at once only one changes a row, and only that one notifies.
    Each event has its own savepoint: a failing notification leaves its event for the next run.
    """
    done = {Warning.YELLOW.value: 0, Warning.RED.value: 0}
    with transaction.atomic():
        for change in changes:
            values: dict[str, object] = {"warning": change.new}
            if change.new == Warning.RED:
                values["was_overdue"] = True
            try:
                with transaction.atomic():
                    updated = Event.objects.filter(
                        pk=change.event_id,
                        warning=change.old,
                        stage_started_at=change.stage_started_at,
                        due_at=change.due_at,
                    ).update(**values)
                    if updated == 1:
                        rollups.warning_changed(change.event_id, change.old, change.new)
                        notify_event(change.event_id, NOTIFICATION_KIND[Warning(change.new)])
                        done[change.new] += 1
            except SoftTimeLimitExceeded:
                raise
            except Exception:
                logger.exception(
                    "deadline warning for event %s failed; the next run retries", change.event_id
                )
    return done


@shared_task(name="jiceng.events.tasks.check_deadlines", soft_time_limit=240, time_limit=290)
def check_deadlines(now: datetime | str | None = None) -> dict[str, int]:
    """Raise the warning of every open event whose stage is at 80 % of its working time (yellow) or past
    due (red), mark red ones as having been overdue, and tell the lead unit and the triage.

    Idempotent: a warning only rises, once per stage, so a second run finds nothing to do; a new stage
    (any workflow step that restarts the clock) starts again from no warning.
    """
    moment = _moment(now)
    counts = {"checked": 0, "yellow": 0, "red": 0}
    candidates = (
        Event.objects.filter(_candidates(moment))
        .order_by("pk")
        .values_list("pk", "warning", "stage_started_at", "due_at")
    )
    last_pk = 0
    while True:
        rows = list(candidates.filter(pk__gt=last_pk)[:CHUNK])
        if not rows:
            break
        last_pk = rows[-1][0]
        counts["checked"] += len(rows)
        changes = _changes(rows, moment)  # type: ignore[arg-type]
        if changes:
            for kind, n in _apply(changes).items():
                counts[kind] += n
        if len(rows) < CHUNK:
            break
    if counts["yellow"] or counts["red"]:
        logger.info("deadline check: %(checked)s open events, %(yellow)s yellow, %(red)s red", counts)
    return counts


@shared_task(name="jiceng.events.tasks.notify", acks_late=True)
def notify(event_id: int, kind: str) -> int:
    """Notifications after a workflow step. Writes now leave PendingNotification rows instead
    (notifications.tasks.deliver_pending); kept for messages queued before an upgrade."""
    return notify_event(event_id, kind)
