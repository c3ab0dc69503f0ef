"""Writes of the device registry: device types, devices (with their ingestion secret) and alarm rules.

Ingestion and the alarm engine are in ``jiceng.iot.ingest``.
"""

from __future__ import annotations

import hmac
import re
import secrets
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _

from jiceng.accounts.models import User, UserRole, hash_token
from jiceng.accounts.roles import Role
from jiceng.audit.actions import record
from jiceng.core.coords import CoordSystem, to_wgs84
from jiceng.core.errors import NotAuthenticated, NotFound, PermissionDenied, field_error
from jiceng.core.scope import covers, ensure_in_scope, get_in_scope, jurisdiction_prefix
from jiceng.events import category_cache
from jiceng.events.models import Urgency
from jiceng.iot import catalog
from jiceng.iot.models import AlarmRule, Comparison, Device, DeviceDomain, DeviceType, RuleKind
from jiceng.org.locate import locate
from jiceng.org.models import Region, Unit, UnitKind

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

EDIT_ROLES = frozenset({Role.ADMIN, Role.COUNTY_CENTER})
SYSTEM_USERNAME = "iot-system"
SECRET_PREFIX = "dev_"  # noqa: S105 - a marker of secrets, not one
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,63}$")
DEVICE_FIELDS = ("name", "vendor", "address", "unit", "is_active", "lng", "lat", "device_type")


def system_user() -> User:
    """The service account IoT alarms report events as (source "iot" needs the county-center role): a member
    of the county command center, without a password, so nobody logs in as it."""
    center = Unit.objects.filter(kind=UnitKind.COUNTY_COMMAND_CENTER).order_by("id").first()
    user, created = User.objects.get_or_create(
        username=SYSTEM_USERNAME, defaults={"full_name": "物联感知平台", "unit": center}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
        UserRole.objects.get_or_create(user=user, role=Role.COUNTY_CENTER)
    elif user.unit_id is None and center is not None:
        user.unit = center
        user.save(update_fields=["unit"])
    return user


def _editor(actor: User | AnonymousUser | None) -> User:
    if actor is None or not actor.is_authenticated:
        raise NotAuthenticated()
    if not (actor.is_superuser or actor.has_role(*EDIT_ROLES)):
        raise PermissionDenied(_("Only administrators and the county command center manage IoT devices."))
    return actor


def _county_editor(actor: User | AnonymousUser | None) -> User:
    """Device types and type-wide rules apply to the whole county: county-level editors only."""
    user = _editor(actor)
    if not may_edit_county(user):
        raise PermissionDenied(_("Only county-level administrators change county-wide IoT settings."))
    return user


def may_edit(user: User | AnonymousUser | None) -> bool:
    return bool(user and user.is_authenticated and (user.is_superuser or user.has_role(*EDIT_ROLES)))


def may_edit_county(user: User | AnonymousUser | None) -> bool:
    """Device types and type-wide rules: the county-level editors of ``_county_editor``."""
    if not may_edit(user):
        return False
    prefix = jurisdiction_prefix(user)
    return bool(user.is_superuser or (prefix is not None and len(prefix) <= 6))  # type: ignore[union-attr]


# --- device types ---------------------------------------------------------------------------------


def _checked_metrics(metrics: Any) -> list[dict[str, Any]]:
    if not isinstance(metrics, list):
        raise field_error("metrics", _("Metrics must be a list."), "invalid_metrics")
    out, seen = [], set()
    for m in metrics:
        key = str(m.get("key", "")) if isinstance(m, dict) else ""
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", key) or key in seen:
            raise field_error(
                "metrics", _("Each metric needs a unique key of lowercase letters."), "invalid_metrics"
            )
        low, high = m.get("min"), m.get("max")
        if not isinstance(low, int | float) or not isinstance(high, int | float) or low >= high:
            raise field_error(
                "metrics", _("Each metric needs a minimum below its maximum."), "invalid_metrics"
            )
        seen.add(key)
        out.append(
            {
                "key": key,
                "name": str(m.get("name") or key)[:40],
                "unit": str(m.get("unit", ""))[:16],
                "min": low,
                "max": high,
            }
        )
    return out


@transaction.atomic
def save_device_type(
    actor: User | AnonymousUser | None,
    *,
    code: str,
    name: str,
    domain: str,
    metrics: list[dict[str, Any]],
    offline_after_minutes: int = 30,
) -> DeviceType:
    """Create or change a device type (by code)."""
    user = _county_editor(actor)
    if not re.fullmatch(r"[a-z][a-z0-9_]{1,39}", code):
        raise field_error("code", _("Use lowercase letters, digits and underscores."), "invalid_code")
    if domain not in DeviceDomain.values:
        raise field_error("domain", _("Not one of the allowed values."), "invalid_domain")
    if offline_after_minutes < 1:
        raise field_error("offline_after_minutes", _("Too small."), "invalid_input")
    checked = _checked_metrics(metrics)
    kept = {m["key"] for m in checked}
    used = (
        AlarmRule.objects.filter(device_type__code=code, kind=RuleKind.THRESHOLD, is_active=True)
        .exclude(metric__in=kept)
        .order_by("id")
        .first()
    )
    if used is not None:  # the rule would never fire again, silently
        raise field_error(
            "metrics",
            _("The alarm rule “%(rule)s” uses the metric %(metric)s: change or switch off the rule first.")
            % {"rule": used.name, "metric": used.metric},
            "metric_in_use",
        )
    device_type, created = DeviceType.objects.update_or_create(
        code=code,
        defaults={
            "name": name.strip()[:60] or code,
            "domain": domain,
            "metrics": checked,
            "offline_after_minutes": offline_after_minutes,
        },
    )
    record(
        "iot.type.create" if created else "iot.type.update",
        actor=user,
        obj=device_type,
        changes={"code": code, "metrics": [m["key"] for m in device_type.metrics]},
    )
    return device_type


@transaction.atomic
def seed_device_types(actor: User | AnonymousUser | None) -> int:
    """The catalog's device types and rules that are missing (existing ones are left as admins set them)."""
    added = 0
    for spec in catalog.DEVICE_TYPES:
        if not DeviceType.objects.filter(code=spec["code"]).exists():
            save_device_type(actor, **spec)
            added += 1
    for spec in catalog.RULES:
        device_type = DeviceType.objects.get(code=spec["type"])
        if AlarmRule.objects.filter(device_type=device_type, name=spec["name"]).exists():
            continue
        fields = {k: v for k, v in spec.items() if k != "type"}
        if category_cache.active_category(fields["category_code"]) is None:
            continue  # the category tree is not seeded (or the category was retired)
        create_rule(actor, device_type=device_type.code, **fields)
    return added


# --- devices --------------------------------------------------------------------------------------


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(24)


def check_secret(device: Device, secret: str) -> bool:
    return bool(device.secret_hash) and hmac.compare_digest(device.secret_hash, hash_token(secret))


def _place(
    user: User, lng: float, lat: float, coord_system: str, region_code: str | None
) -> tuple[Region, float, float]:
    if coord_system not in CoordSystem.__members__.values():
        raise field_error("coord_system", _("Unknown coordinate system."), "invalid_coord_system")
    if not (-180 <= lng <= 180 and -90 <= lat <= 90):
        raise field_error(
            "location", _("The location is not a valid longitude and latitude."), "invalid_location"
        )
    wgs_lng, wgs_lat = to_wgs84(lng, lat, coord_system)
    region = locate(wgs_lng, wgs_lat)
    if region is None and region_code:
        region = Region.objects.filter(code=region_code, is_active=True).first()
    if region is None:
        raise field_error(
            "location",
            _("The location is outside every grid of this platform; give a region."),
            "location_outside",
        )
    if not covers(user, region.code):
        raise PermissionDenied(_("The location is outside your jurisdiction."))
    return region, wgs_lng, wgs_lat


def _unit(code: str | None) -> Unit | None:
    if not code:
        return None
    unit = Unit.objects.filter(code=code).first()
    if unit is None:
        raise field_error("unit", _("Unknown unit."), "invalid_unit")
    return unit


def _device_type(code: str) -> DeviceType:
    found = DeviceType.objects.filter(code=code).first()
    if found is None:
        raise field_error("device_type", _("Unknown device type."), "invalid_device_type")
    return found


def create_device(
    actor: User | AnonymousUser | None,
    *,
    code: str,
    name: str,
    device_type: str,
    lng: float,
    lat: float,
    coord_system: str = CoordSystem.WGS84,
    vendor: str = "",
    address: str = "",
    unit: str | None = None,
    region_code: str | None = None,
) -> tuple[Device, str]:
    """Register a device at its place (grid found from the position). Returns the device and its ingestion
    secret, shown this once (only its hash is kept)."""
    user = _editor(actor)
    code = code.strip()
    if not CODE_RE.match(code):
        raise field_error("code", _("Use 2-64 letters, digits, '.', '_' or '-'."), "invalid_code")
    if not name.strip():
        raise field_error("name", _("A name is required."), "required")
    kind = _device_type(device_type)
    region, wgs_lng, wgs_lat = _place(user, lng, lat, coord_system, region_code)
    secret = new_secret()
    with transaction.atomic():
        if Device.objects.filter(code=code).exists():
            raise field_error("code", _("A device with this code exists."), "duplicate_code")
        device = Device.objects.create(
            code=code,
            name=name.strip()[:100],
            device_type=kind,
            vendor=vendor.strip()[:100],
            lng=wgs_lng,
            lat=wgs_lat,
            address=address.strip()[:200],
            region=region,
            region_code=region.code,
            unit=_unit(unit),
            secret_hash=hash_token(secret),
            secret_prefix=secret[:10],
        )
        record(
            "iot.device.create",
            actor=user,
            obj=device,
            changes={"code": code, "type": kind.code, "region": region.code},
        )
    return device, secret


def update_device(
    actor: User | AnonymousUser | None,
    code: str,
    *,
    coord_system: str = CoordSystem.WGS84,
    region_code: str | None = None,
    **changes: Any,
) -> Device:
    """Change a device's name, vendor, address, unit, type, active flag or position (grid found again)."""
    user = _editor(actor)
    unknown = set(changes) - set(DEVICE_FIELDS)
    if unknown:
        raise field_error(sorted(unknown)[0], _("Unknown field."), "invalid_input")
    with transaction.atomic():
        device = get_in_scope(Device.objects.select_for_update(), user, code=code)
        done: dict[str, Any] = {}
        for name in ("name", "vendor", "address"):
            if changes.get(name) is not None:
                value = str(changes[name]).strip()
                if name == "name" and not value:
                    raise field_error("name", _("A name is required."), "required")
                setattr(device, name, value[: 200 if name == "address" else 100])
                done[name] = value
        if "unit" in changes and changes["unit"] is not None:
            device.unit = _unit(changes["unit"])
            done["unit"] = changes["unit"]
        if changes.get("device_type") is not None:
            device.device_type = _device_type(changes["device_type"])
            done["device_type"] = changes["device_type"]
        if changes.get("is_active") is not None:
            device.is_active = bool(changes["is_active"])
            done["is_active"] = device.is_active
        if changes.get("lng") is not None or changes.get("lat") is not None:
            lng: float = device.lng if changes.get("lng") is None else float(changes["lng"])
            lat: float = device.lat if changes.get("lat") is None else float(changes["lat"])
            region, device.lng, device.lat = _place(user, lng, lat, coord_system, region_code)
            device.region, device.region_code = region, region.code
            done.update(lng=device.lng, lat=device.lat, region=region.code)
        device.save()
        ensure_in_scope(device, user)
        record("iot.device.update", actor=user, obj=device, changes=done)
    return device


@transaction.atomic
def rotate_secret(actor: User | AnonymousUser | None, code: str) -> tuple[Device, str]:
    """A new ingestion secret for the device; the old one stops working at once."""
    user = _editor(actor)
    device = get_in_scope(Device.objects.select_for_update(), user, code=code)
    secret = new_secret()
    device.secret_hash, device.secret_prefix = hash_token(secret), secret[:10]
    device.save(update_fields=["secret_hash", "secret_prefix", "updated_at"])
    record("iot.device.rotate_secret", actor=user, obj=device)
    return device, secret


# --- alarm rules ----------------------------------------------------------------------------------

RULE_FIELDS = (
    "name",
    "kind",
    "metric",
    "comparison",
    "threshold",
    "consecutive",
    "hold_seconds",
    "cooldown_minutes",
    "category_code",
    "urgency",
    "form_field",
    "is_active",
)


def _check_rule(rule: AlarmRule) -> None:
    if not rule.name.strip():
        raise field_error("name", _("A name is required."), "required")
    if rule.kind not in RuleKind.values:
        raise field_error("kind", _("Not one of the allowed values."), "invalid_kind")
    if rule.kind == RuleKind.THRESHOLD:
        if rule.device_type.metric(rule.metric) is None:
            raise field_error("metric", _("The device type does not report this metric."), "invalid_metric")
        if rule.comparison not in Comparison.values:
            raise field_error("comparison", _("Not one of the allowed values."), "invalid_comparison")
    if rule.consecutive < 1:
        raise field_error("consecutive", _("At least one reading."), "invalid_input")
    found = category_cache.active_category(rule.category_code)
    if found is None:
        raise field_error("category_code", _("Unknown event category."), "invalid_category")
    category, is_leaf = found
    if not is_leaf:
        raise field_error("category_code", _("Choose a sub-category."), "category_not_leaf")
    if rule.urgency not in Urgency.values or (category.urgencies and rule.urgency not in category.urgencies):
        raise field_error("urgency", _("This urgency is not allowed for the category."), "invalid_urgency")


def create_rule(
    actor: User | AnonymousUser | None,
    *,
    device_type: str,
    name: str,
    category_code: str,
    device: str | None = None,
    **fields: Any,
) -> AlarmRule:
    """A rule for every device of a type (county-level editors), or for one device (its editors)."""
    unknown = set(fields) - set(RULE_FIELDS)
    if unknown:
        raise field_error(sorted(unknown)[0], _("Unknown field."), "invalid_input")
    user = _editor(actor) if device else _county_editor(actor)
    kind = _device_type(device_type)
    one = None
    if device:
        one = get_in_scope(Device, user, code=device)
        if one.device_type_id != kind.pk:
            raise field_error("device", _("The device is of another type."), "invalid_device")
    with transaction.atomic():
        rule = AlarmRule(
            device_type=kind, device=one, name=name.strip()[:100], category_code=category_code, **fields
        )
        _check_rule(rule)
        rule.save()
        record(
            "iot.rule.create",
            actor=user,
            obj=rule,
            changes={"type": kind.code, "device": device or "", **{k: str(v) for k, v in fields.items()}},
        )
    return rule


def rule_in_scope(user: User | AnonymousUser | None, rule_id: int, *, lock: bool = False) -> AlarmRule:
    """A type-wide rule (visible to every staff user) or a rule of a device in the user's jurisdiction."""
    qs = AlarmRule.objects.select_related("device_type", "device")
    rule = (qs.select_for_update(of=("self",)) if lock else qs).filter(pk=rule_id).first()
    if rule is None or jurisdiction_prefix(user) is None:
        raise NotFound()
    if rule.device is not None and not covers(user, rule.device.region_code):
        raise NotFound()
    return rule


@transaction.atomic
def update_rule(actor: User | AnonymousUser | None, rule_id: int, **changes: Any) -> AlarmRule:
    unknown = set(changes) - set(RULE_FIELDS)
    if unknown:
        raise field_error(sorted(unknown)[0], _("Unknown field."), "invalid_input")
    user = _editor(actor)
    rule = rule_in_scope(user, rule_id, lock=True)
    if rule.device is None:
        _county_editor(user)
    done = {k: v for k, v in changes.items() if v is not None}
    for key, value in done.items():
        setattr(rule, key, value.strip() if isinstance(value, str) else value)
    _check_rule(rule)
    rule.save()
    record("iot.rule.update", actor=user, obj=rule, changes={k: str(v) for k, v in done.items()})
    return rule
