"""Scoped reads of the base data, and who may see what of it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet

from jiceng.accounts.permissions import has_role
from jiceng.accounts.roles import Role
from jiceng.audit.models import AuditEntry
from jiceng.core.crypto import blind_index
from jiceng.core.errors import NotFound
from jiceng.core.scope import covers, get_in_scope
from jiceng.registry import codes, schema, search
from jiceng.registry.models import (
    CreditRecord,
    House,
    Household,
    KeyPlace,
    Organization,
    Person,
    Record,
    SpecialGroup,
    SpecialGroupRecord,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from jiceng.accounts.models import User

# Who may ask for ID numbers and phones in full (every such view is audited).
REVEAL_ROLES = (
    Role.GRID_WORKER,
    Role.VILLAGE_CADRE,
    Role.DISPATCHER,
    Role.COUNTY_CENTER,
    Role.SAFETY_OFFICER,
    Role.ADMIN,
)
# Who may export a whole list with ID numbers and phones in full: the jurisdiction's administrators only.
# Revealing one record for a visit or a check is daily work of the roles above; a bulk copy of everyone's
# personal data is not, so it is kept to the role that answers for the data (个人信息保护法: the least
# necessary), always with a stated purpose and audited with the number of rows.
FULL_EXPORT_ROLES = (Role.ADMIN,)
# Who works with special groups: 综治/司法/公安 staff and the grid workers where the person lives.
SPECIAL_GROUP_ROLES = (Role.SAFETY_OFFICER, Role.GRID_WORKER)


def may_reveal(user: User | AnonymousUser | None) -> bool:
    return has_role(user, *REVEAL_ROLES)


def may_export_full(user: User | AnonymousUser | None) -> bool:
    return has_role(user, *FULL_EXPORT_ROLES)


def may_see_special_groups(user: User | AnonymousUser | None, person: Person) -> bool:
    """Special-group tags and records: only the roles that need them, only in their jurisdiction."""
    if user is None or not user.is_authenticated:
        return False
    if not covers(user, person.region_code):
        return False
    return bool(user.is_superuser or user.has_role(*SPECIAL_GROUP_ROLES))


def records(
    user: User | AnonymousUser | None, kind: str, *, q: str = "", region: str = "", **filters: Any
) -> QuerySet[Any]:
    """Live records of ``kind`` in the user's jurisdiction, searched by ``q`` (see ``registry.search``)
    and filtered by ``filters``: the one filter function of the list pages, the API and the exports, so
    that an export holds exactly the records its list shows.

    ``filters``: field lookups, plus ``group`` (special group, only for ``SPECIAL_GROUP_ROLES``),
    ``care_group`` and ``rental`` (houses rented out, or not)."""
    model = schema.MODELS[kind]
    qs = model.objects.alive().restrict(user)
    if region:
        qs = qs.filter(region_code__startswith=region)
    qs = search.apply(qs, q)
    wanted = {k: v for k, v in filters.items() if v not in (None, "")}
    if "rental" in wanted:
        qs = qs.exclude(rental_use="") if wanted.pop("rental") else qs.filter(rental_use="")
    if "group" in wanted:  # special-group filter: only for those who may see them
        group = wanted.pop("group")
        if not has_role(user, *SPECIAL_GROUP_ROLES):
            return qs.none()
        qs = qs.filter(
            pk__in=SpecialGroupRecord.objects.restrict(user)
            .filter(group_index=blind_index(f"group:{group}"), ended_on__isnull=True)
            .values("person_id")
        )
    if "care_group" in wanted:
        qs = (
            qs.filter(care_groups__contains=wanted.pop("care_group"))
            if _json_contains()
            else qs.filter(care_groups__icontains=f'"{wanted.pop("care_group")}"')
        )
    if wanted:
        qs = qs.filter(**wanted)
    # A list never shows the region's polygon: reading and decoding it cost more than the row.
    return qs.select_related("region").defer("region__boundary")


def _json_contains() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"


def get(user: User | AnonymousUser | None, kind: str, key: str | int) -> Record:
    """One live record by its natural key (or id), 404 for missing and outside alike."""
    model = schema.MODELS[kind]
    lookup: dict[str, Any]
    if model.natural_key == "pk" or kind == "person":
        try:
            lookup = {"pk": int(key)}
        except (TypeError, ValueError):
            raise NotFound() from None
    else:
        lookup = {model.natural_key: str(key)}
    return get_in_scope(model.objects.alive().select_related("region"), user, **lookup)


@dataclass
class SpecialGroupView:
    id: int
    group: str
    group_label: str
    details: dict[str, tuple[str, str]]  # field → (code, name)
    started_on: Any
    ended_on: Any
    responsible: Any
    version: int


def special_groups(user: User | AnonymousUser | None, person: Person) -> list[SpecialGroupView] | None:
    """The person's special-group records, or None when the user may not see them (callers audit the view)."""
    if not may_see_special_groups(user, person):
        return None
    result = []
    labels = dict(SpecialGroup.choices)
    for entry in person.special_group_records.select_related("responsible").order_by("id"):
        tables = {**codes.SPECIAL_GROUP_FIELDS.get(entry.group, {}), **codes.COMMON_SPECIAL_GROUP_FIELDS}
        raw = json.loads(entry.details or "{}")
        details = {k: (v, codes.name_of(tables[k], v)) for k, v in raw.items() if k in tables}
        result.append(
            SpecialGroupView(
                entry.pk,
                entry.group,
                str(labels.get(entry.group, entry.group)),
                details,
                entry.started_on,
                entry.ended_on,
                entry.responsible,
                entry.version,
            )
        )
    return result


def history(user: User | AnonymousUser | None, obj: Record) -> QuerySet[AuditEntry]:
    """Who changed the record, when, before and after (personal data masked in the entries themselves)."""
    get_in_scope(type(obj).objects.all(), user, pk=obj.pk)
    return AuditEntry.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk)).order_by("-id")


def viewers(user: User | AnonymousUser | None, obj: Record) -> QuerySet[AuditEntry]:
    """Who viewed the record's personal data in full (admins only)."""
    if not has_role(user, Role.ADMIN):
        return AuditEntry.objects.none()
    return history(user, obj).filter(action__endswith=".reveal")


# --- 360° views ---------------------------------------------------------------------------------------------


def _visible(user: User | AnonymousUser | None, obj: Record | None) -> Record | None:
    """A related record if it is live and inside the user's jurisdiction (no query: by its region code)."""
    if obj is None or obj.deleted_at is not None or not covers(user, obj.region_code):
        return None
    return obj


def person_360(user: User | AnonymousUser | None, person: Person) -> dict[str, Any]:
    from jiceng.events.models import Event

    household_members = (
        Person.objects.alive().restrict(user).filter(household_id=person.household_id).exclude(pk=person.pk)
        if person.household_id
        else Person.objects.none()
    )
    events = Event.objects.restrict(user).filter(pk__in=_event_ids_for_person(person)).order_by("-id")[:50]
    return {
        "household": _visible(user, person.household),
        "household_members": household_members.order_by("relation_to_head", "id"),
        "house": _visible(user, person.house),
        "tenancies": person.tenancies.select_related("house").filter(
            house__in=House.objects.alive().restrict(user)
        ),
        "owned_houses": House.objects.alive().restrict(user).filter(owner=person),
        "credit_records": CreditRecord.objects.alive().restrict(user).filter(subject_person=person),
        "special_groups": special_groups(user, person),
        "events": events,
    }


def _event_ids_for_person(person: Person) -> QuerySet[Any]:
    from jiceng.events.models import Event

    linked = Q(parties__person=person)
    if person.phone_index:
        linked |= Q(reporter_phone_index=person.phone_index)
    return Event.objects.filter(linked).values("pk")


def house_360(user: User | AnonymousUser | None, house: House) -> dict[str, Any]:
    from jiceng.events.models import Event

    events = Event.objects.restrict(user)
    at_address = Q(parties__house=house) | (Q(address=house.address) if house.address else Q(pk__in=[]))
    events = events.filter(at_address).distinct()
    return {
        "residents": Person.objects.alive().restrict(user).filter(house=house),
        "tenancies": house.tenancies.select_related("person").filter(
            person__in=Person.objects.alive().restrict(user)
        ),
        "households": Household.objects.alive().restrict(user).filter(house=house),
        "events": events.order_by("-id")[:50],
    }


def organization_360(user: User | AnonymousUser | None, organization: Organization) -> dict[str, Any]:
    from jiceng.events.models import Event

    places = KeyPlace.objects.alive().restrict(user).filter(organization=organization)
    return {
        "credit_records": CreditRecord.objects.alive()
        .restrict(user)
        .filter(subject_organization=organization),
        "places": places,
        "events": Event.objects.restrict(user)
        .filter(Q(parties__organization=organization) | Q(parties__place__in=places))
        .distinct()
        .order_by("-id")[:50],
    }
