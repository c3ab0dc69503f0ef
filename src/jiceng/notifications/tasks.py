"""Background work of notifications: delivering the pending rows that deferred writes left."""

from __future__ import annotations

from celery import shared_task

from jiceng.notifications import actions


@shared_task(name="jiceng.notifications.tasks.deliver_pending", soft_time_limit=240, time_limit=290)
def deliver_pending() -> int:
    """Write the notifications of pending event changes (asked for by the writes; also periodic)."""
    return actions.deliver_pending()
