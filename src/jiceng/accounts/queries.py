"""Scoped reads of users and tokens."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Prefetch, Q, QuerySet

from jiceng.accounts.models import ApiToken, User, UserRole
from jiceng.core.scope import get_in_scope, scoped

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser


def _with_relations(qs: QuerySet[User]) -> QuerySet[User]:
    return qs.select_related("unit__region").prefetch_related(
        Prefetch("roles", queryset=UserRole.objects.order_by("role"))
    )


def users(
    actor: User | AnonymousUser, *, unit: str = "", role: str = "", q: str = "", region: str = ""
) -> QuerySet[User]:
    qs = _with_relations(scoped(User, actor))
    if unit:
        qs = qs.filter(unit__code=unit)
    if role:
        qs = qs.filter(roles__role=role)
    if region:
        qs = qs.filter(unit__region__code__startswith=region)
    if q:
        qs = qs.filter(Q(username__icontains=q) | Q(full_name__contains=q))
    return qs.distinct() if role else qs


def user(actor: User | AnonymousUser, username: str) -> User:
    return get_in_scope(_with_relations(User.objects.all()), actor, username=username)


def tokens(actor: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=actor).order_by("-created_at")


def role_codes(user: User) -> list[str]:
    """Roles of a user loaded with ``users()``/``user()`` (prefetched, no extra query)."""
    return [r.role for r in user.roles.all()]
