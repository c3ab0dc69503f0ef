"""Work the request leaves to a worker, in batches: a row written in the caller's transaction, then one
task run for many rows.

``kick(task)`` asks for a run of ``task`` after the caller's commit. Within ``BATCH_SECONDS`` of a kick,
further kicks from the same process send nothing: the run already asked for starts after its countdown,
so later than any commit it skipped, and takes their rows too. A kick that cannot reach the broker is
only logged: the periodic run of the same task (celery beat) takes the rows.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any

from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)

_last_kick: dict[str, float] = {}


def deferred() -> bool:
    """Whether side effects go through batches (a broker and workers) rather than the request."""
    return bool(getattr(settings, "DEFER_SIDE_EFFECTS", False))


def _send(task: Any, within: float) -> None:
    now = time.monotonic()
    if now - _last_kick.get(task.name, -math.inf) < within:
        return
    _last_kick[task.name] = now
    try:
        task.apply_async(countdown=within)
    except Exception:
        logger.exception("could not queue %s; its periodic run takes the rows", task.name)


def kick(task: Any, within: float | None = None) -> None:
    """Run ``task`` (no arguments) soon after the current transaction commits; one run per ``within``."""
    seconds = float(getattr(settings, "BATCH_SECONDS", 0.5)) if within is None else within
    transaction.on_commit(lambda: _send(task, seconds))
