"""Delivery of the outbox: batches per target, signed at send time, exponential backoff, dead letters.

Rows are claimed with a lease (compare-and-set), so several workers never send the same row at once, and
no transaction is held open during the HTTP call. A peer that answers again gets its whole queue at once:
its waiting rows are brought forward instead of each sitting out its backoff.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import requests
from django.db.models import Q
from django.utils import timezone

from jiceng.federation import signing
from jiceng.federation.messaging import ACCEPTED, DUPLICATE, HELD, backoff, envelope_for
from jiceng.federation.models import Health, OutboxMessage, OutboxState, System

logger = logging.getLogger(__name__)

BATCH = 200
LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 15
# Below the receiver's JICENG_MAX_BODY_BYTES (2 MB by default).
MAX_BODY_BYTES = 1_500_000
TIMEOUT = (3.05, 30)
DONE = {ACCEPTED, DUPLICATE, HELD}

# (url, JSON body) → (HTTP status, JSON answer); tests swap it to route between test clients.
Transport = Callable[[str, dict[str, Any]], tuple[int, Any]]
_session = requests.Session()


def http_transport(url: str, body: dict[str, Any]) -> tuple[int, Any]:
    response = _session.post(url, json=body, timeout=TIMEOUT)
    try:
        return response.status_code, response.json()
    except ValueError:
        return response.status_code, None


transport: Transport = http_transport


def _claim(target: System, now: datetime) -> list[OutboxMessage]:
    due = (
        OutboxMessage.objects.filter(target_id=target.pk, state=OutboxState.PENDING, next_attempt_at__lte=now)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .order_by("id")
        .values_list("id", flat=True)[:BATCH]
    )
    token = uuid.uuid4().hex
    OutboxMessage.objects.filter(pk__in=list(due), state=OutboxState.PENDING).filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    ).update(lease=token, lease_until=now + LEASE)
    claimed = list(OutboxMessage.objects.filter(lease=token).order_by("id"))
    for m in claimed:
        m.target = target  # not joined: every join would decrypt the target's keys again
    return claimed


def _failed(messages: list[OutboxMessage], error: str, now: datetime) -> None:
    # One UPDATE per number of attempts (rows of one batch mostly share it), not one CASE per row.
    by_attempts: dict[int, list[OutboxMessage]] = {}
    for m in messages:
        m.attempts += 1
        m.last_error = error[:300]
        m.lease, m.lease_until = "", None
        if m.attempts >= MAX_ATTEMPTS:
            m.state = OutboxState.DEAD
        m.next_attempt_at = now + backoff(m.attempts)
        by_attempts.setdefault(m.attempts, []).append(m)
    for attempts, group in by_attempts.items():
        OutboxMessage.objects.filter(pk__in=[m.pk for m in group]).update(
            attempts=attempts,
            last_error=error[:300],
            lease="",
            lease_until=None,
            state=group[0].state,
            next_attempt_at=group[0].next_attempt_at,
        )


def _peer_failed(target: System, error: str, now: datetime) -> None:
    System.objects.filter(pk=target.pk).update(
        health=Health.FAILING,
        failures=target.failures + 1,
        last_failure_at=now,
        last_error=error[:300],
    )
    target.failures += 1


def deliver_to(target: System, now: datetime | None = None) -> tuple[int, int]:
    """Send one batch of ``target``'s due messages. Returns (delivered, failed)."""
    now = now or timezone.now()
    messages = _claim(target, now)
    if not messages:
        return 0, 0
    envelopes: list[dict[str, Any]] = []
    size = 0
    for m in messages:
        signed = signing.sign(envelope_for(m), target.key, now)
        size += len(json.dumps(signed, ensure_ascii=False).encode())
        if envelopes and size > MAX_BODY_BYTES:
            break
        envelopes.append(signed)
    if len(envelopes) < len(messages):
        # The rest goes in the next POST (the receiver refuses bodies above its upload limit).
        OutboxMessage.objects.filter(pk__in=[m.pk for m in messages[len(envelopes) :]]).update(
            lease="", lease_until=None
        )
        messages = messages[: len(envelopes)]
    body = {"messages": envelopes}
    try:
        status, answer = transport(target.inbox_url, body)
    except requests.RequestException as exc:
        error = f"{type(exc).__name__}: {exc}"
        _failed(messages, error, now)
        _peer_failed(target, error, now)
        return 0, len(messages)
    results = answer.get("results", {}) if isinstance(answer, dict) else {}
    ok = [m for m in messages if results.get(m.message_id) in DONE]
    bad = [m for m in messages if results.get(m.message_id) not in DONE]
    if ok:
        OutboxMessage.objects.filter(pk__in=[m.pk for m in ok]).update(
            state=OutboxState.SENT, sent_at=now, lease="", lease_until=None, last_error=""
        )
        System.objects.filter(pk=target.pk).update(
            health=Health.OK, failures=0, last_success_at=now, last_contact_at=now, last_error=""
        )
        # The peer answers again: what waits for it goes now, not after each row's backoff.
        OutboxMessage.objects.filter(
            target=target, state=OutboxState.PENDING, next_attempt_at__gt=now, attempts__gt=0
        ).update(next_attempt_at=now)
    if bad:
        by_reason: dict[str, list[OutboxMessage]] = {}
        for m in bad:
            by_reason.setdefault(str(results.get(m.message_id) or f"HTTP {status}"), []).append(m)
        for reason, group in by_reason.items():
            _failed(group, reason, now)
        if not ok:
            _peer_failed(target, next(iter(by_reason)), now)
    return len(ok), len(bad)


def deliver_due(now: datetime | None = None, *, max_batches: int = 50) -> tuple[int, int]:
    """One delivery run over every target with due messages; a target that fails is left for later."""
    now = now or timezone.now()
    targets = System.objects.filter(
        pk__in=OutboxMessage.objects.filter(state=OutboxState.PENDING, next_attempt_at__lte=now).values(
            "target_id"
        )
    )
    delivered = failed = 0
    for target in targets:
        for _ in range(max_batches):
            sent, lost = deliver_to(target, now)
            delivered, failed = delivered + sent, failed + lost
            if lost or sent < 1:
                break
    return delivered, failed


def retry_dead(message_ids: list[int] | None = None, now: datetime | None = None) -> int:
    """Put dead letters back in the queue (all, or the given ones)."""
    now = now or timezone.now()
    qs = OutboxMessage.objects.filter(state=OutboxState.DEAD)
    if message_ids is not None:
        qs = qs.filter(pk__in=message_ids)
    return qs.update(state=OutboxState.PENDING, attempts=0, next_attempt_at=now, lease="", lease_until=None)
