"""Celery settings, star-imported by ``jiceng.settings`` (read by ``jiceng.celery`` with namespace CELERY).

Two modes:

- **embedded** (``JICENG_CELERY_BROKER_URL`` unset, the default): no broker, no worker. Tasks run in the
  process that calls them (``task_always_eager``); ``jiceng beat`` runs the periodic ones in its own
  process on schedule.
- **production** (``JICENG_CELERY_BROKER_URL=redis://127.0.0.1:6379/0`` or ``amqp://…``): ``jiceng
  worker`` processes run the tasks and one ``jiceng beat`` sends the periodic ones.

Every periodic task is idempotent: running it twice, or two runs overlapping, changes nothing more.
"""

from __future__ import annotations

import os
from typing import Any

CELERY_BROKER_URL = os.environ.get("JICENG_CELERY_BROKER_URL", "").strip() or "memory://"
# Embedded mode: no broker configured, tasks run in the calling process.
TASKS_EMBEDDED = CELERY_BROKER_URL == "memory://"
CELERY_TASK_ALWAYS_EAGER = TASKS_EMBEDDED
# With workers, what a write causes elsewhere (rollup counters, notifications) is written as a row in the
# write's transaction and applied by a worker in batches, BATCH_SECONDS later at most (core/batching.py).
# Embedded, it is applied in the same request, as before.
DEFER_SIDE_EFFECTS = not TASKS_EMBEDDED
BATCH_SECONDS = float(os.environ.get("JICENG_BATCH_SECONDS", "0.5"))
# An error in an eager task reaches the caller (and the tests) instead of being swallowed.
CELERY_TASK_EAGER_PROPAGATES = True
# Nothing reads task results: tasks leave their effects in the database.
CELERY_RESULT_BACKEND: str | None = None
CELERY_TASK_IGNORE_RESULT = True

CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_ENABLE_UTC = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Its own queue, so a Redis shared with other software (or another platform) does not mix tasks.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("JICENG_CELERY_QUEUE", "jiceng")

# At-least-once: a task is acknowledged when it finished, so a killed worker's task runs again
# (tasks are idempotent); one task at a time per worker process, so none wait behind a long one.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis redelivers an unacknowledged task after this many seconds: longer than any task runs.
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = {"visibility_timeout": 3600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Default limits; tasks that need other limits set their own.
CELERY_TASK_SOFT_TIME_LIMIT = 540
CELERY_TASK_TIME_LIMIT = 600
CELERY_WORKER_MAX_TASKS_PER_CHILD = 1000
# Logging stays as Django's LOGGING configures it (text or JSON lines, with request ids).
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_WORKER_SEND_TASK_EVENTS = False

DETECT_SPIKES_SECONDS = float(os.environ.get("JICENG_DETECT_SPIKES_SECONDS", "3600"))
CHECK_DEADLINES_SECONDS = float(os.environ.get("JICENG_CHECK_DEADLINES_SECONDS", "300"))
CELERY_BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    # 办件 time limits: yellow and red warnings, overdue rectifications of bad ratings (idempotent).
    "check-application-deadlines": {
        "task": "jiceng.applications.tasks.check_deadlines",
        "schedule": CHECK_DEADLINES_SECONDS,
        "options": {"expires": CHECK_DEADLINES_SECONDS * 0.9},
    },
    # Federation: deliver the outbox (retries with backoff), queue base-data changes for the hub.
    "federation-deliver": {
        "task": "jiceng.federation.tasks.deliver_outbox",
        "schedule": 5.0,
        "options": {"expires": 4.5},
    },
    "federation-sync": {
        "task": "jiceng.federation.tasks.sync_registry",
        "schedule": 60.0,
        "options": {"expires": 55.0},
    },
    # Batches the requests left (they ask for a run themselves; these take what a lost request left).
    "fold-rollups": {
        "task": "jiceng.analytics.tasks.fold_rollups",
        "schedule": 60.0,
        "options": {"expires": 55.0},
    },
    "deliver-notifications": {
        "task": "jiceng.notifications.tasks.deliver_pending",
        "schedule": 60.0,
        "options": {"expires": 55.0},
    },
    # Yellow and red deadline warnings (idempotent: only changes notify).
    "check-deadlines": {
        "task": "jiceng.events.tasks.check_deadlines",
        "schedule": CHECK_DEADLINES_SECONDS,
        # A run still queued when the next one is due is dropped: the next one does the same work.
        "options": {"expires": CHECK_DEADLINES_SECONDS * 0.9},
    },
    # Early warnings: spikes of a category in a township (idempotent: once per day and key).
    "detect-spikes": {
        "task": "jiceng.analytics.tasks.detect_spikes",
        "schedule": DETECT_SPIKES_SECONDS,
        "options": {"expires": DETECT_SPIKES_SECONDS * 0.9},
    },
    # IoT: devices silent too long go offline, readings past the kept history are pruned (idempotent).
    "iot-check-devices": {
        "task": "jiceng.iot.tasks.check_devices",
        "schedule": 60.0,
        "options": {"expires": 55.0},
    },
    # Scorecards of the last month and quarter, once each (idempotent: a computed period is kept).
    "compute-scorecards": {
        "task": "jiceng.analytics.tasks.compute_scorecards",
        "schedule": 6 * 3600.0,
        "options": {"expires": 5 * 3600.0},
    },
}

__all__ = [name for name in dir() if name.isupper()]
