"""Demo data of the IoT module: about 200 devices of every type across the demo county's grids, a few days
of readings, some devices offline or faulty, and a handful of alarms that opened events.

The history before the last hour is bulk-inserted (what the ingestion would have kept, one reading per
half hour); the last readings and every alarm go through the real ``ingest``, so latest values, status,
alarms and their events are made by the same code as live messages. Smaller under pytest.
"""

from __future__ import annotations

import math
import os
import random
from datetime import datetime, timedelta
from typing import Any

import shapely
from django.utils import timezone
from shapely.geometry import shape

from jiceng.demo.steps import DemoContext, demo_step
from jiceng.iot import actions
from jiceng.iot.ingest import ALARM, TELEMETRY, ingest
from jiceng.iot.models import Device, DeviceStatus, DeviceType, Reading
from jiceng.org.models import Region, RegionLevel, Unit, UnitKind

# type code: (code prefix, name, vendor, share of the devices)
KINDS: dict[str, tuple[str, str, str, int]] = {
    "smoke_detector": ("YG", "烟感", "海康威视", 30),
    "manhole_cover": ("JG", "智能井盖", "中移物联", 15),
    "camera_ai": ("SP", "视频监控", "大华股份", 15),
    "bin_fill": ("LJ", "垃圾桶", "盈峰环境", 20),
    "air_quality": ("KQ", "空气站", "聚光科技", 10),
    "water_level": ("JS", "积水监测", "华测导航", 10),
}
PLACES = [
    "村委会旁",
    "文化礼堂",
    "菜市场东侧",
    "幼儿园门口",
    "老年活动中心",
    "公交站",
    "停车场",
    "小区北门",
    "桥头",
    "学校后门",
]
STEP = timedelta(minutes=30)


def sizes() -> tuple[int, int]:
    """(devices, days of history): smaller under pytest."""
    return (24, 1) if "PYTEST_VERSION" in os.environ else (200, 3)


def _value(kind: str, key: str, at: datetime, rng: random.Random, phase: float) -> float:
    hour = timezone.localtime(at).hour + timezone.localtime(at).minute / 60
    day = math.sin((hour - 8) / 24 * 2 * math.pi)  # warmest/busiest mid-afternoon
    if key == "battery":
        return round(max(12.0, 95 - phase * 40 - (at.timestamp() % 86400) / 86400), 1)
    if key == "smoke":
        return round(abs(rng.gauss(0.3, 0.2)), 2)
    if key == "temperature":
        return round(18 + 6 * day + rng.gauss(0, 0.5), 1)
    if key == "tilt":
        return round(abs(rng.gauss(1, 0.5)), 1)
    if key == "water_level":
        return round(max(0.0, 20 + 8 * phase + rng.gauss(0, 2)), 1)
    if key == "fill":  # emptied every morning at 6, fills through the day
        since = (hour - 6) % 24
        return round(min(85.0, 8 + since * (2.5 + 1.5 * phase) + rng.gauss(0, 2)), 1)
    if key == "pm25":
        return round(max(5.0, 45 + 25 * day + 15 * phase + rng.gauss(0, 5)), 1)
    if key == "pm10":
        return round(max(10.0, 80 + 40 * day + rng.gauss(0, 8)), 1)
    if key == "noise":
        return round(55 + 10 * day + rng.gauss(0, 2), 1)
    if key == "depth":
        return 0.0
    return 0.0


def _point(rng: random.Random, boundary: dict[str, Any]) -> tuple[float, float]:
    polygon = shape(boundary)
    minx, miny, maxx, maxy = polygon.bounds
    for _ in range(50):
        lng, lat = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if polygon.contains(shapely.Point(lng, lat)):
            return round(lng, 6), round(lat, 6)
    point = polygon.representative_point()
    return round(point.x, 6), round(point.y, 6)


@demo_step(order=660, name="iot.devices")
def devices(ctx: DemoContext) -> None:
    """IoT devices across the grids, a few days of readings, alarms that opened events."""
    from jiceng.events.demo import ensure_categories

    if not ensure_categories(ctx):
        ctx.log("  skipped (no event categories)")
        return
    actions.seed_device_types(ctx.actor)
    rng = ctx.rng
    count, days = sizes()
    now = timezone.now()
    grids = list(
        Region.objects.filter(level=RegionLevel.GRID, boundary__isnull=False, is_active=True).order_by("code")
    )
    if not grids:
        ctx.log("  skipped (no grids with boundaries)")
        return
    stations = {
        u.region.code[:9]: u.code
        for u in Unit.objects.filter(kind=UnitKind.TOWNSHIP_STATION)
        .select_related("region")
        .order_by("-code")
    }
    types = {t.code: t for t in DeviceType.objects.all()}
    total_share = sum(k[3] for k in KINDS.values())
    made: dict[str, list[Device]] = {code: [] for code in KINDS}
    for code, (prefix, label, vendor, share) in KINDS.items():
        for n in range(1, max(2, round(count * share / total_share)) + 1):
            grid = rng.choice(grids)
            lng, lat = _point(rng, grid.boundary)  # type: ignore[arg-type]
            device, _secret = actions.create_device(
                ctx.actor,
                code=f"{prefix}-{n:04d}",
                name=f"{grid.name}{label}{n:02d}",
                device_type=code,
                lng=lng,
                lat=lat,
                vendor=vendor,
                address=f"{grid.name}{rng.choice(PLACES)}",
                unit=stations.get(grid.code[:9]),
                region_code=grid.code,
            )
            made[code].append(device)
    # The kept history up to an hour ago, as the ingestion keeps it (one reading per half hour).
    start = now - timedelta(days=days)
    rows: list[Reading] = []
    for code, group in made.items():
        metrics = [m["key"] for m in types[code].metrics]
        if not metrics:
            continue
        for device in group:
            phase = rng.random()
            at = start
            while at < now - timedelta(hours=1):
                rows.append(
                    Reading(
                        device=device, at=at, values={k: _value(code, k, at, rng, phase) for k in metrics}
                    )
                )
                at += STEP
            Device.objects.filter(pk=device.pk).update(history_at=at - STEP)
    Reading.objects.bulk_create(rows, batch_size=2000)
    # The last hour through the real ingestion: most devices report, a few went silent a day ago.
    everyone = [d for group in made.values() for d in group]
    scenario = _scenarios(made, now)
    silent = {d.pk for d in rng.sample(everyone, max(1, len(everyone) // 20)) if d.code not in scenario}
    for device in everyone:
        if device.pk in silent:
            Device.objects.filter(pk=device.pk).update(
                status=DeviceStatus.OFFLINE, last_seen_at=now - timedelta(days=1, minutes=rng.randint(0, 600))
            )
            continue
        metrics = [m["key"] for m in types[device.device_type.code].metrics]
        at = now - timedelta(minutes=rng.randint(2, 25))
        if metrics and device.code in scenario:
            continue  # its last readings are the scenario's
        if metrics:
            values = {k: _value(device.device_type.code, k, at, rng, 0.5) for k in metrics}
            ingest(device.code, TELEMETRY, {"ts": at.isoformat(), "values": values}, now=now)
        else:  # cameras only send a heartbeat (an alarm message when they see something)
            Device.objects.filter(pk=device.pk).update(status=DeviceStatus.ONLINE, last_seen_at=at)
    opened = 0
    for code, kind, minutes_ago, body in _script(scenario):
        at = now - timedelta(minutes=minutes_ago)
        outcome = ingest(code, kind, {"ts": at.isoformat(), **body}, now=now)
        opened += len(outcome.events)
    ctx.log(
        f"  {len(everyone)} devices, {len(rows)} readings, {len(silent)} offline, {opened} events from alarms"
    )


def _scenarios(made: dict[str, list[Device]], now: datetime) -> dict[str, str]:
    """Which devices play an alarm: device code → scenario name."""
    picks = {
        "bin_full": made["bin_fill"][:3],
        "smoke": made["smoke_detector"][:1],
        "ponding": made["water_level"][:1],
        "tilt": made["manhole_cover"][:1],
        "camera_fault": made["camera_ai"][:1],
        "camera_garbage": made["camera_ai"][1:2],
        "noise": made["air_quality"][:1],
    }
    return {d.code: name for name, group in picks.items() for d in group}


def _script(scenario: dict[str, str]) -> list[tuple[str, str, int, dict[str, Any]]]:
    """(device code, kind, minutes ago, body) in time order per device."""
    steps: list[tuple[str, str, int, dict[str, Any]]] = []
    for code, name in scenario.items():
        if name == "bin_full":
            steps += [
                (code, TELEMETRY, 50, {"values": {"fill": 91}}),
                (code, TELEMETRY, 20, {"values": {"fill": 96}}),
            ]
        elif name == "smoke":
            steps += [
                (
                    code,
                    ALARM,
                    150,
                    {"code": "smoke", "message": "烟雾浓度超限报警", "values": {"smoke": 12.5}},
                ),
                (
                    code,
                    ALARM,
                    148,
                    {"code": "smoke", "message": "烟雾浓度超限报警", "values": {"smoke": 14.0}},
                ),
                (code, ALARM, 120, {"code": "smoke", "state": "cleared", "values": {"smoke": 0.4}}),
            ]
        elif name == "ponding":
            steps += [
                (code, TELEMETRY, 180, {"values": {"depth": 24}}),
                (code, TELEMETRY, 170, {"values": {"depth": 31}}),
                (code, TELEMETRY, 160, {"values": {"depth": 35}}),
                (code, TELEMETRY, 60, {"values": {"depth": 4}}),
            ]
        elif name == "tilt":
            steps += [(code, TELEMETRY, 35, {"values": {"tilt": 42, "water_level": 30, "battery": 80}})]
        elif name == "camera_fault":
            steps += [(code, ALARM, 90, {"code": "fault", "message": "视频信号丢失"})]
        elif name == "camera_garbage":
            steps += [(code, ALARM, 45, {"code": "garbage", "message": "识别到路边暴露垃圾"})]
        elif name == "noise":
            steps += [
                (code, TELEMETRY, m, {"values": {"noise": v}}) for m, v in ((40, 88), (30, 91), (20, 90))
            ]
    return steps
