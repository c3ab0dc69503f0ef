"""The outbox (what this platform sends) and the inbox (what it receives).

``enqueue`` writes an outbox row inside the caller's transaction; ``delivery.deliver_due`` sends it later.
``receive`` checks each incoming envelope (known source, addressed here, signed, fresh, not seen before),
stores it once, and hands it to the handler of this platform's role in per-correlation sequence order:
a message that arrives before its predecessor is held until the gap is filled.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from jiceng.core.errors import DomainError
from jiceng.federation import signing
from jiceng.federation.models import (
    InboxCursor,
    InboxMessage,
    InboxState,
    MessageType,
    OutboxMessage,
    RejectedMessage,
    RejectReason,
    SequenceCounter,
    System,
)

logger = logging.getLogger(__name__)

# Messages of these types carry no event conversation: processed as they come.
UNORDERED = {MessageType.SYNC, MessageType.QUERY, MessageType.RESPONSE}


def own_code() -> str:
    return settings.PLATFORM_CODE or "LOCAL"


def platform_role() -> str:
    return str(settings.PLATFORM_ROLE)


def enqueue(
    target: System,
    type: str,
    payload: dict[str, Any],
    *,
    correlation: str = "",
    now: datetime | None = None,
) -> OutboxMessage:
    """Queue one message to ``target``; joins the caller's transaction (the change and the message commit
    together or not at all). Messages of one correlation get consecutive sequence numbers."""
    now = now or timezone.now()
    sequence = 0
    with transaction.atomic(savepoint=False):
        if correlation and type not in UNORDERED:
            # One statement in the common case: bump the counter, read it back only if it exists.
            updated = SequenceCounter.objects.filter(target=target, correlation=correlation).update(
                last=F("last") + 1
            )
            if updated:
                sequence = (
                    SequenceCounter.objects.filter(target=target, correlation=correlation)
                    .values_list("last", flat=True)
                    .get()
                )
            else:
                SequenceCounter.objects.create(target=target, correlation=correlation, last=1)
                sequence = 1
        message = OutboxMessage.objects.create(
            message_id=str(uuid.uuid4()),
            type=type,
            target=target,
            correlation=correlation,
            sequence=sequence,
            payload=json.dumps(payload, ensure_ascii=False, default=str),
            created_at=now,
            next_attempt_at=now,
        )
    if not getattr(settings, "TASKS_EMBEDDED", True):
        from jiceng.federation import tasks

        transaction.on_commit(lambda: tasks.deliver_outbox.delay())
    return message


def envelope_for(message: OutboxMessage) -> dict[str, Any]:
    return {
        "id": message.message_id,
        "type": message.type,
        "source": own_code(),
        "target": message.target.code,
        "time": message.created_at.isoformat(),
        "correlation": message.correlation,
        "sequence": message.sequence,
        "payload": json.loads(message.payload),
    }


# --- receiving -----------------------------------------------------------------------------------------

Handler = Callable[[System, InboxMessage, dict[str, Any], datetime], None]
# (platform role, message type) → handler; filled by the role modules (hub, county, department).
HANDLERS: dict[tuple[str, str], Handler] = {}


def handles(role: str, type: str) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        HANDLERS[(role, type)] = func
        return func

    return register


ACCEPTED, HELD, DUPLICATE = "accepted", "held", "duplicate"


@dataclass
class Check:
    envelope: dict[str, Any]
    source: System | None = None
    reason: str = ""


def reject(check: Check, reason: str, remote_addr: str, now: datetime) -> str:
    env = check.envelope if isinstance(check.envelope, dict) else {}
    RejectedMessage.objects.create(
        at=now,
        reason=reason,
        source_code=str(env.get("source", ""))[:40],
        message_id=str(env.get("id", ""))[:64],
        type=str(env.get("type", ""))[:40],
        remote_addr=remote_addr[:64],
    )
    logger.warning(
        "federation message rejected: %s (source %s, id %s)", reason, env.get("source"), env.get("id")
    )
    return f"rejected:{reason}"


def keys_of(system: System) -> list[str]:
    return [k for k in (system.key, system.previous_key) if k]


def check_envelope(
    envelope: Any, now: datetime, systems: dict[str, System | None], *, expect_type: str = ""
) -> Check:
    """Everything but the duplicate check: shape, source, target, signature, freshness, and that this
    platform handles the type (or that it is ``expect_type``, for the synchronous data service)."""
    check = Check(envelope if isinstance(envelope, dict) else {})
    env = check.envelope
    required = ("id", "type", "source", "target", "time", "payload")
    if not env or any(k not in env for k in required) or not isinstance(env.get("payload"), dict):
        check.reason = RejectReason.MALFORMED
        return check
    if not isinstance(env.get("sequence", 0), int) or not isinstance(env.get("correlation", ""), str):
        check.reason = RejectReason.MALFORMED
        return check
    code = str(env["source"])
    if code not in systems:
        systems[code] = System.objects.filter(code=code, is_active=True).first()
    source = systems[code]
    if source is None:
        check.reason = RejectReason.UNKNOWN_SOURCE
        return check
    check.source = source
    if env["target"] != own_code():
        check.reason = RejectReason.WRONG_TARGET
    elif not env.get("signature"):
        check.reason = RejectReason.UNSIGNED
    elif not signing.verify(env, keys_of(source)):
        check.reason = RejectReason.BAD_SIGNATURE
    else:
        sent_at = parse_datetime(str(env.get("sent_at") or ""))
        if sent_at is None or abs((now - sent_at).total_seconds()) > signing.MAX_SKEW_SECONDS:
            check.reason = RejectReason.STALE
        elif (
            (env["type"] != expect_type) if expect_type else ((platform_role(), env["type"]) not in HANDLERS)
        ):
            check.reason = RejectReason.UNSUPPORTED
    return check


def receive(body: Any, *, remote_addr: str = "", now: datetime | None = None) -> dict[str, str]:
    """Take one envelope or ``{"messages": [...]}``; answer {id: accepted|held|duplicate|rejected:…}."""
    now = now or timezone.now()
    envelopes = body.get("messages") if isinstance(body, dict) and "messages" in body else [body]
    if not isinstance(envelopes, list):
        envelopes = [envelopes]
    results: dict[str, str] = {}
    systems: dict[str, System | None] = {}
    contacted: set[int] = set()
    for n, envelope in enumerate(envelopes):
        check = check_envelope(envelope, now, systems)
        key = str(check.envelope.get("id") or f"#{n}")
        if check.reason:
            results[key] = reject(check, check.reason, remote_addr, now)
            continue
        assert check.source is not None
        contacted.add(check.source.pk)
        outcome = _store_and_process(check.source, check.envelope, now)
        if outcome == DUPLICATE:
            reject(check, RejectReason.REPLAY, remote_addr, now)
        results[key] = outcome
    if contacted:
        System.objects.filter(pk__in=contacted).update(last_contact_at=now)
    return results


def _store_and_process(source: System, env: dict[str, Any], now: datetime) -> str:
    sequence = int(env.get("sequence") or 0)
    correlation = str(env.get("correlation") or "")[:80]
    try:
        with transaction.atomic():
            message = InboxMessage.objects.create(
                message_id=str(env["id"])[:36],
                type=str(env["type"]),
                source=source,
                correlation=correlation,
                sequence=sequence,
                payload=json.dumps(env["payload"], ensure_ascii=False),
                sent_at=parse_datetime(str(env["sent_at"])) or now,
                received_at=now,
                state=InboxState.HELD,
            )
            if sequence == 0 or not correlation:
                _process(source, message, env["payload"], now)
                return ACCEPTED
            cursor = (
                InboxCursor.objects.select_for_update().filter(source=source, correlation=correlation).first()
            )
            if cursor is None:
                # A new conversation: nothing can be held for it yet.
                if sequence != 1:
                    InboxCursor.objects.create(source=source, correlation=correlation, last=0)
                    return HELD
                _process(source, message, env["payload"], now)
                InboxCursor.objects.create(source=source, correlation=correlation, last=1)
                return ACCEPTED
            if sequence <= cursor.last:
                message.state, message.error = InboxState.FAILED, "sequence already processed"
                message.save(update_fields=["state", "error"])
                return ACCEPTED
            if sequence != cursor.last + 1:
                return HELD
            _process(source, message, env["payload"], now)
            cursor.last = sequence
            # The gap is filled: process the held successors in order.
            while (
                nxt := InboxMessage.objects.filter(
                    source=source, correlation=correlation, sequence=cursor.last + 1, state=InboxState.HELD
                ).first()
            ) is not None:
                _process(source, nxt, json.loads(nxt.payload), now)
                cursor.last = nxt.sequence
            cursor.save(update_fields=["last"])
            return ACCEPTED
    except IntegrityError:
        if InboxMessage.objects.filter(message_id=str(env["id"])[:36]).exists():
            return DUPLICATE
        raise


def _process(source: System, message: InboxMessage, payload: dict[str, Any], now: datetime) -> None:
    handler = HANDLERS[(platform_role(), message.type)]
    try:
        with transaction.atomic():
            handler(source, message, payload, now)
        message.state, message.error = InboxState.PROCESSED, ""
    except (DomainError, KeyError, ValueError, TypeError) as exc:
        logger.warning("federation message %s failed: %s", message.message_id, exc)
        message.state, message.error = InboxState.FAILED, str(getattr(exc, "message", exc))[:300]
    message.processed_at = now
    message.save(update_fields=["state", "error", "processed_at"])


MAX_BACKOFF_SECONDS = 600.0


def backoff(attempts: int) -> timedelta:
    """1 s, 2 s, 4 s … doubling, at most 10 minutes (MAX_BACKOFF_SECONDS) between attempts."""
    return timedelta(seconds=min(2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS))
