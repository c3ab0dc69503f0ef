"""Writes of analytics besides the rollups: the scoring rules (administrators only, audited)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _

from jiceng.accounts.permissions import has_role, require_role
from jiceng.accounts.roles import Role
from jiceng.analytics.models import ScoringRule, SubjectType
from jiceng.analytics.scoring import COUNT, FAILURES, METRICS, RATE_HIGH, RATE_LOW
from jiceng.audit.actions import diff, record
from jiceng.core.concurrency import update_versioned
from jiceng.core.errors import InvalidInput, PermissionDenied
from jiceng.org.models import RegionLevel

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from jiceng.accounts.models import User

EDITABLE = ("name", "subject_type", "metric", "weight", "target", "deduction", "is_active", "sort")
EDITOR_LEVELS = frozenset({RegionLevel.PROVINCE, RegionLevel.CITY, RegionLevel.COUNTY})


def can_edit_rules(user: User | AnonymousUser | None) -> bool:
    """Administrators at county level or above (the rules are the same for the whole platform)."""
    if not has_role(user, Role.ADMIN):
        return False
    if getattr(user, "is_superuser", False):
        return True
    unit = getattr(user, "unit", None)
    return unit is not None and unit.region.level in EDITOR_LEVELS


def require_rule_admin(actor: User | AnonymousUser | None) -> User:
    admin = require_role(actor, Role.ADMIN)
    if not can_edit_rules(admin):
        raise PermissionDenied(_("Only an administrator at county level or above can change scoring rules."))
    return admin


def _decimal(name: str, value: Any, low: Decimal, high: Decimal) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise InvalidInput(_("Must be a number."), details={name: [_("Must be a number.")]}) from exc
    if not number.is_finite() or not low <= number <= high:
        message = _("Between %(low)s and %(high)s.") % {"low": low, "high": high}
        raise InvalidInput(message, details={name: [message]})
    return number


def clean(values: dict[str, Any]) -> dict[str, Any]:
    """Check and normalize a rule's fields; errors per field."""
    out = dict(values)
    errors: dict[str, list[str]] = {}
    out["name"] = str(values.get("name") or "").strip()[:60]
    if not out["name"]:
        errors["name"] = [_("This field is required.")]
    if values.get("subject_type") not in SubjectType.values:
        errors["subject_type"] = [_("Not one of the allowed values.")]
    metric = METRICS.get(str(values.get("metric")))
    if metric is None:
        errors["metric"] = [_("Not one of the allowed values.")]
    elif values.get("subject_type") not in metric.subjects:
        errors["metric"] = [_("This metric does not apply to the chosen subjects.")]
    try:
        cents, places = Decimal("0.01"), Decimal("0.0001")
        out["weight"] = _decimal("weight", values.get("weight"), cents, Decimal(1000)).quantize(cents)
        out["deduction"] = _decimal(
            "deduction", values.get("deduction") or 0, Decimal(0), Decimal(1000)
        ).quantize(cents)
        high = Decimal(1) if metric is not None and metric.kind in (RATE_HIGH, RATE_LOW) else Decimal(100000)
        target = values.get("target")
        out["target"] = (
            None if target in (None, "") else _decimal("target", target, Decimal(0), high).quantize(places)
        )
    except InvalidInput as exc:
        errors.update(exc.details)
    # A rule that gives everyone its full weight measures nothing.
    if metric is not None and metric.kind == COUNT and not errors.get("target") and not out.get("target"):
        errors["target"] = [_("A count needs a target: how many give the full points.")]
    if (
        metric is not None
        and metric.kind == FAILURES
        and not errors.get("deduction")
        and not out.get("deduction")
    ):
        errors["deduction"] = [_("This metric counts failures: give the points taken off for each.")]
    out["is_active"] = bool(values.get("is_active", True))
    out["sort"] = int(values.get("sort") or 0)
    if errors:
        raise InvalidInput(_("Some fields are invalid."), details=errors)
    return {name: out[name] for name in EDITABLE}


def _snapshot(rule: ScoringRule) -> dict[str, Any]:
    return {name: str(getattr(rule, name)) if getattr(rule, name) is not None else None for name in EDITABLE}


def _require_unique_name(cleaned: dict[str, Any], rule: ScoringRule | None = None) -> None:
    """A scorecard has one column per rule name (and subject type): two rules of one name would share it."""
    same = ScoringRule.objects.filter(subject_type=cleaned["subject_type"], name=cleaned["name"])
    if rule is not None:
        same = same.exclude(pk=rule.pk)
    if same.exists():
        message = _("Another rule for these subjects already has this name.")
        raise InvalidInput(message, details={"name": [message]})


def create_rule(actor: User | AnonymousUser | None, **values: Any) -> ScoringRule:
    admin = require_rule_admin(actor)
    cleaned = clean(values)
    _require_unique_name(cleaned)
    with transaction.atomic():
        rule = ScoringRule.objects.create(**cleaned)
        record("analytics.rule.create", actor=admin, obj=rule, changes=_snapshot(rule))
    return rule


def update_rule(
    actor: User | AnonymousUser | None,
    rule: ScoringRule,
    *,
    expected_version: int | None = None,
    **values: Any,
) -> ScoringRule:
    admin = require_rule_admin(actor)
    cleaned = clean(values)
    _require_unique_name(cleaned, rule)
    before = _snapshot(rule)
    with transaction.atomic():
        update_versioned(rule, expected_version, cleaned)
        changes = diff(before, _snapshot(rule))
        if changes:
            record("analytics.rule.update", actor=admin, obj=rule, changes=changes)
    return rule
