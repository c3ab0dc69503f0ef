"""The main navigation: what each role sees. Modules add their entries here."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from jiceng.accounts.roles import STAFF_ROLES, Role


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    roles: frozenset[str] | None = None  # None: every logged-in staff user
    icon: str = ""


NAV_ITEMS: list[NavItem] = [
    NavItem(_("Home"), "web:home", icon="home"),
    NavItem(
        _("Workbench"),
        "events:workbench",
        frozenset({Role.DISPATCHER, Role.COUNTY_CENTER, Role.VILLAGE_CADRE, Role.HANDLER, Role.GRID_WORKER}),
        icon="inbox",
    ),
    NavItem(
        _("Grid work"), "events:mobile_home", frozenset({Role.GRID_WORKER, Role.VILLAGE_CADRE}), icon="phone"
    ),
    NavItem(_("Event search"), "events:search", frozenset(STAFF_ROLES), icon="search"),
    NavItem(_("Dashboards"), "analytics:dashboard", frozenset(STAFF_ROLES), icon="chart"),
    NavItem(_("Base data"), "registry:overview", frozenset(STAFF_ROLES), icon="database"),
    NavItem(_("Map"), "gis:map", frozenset(STAFF_ROLES), icon="map"),
    NavItem(_("Regions"), "org:region_list", icon="map"),
    NavItem(_("Units"), "org:unit_list", icon="building"),
    NavItem(_("Users"), "accounts:user_list", frozenset({Role.ADMIN, Role.LEADER}), icon="users"),
    NavItem(_("Event categories"), "event_categories:list", frozenset({Role.ADMIN}), icon="tags"),
    NavItem(_("Audit log"), "audit:entry_list", frozenset({Role.ADMIN}), icon="shield"),
]


def items_for(user: object) -> list[NavItem]:
    if not getattr(user, "is_authenticated", False):
        return []
    if getattr(user, "is_superuser", False):
        return list(NAV_ITEMS)
    roles = user.role_codes  # type: ignore[attr-defined]
    return [item for item in NAV_ITEMS if item.roles is None or item.roles & roles]
