"""The main navigation: what each role sees. Modules add their entries here."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from jiceng.accounts.roles import STAFF_ROLES, Role

# Menus that fold several entries under one heading, in the order they appear after the plain entries.
WORK = "work"
SETUP = "setup"
GROUPS: dict[str, str | Promise] = {WORK: _("Daily work"), SETUP: _("Administration")}


# The county's own work (events, 办件, base data, maps, dashboards …): not on a department system, whose
# handlers work the collaboration platform's assignments and have no jurisdiction of their own.
GOVERNMENT_PLATFORMS = frozenset({"county", "hub"})


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    roles: frozenset[str] | None = None  # None: every logged-in staff user
    icon: str = ""
    group: str = ""  # a key of GROUPS, or "" for an entry of its own
    platforms: frozenset[str] | None = None  # None: every platform role (county, hub, department)


NAV_ITEMS: list[NavItem] = [
    NavItem(_("Home"), "web:home", icon="home"),
    NavItem(
        _("Workbench"),
        "events:workbench",
        frozenset({Role.DISPATCHER, Role.COUNTY_CENTER, Role.VILLAGE_CADRE, Role.HANDLER, Role.GRID_WORKER}),
        icon="inbox",
        platforms=GOVERNMENT_PLATFORMS,
    ),
    NavItem(
        _("Grid work"),
        "events:mobile_home",
        frozenset({Role.GRID_WORKER, Role.VILLAGE_CADRE}),
        icon="phone",
        platforms=GOVERNMENT_PLATFORMS,
    ),
    NavItem(
        _("Event search"),
        "events:search",
        frozenset(STAFF_ROLES),
        icon="search",
        platforms=GOVERNMENT_PLATFORMS,
    ),
    NavItem(
        _("Service applications"),
        "applications:workbench",
        frozenset({Role.HANDLER, Role.VILLAGE_CADRE, Role.LEADER, Role.ADMIN}),
        icon="briefcase",
        platforms=GOVERNMENT_PLATFORMS,
    ),
    NavItem(
        _("Dashboards"),
        "analytics:dashboard",
        frozenset(STAFF_ROLES),
        icon="chart",
        platforms=GOVERNMENT_PLATFORMS,
    ),
    NavItem(
        _("Base data"),
        "registry:overview",
        frozenset(STAFF_ROLES),
        icon="database",
        platforms=GOVERNMENT_PLATFORMS,
    ),
    NavItem(_("Map"), "gis:map", frozenset(STAFF_ROLES), icon="map", platforms=GOVERNMENT_PLATFORMS),
    NavItem(
        _("Mobile office"),
        "worktools:mobile_home",
        frozenset({Role.GRID_WORKER, Role.VILLAGE_CADRE, Role.SAFETY_OFFICER}),
        icon="phone",
        platforms=GOVERNMENT_PLATFORMS,
    ),
    NavItem(
        _("Patrols"),
        "worktools:patrol_board",
        frozenset({Role.DISPATCHER, Role.COUNTY_CENTER, Role.VILLAGE_CADRE, Role.LEADER}),
        icon="map",
        group=WORK,
        platforms=GOVERNMENT_PLATFORMS,
    ),
    NavItem(
        _("Leader assignments"),
        "worktools:assignments",
        frozenset({Role.LEADER, Role.DISPATCHER, Role.COUNTY_CENTER, Role.HANDLER}),
        icon="flag",
        group=WORK,
        platforms=GOVERNMENT_PLATFORMS,
    ),
    NavItem(_("Ledgers"), "worktools:ledgers", frozenset(STAFF_ROLES), icon="book", group=WORK),
    NavItem(_("Messages"), "worktools:conversations", frozenset(STAFF_ROLES), icon="chat", group=WORK),
    NavItem(_("Address book"), "worktools:contacts", frozenset(STAFF_ROLES), icon="phone", group=WORK),
    NavItem(_("File library"), "worktools:library", frozenset(STAFF_ROLES), icon="folder", group=WORK),
    NavItem(
        _("IoT devices"),
        "iot:devices",
        frozenset(STAFF_ROLES),
        icon="radio",
        group=WORK,
        platforms=GOVERNMENT_PLATFORMS,
    ),
    NavItem(
        _("Resident portal"),
        "portal:staff_home",
        frozenset({Role.ADMIN, Role.LEADER, Role.VILLAGE_CADRE, Role.DISPATCHER, Role.COUNTY_CENTER}),
        icon="users",
        platforms=GOVERNMENT_PLATFORMS,
    ),
    NavItem(_("Regions"), "org:region_list", icon="map", group=SETUP),
    NavItem(_("Units"), "org:unit_list", icon="building", group=SETUP),
    NavItem(
        _("Users"), "accounts:user_list", frozenset({Role.ADMIN, Role.LEADER}), icon="users", group=SETUP
    ),
    NavItem(
        _("Event categories"), "event_categories:list", frozenset({Role.ADMIN}), icon="tags", group=SETUP
    ),
    NavItem(_("Audit log"), "audit:entry_list", frozenset({Role.ADMIN}), icon="shield", group=SETUP),
    NavItem(
        _("Routed events"),
        "federation:routes",
        frozenset({Role.HUB_OPERATOR, Role.ADMIN}),
        icon="link",
        platforms=frozenset({"hub"}),
    ),
    NavItem(
        _("Escalations"),
        "federation:escalations",
        frozenset({Role.COUNTY_CENTER, Role.ADMIN}),
        icon="link",
        group=WORK,
        platforms=frozenset({"county"}),
    ),
    NavItem(
        _("Assignments"),
        "federation:tasks",
        frozenset({Role.HANDLER, Role.ADMIN}),
        icon="inbox",
        platforms=frozenset({"department"}),
    ),
    NavItem(
        _("Collaboration platform"),
        "federation:overview",
        frozenset({Role.HUB_OPERATOR, Role.ADMIN}),
        icon="link",
        group=SETUP,
    ),
]


def items_for(user: object) -> list[NavItem]:
    if not getattr(user, "is_authenticated", False):
        return []
    platform = str(settings.PLATFORM_ROLE)
    items = [item for item in NAV_ITEMS if item.platforms is None or platform in item.platforms]
    if getattr(user, "is_superuser", False):
        return items
    roles = user.role_codes  # type: ignore[attr-defined]
    return [item for item in items if item.roles is None or item.roles & roles]
