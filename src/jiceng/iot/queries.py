"""Reads of the device registry and alarms, scoped to the user's jurisdiction (jiceng.core.scope)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from jiceng.core.errors import NotFound
from jiceng.core.scope import get_in_scope, jurisdiction_prefix, scoped
from jiceng.iot.actions import rule_in_scope
from jiceng.iot.labels import metric_label
from jiceng.iot.models import Alarm, AlarmRule, AlarmState, Device, DeviceStatus, DeviceType, Reading

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from jiceng.accounts.models import User


@dataclass
class DeviceFilter:
    device_type: str = ""
    status: str = ""
    region: str = ""  # a region code prefix (township, village, grid)
    q: str = ""
    alarming: bool = False


def devices(user: User | AnonymousUser | None, f: DeviceFilter | None = None) -> QuerySet[Device]:
    qs = scoped(Device, user).select_related("device_type", "region", "unit")
    f = f or DeviceFilter()
    if f.device_type:
        qs = qs.filter(device_type__code=f.device_type)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.region:
        qs = qs.filter(region_code__startswith=f.region)
    if f.q:
        qs = qs.filter(Q(code__icontains=f.q) | Q(name__icontains=f.q) | Q(address__icontains=f.q))
    if f.alarming:
        qs = qs.filter(alarms__state=AlarmState.ACTIVE).distinct()
    return qs


def status_counts(qs: QuerySet[Device]) -> dict[str, int]:
    counts = {s: 0 for s in DeviceStatus.values}
    for row in qs.order_by().values("status").annotate(n=Count("id")):
        counts[row["status"]] = row["n"]
    counts["total"] = sum(counts.values())
    return counts


def device(user: User | AnonymousUser | None, code: str) -> Device:
    return get_in_scope(Device.objects.select_related("device_type", "region", "unit"), user, code=code)


def readings(user: User | AnonymousUser | None, code: str, days: int = 3) -> list[Reading]:
    one = device(user, code)
    since = timezone.now() - timedelta(days=days)
    return list(Reading.objects.filter(device=one, at__gte=since).order_by("at"))


def chart(one: Device, rows: list[Reading]) -> dict[str, Any]:
    """Per metric: name, unit and [time, value] points, for ECharts."""
    series = []
    for metric in one.device_type.metrics:
        points = [[r.at.isoformat(), r.values[metric["key"]]] for r in rows if metric["key"] in r.values]
        if points:
            series.append(
                {
                    "key": metric["key"],
                    "name": metric_label(metric["key"], one.device_type),
                    "unit": metric["unit"],
                    "points": points,
                }
            )
    return {"series": series}


def alarms(user: User | AnonymousUser | None, *, state: str = "", device_code: str = "") -> QuerySet[Alarm]:
    qs = scoped(Alarm, user).select_related("device", "device__device_type", "rule", "event")
    if state:
        qs = qs.filter(state=state)
    if device_code:
        qs = qs.filter(device__code=device_code)
    return qs


def alarm(user: User | AnonymousUser | None, alarm_id: int) -> Alarm:
    return get_in_scope(
        Alarm.objects.select_related("device", "device__device_type", "rule", "event"), user, pk=alarm_id
    )


def alarm_of_event(user: User | AnonymousUser | None, event_id: int) -> Alarm:
    """The alarm that opened an event, within the jurisdiction (404 for missing and outside alike)."""
    found = (
        scoped(Alarm.objects.select_related("device"), user).filter(event_id=event_id).order_by("id").first()
    )
    if found is None:
        raise NotFound()
    return found


def device_types() -> QuerySet[DeviceType]:
    return DeviceType.objects.annotate(device_count=Count("devices"))


def rules(user: User | AnonymousUser | None) -> QuerySet[AlarmRule]:
    """Type-wide rules, and the rules of devices in the user's jurisdiction."""
    qs = AlarmRule.objects.select_related("device_type", "device")
    prefix = jurisdiction_prefix(user)
    if prefix is None:
        return qs.none()
    return qs.filter(Q(device__isnull=True) | Q(device__region_code__startswith=prefix))


def rule(user: User | AnonymousUser | None, rule_id: int) -> AlarmRule:
    return rule_in_scope(user, rule_id)


def region_choices(user: User | AnonymousUser | None) -> list[tuple[str, str]]:
    """The townships, villages and grids of the jurisdiction that have devices, as (code prefix, label) for
    the device list's filter: nobody has to know a 12- or 15-digit code."""
    from jiceng.org.models import Region, RegionLevel, scope_prefix

    codes = set(devices(user).values_list("region_code", flat=True).distinct())
    wanted = {c for code in codes for c in (code[:9] + "000", code[:12], code[:15])}
    indent: dict[str, str] = {RegionLevel.TOWNSHIP: "", RegionLevel.VILLAGE: "　", RegionLevel.GRID: "　　"}
    regions = (
        Region.objects.filter(code__in=wanted, level__in=list(indent))
        .order_by("code")
        .values_list("code", "name", "level")
    )
    return [(scope_prefix(code, level), f"{indent[level]}{name}") for code, name, level in regions]
