"""The IoT API under /api/v1/iot/: device types, devices, readings, alarms, rules (staff, scoped), and
HTTP ingestion for gateways that cannot speak MQTT (device secret). Thin: parse, call actions/queries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Header, Query, Router, Schema, Status
from pydantic import Field

from jiceng.core.api import responses
from jiceng.core.coords import CoordSystem
from jiceng.events.models import Urgency
from jiceng.iot import actions, ingest, queries
from jiceng.iot.labels import metric_label
from jiceng.iot.models import Alarm, AlarmRule, Comparison, Device, DeviceDomain, DeviceStatus, RuleKind

router = Router(tags=["iot"])


class MetricOut(Schema):
    key: str
    name: str
    label: str = Field(..., description="The metric's display label (translated)")
    unit: str
    min: float
    max: float


class DeviceTypeOut(Schema):
    code: str
    name: str
    domain: str
    metrics: list[MetricOut]
    offline_after_minutes: int

    @staticmethod
    def resolve_metrics(obj: Any) -> list[dict[str, Any]]:
        return [{**m, "label": metric_label(m["key"], obj)} for m in obj.metrics]


class MetricIn(Schema):
    key: str = Field(..., max_length=40, description="Lowercase letters, digits and underscores")
    name: str = Field("", max_length=40)
    unit: str = Field("", max_length=16)
    min: float
    max: float


class DeviceTypeIn(Schema):
    name: str = Field(..., min_length=1, max_length=60)
    domain: DeviceDomain
    metrics: list[MetricIn] = Field(default_factory=list, max_length=50)
    offline_after_minutes: int = Field(30, ge=1, le=30 * 1440)


class DeviceOut(Schema):
    code: str
    name: str
    device_type: str
    vendor: str
    lng: float
    lat: float
    address: str
    region_code: str
    region_name: str
    unit: str | None
    status: DeviceStatus
    last_seen_at: datetime | None
    latest: dict[str, float]
    latest_at: datetime | None
    is_active: bool

    @staticmethod
    def resolve_device_type(obj: Device) -> str:
        return obj.device_type.code

    @staticmethod
    def resolve_region_name(obj: Device) -> str:
        return obj.region.name

    @staticmethod
    def resolve_unit(obj: Device) -> str | None:
        return obj.unit.code if obj.unit else None


class DeviceSecretOut(DeviceOut):
    secret: str = Field(..., description="The ingestion secret, shown only now (only its hash is kept)")


class DeviceIn(Schema):
    code: str = Field(..., min_length=2, max_length=64)
    name: str = Field(..., min_length=1, max_length=100)
    device_type: str = Field(..., max_length=40)
    lng: float = Field(..., ge=-180, le=180)
    lat: float = Field(..., ge=-90, le=90)
    coord_system: CoordSystem = CoordSystem.WGS84
    vendor: str = Field("", max_length=100)
    address: str = Field("", max_length=200)
    unit: str | None = Field(None, max_length=40, description="Responsible unit's code")
    region_code: str | None = Field(
        None, max_length=18, description="When the position is outside every grid"
    )


class DevicePatch(Schema):
    name: str | None = Field(None, max_length=100)
    device_type: str | None = Field(None, max_length=40)
    vendor: str | None = Field(None, max_length=100)
    address: str | None = Field(None, max_length=200)
    unit: str | None = Field(None, max_length=40)
    is_active: bool | None = None
    lng: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    coord_system: CoordSystem = CoordSystem.WGS84


class DeviceFilterIn(Schema):
    device_type: str = Field("", max_length=40)
    status: DeviceStatus | None = None
    region: str = Field("", max_length=18, description="Region code prefix")
    q: str = Field("", max_length=60)
    alarming: bool = False
    limit: int = Field(100, ge=1, le=500)
    offset: int = Field(0, ge=0)


class CountsOut(Schema):
    online: int
    offline: int
    fault: int
    total: int


class ReadingOut(Schema):
    at: datetime
    values: dict[str, float]


class ReadingsIn(Schema):
    days: int = Field(3, ge=1, le=31)


class AlarmOut(Schema):
    id: int
    device: str
    device_name: str
    rule_id: int
    rule: str
    region_code: str
    state: str
    code: str
    code_label: str = Field(..., description="The alarm code's (or metric's) display label")
    message: str
    count: int
    first_value: float | None
    last_value: float | None
    raised_at: datetime
    last_at: datetime
    cleared_at: datetime | None
    clear_value: float | None
    event_id: int | None

    @staticmethod
    def resolve_device(obj: Alarm) -> str:
        return obj.device.code

    @staticmethod
    def resolve_device_name(obj: Alarm) -> str:
        return obj.device.name

    @staticmethod
    def resolve_rule(obj: Alarm) -> str:
        return obj.rule.name


class AlarmFilterIn(Schema):
    state: str = Field("", pattern="^(|active|cleared)$")
    device: str = Field("", max_length=64)
    limit: int = Field(100, ge=1, le=500)
    offset: int = Field(0, ge=0)


class RuleOut(Schema):
    id: int
    name: str
    device_type: str
    device: str | None
    kind: RuleKind
    metric: str
    metric_label: str = Field(..., description="The metric's or alarm code's display label")
    condition_label: str = Field(..., description="The condition as people read it")
    comparison: Comparison
    threshold: float
    consecutive: int
    hold_seconds: int
    cooldown_minutes: int
    category_code: str
    urgency: Urgency
    form_field: str
    is_active: bool

    @staticmethod
    def resolve_device_type(obj: AlarmRule) -> str:
        return obj.device_type.code

    @staticmethod
    def resolve_device(obj: AlarmRule) -> str | None:
        return obj.device.code if obj.device else None


class RulePatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=100)
    metric: str | None = Field(None, max_length=40)
    comparison: Comparison | None = None
    threshold: float | None = None
    consecutive: int | None = Field(None, ge=1, le=1000)
    hold_seconds: int | None = Field(None, ge=0, le=7 * 86400)
    cooldown_minutes: int | None = Field(None, ge=0, le=30 * 1440)
    category_code: str | None = Field(None, max_length=20)
    urgency: Urgency | None = None
    form_field: str | None = Field(None, max_length=40)
    is_active: bool | None = None


class RuleIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    device_type: str = Field(..., max_length=40)
    device: str | None = Field(
        None, max_length=64, description="Only this device (its type's rule of the same metric is replaced)"
    )
    kind: RuleKind = RuleKind.THRESHOLD
    metric: str = Field("", max_length=40, description="Metric key, or the device's alarm code (empty: any)")
    comparison: Comparison = Comparison.GT
    threshold: float = 0
    consecutive: int = Field(1, ge=1, le=1000)
    hold_seconds: int = Field(0, ge=0, le=7 * 86400)
    cooldown_minutes: int = Field(30, ge=0, le=30 * 1440)
    category_code: str = Field(..., max_length=20)
    urgency: Urgency = Urgency.NORMAL
    form_field: str = Field("", max_length=40)
    is_active: bool = True


class OutcomeOut(Schema):
    device: str
    kind: str
    stored: bool
    opened: list[int]
    repeated: list[int]
    cleared: list[int]
    events: list[int]


# --- device types and devices ---------------------------------------------------------------------


@router.get(
    "/iot/device-types", response=responses(list[DeviceTypeOut]), summary="Device types and their metrics"
)
def list_device_types(request: HttpRequest) -> Any:
    return list(queries.device_types())


@router.put(
    "/iot/device-types/{code}",
    response=responses(DeviceTypeOut),
    summary="Create or change a device type and its metrics (county-level editors)",
)
def put_device_type(request: HttpRequest, code: str, payload: DeviceTypeIn) -> Any:
    data = payload.dict()
    return actions.save_device_type(request.user, code=code, **data)


@router.get("/iot/devices", response=responses(list[DeviceOut]), summary="Devices in your jurisdiction")
def list_devices(request: HttpRequest, filters: Query[DeviceFilterIn]) -> Any:
    f = queries.DeviceFilter(
        device_type=filters.device_type,
        status=filters.status or "",
        region=filters.region,
        q=filters.q,
        alarming=filters.alarming,
    )
    return list(queries.devices(request.user, f)[filters.offset : filters.offset + filters.limit])


@router.get(
    "/iot/device-counts", response=responses(CountsOut), summary="Devices per status in your jurisdiction"
)
def device_counts(request: HttpRequest) -> Any:
    return queries.status_counts(queries.devices(request.user))


@router.post(
    "/iot/devices",
    response=responses(DeviceSecretOut, 201),
    summary="Register a device (returns its secret once)",
)
def create_device(request: HttpRequest, payload: DeviceIn) -> Any:
    device, secret = actions.create_device(request.user, **payload.dict())
    device.secret = secret  # type: ignore[attr-defined]
    return Status(201, device)


@router.get("/iot/devices/{code}", response=responses(DeviceOut), summary="One device with its latest values")
def get_device(request: HttpRequest, code: str) -> Any:
    return queries.device(request.user, code)


@router.patch("/iot/devices/{code}", response=responses(DeviceOut), summary="Change a device")
def patch_device(request: HttpRequest, code: str, payload: DevicePatch) -> Any:
    data = payload.dict(exclude_unset=True)
    coord_system = data.pop("coord_system", CoordSystem.WGS84)
    return actions.update_device(request.user, code, coord_system=coord_system, **data)


@router.post(
    "/iot/devices/{code}/secret", response=responses(DeviceSecretOut), summary="Issue a new ingestion secret"
)
def rotate_secret(request: HttpRequest, code: str) -> Any:
    device, secret = actions.rotate_secret(request.user, code)
    device.secret = secret  # type: ignore[attr-defined]
    return device


@router.get(
    "/iot/devices/{code}/readings",
    response=responses(list[ReadingOut]),
    summary="Kept readings of the last days",
)
def device_readings(request: HttpRequest, code: str, filters: Query[ReadingsIn]) -> Any:
    return queries.readings(request.user, code, filters.days)


# --- ingestion (device secret, not a user) --------------------------------------------------------


def _ingest(request: HttpRequest, code: str, kind: str, secret: str) -> Any:
    outcome = ingest.ingest(code, kind, request.body, secret=secret or "")
    return Status(202, outcome)


@router.post(
    "/iot/devices/{code}/telemetry",
    auth=None,
    response=responses(OutcomeOut, 202),
    summary="A device's readings over HTTP (header X-Device-Secret)",
    openapi_extra={"security": []},
)
def post_telemetry(
    request: HttpRequest, code: str, x_device_secret: str = Header("", alias="X-Device-Secret")
) -> Any:
    return _ingest(request, code, ingest.TELEMETRY, x_device_secret)


@router.post(
    "/iot/devices/{code}/alarm",
    auth=None,
    response=responses(OutcomeOut, 202),
    summary="A device's own alarm over HTTP (header X-Device-Secret)",
    openapi_extra={"security": []},
)
def post_alarm(
    request: HttpRequest, code: str, x_device_secret: str = Header("", alias="X-Device-Secret")
) -> Any:
    return _ingest(request, code, ingest.ALARM, x_device_secret)


# --- alarms and rules -----------------------------------------------------------------------------


@router.get("/iot/alarms", response=responses(list[AlarmOut]), summary="Alarms in your jurisdiction")
def list_alarms(request: HttpRequest, filters: Query[AlarmFilterIn]) -> Any:
    qs = queries.alarms(request.user, state=filters.state, device_code=filters.device)
    return list(qs[filters.offset : filters.offset + filters.limit])


@router.get("/iot/alarms/{alarm_id}", response=responses(AlarmOut), summary="One alarm")
def get_alarm(request: HttpRequest, alarm_id: int) -> Any:
    return queries.alarm(request.user, alarm_id)


@router.get("/iot/rules", response=responses(list[RuleOut]), summary="Alarm rules")
def list_rules(request: HttpRequest) -> Any:
    return list(queries.rules(request.user))


@router.post("/iot/rules", response=responses(RuleOut, 201), summary="Add an alarm rule")
def create_rule(request: HttpRequest, payload: RuleIn) -> Any:
    return Status(201, actions.create_rule(request.user, **payload.dict()))


@router.get("/iot/rules/{rule_id}", response=responses(RuleOut), summary="One alarm rule")
def get_rule(request: HttpRequest, rule_id: int) -> Any:
    return queries.rule(request.user, rule_id)


@router.patch("/iot/rules/{rule_id}", response=responses(RuleOut), summary="Change an alarm rule")
def patch_rule(request: HttpRequest, rule_id: int, payload: RulePatch) -> Any:
    return actions.update_rule(request.user, rule_id, **payload.dict(exclude_unset=True))
