"""Creating notifications: who hears of what happened to an event."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.accounts.roles import Role
from jiceng.core.crypto import blind_index
from jiceng.core.validators import mask_phone
from jiceng.notifications.models import Notification, SmsMessage
from jiceng.notifications.sms import sender

if TYPE_CHECKING:
    from jiceng.accounts.models import User
    from jiceng.events.models import Event

# Who is told about each action: the triage of the event's level, the lead/co units, the verifiers, the reporter.
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
TITLES = {
    "reported": "New event to accept",
    "escalate": "Event escalated to you",
    "send_down": "Event sent down to you",
    "return": "Event returned",
    "request_extension": "Extension requested",
    "dispatch": "New event assigned to your unit",
    "verify_fail": "Rework: the event is not fixed",
    "reopen": "Event reopened",
    "supervise": "Supervision notice",
    "approve_extension": "Extension approved",
    "deny_extension": "Extension denied",
    "handle": "Event handled, to verify",
    "sign": "Your report is being handled",
    "verify_pass": "Your report is closed",
    "reject": "Your report was not accepted",
    "evaluate": "The reporter rated the result",
    "warning_yellow": "Yellow warning: deadline near",
    "warning_red": "Red warning: overdue",
}


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
    unit_ids = [event.lead_unit_id, *event.co_units.values_list("unit_id", flat=True)]
    return Q(unit_id__in=[u for u in unit_ids if u])


def _verifiers(event: Event) -> Q:
    village = event.region_code[:12]
    return Q(roles__role=Role.GRID_WORKER, unit__region__code=village) | _triage_users(event)


def recipients(event: Event, kind: str) -> list[User]:
    from jiceng.accounts.models import User

    query = Q(pk__in=[])
    for who in AUDIENCE.get(kind, ()):
        if who == "triage":
            query |= _triage_users(event)
        elif who == "units":
            query |= _unit_users(event)
        elif who == "verifiers":
            query |= _verifiers(event)
        elif who == "reporter" and event.reporter_id:
            query |= Q(pk=event.reporter_id)
    return list(User.objects.filter(query, is_active=True).distinct())


def notify(users: Iterable[User], kind: str, title: str, body: str = "", event: Event | None = None) -> int:
    rows = [Notification(user=u, kind=kind, title=title[:200], body=body, event=event) for u in users]
    Notification.objects.bulk_create(rows)
    return len(rows)


def send_sms(phone: str, text: str) -> SmsMessage:
    ok, reply = sender().send(phone, text)
    return SmsMessage.objects.create(phone_index=blind_index(phone), phone_masked=mask_phone(phone), text=text[:500],
                                     sent_ok=ok, gateway_reply=str(reply)[:200])


def notify_event(event_id: int, kind: str) -> int:
    """Tell everyone concerned that ``kind`` happened to the event (run after the commit)."""
    from jiceng.events.models import Event

    event = Event.objects.select_related("category").filter(pk=event_id).first()
    if event is None or kind not in AUDIENCE:
        return 0
    title = f"{_(TITLES[kind])}: {event.title}"
    with transaction.atomic():
        count = notify(recipients(event, kind), kind, title, event.ref, event)
        if "reporter" in AUDIENCE[kind] and event.reporter_phone and not event.reporter_id:
            send_sms(event.reporter_phone, f"【基层】{title}（{event.ref}）")
    return count


def mark_read(user: User, ids: Iterable[int] | None = None) -> int:
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())
