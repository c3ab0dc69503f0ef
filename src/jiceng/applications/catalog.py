"""Administrators' writes to the service item catalog (事项目录): compare-and-set, audited."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _

from jiceng.accounts.permissions import require_role
from jiceng.accounts.roles import Role
from jiceng.applications.models import Delivery, ItemLevel, ServiceItem
from jiceng.audit.actions import diff, record
from jiceng.core.concurrency import update_versioned
from jiceng.core.errors import NotFound, PermissionDenied, field_error
from jiceng.events.category_actions import check_form_schema

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from jiceng.accounts.models import User

COUNTY_PREFIX = 6
EDITABLE = (
    "name",
    "department_name",
    "legal_days",
    "promised_days",
    "fee_cents",
    "fee_basis",
    "form_schema",
    "deliveries",
    "accept_levels",
    "online",
    "description",
    "is_active",
)


def _check(item: ServiceItem, values: dict[str, Any]) -> dict[str, Any]:
    clean = {k: v for k, v in values.items() if k in EDITABLE and v is not None}
    if "name" in clean and not str(clean["name"]).strip():
        raise field_error("name", _("A name is required."), "required")
    legal = clean.get("legal_days", item.legal_days)
    promised = clean.get("promised_days", item.promised_days)
    if not (0 <= promised <= legal <= 365):
        raise field_error(
            "promised_days",
            _("The promised time limit must lie between 0 and the legal one."),
            "invalid_time_limit",
        )
    if "fee_cents" in clean and not 0 <= int(clean["fee_cents"]) <= 10_000_000:
        raise field_error("fee_cents", _("Invalid fee."), "invalid_fee")
    if "deliveries" in clean and (not clean["deliveries"] or set(clean["deliveries"]) - set(Delivery.values)):
        raise field_error("deliveries", _("Choose delivery methods from the list."), "invalid_delivery")
    levels = clean.get("accept_levels")
    if levels is not None and (not levels or set(levels) - set(ItemLevel.values)):
        raise field_error("accept_levels", _("Choose where it is accepted from the list."), "invalid_level")
    if "form_schema" in clean:
        clean["form_schema"] = check_form_schema(clean["form_schema"])
    return clean


def update_item(
    actor: User | AnonymousUser | None, code: str, values: dict[str, Any], *, version: int | None = None
) -> ServiceItem:
    """Change a catalog item. County administrators only: the catalog serves the whole county."""
    admin = require_role(actor, Role.ADMIN)
    prefix = admin.jurisdiction_prefix  # a county's is its six-digit division code
    if not (admin.is_superuser or (prefix is not None and len(prefix) <= COUNTY_PREFIX)):
        raise PermissionDenied(_("Only county administrators change the service item catalog."))
    item = ServiceItem.objects.filter(code=code).first()
    if item is None:
        raise NotFound()
    clean = _check(item, values)
    before = {k: getattr(item, k) for k in clean}
    with transaction.atomic():
        update_versioned(item, version, clean)
        record("service_item.update", actor=admin, obj=item, changes=diff(before, clean))
    return item
