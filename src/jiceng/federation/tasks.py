"""Background work: deliver the outbox, queue base-data changes for the hub (both idempotent)."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings


@shared_task(ignore_result=True)
def deliver_outbox() -> tuple[int, int]:
    from jiceng.federation.delivery import deliver_due

    return deliver_due()


@shared_task(ignore_result=True)
def sync_registry() -> int:
    if settings.PLATFORM_ROLE != "county":
        return 0
    from jiceng.federation.sync import queue_registry_changes

    return queue_registry_changes()
