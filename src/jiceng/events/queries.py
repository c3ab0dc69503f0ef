"""Scoped reads of events: worklists, search, detail, timeline, duplicate hints."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from jiceng.accounts.roles import Role
from jiceng.core.coords import distance_m
from jiceng.core.scope import get_in_scope, scoped
from jiceng.core.validators import mask_name, mask_phone
from jiceng.events.models import (
    OPEN_STATES,
    Event,
    EventCategory,
    EventCoUnit,
    EventFlow,
    EventState,
    Level,
    Warning,
)
from jiceng.events.workflow import LEVEL_REGION, TRIAGE_ROLE, may_see_reporter
from jiceng.org.models import Region

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from jiceng.accounts.models import User

DUPLICATE_RADIUS_M = 100
DUPLICATE_DAYS = 7
# Lists never show a region's polygon or a category's form: loading and decoding them cost more than the rows.
LIST_DEFERRED = ("region__boundary", "category__form_schema")


def events(user: User | AnonymousUser) -> QuerySet[Event]:
    return scoped(Event.objects.select_related("category", "region", "lead_unit").defer(*LIST_DEFERRED), user)


def event(user: User | AnonymousUser, event_id: int) -> Event:
    return get_in_scope(
        Event.objects.select_related("category", "region", "lead_unit", "merged_into"), user, pk=event_id
    )


# --- the reporter and the people in the timeline ---------------------------------------------------------
#
# A resident's name is personal data: wherever an event shows who reported it or who took a step, it is
# masked unless the viewer is that person, or may see the reporter (``may_see_reporter``) and has just
# asked to through ``actions.reveal_reporter`` (audited). Staff (users of a unit) are named, as in any
# flow record. Every page, API answer and message that shows these names takes them from here.


def _is_viewer(viewer: User | AnonymousUser | None, user_id: int | None) -> bool:
    return user_id is not None and viewer is not None and viewer.is_authenticated and viewer.pk == user_id


def _may_see_in_full(viewer: User | AnonymousUser | None, event: Event, revealed: bool) -> bool:
    if _is_viewer(viewer, event.reporter_id):
        return True
    return revealed and viewer is not None and viewer.is_authenticated and may_see_reporter(viewer, event)


def reporter_name_shown(viewer: User | AnonymousUser | None, event: Event, *, revealed: bool = False) -> str:
    """The name the reporter gave, as ``viewer`` may see it ("" for an anonymous report).

    ``revealed``: the viewer has just revealed the reporter (``actions.reveal_reporter``, audited); it
    counts only if they may."""
    if event.anonymous:
        return ""
    name = event.reporter_name or (str(event.reporter) if event.reporter_id else "")
    return name if _may_see_in_full(viewer, event, revealed) else mask_name(name)


def reporter_shown(
    viewer: User | AnonymousUser | None, event: Event, *, revealed: bool = False
) -> dict[str, Any]:
    """The reporter as the event page shows them: a staff reporter with their unit, anyone else masked."""
    if event.anonymous:
        return {"anonymous": True}
    staff = event.reporter if event.reporter_id and event.reporter and event.reporter.unit_id else None
    if staff is not None:
        return {"name": str(staff), "unit": staff.unit.name if staff.unit else ""}
    full = _may_see_in_full(viewer, event, revealed)
    name = reporter_name_shown(viewer, event, revealed=revealed)
    phone = event.reporter_phone or ""
    return {
        "name": name,
        "phone": phone if full else mask_phone(phone),
        "can_reveal": not full
        and bool(name or phone)
        and viewer is not None
        and viewer.is_authenticated
        and may_see_reporter(viewer, event),
    }


def actor_shown(
    viewer: User | AnonymousUser | None,
    event: Event,
    *,
    actor_id: int | None,
    actor_name: str,
    staff: bool,
    revealed: bool = False,
) -> str:
    """Who took a step of ``event``, as ``viewer`` may see it.

    Staff (``staff``: the actor acted for a unit) and the system are named; the viewer sees their own name.
    A resident who is the event's reporter is shown as the 上报人 field shows them (masked, 匿名 for an
    anonymous report, in full after an allowed reveal); any other resident as 居民."""
    if actor_id is None or staff or _is_viewer(viewer, actor_id):
        return actor_name
    if actor_id == event.reporter_id:
        if event.anonymous:
            return gettext("Anonymous")
        return reporter_name_shown(viewer, event, revealed=revealed) or gettext("Resident")
    return gettext("Resident")


def timeline(viewer: User | AnonymousUser | None, event: Event, *, revealed: bool = False) -> list[EventFlow]:
    """The event's flow records in order, each with ``shown_actor``: the actor as ``viewer`` may see them
    (``actor_shown``). Show ``shown_actor``, never ``actor_name``."""
    known = getattr(event, "known_flows", None)
    flows = list(known if known is not None else event.flows.select_related("unit").order_by("id"))
    for flow in flows:
        flow.shown_actor = actor_shown(
            viewer,
            event,
            actor_id=flow.actor_id,
            actor_name=flow.actor_name,
            staff=flow.unit_id is not None,
            revealed=revealed,
        )
    return flows


def co_handlers(event: Event) -> list[EventCoUnit] | QuerySet[EventCoUnit]:
    known = getattr(event, "known_co_units", None)
    return known if known is not None else event.co_units.select_related("unit")


@dataclass
class EventFilter:
    state: str = ""
    category: str = ""
    source: str = ""
    region: str = ""
    since: datetime | None = None
    until: datetime | None = None
    overdue: bool | None = None
    warning: str = ""
    q: str = ""
    lead_unit: str = ""
    open_only: bool = False


def _region_prefix(code: str) -> str:
    """A region's own code (a township's 331129102000) as the prefix its events' codes share
    (331129102); anything else is taken as a prefix already."""
    region = Region.objects.filter(code=code).only("code", "level").first()
    return region.scope_prefix if region is not None else code


def search(user: User | AnonymousUser, f: EventFilter) -> QuerySet[Event]:
    qs = events(user)
    if f.state:
        qs = qs.filter(state__in=f.state.split(","))
    if f.open_only:
        qs = qs.filter(state__in=OPEN_STATES)
    if f.category:
        qs = qs.filter(Q(category__code=f.category) | Q(category__parent__code=f.category))
    if f.source:
        qs = qs.filter(source=f.source)
    if f.region:
        qs = qs.filter(region_code__startswith=_region_prefix(f.region))
    if f.since:
        qs = qs.filter(reported_at__gte=f.since)
    if f.until:
        qs = qs.filter(reported_at__lt=f.until)
    if f.overdue is True:
        qs = qs.filter(Q(warning=Warning.RED) | Q(was_overdue=True))
    elif f.overdue is False:
        qs = qs.filter(was_overdue=False).exclude(warning=Warning.RED)
    if f.warning:
        qs = qs.filter(warning=f.warning)
    if f.lead_unit:
        qs = qs.filter(lead_unit__code=f.lead_unit)
    if f.q:
        qs = qs.filter(
            Q(title__contains=f.q)
            | Q(description__contains=f.q)
            | Q(address__contains=f.q)
            | Q(source_ref=f.q)
        )
    return qs


def _triage_scope(user: User) -> tuple[str, str] | None:
    """(level, region prefix) where the user triages, if they do."""
    unit = user.unit
    if unit is None:
        return None
    for level, role in TRIAGE_ROLE.items():
        if user.has_role(role) and unit.region.level == LEVEL_REGION[level]:
            return level, unit.region.scope_prefix
    return None


WORKLISTS_TRIAGE = {
    "to_accept": {"state": EventState.REPORTED},
    "to_dispatch": {"state": EventState.PENDING_DISPATCH},
    "extensions": {"state": EventState.EXTENSION_PENDING},
    "to_verify": {"state": EventState.HANDLED},
}


def worklist(user: User, name: str) -> QuerySet[Event]:
    """The queues of the workbenches. Triage queues are the events at the user's own level."""
    base = Event.objects.select_related("category", "region", "lead_unit").defer(*LIST_DEFERRED)
    triage = _triage_scope(user)
    if name in WORKLISTS_TRIAGE or name in ("returned", "escalated", "warnings"):
        if triage is None:
            return base.none()
        level, prefix = triage
        qs = base.filter(level=level, region_code__startswith=prefix)
        if name in WORKLISTS_TRIAGE:
            return qs.filter(**WORKLISTS_TRIAGE[name]).order_by("due_at", "id")
        if name == "returned":
            return qs.filter(state=EventState.PENDING_DISPATCH, return_count__gt=0).order_by("due_at", "id")
        if name == "escalated":
            return qs.filter(
                state__in=[EventState.REPORTED, EventState.PENDING_DISPATCH], escalation_count__gt=0
            ).order_by("due_at", "id")
        return scoped(base, user).filter(state__in=OPEN_STATES).exclude(warning="").order_by("due_at", "id")
    if name in ("to_sign", "handling", "due_soon"):
        if user.unit_id is None:
            return base.none()
        mine = base.filter(lead_unit_id=user.unit_id)
        if name == "to_sign":
            return mine.filter(state=EventState.DISPATCHED).order_by("due_at", "id")
        if name == "handling":
            return mine.filter(
                state__in=[EventState.HANDLING, EventState.EXTENSION_PENDING, EventState.SUSPENDED]
            ).order_by("due_at", "id")
        soon = timezone.now() + timedelta(days=2)
        return mine.filter(state__in=OPEN_STATES, due_at__lte=soon).order_by("due_at", "id")
    if name == "my_reports":
        return base.filter(Q(reporter=user) | Q(created_by=user)).order_by("-id")
    if name == "grid_to_verify":
        if not user.has_role(Role.GRID_WORKER):
            return base.none()
        return scoped(base, user).filter(state=EventState.HANDLED).order_by("due_at", "id")
    return base.none()


def nearby_duplicates(
    user: User | AnonymousUser,
    category_code: str,
    lng: float,
    lat: float,
    exclude_id: int | None = None,
    now: datetime | None = None,
) -> list[Event]:
    """Open events of the same category within 100 m and 7 days: candidates to merge."""
    now = now or timezone.now()
    box = DUPLICATE_RADIUS_M / 111_000 * 1.5
    qs = events(user).filter(
        category__code=category_code,
        state__in=OPEN_STATES,
        reported_at__gte=now - timedelta(days=DUPLICATE_DAYS),
        lng__range=(lng - box * 1.3, lng + box * 1.3),
        lat__range=(lat - box, lat + box),
    )
    if exclude_id:
        qs = qs.exclude(pk=exclude_id)
    return [e for e in qs[:50] if distance_m(lng, lat, e.lng or 0, e.lat or 0) <= DUPLICATE_RADIUS_M]


def categories(active_only: bool = True) -> QuerySet[EventCategory]:
    qs = EventCategory.objects.select_related("parent")
    return qs.filter(is_active=True) if active_only else qs


def level_label(level: str) -> Any:
    return Level(level).label
