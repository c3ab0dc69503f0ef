"""The county side: escalate an event to the hub and carry on its loop with what comes back.

An event escalated to the hub is dispatched, through the events workflow, to the county's collaboration
platform unit (kind hub_center), whose service account then signs for it when the hub takes it on, adds
the hub's progress, and reports it handled with the department's resolution. The county verifies and
closes as usual; its verification and the reporter's rating go back up as event.feedback.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.dispatch import receiver
from django.utils.translation import gettext as _

from jiceng.accounts.models import User, UserRole
from jiceng.accounts.roles import Role
from jiceng.core.errors import Conflict, DomainError, InvalidInput, NotFound
from jiceng.core.scope import get_in_scope
from jiceng.events import actions as event_actions
from jiceng.events import queries as event_queries
from jiceng.events.models import Event, EventState
from jiceng.federation.messaging import enqueue, handles, own_code
from jiceng.federation.models import EscalationLink, InboxMessage, MessageType, System, SystemKind
from jiceng.org.models import Region, RegionLevel, Unit, UnitKind

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

COUNTY = "county"
FEEDBACK_ACTIONS = {"verify_pass", "verify_fail", "evaluate", "reopen"}


class NoHub(DomainError):
    status = 409
    code = "no_hub"


def county_region() -> Region:
    """This platform's county: the region whose code is the platform code, else the first county."""
    region = Region.objects.filter(code=settings.PLATFORM_CODE, level=RegionLevel.COUNTY).first()
    region = region or Region.objects.filter(level=RegionLevel.COUNTY).order_by("code").first()
    if region is None:
        raise NoHub(_("This platform has no county region yet."))
    return region


def hub_unit_code(hub: System) -> str:
    return f"HUB-{hub.code}"[:40]


def connect_hub(hub: System) -> Unit | None:
    """The unit that stands for the hub in the county's org tree, and its service account."""
    if settings.PLATFORM_ROLE != COUNTY:
        return None
    try:
        region = county_region()
    except NoHub:
        return None
    unit, _created = Unit.objects.get_or_create(
        code=hub_unit_code(hub),
        defaults={"name": hub.name[:100], "kind": UnitKind.HUB_CENTER, "region": region},
    )
    user, created = User.objects.get_or_create(
        username=service_username(hub), defaults={"full_name": hub.name[:60], "unit": unit}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
        UserRole.objects.create(user=user, role=Role.HANDLER)
    return unit


def service_username(hub: System) -> str:
    return f"hub-{hub.code}"[:150]


def the_hub() -> System:
    hub = System.objects.filter(kind=SystemKind.HUB, is_active=True).first()
    if hub is None:
        raise NoHub(_("This platform is not connected to a collaboration platform."))
    return hub


def escalate_to_hub(
    actor: User | AnonymousUser | None,
    event_id: int,
    *,
    comment: str,
    version: int | None = None,
) -> EscalationLink:
    """Hand an event waiting for dispatch at the county to the collaboration platform: the dispatch,
    the link and the event.escalate message commit together."""
    get_in_scope(Event, actor, pk=event_id)  # outside the jurisdiction: 404 before anything else
    hub = the_hub()
    if not (comment or "").strip():
        raise InvalidInput(
            _("Some required fields are missing."),
            code="invalid_input",
            details={"comment": [_("This field is required.")]},
        )
    unit = Unit.objects.filter(code=hub_unit_code(hub)).first() or connect_hub(hub)
    if unit is None:
        raise NoHub()
    with transaction.atomic():
        try:
            event = event_actions.perform(
                actor, event_id, "dispatch", version=version, comment=comment, lead_unit=unit.code
            )
        except event_actions.ActionNotAvailable as exc:
            raise Conflict(
                _("Only an event waiting for your dispatch can go to the collaboration platform."),
                code="not_escalatable",
            ) from exc
        event = Event.objects.select_related("category", "region").get(pk=event.pk)
        correlation = f"{own_code()}/{event.pk}"
        link, _created = EscalationLink.objects.update_or_create(
            event=event,
            defaults={
                "hub": hub,
                "correlation": correlation,
                "region_code": event.region_code,
                "state": "escalated",
            },
        )
        enqueue(hub, MessageType.ESCALATE, escalation_payload(event, comment), correlation=correlation)
    return link


def escalation_payload(event: Event, comment: str) -> dict[str, Any]:
    """What the hub needs to route the event; the reporter's identity stays at the county."""
    return {
        "ref": event.ref,
        "title": event.title,
        "description": event.description,
        "category": event.category.code,
        "category_name": event.category.name,
        "region": event.region_code,
        "region_name": event.region.name,
        "urgency": event.urgency,
        "address": event.address,
        "lng": event.lng,
        "lat": event.lat,
        "occurred_at": event.occurred_at.isoformat(),
        "comment": comment,
    }


# --- what the hub sends back -----------------------------------------------------------------------------


def _link(message: InboxMessage, source: System) -> EscalationLink:
    link = (
        EscalationLink.objects.select_related("event", "hub")
        .filter(correlation=message.correlation, hub=source)
        .first()
    )
    if link is None:
        raise NotFound()
    return link


def _service_user(hub: System) -> User:
    return User.objects.select_related("unit__region").get(username=service_username(hub))


def _take_on(link: EscalationLink, user: User) -> Event:
    event = link.event  # read with the link, just now
    if event.state == EventState.DISPATCHED:
        event = event_actions.perform(user, event.pk, "sign")
    return event


@handles(COUNTY, MessageType.PROGRESS)
def on_progress(source: System, message: InboxMessage, payload: dict[str, Any], now: datetime) -> None:
    link = _link(message, source)
    user = _service_user(source)
    event = _take_on(link, user)
    if event.state in (EventState.HANDLING, EventState.EXTENSION_PENDING):
        event_actions.perform(user, event.pk, "progress", comment=str(payload.get("comment") or "")[:2000])
    if payload.get("department"):
        EscalationLink.objects.filter(pk=link.pk).update(handled_by=str(payload["department"])[:100])


@handles(COUNTY, MessageType.RESOLVED)
def on_resolved(source: System, message: InboxMessage, payload: dict[str, Any], now: datetime) -> None:
    link = _link(message, source)
    user = _service_user(source)
    event = _take_on(link, user)
    if event.state == EventState.HANDLING:
        who = str(payload.get("department") or "")
        result = str(payload.get("result") or "")
        comment = _("%(who)s: %(result)s") % {"who": who, "result": result} if who else result
        event_actions.perform(user, event.pk, "handle", comment=comment[:2000])
    EscalationLink.objects.filter(pk=link.pk).update(
        state="resolved", handled_by=str(payload.get("department") or link.handled_by)[:100]
    )


@receiver(event_actions.transitioned)
def send_feedback(sender: Any, event: Event, action: str, actor: User, to_state: str, **kwargs: Any) -> None:
    """The county's verification and the reporter's rating of an escalated event go up to the hub."""
    if action not in FEEDBACK_ACTIONS or settings.PLATFORM_ROLE != COUNTY:
        return
    link = EscalationLink.objects.select_related("hub").filter(event_id=event.pk).first()
    if link is None:
        return
    payload = {
        "action": action,
        "state": to_state,
        "comment": kwargs.get("comment", ""),
        "evaluation": event.evaluation if action != "evaluate" else "",
        # A resident's rating goes up as the county's own outsiders see it: masked (or 居民).
        "by": event_queries.actor_shown(
            None,
            event,
            actor_id=actor.pk,
            actor_name=actor.full_name or actor.username,
            staff=actor.unit_id is not None,
        ),
    }
    if action == "evaluate":
        payload["evaluation"] = Event.objects.filter(pk=event.pk).values_list("evaluation", flat=True).first()
    enqueue(link.hub, MessageType.FEEDBACK, payload, correlation=link.correlation)
    if action == "verify_pass":
        EscalationLink.objects.filter(pk=link.pk).update(state="closed")
