"""Reads only the registry pages need, on top of ``registry.queries`` (always scoped through it)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q, QuerySet

from jiceng.audit.models import AuditEntry
from jiceng.org import queries as org_queries
from jiceng.org.models import RegionLevel
from jiceng.registry import queries, schema
from jiceng.registry.models import Record

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from jiceng.accounts.models import User

# What each list shows beside the record itself.
LIST_RELATED: dict[str, tuple[str, ...]] = {
    "household": ("head", "house"),
    "place": ("organization",),
    "credit": ("subject_person", "subject_organization"),
}
HISTORY_LIMIT = 100


def region_options(user: User | AnonymousUser | None) -> list[tuple[str, str]]:
    """The villages and grids of the jurisdiction, as (code, label) for selects."""
    if user is None or not user.is_authenticated:
        return []
    regions = (
        org_queries.regions(user, active_only=True)
        .filter(level__in=[RegionLevel.VILLAGE, RegionLevel.GRID, RegionLevel.MICROGRID])
        .order_by("code")
        .values_list("code", "name", "level")
    )
    indent: dict[str, str] = {RegionLevel.VILLAGE: "", RegionLevel.GRID: "　", RegionLevel.MICROGRID: "　　"}
    return [(code, f"{indent.get(level, '')}{name}") for code, name, level in regions]


def counts(user: User | AnonymousUser | None) -> dict[str, int]:
    """Live records of each kind in the jurisdiction."""
    return {kind: queries.records(user, kind).count() for kind in schema.KINDS}


def listing(user: User | AnonymousUser | None, kind: str, *, q: str = "", **filters: Any) -> QuerySet[Any]:
    qs = queries.records(user, kind, q=q, **filters)
    related = LIST_RELATED.get(kind)
    if related:
        qs = qs.select_related(*related)
    if kind == "household":
        qs = qs.annotate(member_count=Count("members", filter=Q(members__deleted_at__isnull=True)))
    return qs.order_by("-id")


def history(user: User | AnonymousUser | None, obj: Record) -> list[AuditEntry]:
    """The record's changes (views of personal data are left to ``queries.viewers``)."""
    entries = (
        queries.history(user, obj)
        .exclude(action__endswith=".reveal")
        .exclude(action__endswith=".view")
        .only("id", "at", "username", "action", "changes")
    )
    return list(entries[:HISTORY_LIMIT])
