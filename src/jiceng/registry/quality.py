"""Data quality of the base data in a user's jurisdiction: how much there is per grid, what is missing, what
cannot be right, what is probably entered twice, and what nobody has looked at for months.

Everything is counted in the database (one aggregate query per kind, grouped queries for grids and
duplicates); only the few records a page lists are loaded.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from jiceng.org.models import Region
from jiceng.registry import schema
from jiceng.registry.models import Person, Record

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from jiceng.accounts.models import User

MISSING = "missing"
INVALID = "invalid"
MONTH_CHOICES = (3, 6, 12, 24, 36)
DEFAULT_MONTHS = 12
LIST_LIMIT = 100
DUPLICATE_GROUPS = 50
# The kinds counted per grid (credit records live where their subject lives: not a grid's own data).
GRID_KINDS = ("person", "household", "house", "organization", "place", "component")


def _no_point() -> Q:
    return Q(lng__isnull=True) | Q(lat__isnull=True)


def _implausible_birth(today: date) -> Q:
    return Q(birth_date__gt=today) | Q(birth_date__lt=date(today.year - 120, 1, 1))


@dataclass(frozen=True)
class Check:
    id: str
    kind: str
    section: str
    label: Promise
    condition: Callable[[date], Q]
    annotations: Callable[[], dict[str, Any]] = field(default=dict)


def _component_division() -> dict[str, Any]:
    return {"q_code_division": Substr("code", 1, 6), "q_region_division": Substr("region_code", 1, 6)}


def _head_is_member() -> dict[str, Any]:
    members = Person.objects.filter(
        pk=OuterRef("head_id"), household_id=OuterRef("pk"), deleted_at__isnull=True
    )
    return {"q_head_is_member": Exists(members)}


CHECKS: tuple[Check, ...] = (
    # Missing facts.
    Check(
        "person_no_id", "person", MISSING, _("People without an ID number"), lambda t: Q(id_number_index="")
    ),
    Check(
        "person_no_phone", "person", MISSING, _("People without a phone number"), lambda t: Q(phone_index="")
    ),
    Check(
        "person_no_house",
        "person",
        MISSING,
        _("People not linked to a house"),
        lambda t: Q(house__isnull=True),
    ),
    Check("person_no_point", "person", MISSING, _("People without coordinates"), lambda t: _no_point()),
    Check(
        "household_no_house",
        "household",
        MISSING,
        _("Households not linked to a house"),
        lambda t: Q(house__isnull=True),
    ),
    Check(
        "household_no_head",
        "household",
        MISSING,
        _("Households without a head"),
        lambda t: Q(head__isnull=True),
    ),
    Check("house_no_point", "house", MISSING, _("Houses without coordinates"), lambda t: _no_point()),
    Check("house_no_address", "house", MISSING, _("Houses without an address"), lambda t: Q(address="")),
    Check(
        "organization_no_phone",
        "organization",
        MISSING,
        _("Organizations without a contact phone"),
        lambda t: Q(contact_phone_index=""),
    ),
    Check(
        "organization_no_point",
        "organization",
        MISSING,
        _("Organizations without coordinates"),
        lambda t: _no_point(),
    ),
    Check(
        "place_no_responsible",
        "place",
        MISSING,
        _("Key places without a responsible person"),
        lambda t: Q(responsible_name=""),
    ),
    Check(
        "place_never_inspected",
        "place",
        MISSING,
        _("Key places never inspected"),
        lambda t: Q(last_inspected_on__isnull=True),
    ),
    Check("place_no_point", "place", MISSING, _("Key places without coordinates"), lambda t: _no_point()),
    Check(
        "component_no_point",
        "component",
        MISSING,
        _("City components without coordinates"),
        lambda t: _no_point(),
    ),
    # Values that cannot be right.
    Check(
        "component_division",
        "component",
        INVALID,
        _("City components whose code names another division than their region"),
        lambda t: ~Q(q_code_division=F("q_region_division")),
        _component_division,
    ),
    Check(
        "person_birth_date",
        "person",
        INVALID,
        _("People born in the future or more than 120 years ago"),
        _implausible_birth,
    ),
    Check(
        "person_relation_without_household",
        "person",
        INVALID,
        _("People with a relation to a head of household but no household"),
        lambda t: Q(household__isnull=True) & ~Q(relation_to_head=""),
    ),
    Check(
        "household_head_elsewhere",
        "household",
        INVALID,
        _("Households whose head is not one of their members"),
        lambda t: Q(head__isnull=False, q_head_is_member=False),
        _head_is_member,
    ),
)
CHECKS_BY_ID = {c.id: c for c in CHECKS}


def today() -> date:
    return timezone.localdate()


def months_before(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier (the month's last day when it is shorter)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _start_of(day: date) -> datetime:
    """Local midnight at the start of ``day`` (compared with the indexed ``updated_at`` as it is)."""
    return timezone.make_aware(datetime.combine(day, time.min))


def alive(user: User | AnonymousUser | None, kind: str) -> QuerySet[Any]:
    return schema.MODELS[kind].objects.alive().restrict(user)


# --- counts ---------------------------------------------------------------------------------------------


@dataclass
class CheckCount:
    check: Check
    count: int
    total: int


@dataclass
class Summary:
    months: int
    cutoff: date
    totals: dict[str, int]
    stale: dict[str, int]
    checks: list[CheckCount]

    def section(self, name: str) -> list[CheckCount]:
        return [c for c in self.checks if c.check.section == name]


def summary(user: User | AnonymousUser | None, months: int = DEFAULT_MONTHS) -> Summary:
    """Totals, records not updated since ``months`` ago, and every check's count: one query per kind."""
    day = today()
    cutoff = months_before(day, months)
    totals: dict[str, int] = {}
    stale: dict[str, int] = {}
    found: dict[str, int] = {}
    for kind in schema.KINDS:
        checks = [c for c in CHECKS if c.kind == kind]
        annotations: dict[str, Any] = {}
        for c in checks:
            annotations.update(c.annotations())
        qs = alive(user, kind)
        if annotations:
            qs = qs.annotate(**annotations)
        result = qs.aggregate(
            q_total=Count("pk"),
            q_stale=Count("pk", filter=Q(updated_at__lt=_start_of(cutoff))),
            **{c.id: Count("pk", filter=c.condition(day)) for c in checks},
        )
        totals[kind], stale[kind] = result.pop("q_total"), result.pop("q_stale")
        found.update(result)
    return Summary(
        months,
        cutoff,
        totals,
        stale,
        [CheckCount(c, found[c.id], totals[c.kind]) for c in CHECKS],
    )


def failing(user: User | AnonymousUser | None, check_id: str, limit: int = LIST_LIMIT) -> list[Record]:
    """The first records that fail one check, newest first."""
    check = CHECKS_BY_ID[check_id]
    qs = alive(user, check.kind)
    annotations = check.annotations()
    if annotations:
        qs = qs.annotate(**annotations)
    return list(qs.filter(check.condition(today())).select_related("region").order_by("-id")[:limit])


def not_updated(
    user: User | AnonymousUser | None, kind: str, months: int, limit: int = LIST_LIMIT
) -> list[Record]:
    """The records of ``kind`` updated longest ago, among those not updated for ``months`` months."""
    cutoff = months_before(today(), months)
    qs = alive(user, kind).filter(updated_at__lt=_start_of(cutoff)).select_related("region")
    return list(qs.order_by("updated_at", "id")[:limit])


# --- per grid -------------------------------------------------------------------------------------------


@dataclass
class GridRow:
    code: str
    name: str
    level: str
    counts: dict[str, int]

    def count(self, kind: str) -> int:
        return self.counts.get(kind, 0)


def per_grid(user: User | AnonymousUser | None) -> list[GridRow]:
    """How many records of each kind hang on each grid (or village) of the jurisdiction."""
    by_region: dict[int, dict[str, int]] = {}
    for kind in GRID_KINDS:
        for row in alive(user, kind).order_by().values("region_id").annotate(n=Count("pk")):
            by_region.setdefault(row["region_id"], {})[kind] = row["n"]
    regions = Region.objects.filter(pk__in=list(by_region)).values("pk", "code", "name", "level")
    rows = [GridRow(r["code"], r["name"], r["level"], by_region[r["pk"]]) for r in regions]
    return sorted(rows, key=lambda r: r.code)


def column_max(rows: list[GridRow]) -> dict[str, int]:
    return {kind: max((r.count(kind) for r in rows), default=0) for kind in GRID_KINDS}


# --- probable duplicates --------------------------------------------------------------------------------


@dataclass
class DuplicateGroup:
    key: tuple[str, ...]
    count: int
    records: list[Record]


@dataclass
class Duplicates:
    kind: str
    label: Promise
    groups: list[DuplicateGroup]
    total_groups: int


DUPLICATE_RULES: tuple[tuple[str, tuple[str, ...], Promise], ...] = (
    ("person", ("name", "birth_date"), _("People with the same name and date of birth")),
    ("organization", ("name", "address"), _("Organizations with the same name and address")),
    ("place", ("name", "address"), _("Key places with the same name and address")),
)


def _duplicates(
    user: User | AnonymousUser | None, kind: str, keys: tuple[str, ...], label: Promise, limit: int
) -> Duplicates:
    base = alive(user, kind).exclude(**{f"{k}__isnull": True for k in keys})
    if kind == "person":
        base = base.exclude(name="")
    grouped = base.order_by().values(*keys).annotate(n=Count("pk")).filter(n__gt=1)
    total = grouped.count()
    top = list(grouped.order_by("-n", *keys)[:limit])
    if not top:
        return Duplicates(kind, label, [], total)
    condition = Q()
    for g in top:
        condition |= Q(**{k: g[k] for k in keys})
    members: dict[tuple[Any, ...], list[Record]] = {}
    for obj in base.filter(condition).select_related("region").order_by("id"):
        members.setdefault(tuple(getattr(obj, k) for k in keys), []).append(obj)
    groups = [
        DuplicateGroup(tuple(str(g[k]) for k in keys), g["n"], members.get(tuple(g[k] for k in keys), []))
        for g in top
    ]
    return Duplicates(kind, label, groups, total)


def duplicates(user: User | AnonymousUser | None, limit: int = DUPLICATE_GROUPS) -> list[Duplicates]:
    """Probable duplicates: the largest groups of records that agree on their identifying facts."""
    return [_duplicates(user, kind, keys, label, limit) for kind, keys, label in DUPLICATE_RULES]
