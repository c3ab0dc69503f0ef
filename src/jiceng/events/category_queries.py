"""Reads of the event category tree. Categories are global: every logged-in user may read them."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from jiceng.core.errors import NotFound
from jiceng.events.models import EventCategory


@dataclass
class Branch:
    """A top-level category (大类) with its sub-categories (小类), in display order."""

    category: EventCategory
    children: list[EventCategory] = field(default_factory=list)


def category(code: str) -> EventCategory:
    """One category by code, active or not; NotFound if there is none."""
    found = EventCategory.objects.select_related("parent").filter(code=code).first()
    if found is None:
        raise NotFound()
    return found


def children(parent: EventCategory) -> QuerySet[EventCategory]:
    return parent.children.order_by("sort", "code")


def tree(*, platform: str = "", q: str = "", include_inactive: bool = False) -> list[Branch]:
    """The tree as branches. With ``q``, a branch shows when its own name or code matches (with all its
    children) or when some children match (with only those)."""
    qs = EventCategory.objects.order_by("sort", "code")
    if not include_inactive:
        qs = qs.filter(is_active=True)
    if platform:
        qs = qs.filter(platform=platform)
    rows = list(qs)
    tops = [c for c in rows if c.parent_id is None]
    by_parent: dict[int, list[EventCategory]] = {}
    for c in rows:
        if c.parent_id is not None:
            by_parent.setdefault(c.parent_id, []).append(c)
    q = q.strip()
    matching: set[int] | None = None
    if q:
        matching = set(
            EventCategory.objects.filter(Q(name__contains=q) | Q(code__istartswith=q)).values_list(
                "pk", flat=True
            )
        )
    branches = []
    for top in tops:
        kids = by_parent.get(top.pk, [])
        if matching is not None and top.pk not in matching:
            kids = [k for k in kids if k.pk in matching]
            if not kids:
                continue
        branches.append(Branch(top, kids))
    return branches
