"""The outbox (what this platform sends) and the inbox (what it receives).

``enqueue`` writes an outbox row inside the caller's transaction (``enqueue_many``: many rows, bulk
statements); ``delivery.deliver_due`` sends it later.
``receive`` checks each incoming envelope (known source, addressed here, signed, fresh, not seen before),
stores it once, and hands it to the handler of this platform's role in per-correlation sequence order:
a message that arrives before its predecessor is held until the gap is filled.

A POST of many messages is applied in one transaction: one duplicate check, cursors read once, runs of
one type given to that type's batch handler (bulk statements) where it has one, inbox rows and cursors
written in bulk. If anything in it fails, the transaction is rolled back and the messages go through
one by one (each in its own transaction, a failing handler rolled back alone and the message marked
failed), so one bad message never holds up the others.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import override

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


def platform_language() -> Any:
    """Texts that travel to other systems (progress notes, who answered) are written in the platform's
    language, whatever the language of the user whose action sends them: they are stored and shown there."""
    return override(settings.LANGUAGE_CODE)


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


def chunks(values: Iterable[Any], size: int = 500) -> Iterator[list[Any]]:
    """Bounded ``__in`` lists (SQLite's limit on bound parameters)."""
    items = list(values)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def enqueue_many(
    messages: Iterable[tuple[System, str, dict[str, Any], str]], *, now: datetime | None = None
) -> list[OutboxMessage]:
    """``enqueue`` for many (target, type, payload, correlation) at once, in the given order: the sequence
    counters read (and locked) once, counters and outbox rows written with bulk statements."""
    now = now or timezone.now()
    items = list(messages)
    if not items:
        return []
    keys = {(t.pk, c) for t, type, _p, c in items if c and type not in UNORDERED}
    rows: list[OutboxMessage] = []
    with transaction.atomic(savepoint=False):
        counters: dict[tuple[int, str], SequenceCounter] = {}
        targets = {k[0] for k in keys}
        for part in chunks({k[1] for k in keys}):
            for counter in (
                SequenceCounter.objects.select_for_update()
                .filter(target_id__in=targets, correlation__in=part)
                .order_by("pk")
            ):
                if (counter.target_id, counter.correlation) in keys:
                    counters[(counter.target_id, counter.correlation)] = counter
        known = set(counters)
        for target, type, payload, correlation in items:
            sequence = 0
            if correlation and type not in UNORDERED:
                key = (target.pk, correlation)
                if key not in counters:
                    counters[key] = SequenceCounter(target=target, correlation=correlation, last=0)
                counters[key].last += 1
                sequence = counters[key].last
            rows.append(
                OutboxMessage(
                    message_id=str(uuid.uuid4()),
                    type=type,
                    target=target,
                    correlation=correlation,
                    sequence=sequence,
                    payload=json.dumps(payload, ensure_ascii=False, default=str),
                    created_at=now,
                    next_attempt_at=now,
                )
            )
        SequenceCounter.objects.bulk_create([c for k, c in counters.items() if k not in known])
        SequenceCounter.objects.bulk_update([counters[k] for k in known], ["last"])
        OutboxMessage.objects.bulk_create(rows)
    if not getattr(settings, "TASKS_EMBEDDED", True):
        from jiceng.federation import tasks

        transaction.on_commit(lambda: tasks.deliver_outbox.delay())
    return rows


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


BatchItem = tuple[System, InboxMessage, dict[str, Any]]
# Optional: applies a run of messages of one type (distinct correlations, in order) with the same effect as
# the single handler applied to each in turn, or raises (then every message of the POST is redone one by
# one with the single handler).
BatchHandler = Callable[[list[BatchItem], datetime], None]
BATCH_HANDLERS: dict[tuple[str, str], BatchHandler] = {}


def handles_batch(role: str, type: str) -> Callable[[BatchHandler], BatchHandler]:
    def register(func: BatchHandler) -> BatchHandler:
        BATCH_HANDLERS[(role, type)] = func
        return func

    return register


ACCEPTED, HELD, DUPLICATE = "accepted", "held", "duplicate"


@dataclass
class Check:
    envelope: dict[str, Any]
    source: System | None = None
    reason: str = ""


def _rejected_row(check: Check, reason: str, remote_addr: str, now: datetime) -> RejectedMessage:
    env = check.envelope if isinstance(check.envelope, dict) else {}
    logger.warning(
        "federation message rejected: %s (source %s, id %s)", reason, env.get("source"), env.get("id")
    )
    return RejectedMessage(
        at=now,
        reason=reason,
        source_code=str(env.get("source", ""))[:40],
        message_id=str(env.get("id", ""))[:64],
        type=str(env.get("type", ""))[:40],
        remote_addr=remote_addr[:64],
    )


def reject(check: Check, reason: str, remote_addr: str, now: datetime) -> str:
    _rejected_row(check, reason, remote_addr, now).save()
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


Conversation = tuple[int, str]  # (source id, correlation)
# A batch that raises one of these is rolled back and redone one message at a time.
BATCH_FALLBACK = (DomainError, KeyError, ValueError, TypeError, DatabaseError)


def receive(body: Any, *, remote_addr: str = "", now: datetime | None = None) -> dict[str, str]:
    """Take one envelope or ``{"messages": [...]}``; answer {id: accepted|held|duplicate|rejected:…}."""
    now = now or timezone.now()
    envelopes = body.get("messages") if isinstance(body, dict) and "messages" in body else [body]
    if not isinstance(envelopes, list):
        envelopes = [envelopes]
    systems: dict[str, System | None] = {}
    outcomes: list[tuple[str, str]] = []  # (id, outcome) in the order received
    valid: list[tuple[int, Check]] = []
    rejected: list[RejectedMessage] = []
    for n, envelope in enumerate(envelopes):
        check = check_envelope(envelope, now, systems)
        key = str(check.envelope.get("id") or f"#{n}")
        if check.reason:
            rejected.append(_rejected_row(check, check.reason, remote_addr, now))
            outcomes.append((key, f"rejected:{check.reason}"))
        else:
            valid.append((len(outcomes), check))
            outcomes.append((key, ""))
    if rejected:
        RejectedMessage.objects.bulk_create(rejected)
    if valid:
        checks = [check for _n, check in valid]
        try:
            results = _receive_batch(checks, remote_addr, now)
        except BATCH_FALLBACK as exc:
            logger.info("federation batch of %d redone one by one: %r", len(checks), exc)
            results = None
        if results is None:
            results = []
            for check in checks:
                assert check.source is not None
                outcome = _store_and_process(check.source, check.envelope, now)
                if outcome == DUPLICATE:
                    reject(check, RejectReason.REPLAY, remote_addr, now)
                results.append(outcome)
        for (n, _check), outcome in zip(valid, results, strict=True):
            outcomes[n] = (outcomes[n][0], outcome)
        contacted = {check.source.pk for check in checks if check.source is not None}
        System.objects.filter(pk__in=contacted).update(last_contact_at=now)
    return dict(outcomes)


def _inbox_row(source: System, env: dict[str, Any], now: datetime) -> InboxMessage:
    return InboxMessage(
        message_id=str(env["id"])[:36],
        type=str(env["type"]),
        source=source,
        correlation=str(env.get("correlation") or "")[:80],
        sequence=int(env.get("sequence") or 0),
        payload=json.dumps(env["payload"], ensure_ascii=False),
        sent_at=parse_datetime(str(env["sent_at"])) or now,
        received_at=now,
        state=InboxState.HELD,
    )


def _receive_batch(checks: list[Check], remote_addr: str, now: datetime) -> list[str]:
    """The checked messages of one POST in one transaction, with bulk statements; raises (and leaves
    nothing behind) if any part fails."""
    sources = {c.source.pk: c.source for c in checks if c.source is not None}
    outcomes = [""] * len(checks)
    replays: list[RejectedMessage] = []
    with transaction.atomic():
        ids = [str(c.envelope["id"])[:36] for c in checks]
        seen: set[str] = set()
        for part in chunks(set(ids)):
            seen.update(InboxMessage.objects.filter(message_id__in=part).values_list("message_id", flat=True))
        fresh: list[tuple[int, InboxMessage, dict[str, Any]]] = []
        for n, (check, message_id) in enumerate(zip(checks, ids, strict=True)):
            if message_id in seen:
                outcomes[n] = DUPLICATE
                replays.append(_rejected_row(check, RejectReason.REPLAY, remote_addr, now))
                continue
            seen.add(message_id)
            assert check.source is not None
            fresh.append((n, _inbox_row(check.source, check.envelope, now), check.envelope["payload"]))

        # Per-conversation order, as _store_and_process would decide it message by message.
        ordered: set[Conversation] = {
            (m.source_id, m.correlation) for _n, m, _p in fresh if m.sequence and m.correlation
        }
        cursors: dict[Conversation, InboxCursor] = {}
        for part in chunks({k[1] for k in ordered}):
            for cursor in (
                InboxCursor.objects.select_for_update()
                .filter(source_id__in={k[0] for k in ordered}, correlation__in=part)
                .order_by("pk")
            ):
                if (cursor.source_id, cursor.correlation) in ordered:
                    cursors[(cursor.source_id, cursor.correlation)] = cursor
        known = {k: c.last for k, c in cursors.items()}
        # Held messages exist only for conversations that have a cursor.
        held: dict[Conversation, dict[int, tuple[InboxMessage, dict[str, Any]]]] = {}
        for part in chunks({k[1] for k in known}):
            for m in InboxMessage.objects.filter(
                source_id__in={k[0] for k in known}, correlation__in=part, state=InboxState.HELD
            ).order_by("id"):
                if (m.source_id, m.correlation) in known:
                    held.setdefault((m.source_id, m.correlation), {}).setdefault(
                        m.sequence, (m, json.loads(m.payload))
                    )
        stored_held: list[InboxMessage] = []
        ready: list[tuple[InboxMessage, dict[str, Any]]] = []
        for n, message, payload in fresh:
            outcomes[n] = ACCEPTED
            key = (message.source_id, message.correlation)
            if key not in ordered:
                ready.append((message, payload))
                continue
            if key not in cursors:
                cursors[key] = InboxCursor(source_id=key[0], correlation=key[1], last=0)
            cursor = cursors[key]
            if message.sequence <= cursor.last:
                message.state, message.error = InboxState.FAILED, "sequence already processed"
            elif message.sequence != cursor.last + 1:
                held.setdefault(key, {}).setdefault(message.sequence, (message, payload))
                outcomes[n] = HELD
            else:
                ready.append((message, payload))
                cursor.last = message.sequence
                while (nxt := held.get(key, {}).pop(cursor.last + 1, None)) is not None:
                    ready.append(nxt)
                    cursor.last = nxt[0].sequence
                    if nxt[0].pk is not None:
                        stored_held.append(nxt[0])

        _apply(ready, sources, now)
        InboxMessage.objects.bulk_create([m for _n, m, _p in fresh])
        InboxMessage.objects.bulk_update(stored_held, ["state", "error", "processed_at"])
        InboxCursor.objects.bulk_create([c for k, c in cursors.items() if k not in known])
        InboxCursor.objects.bulk_update(
            [c for k, c in cursors.items() if k in known and c.last != known[k]], ["last"]
        )
        RejectedMessage.objects.bulk_create(replays)
    return outcomes


def _apply(
    ready: list[tuple[InboxMessage, dict[str, Any]]], sources: dict[int, System], now: datetime
) -> None:
    """Hand the messages to their handlers in order: consecutive messages of a type with a batch handler
    (and distinct correlations) together, the others one at a time; no savepoints."""
    role = platform_role()
    n = 0
    while n < len(ready):
        message = ready[n][0]
        batch = BATCH_HANDLERS.get((role, message.type))
        end = n + 1
        if batch is not None:
            correlations = {message.correlation}
            while end < len(ready):
                nxt = ready[end][0]
                if nxt.type != message.type or (nxt.correlation and nxt.correlation in correlations):
                    break
                correlations.add(nxt.correlation)
                end += 1
            batch([(sources[m.source_id], m, p) for m, p in ready[n:end]], now)
        else:
            HANDLERS[(role, message.type)](sources[message.source_id], message, ready[n][1], now)
        n = end
    for message, _payload in ready:
        message.state, message.error, message.processed_at = InboxState.PROCESSED, "", now


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
