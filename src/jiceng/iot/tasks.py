"""Periodic IoT work: devices silent too long go offline; readings older than the history are dropped."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from celery import shared_task
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from jiceng.iot import conf
from jiceng.iot.models import Device, DeviceStatus, DeviceType, Reading

logger = logging.getLogger(__name__)

PRUNE_BATCH = 5000


def mark_offline(now: datetime | None = None) -> int:
    """Online (or faulty) devices silent for longer than their type's ``offline_after_minutes`` go offline.
    A compare-and-set per type: a message arriving meanwhile (newer last_seen_at) keeps its device online."""
    now = now or timezone.now()
    changed = 0
    for device_type in DeviceType.objects.all():
        cutoff = now - timedelta(minutes=device_type.offline_after_minutes)
        changed += (
            Device.objects.filter(device_type=device_type, is_active=True, last_seen_at__lt=cutoff)
            .exclude(status=DeviceStatus.OFFLINE)
            .update(status=DeviceStatus.OFFLINE, updated_at=now)
        )
    return changed


def prune_history(now: datetime | None = None) -> int:
    """Delete readings older than the kept history, in batches."""
    cutoff = (now or timezone.now()) - timedelta(days=conf.history_days())
    deleted = 0
    while True:
        ids = list(
            Reading.objects.filter(at__lt=cutoff).order_by("id").values_list("id", flat=True)[:PRUNE_BATCH]
        )
        if not ids:
            return deleted
        deleted += Reading.objects.filter(id__in=ids).delete()[0]


@shared_task(name="jiceng.iot.tasks.check_devices", soft_time_limit=50, time_limit=58)
def check_devices(now: datetime | str | None = None) -> dict[str, int]:
    """Every minute (idempotent): mark silent devices offline and prune old readings."""
    moment = parse_datetime(now) if isinstance(now, str) else now
    counts = {"offline": mark_offline(moment), "pruned": prune_history(moment)}
    if counts["offline"] or counts["pruned"]:
        logger.info("iot check: %(offline)s devices went offline, %(pruned)s old readings pruned", counts)
    return counts
