"""Scoped reads of events: worklists, search, detail, timeline, duplicate hints."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from jiceng.accounts.roles import Role
from jiceng.core.coords import distance_m
from jiceng.core.scope import get_in_scope, scoped
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
from jiceng.events.workflow import LEVEL_REGION, TRIAGE_ROLE

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


def timeline(event: Event) -> list[EventFlow] | QuerySet[EventFlow]:
    known = getattr(event, "known_flows", None)
    return known if known is not None else event.flows.select_related("actor", "unit").order_by("id")


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
        qs = qs.filter(region_code__startswith=f.region)
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
