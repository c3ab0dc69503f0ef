"""Scoped reads of the federation: the registry's health view, queues, dead letters, routes and tasks."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Count, Max, Min, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from jiceng.accounts.permissions import require_role
from jiceng.core.errors import field_error
from jiceng.core.scope import get_in_scope, scoped
from jiceng.events.models import Evaluation, Event, EventState, Urgency
from jiceng.events.workflow import TRANSITIONS, can
from jiceng.federation import county
from jiceng.federation.department import HANDLER_ROLES
from jiceng.federation.models import (
    DepartmentTask,
    EscalationLink,
    InboxMessage,
    InboxState,
    MessageType,
    OutboxMessage,
    OutboxState,
    ProvinceRecord,
    RejectedMessage,
    RoutedEvent,
    RouteState,
    System,
    SystemKind,
)
from jiceng.federation.systems import OPERATOR_ROLES
from jiceng.org.models import Unit

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from jiceng.accounts.models import User

# A peer with messages waiting and no successful delivery for this long is flagged.
SILENT_AFTER = timedelta(minutes=5)


@dataclass
class PeerStatus:
    system: System
    queued: int
    dead: int
    lag_seconds: float
    held: int
    warning: bool


def peer_statuses(actor: User | AnonymousUser | None, now: datetime | None = None) -> list[PeerStatus]:
    """Per peer: queue length, lag of the oldest waiting message, dead letters, held inbox messages, and
    a warning when it stopped answering."""
    require_role(actor, *OPERATOR_ROLES)
    now = now or timezone.now()
    outbox: dict[int, dict[str, Any]] = {
        row["target_id"]: dict(row)
        for row in OutboxMessage.objects.filter(state__in=[OutboxState.PENDING, OutboxState.DEAD])
        .values("target_id")
        .annotate(
            queued=Count("id", filter=Q(state=OutboxState.PENDING)),
            dead=Count("id", filter=Q(state=OutboxState.DEAD)),
            oldest=Min("created_at", filter=Q(state=OutboxState.PENDING)),
        )
    }
    held = dict(
        InboxMessage.objects.filter(state=InboxState.HELD)
        .values("source_id")
        .annotate(n=Count("id"))
        .values_list("source_id", "n")
    )
    result = []
    for system in System.objects.all():
        row = outbox.get(system.pk, {})
        oldest = row.get("oldest")
        lag = (now - oldest).total_seconds() if oldest else 0.0
        silent = bool(row.get("queued")) and (
            system.last_success_at is None or now - system.last_success_at > SILENT_AFTER
        )
        result.append(
            PeerStatus(
                system=system,
                queued=row.get("queued", 0),
                dead=row.get("dead", 0),
                lag_seconds=lag,
                held=held.get(system.pk, 0),
                warning=silent or system.failures >= 3,
            )
        )
    return result


def dead_letters(actor: User | AnonymousUser | None) -> QuerySet[OutboxMessage]:
    require_role(actor, *OPERATOR_ROLES)
    return OutboxMessage.objects.filter(state=OutboxState.DEAD).select_related("target").order_by("id")


def rejected(actor: User | AnonymousUser | None) -> QuerySet[RejectedMessage]:
    require_role(actor, *OPERATOR_ROLES)
    return RejectedMessage.objects.all()


def routes(actor: User | AnonymousUser | None) -> QuerySet[RoutedEvent]:
    user = require_role(actor, *OPERATOR_ROLES)
    return scoped(RoutedEvent.objects.select_related("county", "department"), user)


@dataclass
class RouteTab:
    state: str  # "" for all
    label: str
    count: int
    needs_operator: bool  # the operator's own queue: events no department took


def route_tabs(actor: User | AnonymousUser | None) -> list[RouteTab]:
    """The routed events by state, for tabs over the list: all, then each state with its count."""
    counts = dict(
        routes(actor).order_by().values_list("state").annotate(n=Count("id")).values_list("state", "n")
    )
    tabs = [RouteTab("", str(gettext_lazy("All")), sum(counts.values()), False)]
    tabs += [
        RouteTab(state, str(label), counts.get(state, 0), state == RouteState.AWAITING_OPERATOR)
        for state, label in RouteState.choices
    ]
    return tabs


def route(actor: User | AnonymousUser | None, routed_id: int) -> RoutedEvent:
    user = require_role(actor, *OPERATOR_ROLES)
    return get_in_scope(RoutedEvent.objects.select_related("county", "department"), user, pk=routed_id)


# What each step of a routed event is called on the hub's pages (RouteHop.action is a code).
HOP_LABELS = {
    "received": gettext_lazy("Received from the county"),
    "assigned": gettext_lazy("Assigned"),
    "returned": gettext_lazy("Returned (not ours)"),
    "progress": gettext_lazy("Progress"),
    "resolved": gettext_lazy("Resolved"),
    "awaiting_operator": gettext_lazy("No department left: operator decides"),
    "ignored": gettext_lazy("Ignored: not from the department holding it"),
    "recalled": gettext_lazy("Recalled by the county"),
    "feedback": gettext_lazy("County feedback"),
}


def route_facts(routed: RoutedEvent) -> dict[str, str]:
    """What the county sent beside title and description, for the operator: where exactly, how urgent."""
    details = routed.details if isinstance(routed.details, dict) else {}
    urgency = dict(Urgency.choices).get(routed.urgency, routed.urgency)
    return {"address": str(details.get("address") or ""), "urgency": str(urgency)}


@dataclass
class HopRow:
    at: datetime
    label: str
    system: str  # the system's name ("" when the hub itself acted)
    comment: str


def route_hops(routed: RoutedEvent) -> list[HopRow]:
    """The steps of a routed event as the operator reads them: named steps and systems, and the county's
    feedback and ignored messages by their labels instead of their codes."""
    hops = list(routed.hops.all())
    names = dict(System.objects.filter(code__in={h.system for h in hops}).values_list("code", "name"))
    types = dict(MessageType.choices)
    rows = []
    for hop in hops:
        label, comment = str(HOP_LABELS.get(hop.action, hop.action)), hop.comment
        if hop.action == "feedback":
            action, _sep, rest = comment.partition(" ")
            if action in TRANSITIONS:
                label = gettext("%(step)s: %(action)s") % {"step": label, "action": TRANSITIONS[action].label}
                comment = rest
        elif hop.action == "ignored" and comment in types:
            comment = str(types[comment])
        rows.append(HopRow(at=hop.at, label=label, system=names.get(hop.system, hop.system), comment=comment))
    return rows


def can_escalate(actor: User | AnonymousUser | None, event: Event) -> bool:
    """Whether the event's page offers to hand it to the collaboration platform: on a county platform
    connected to a hub, an event waiting for dispatch, to whoever may dispatch it to the hub's unit."""
    if settings.PLATFORM_ROLE != county.COUNTY or event.state != EventState.PENDING_DISPATCH:
        return False
    if actor is None or not actor.is_authenticated or not can(actor, event, "dispatch"):
        return False
    hub = System.objects.filter(kind=SystemKind.HUB, is_active=True).first()
    return (
        hub is not None and scoped(Unit.objects.all(), actor).filter(code=county.hub_unit_code(hub)).exists()
    )


@dataclass
class StoreRow:
    county: str  # the county system's name (its code if it is no longer registered)
    kind: str  # the kind of record, as its model names it (实有人口, 组织机构)
    records: int
    last_updated: datetime | None


def province_store(actor: User | AnonymousUser | None) -> list[StoreRow]:
    """What the counties have synced to the province-wide store (全省总库): records per county and kind, and
    when they last changed. Counts only: the records themselves are personal data."""
    from jiceng.federation.sync import KINDS

    user = require_role(actor, *OPERATOR_ROLES)
    rows = (
        scoped(ProvinceRecord.objects.filter(deleted=False), user)
        .values("county_code", "kind")
        .annotate(n=Count("id"), last=Max("updated_at"))
        .order_by("county_code", "kind")
    )
    names = dict(System.objects.values_list("code", "name"))
    return [
        StoreRow(
            county=names.get(row["county_code"], row["county_code"]),
            kind=str(KINDS[row["kind"]][0]._meta.verbose_name_plural)
            if row["kind"] in KINDS
            else row["kind"],
            records=row["n"],
            last_updated=row["last"],
        )
        for row in rows
    ]


def event_for_escalation(actor: User | AnonymousUser | None, number: str) -> int:
    """The id of the event a county user names by its number (SJ…, as on every page) or its id, within
    their jurisdiction; a number that is not one of their events is an input error on the field."""
    number = (number or "").strip().upper()
    by_number = Event.pk_in(number)
    pk = by_number if by_number is not None else int(number) if number.isdigit() else None
    found = scoped(Event.objects.all(), actor).filter(pk=pk).first() if pk is not None else None
    if found is None or (by_number is not None and not found.answers_to(number)):
        raise field_error(
            "event_id", gettext("No event with this number in your jurisdiction."), "unknown_event"
        )
    return found.pk


def escalations(actor: User | AnonymousUser | None) -> QuerySet[EscalationLink]:
    return scoped(EscalationLink.objects.select_related("event", "hub"), actor)


def tasks(actor: User | AnonymousUser | None) -> QuerySet[DepartmentTask]:
    """Every assignment of the department system: its handlers all work the same queue."""
    require_role(actor, *HANDLER_ROLES)
    return DepartmentTask.objects.select_related("hub")


@dataclass
class FeedbackRow:
    label: str  # what the county did: 核查通过，结案, 核查不通过，返工, 评价, 重新办理
    comment: str
    evaluation: str  # the reporter's rating, by its label ("" when none)


def task_feedback(task: DepartmentTask) -> list[FeedbackRow]:
    """What the county said after the department's answer (verification, rating, reopening), as its
    handlers read it: a failed verification sends the task back to them, and this is why."""
    evaluations = dict(Evaluation.choices)
    rows = []
    for action, payload in task.feedback.items():
        if not isinstance(payload, dict):
            continue
        transition = TRANSITIONS.get(action)
        evaluation = str(payload.get("evaluation") or "")
        rows.append(
            FeedbackRow(
                label=str(transition.label) if transition else action,
                comment=str(payload.get("comment") or ""),
                evaluation=str(evaluations.get(evaluation, evaluation)),
            )
        )
    return rows


# How this node's role is named on its pages (the provincial hub is more than a peer's "协同平台").
PLATFORM_ROLE_LABELS = {
    "county": gettext_lazy("County platform"),
    "hub": gettext_lazy("Provincial collaboration platform"),
    "department": gettext_lazy("Department system"),
}


@dataclass
class ThisPlatform:
    name: str  # empty: unknown (a hub without JICENG_PLATFORM_NAME)
    role_label: str
    code: str  # empty: JICENG_PLATFORM_CODE is not set (messages go out as "LOCAL")
    role: str = ""  # county | hub | department


def this_platform() -> ThisPlatform:
    """This node as its operators read it: its name (JICENG_PLATFORM_NAME, else a county platform's county),
    its role and its system code in the federation."""
    role = str(settings.PLATFORM_ROLE)
    name = settings.PLATFORM_NAME
    if not name and role == county.COUNTY:
        with contextlib.suppress(county.NoHub):
            name = county.county_region().name
    label = str(PLATFORM_ROLE_LABELS.get(role, role))
    return ThisPlatform(name=name, role_label=label, code=settings.PLATFORM_CODE, role=role)
