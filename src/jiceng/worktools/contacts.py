"""通讯录: the address book by the org tree. Colleagues across the whole county are listed (a grid worker
must reach the township's command room), wider than one's jurisdiction on purpose; mobile numbers are
masked, and calling one reveals it only through ``call``, which is audited."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from jiceng.accounts.roles import Role
from jiceng.audit.actions import record_sensitive_view
from jiceng.core.errors import NotFound
from jiceng.org.models import Unit
from jiceng.worktools.common import acting_staff

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from jiceng.accounts.models import User

COUNTY_PREFIX = 6


def directory_prefix(user: User | AnonymousUser | None) -> str | None:
    """The region-code prefix of the address book: the user's county; None for residents and anonymous."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if user.unit_id is None:
        return "" if user.is_superuser else None
    return user.unit.region.code[:COUNTY_PREFIX]  # type: ignore[union-attr]


def units(user: User | AnonymousUser | None, q: str = "") -> QuerySet[Unit]:
    prefix = directory_prefix(user)
    if prefix is None:
        return Unit.objects.none()
    qs = Unit.objects.filter(is_active=True, region__code__startswith=prefix).select_related("region")
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__icontains=q))
    return qs.order_by("region__code", "code")


def people(user: User | AnonymousUser | None, *, q: str = "", unit: str = "") -> QuerySet[User]:
    from jiceng.accounts.models import User as UserModel

    prefix = directory_prefix(user)
    if prefix is None:
        return UserModel.objects.none()
    qs = (
        UserModel.objects.filter(is_active=True, unit__isnull=False, unit__region__code__startswith=prefix)
        .exclude(roles__role=Role.RESIDENT)
        .select_related("unit", "unit__region")
        .prefetch_related("roles")
    )
    if unit:
        qs = qs.filter(unit__code=unit)
    if q:
        qs = qs.filter(Q(full_name__icontains=q) | Q(username__icontains=q) | Q(unit__name__icontains=q))
    return qs.order_by("unit__region__code", "unit__code", "username").distinct()


def person(user: User | AnonymousUser | None, username: str) -> User:
    found = people(user).filter(username=username).first()
    if found is None:
        raise NotFound()
    return found


@dataclass
class UnitGroup:
    unit: Unit
    depth: int
    people: list[User]


def tree(user: User | AnonymousUser | None, *, q: str = "") -> list[UnitGroup]:
    """The address book grouped by unit in org-tree order (county, township, village), filtered by ``q``."""
    staff = list(people(user, q=q))
    by_unit: dict[int, list[User]] = {}
    for p in staff:
        by_unit.setdefault(p.unit_id, []).append(p)  # type: ignore[arg-type]
    shown = units(user).filter(pk__in=by_unit) if q else units(user)
    return [UnitGroup(u, _depth(u.region.code), by_unit.get(u.pk, [])) for u in shown]


def _depth(code: str) -> int:
    if len(code) <= COUNTY_PREFIX:
        return 0
    if len(code) == 12:
        return 1 if code.endswith("000") else 2
    return 3


def call(actor: User | AnonymousUser | None, username: str) -> str:
    """The colleague's full mobile number, to dial; every call is audited."""
    user = acting_staff(actor)
    target = person(user, username)
    if not target.phone:
        raise NotFound()
    record_sensitive_view(user, target, ["phone"], purpose="call", action="contact.call")
    return target.phone
