"""Scoped reads of regions and units."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from jiceng.core.scope import covers, get_in_scope, scoped
from jiceng.org.models import Region, Unit

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from jiceng.accounts.models import User


def regions(
    user: User | AnonymousUser, *, level: str = "", parent: str = "", q: str = "", active_only: bool = False
) -> QuerySet[Region]:
    qs = scoped(Region.objects.select_related("parent"), user)
    if level:
        qs = qs.filter(level=level)
    if parent:
        qs = qs.filter(parent__code=parent)
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(code__startswith=q))
    if active_only:
        qs = qs.filter(is_active=True)
    return qs.defer("boundary")


def region(user: User | AnonymousUser, code: str) -> Region:
    return get_in_scope(Region.objects.select_related("parent"), user, code=code)


def visible_ancestors(user: User | AnonymousUser, region: Region) -> list[Region]:
    """The region's ancestors the user may see, top first (for breadcrumbs)."""
    chain: list[Region] = []
    node = region.parent
    while node is not None:
        if covers(user, node.code):
            chain.append(node)
        node = node.parent
    return chain[::-1]


def root_regions(user: User | AnonymousUser) -> QuerySet[Region]:
    """The top of the user's visible tree: regions whose parent they cannot see."""
    visible = regions(user)
    return visible.exclude(parent__in=visible.values("pk")).order_by("code")


def units(user: User | AnonymousUser, *, region: str = "", kind: str = "", q: str = "") -> QuerySet[Unit]:
    qs = scoped(Unit.objects.select_related("region"), user)
    if region:
        qs = qs.filter(region__code=region)
    if kind:
        qs = qs.filter(kind=kind)
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(code__startswith=q))
    return qs


def unit(user: User | AnonymousUser, code: str) -> Unit:
    return get_in_scope(Unit.objects.select_related("region"), user, code=code)
