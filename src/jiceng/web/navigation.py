"""The main navigation: what each role sees. Modules add their entries here."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from jiceng.accounts.roles import Role


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    roles: frozenset[str] | None = None  # None: every logged-in staff user
    icon: str = ""


NAV_ITEMS: list[NavItem] = [
    NavItem(_("Home"), "web:home", icon="home"),
    NavItem(_("Regions"), "org:region_list", icon="map"),
    NavItem(_("Units"), "org:unit_list", icon="building"),
    NavItem(_("Users"), "accounts:user_list", frozenset({Role.ADMIN, Role.LEADER}), icon="users"),
    NavItem(_("Audit log"), "audit:entry_list", frozenset({Role.ADMIN}), icon="shield"),
]


def items_for(user: object) -> list[NavItem]:
    if not getattr(user, "is_authenticated", False):
        return []
    if getattr(user, "is_superuser", False):
        return list(NAV_ITEMS)
    roles = user.role_codes  # type: ignore[attr-defined]
    return [item for item in NAV_ITEMS if item.roles is None or item.roles & roles]
