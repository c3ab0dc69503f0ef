"""Reads for the event pages: workbench queues, pickers and the pieces of the event page.

Everything here only reads, and reaches events through ``queries.events`` / ``queries.worklist`` (or
an event already fetched through them), so the jurisdiction rule stays in one place.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from jiceng.accounts.roles import Role
from jiceng.events import queries
from jiceng.events.models import Event, EventCategory, EventCoUnit, Supervision
from jiceng.events.workflow import HANDLER_ROLES, LEVEL_REGION, TRIAGE_ROLE
from jiceng.org import queries as org_queries
from jiceng.org.models import Region, Unit, UnitKind

if TYPE_CHECKING:
    from jiceng.accounts.models import User


@dataclass(frozen=True)
class QueueSpec:
    name: str  # a worklist name of jiceng.events.queries.worklist
    label: str | Promise
    who: str  # "triage", "handler", "grid" or "reporter"


QUEUES: tuple[QueueSpec, ...] = (
    QueueSpec("to_accept", _("To accept"), "triage"),
    QueueSpec("to_dispatch", _("To dispatch"), "triage"),
    QueueSpec("returned", _("Returned"), "triage"),
    QueueSpec("warnings", _("Warnings"), "triage"),
    QueueSpec("to_verify", _("To verify"), "triage"),
    QueueSpec("escalated", _("Escalated to us"), "triage"),
    QueueSpec("extensions", _("Extension requests"), "triage"),
    QueueSpec("to_sign", _("To sign"), "handler"),
    QueueSpec("handling", _("Handling"), "handler"),
    QueueSpec("due_soon", _("Due soon"), "handler"),
    QueueSpec("grid_to_verify", _("To verify"), "grid"),
    QueueSpec("my_reports", _("My reports"), "reporter"),
)
QUEUE_BY_NAME = {q.name: q for q in QUEUES}

# Units that take events as lead or co-handler (command rooms and centres triage, they do not handle).
HANDLING_KINDS = [
    k
    for k in UnitKind.values
    if k not in (UnitKind.COUNTY_COMMAND_CENTER, UnitKind.TOWNSHIP_COMMAND_ROOM, UnitKind.HUB_CENTER)
]


def triage_level(user: User) -> str | None:
    """The event level the user triages at (village, township or county), if any."""
    unit = user.unit
    if unit is None:
        return None
    for level, role in TRIAGE_ROLE.items():
        if user.has_role(role) and unit.region.level == LEVEL_REGION[level]:
            return level
    return None


def queue_specs(user: User) -> list[QueueSpec]:
    """The workbench queues this user has, in display order."""
    has: set[str] = set()
    if triage_level(user) is not None:
        has.add("triage")
    if user.unit_id is not None and user.role_codes & HANDLER_ROLES:
        has.add("handler")
    if user.has_role(Role.GRID_WORKER):
        has.add("grid")
    if user.has_role(Role.GRID_WORKER, Role.VILLAGE_CADRE):
        has.add("reporter")
    return [q for q in QUEUES if q.who in has]


@dataclass
class Queue:
    spec: QueueSpec
    count: int

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def label(self) -> str | Promise:
        return self.spec.label


def queues(user: User) -> list[Queue]:
    return [Queue(spec, queries.worklist(user, spec.name).count()) for spec in queue_specs(user)]


def queue_events(user: User, name: str) -> QuerySet[Event]:
    return queries.worklist(user, name).select_related("category__parent")


# --- the report form -----------------------------------------------------------------------------


def category_tree(*, residents: bool = False) -> list[tuple[EventCategory, list[tuple[EventCategory, str]]]]:
    """Active categories as (大类, [(leaf, its name below the 大类), …]); a childless 大类 is its own leaf.
    ``residents``: only what residents may report (no staff-only leaf, no 大类 left without leaves)."""
    cats = list(queries.categories().order_by("sort", "code"))
    by_parent: dict[int | None, list[EventCategory]] = {}
    for c in cats:
        by_parent.setdefault(c.parent_id, []).append(c)
    active = {c.pk for c in cats}

    def leaves(node: EventCategory, path: str) -> list[tuple[EventCategory, str]]:
        children = by_parent.get(node.pk, [])
        if not children:
            return [(node, path)]
        return [
            leaf
            for child in children
            for leaf in leaves(child, f"{path} › {child.name}" if path else child.name)
        ]

    tree = [(root, leaves(root, "")) for root in by_parent.get(None, []) if root.pk in active]
    if residents:
        tree = [(root, [leaf for leaf in found if not leaf[0].staff_only]) for root, found in tree]
        tree = [(root, found) for root, found in tree if found]
    return tree


def leaf_category(code: str, *, residents: bool = False) -> EventCategory | None:
    category = queries.categories().filter(code=code).first()
    if category is None or category.children.filter(is_active=True).exists():
        return None
    if residents and category.staff_only:
        return None
    return category


# --- the event page ------------------------------------------------------------------------------


def region_trail(user: User, region: Region) -> list[Region]:
    """The event's region with the ancestors the user may see, top first."""
    return [*org_queries.visible_ancestors(user, region), region]


def co_units(event: Event) -> list[Unit]:
    return [
        c.unit for c in EventCoUnit.objects.filter(event=event).select_related("unit").order_by("unit__code")
    ]


def supervisions(event: Event) -> QuerySet[Supervision]:
    return (
        Supervision.objects.filter(event=event).select_related("by", "unit", "acknowledged_by").order_by("id")
    )


def flow_id(event: Event, action: str) -> int | None:
    return event.flows.filter(action=action).order_by("-id").values_list("id", flat=True).first()


def unit_names(codes: set[str]) -> dict[str, str]:
    """Names of the units that flow records mention by code (unit names are not confidential)."""
    if not codes:
        return {}
    return dict(Unit.objects.filter(code__in=codes).values_list("code", "name"))


def dispatch_units(user: User, category: EventCategory) -> list[tuple[str, list[tuple[str, str]]]]:
    """Units the user may dispatch to, grouped by kind, the category's usual kind first."""
    kind_first = (
        Case(When(kind=category.handler_kind, then=Value(0)), default=Value(1), output_field=IntegerField())
        if category.handler_kind
        else Value(1)
    )
    qs = (
        org_queries.units(user)
        .filter(is_active=True, kind__in=HANDLING_KINDS)
        .annotate(kind_first=kind_first)
        .order_by("kind_first", "kind", "code")
    )
    labels = dict(UnitKind.choices)
    groups: dict[str, list[tuple[str, str]]] = {}
    for unit in qs:
        groups.setdefault(str(labels.get(unit.kind, unit.kind)), []).append((unit.code, unit.name))
    return list(groups.items())


def duplicate_hints(user: User, event: Event) -> list[Event]:
    """Open events of the same category near this one (candidates to merge into)."""
    if event.lng is None or event.lat is None:
        return []
    return queries.nearby_duplicates(
        user, event.category.code, event.lng, event.lat, exclude_id=event.pk, now=event.reported_at
    )


# --- export --------------------------------------------------------------------------------------


def export_rows(user: User, f: queries.EventFilter, limit: int) -> Iterator[Event]:
    qs = queries.search(user, f).select_related("category__parent", "region", "lead_unit").order_by("-id")
    return qs[:limit].iterator(chunk_size=2000)
