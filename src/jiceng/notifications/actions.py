"""Creating notifications: who hears of what happened to an event.

In-app notifications go to users; a reporter without an account (a hotline caller, say) hears of the
result by SMS to the phone number they left. The SMS gateway is the class named by the
JICENG_SMS_SENDER setting (default ``jiceng.notifications.sms.LoggingSmsSender``, which only logs);
every message handed to it is kept as an SmsMessage row, the number encrypted and shown masked.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop

from jiceng.accounts.roles import Role
from jiceng.core import batching, inserts
from jiceng.core.crypto import blind_index
from jiceng.core.errors import NotFound
from jiceng.core.validators import mask_phone
from jiceng.notifications.models import Notification, PendingNotification, SmsMessage
from jiceng.notifications.sms import sender

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    from jiceng.accounts.models import User
    from jiceng.events.models import Event

# Who is told about each action: the triage of the event's level, the lead/co units, the verifiers,
# the reporter.
AUDIENCE: dict[str, tuple[str, ...]] = {
    "reported": ("triage",),
    "escalate": ("triage",),
    "send_down": ("triage",),
    "return": ("triage",),
    "request_extension": ("triage",),
    "dispatch": ("units",),
    "verify_fail": ("units",),
    "reopen": ("units",),
    "supervise": ("units",),
    "approve_extension": ("units",),
    "deny_extension": ("units",),
    "handle": ("verifiers", "reporter"),
    "sign": ("reporter",),
    "verify_pass": ("reporter",),
    "reject": ("reporter",),
    "evaluate": ("triage",),
    "warning_yellow": ("units", "triage"),
    "warning_red": ("units", "triage"),
}
# Marked for translation; rendered in the platform's language when the notification is made.
TITLES = {
    "reported": gettext_noop("New event to accept"),
    "escalate": gettext_noop("Event escalated to you"),
    "send_down": gettext_noop("Event sent down to you"),
    "return": gettext_noop("Event returned"),
    "request_extension": gettext_noop("Extension requested"),
    "dispatch": gettext_noop("New event assigned to your unit"),
    "verify_fail": gettext_noop("Rework: the event is not fixed"),
    "reopen": gettext_noop("Event reopened"),
    "supervise": gettext_noop("Supervision notice"),
    "approve_extension": gettext_noop("Extension approved"),
    "deny_extension": gettext_noop("Extension denied"),
    "handle": gettext_noop("Event handled, to verify"),
    "sign": gettext_noop("Your report is being handled"),
    "verify_pass": gettext_noop("Your report is closed"),
    "reject": gettext_noop("Your report was not accepted"),
    "evaluate": gettext_noop("The reporter rated the result"),
    "warning_yellow": gettext_noop("Yellow warning: deadline near"),
    "warning_red": gettext_noop("Red warning: overdue"),
}
# The reporter's wording where the others' would mislead them.
REPORTER_TITLES = {"handle": gettext_noop("Your report has been handled and is being checked")}
# A reporter without an account hears of the result by SMS.
SMS_KINDS = frozenset({"verify_pass", "reject"})
SMS_SIGNATURE = "【基层】"


def _triage_users(event: Event) -> Q:
    """The users who triage at the event's current level, in the unit region that covers it."""
    from jiceng.events.workflow import TRIAGE_ROLE

    code = event.region_code
    region_code = {"county": code[:6], "township": code[:9] + "000", "village": code[:12]}.get(event.level)
    role = TRIAGE_ROLE.get(event.level)  # type: ignore[call-overload]
    if role is None or region_code is None:
        return Q(pk__in=[])
    return Q(roles__role=role, unit__region__code=region_code)


def _unit_users(event: Event) -> Q:
    """The lead unit and the co-handling units (a subquery, so still one query)."""
    from jiceng.events.models import EventCoUnit

    co_units = EventCoUnit.objects.filter(event_id=event.pk).values("unit_id")
    query = Q(unit_id__in=co_units)
    return query | Q(unit_id=event.lead_unit_id) if event.lead_unit_id else query


def _verifiers(event: Event) -> Q:
    village = event.region_code[:12]
    return Q(roles__role=Role.GRID_WORKER, unit__region__code=village) | _triage_users(event)


def _audience(event: Event, audiences: Iterable[str]) -> Q:
    query = Q(pk__in=[])
    for who in audiences:
        if who == "triage":
            query |= _triage_users(event)
        elif who == "units":
            query |= _unit_users(event)
        elif who == "verifiers":
            query |= _verifiers(event)
        elif who == "reporter" and event.reporter_id:
            query |= Q(pk=event.reporter_id)
    return query


def recipients(event: Event, kind: str, audiences: Iterable[str] | None = None) -> list[User]:
    """Everyone concerned by ``kind`` (or the given audiences), active accounts only, each once: one query."""
    from jiceng.accounts.models import User

    query = _audience(event, AUDIENCE.get(kind, ()) if audiences is None else audiences)
    return list(User.objects.filter(query, is_active=True).distinct().order_by("pk"))


def _rows(
    users: Iterable[User], kind: str, title: str, body: str = "", event: Event | None = None
) -> list[Notification]:
    return [Notification(user=u, kind=kind, title=title[:200], body=body, event=event) for u in users]


def notify(users: Iterable[User], kind: str, title: str, body: str = "", event: Event | None = None) -> int:
    rows = _rows(users, kind, title, body, event)
    Notification.objects.bulk_create(rows)
    return len(rows)


def send_sms(phone: str, text: str) -> SmsMessage:
    """Hand one SMS to the gateway (JICENG_SMS_SENDER) and keep what it answered; the number is stored
    encrypted (for key rotation), masked and as a blind index."""
    try:
        ok, reply = sender().send(phone, text)
    except Exception as exc:  # a gateway failure must not undo the change that caused the message
        ok, reply = False, f"{type(exc).__name__}: {exc}"
    return SmsMessage.objects.create(
        phone=phone,
        phone_index=blind_index(phone),
        phone_masked=mask_phone(phone),
        text=text[:500],
        sent_ok=ok,
        gateway_reply=str(reply)[:200],
    )


def _title(kind: str, event: Event, titles: dict[str, str] = TITLES) -> str:
    # Stored text: in the platform's language, whoever's request caused it.
    with translation.override(settings.LANGUAGE_CODE):
        # Translators: a notification's title: what happened, then the event's title.
        return gettext("%(what)s: %(title)s") % {"what": gettext(titles[kind]), "title": event.title}


def notify_event(event_id: int, kind: str) -> int:
    """Tell everyone concerned that ``kind`` happened to the event (run after the commit).

    A reporter with an account gets the reporter's wording; one without, who left a phone number, gets
    an SMS of the result (closed or not accepted), sent once the notifications are committed.
    """
    return notify_events([(event_id, kind)])


def _recipients_for(
    event: Event, kind: str, audiences: list[str] | None, known: dict[tuple[str, ...], list[User]]
) -> list[User]:
    """``recipients``, reusing what an earlier event of the same batch found for the same triage."""
    wanted = list(AUDIENCE[kind] if audiences is None else audiences)
    if wanted != ["triage"]:
        return recipients(event, kind, wanted)
    code = event.region_code
    key = ("triage", event.level, {"county": code[:6], "township": code[:9]}.get(event.level, code[:12]))
    if key not in known:
        known[key] = recipients(event, kind, wanted)
    return known[key]


def notify_events(pending: Iterable[tuple[int, str]]) -> int:
    """``notify_event`` for many (event id, kind) pairs: one read of the events, the triage of a
    township looked up once, one insert of all notifications. Returns how many were written."""
    from jiceng.events.models import Event

    pending = [(event_id, kind) for event_id, kind in pending if kind in AUDIENCE]
    events = Event.objects.in_bulk({event_id for event_id, _kind in pending})
    known: dict[tuple[str, ...], list[User]] = {}
    rows: list[Notification] = []
    messages: list[tuple[str, str]] = []
    for event_id, kind in pending:
        event = events.get(event_id)
        if event is None:
            continue
        title = _title(kind, event)
        audiences = AUDIENCE[kind]
        own_wording = kind in REPORTER_TITLES and "reporter" in audiences and event.reporter_id is not None
        # The reporter gets their own wording unless they are concerned anyway (a grid worker who verifies).
        others = [a for a in audiences if a != "reporter"] if own_wording else None
        users = _recipients_for(event, kind, others, known)
        rows += _rows(users, kind, title, event.ref, event)
        if own_wording and event.reporter_id not in {u.pk for u in users}:
            reporter = recipients(event, kind, ["reporter"])
            rows += _rows(reporter, kind, _title(kind, event, REPORTER_TITLES), event.ref, event)
        if kind in SMS_KINDS and event.reporter_phone and not event.reporter_id:
            messages.append((event.reporter_phone, f"{SMS_SIGNATURE}{title}（{event.ref}）"))
    with transaction.atomic():
        Notification.objects.bulk_create(rows, batch_size=1000)
        for phone, text in messages:
            transaction.on_commit(lambda phone=phone, text=text: send_sms(phone, text))  # type: ignore[misc]
    return len(rows)


def notify_event_later(event_id: int, kind: str) -> None:
    """``notify_event`` once the caller's transaction commits: in the same process when embedded, else
    through a PendingNotification row that a worker delivers with others (``deliver_pending``)."""
    if not batching.deferred():
        transaction.on_commit(lambda: notify_event(event_id, kind))
        return
    from jiceng.notifications import tasks

    inserts.add(PendingNotification(event_id=event_id, kind=kind))
    batching.kick(tasks.deliver_pending)


DELIVER_BATCH = 200
MAX_ATTEMPTS = 5


def _deliver_one_by_one(rows: list[PendingNotification]) -> list[int]:
    """After a batch failed: each row on its own, so one bad row does not hold back the others."""
    finished = []
    for row in rows:
        try:
            with transaction.atomic():
                notify_event(row.event_id, row.kind)
            finished.append(row.pk)
        except Exception:
            row.attempts += 1
            if row.attempts >= MAX_ATTEMPTS:
                logger.exception("notifications of %s given up after %s attempts", row, row.attempts)
                finished.append(row.pk)
            else:
                logger.exception("notifications of %s failed; the next run retries", row)
                row.save(update_fields=["attempts"])
    return finished


def deliver_pending(limit: int = DELIVER_BATCH) -> int:
    """Write the notifications of the pending rows, ``limit`` rows per transaction; returns how many.

    Rows are locked with SKIP LOCKED, so workers running at once share them out. One that fails is kept
    for the next run, up to MAX_ATTEMPTS, then dropped with an error in the log.
    """
    delivered = 0
    while True:
        with transaction.atomic():
            rows = list(
                PendingNotification.objects.select_for_update(skip_locked=True).order_by("pk")[:limit]
            )
            if not rows:
                return delivered
            try:
                with transaction.atomic():
                    notify_events([(row.event_id, row.kind) for row in rows])
                finished = [row.pk for row in rows]
            except Exception:
                finished = _deliver_one_by_one(rows)
            PendingNotification.objects.filter(pk__in=finished).delete()
        delivered += len(finished)
        if len(rows) < limit or not finished:
            return delivered


def mark_read(user: User, ids: Iterable[int] | None = None, *, now: datetime | None = None) -> int:
    """Mark the user's notifications read: the given ones, or all. Another user's id (or one that does
    not exist) answers NotFound and marks nothing. Returns how many changed."""
    own = Notification.objects.filter(user=user)
    if ids is not None:
        wanted = set(ids)
        if own.filter(pk__in=wanted).count() != len(wanted):
            raise NotFound()
        own = own.filter(pk__in=wanted)
    return own.filter(read_at__isnull=True).update(read_at=now or timezone.now())
