"""The one jurisdiction mechanism.

Every scoped model names the field holding a region code (``scope_field``); a user's jurisdiction is a
code prefix (their unit's region subtree). Reads go through ``restrict``; single objects through
``get_in_scope``, which answers NotFound for "missing" and "outside" alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from django.db import models

from jiceng.core.errors import NotFound

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from jiceng.accounts.models import User

M = TypeVar("M", bound=models.Model)
EVERYTHING = ""


def jurisdiction_prefix(user: User | AnonymousUser | None) -> str | None:
    """The region-code prefix a user may see: "" for everything, None for nothing."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    return user.jurisdiction_prefix


def covers(user: User | AnonymousUser | None, region_code: str) -> bool:
    prefix = jurisdiction_prefix(user)
    return prefix is not None and region_code.startswith(prefix)


class ScopedQuerySet(models.QuerySet[M]):
    def restrict(self, user: User | AnonymousUser | None) -> ScopedQuerySet[M]:
        prefix = jurisdiction_prefix(user)
        if prefix is None:
            return self.none()
        if prefix == EVERYTHING:
            return self
        field: str = self.model.scope_field  # type: ignore[attr-defined]
        return self.filter(**{f"{field}__startswith": prefix})


def scoped(
    model_or_qs: type[M] | models.QuerySet[M], user: User | AnonymousUser | None
) -> models.QuerySet[M]:
    qs = model_or_qs if isinstance(model_or_qs, models.QuerySet) else model_or_qs._default_manager.all()
    return qs.restrict(user)  # type: ignore[attr-defined]


def get_in_scope(
    model_or_qs: type[M] | models.QuerySet[M], user: User | AnonymousUser | None, **lookup: Any
) -> M:
    try:
        return scoped(model_or_qs, user).get(**lookup)
    except (models.ObjectDoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc


def ensure_in_scope(obj: models.Model, user: User | AnonymousUser | None) -> None:
    """After a write: the actor must still see the result (re-read through the scope), else NotFound."""
    if not scoped(type(obj), user).filter(pk=obj.pk).exists():
        raise NotFound()
