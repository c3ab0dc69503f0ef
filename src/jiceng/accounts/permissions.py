from __future__ import annotations

from typing import TYPE_CHECKING

from jiceng.core.errors import NotAuthenticated, PermissionDenied

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from jiceng.accounts.models import User


def require_role(user: User | AnonymousUser | None, *roles: str) -> User:
    """The acting user, if logged in and holding one of ``roles`` (superusers hold them all)."""
    if user is None or not user.is_authenticated:
        raise NotAuthenticated()
    if user.is_superuser or user.has_role(*roles):
        return user
    raise PermissionDenied()


def has_role(user: User | AnonymousUser | None, *roles: str) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return bool(user.is_superuser or user.has_role(*roles))
