"""Background work on applications: the deadline check that raises yellow and red warnings."""

from __future__ import annotations

import logging
from datetime import datetime

from celery import shared_task
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from jiceng.applications.deadlines import warning_for
from jiceng.applications.models import (
    Application,
    ApplicationState,
    Rectification,
    RectificationState,
    Warning,
)

logger = logging.getLogger(__name__)

# The clock runs while the window or a reviewer holds the application; it stands still while the
# applicant supplements materials or pays.
CLOCK_STATES = (ApplicationState.SUBMITTED, ApplicationState.REVIEWING)
RANK = {Warning.NONE: 0, Warning.YELLOW: 1, Warning.RED: 2}
CHUNK = 1000


def _moment(now: datetime | str | None) -> datetime:
    if now is None:
        return timezone.now()
    if isinstance(now, str):
        parsed = parse_datetime(now)
        if parsed is None:
            raise ValueError(f"not a date and time: {now!r}")
        now = parsed
    return timezone.make_aware(now) if timezone.is_naive(now) else now


@shared_task(name="jiceng.applications.tasks.check_deadlines", soft_time_limit=240, time_limit=290)
def check_deadlines(now: datetime | str | None = None) -> dict[str, int]:
    """Raise the warning of every running application at 80 % of its working time (yellow) or past due
    (red, also marked as having been overdue), and mark overdue rectifications.

    Idempotent: a warning only rises, compare-and-set on the stage read, so a second run changes nothing.
    """
    moment = _moment(now)
    counts = {"checked": 0, "yellow": 0, "red": 0, "rectifications_overdue": 0}
    candidates = (
        Application.objects.filter(state__in=CLOCK_STATES, due_at__isnull=False)
        .filter(Q(warning=Warning.NONE) | Q(warning=Warning.YELLOW, due_at__lte=moment))
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
        with transaction.atomic():
            for pk, old, started, due in rows:
                new = warning_for(started, due, moment)
                if RANK[Warning(new)] <= RANK[Warning(old)]:
                    continue
                values: dict[str, object] = {"warning": new}
                if new == Warning.RED:
                    values["was_overdue"] = True
                updated = Application.objects.filter(
                    pk=pk, warning=old, due_at=due, state__in=CLOCK_STATES
                ).update(**values)
                counts[new] += updated
        if len(rows) < CHUNK:
            break
    counts["rectifications_overdue"] = Rectification.objects.filter(
        state=RectificationState.OPEN, overdue=False, due_at__lte=moment
    ).update(overdue=True)
    if counts["yellow"] or counts["red"] or counts["rectifications_overdue"]:
        logger.info("application deadlines: %s", counts)
    return counts
