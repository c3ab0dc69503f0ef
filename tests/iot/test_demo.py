"""The IoT demo step on the test org (the whole demo county runs it in tests/demo)."""

from __future__ import annotations

import random
import time
from io import StringIO

import pytest

from jiceng.demo.county import build_plan
from jiceng.demo.loader import discover_steps
from jiceng.demo.steps import DEMO_STEPS, DemoContext
from jiceng.events.models import Event, Source
from jiceng.iot.models import Alarm, AlarmState, Device, DeviceStatus, Reading
from tests.conftest import Org

pytestmark = pytest.mark.django_db


def test_the_demo_step_makes_devices_readings_and_alarms(org: Org) -> None:
    discover_steps()
    step = DEMO_STEPS["iot.devices"]
    assert DEMO_STEPS["events.history"].order < step.order
    out = StringIO()
    ctx = DemoContext(actor=org.user("root", "superuser"), plan=build_plan(), stdout=out)
    ctx.rng = random.Random("iot.devices")
    started = time.perf_counter()
    step.func(ctx)
    assert time.perf_counter() - started < 30
    assert Device.objects.count() >= 20
    assert set(Device.objects.values_list("region_code", flat=True)) <= {
        org.regions["grid_a"].code,
        org.regions["grid_b"].code,
    }
    assert Reading.objects.count() > 20 * 40
    assert Device.objects.filter(status=DeviceStatus.OFFLINE).exists()
    assert Device.objects.filter(status=DeviceStatus.FAULT).count() == 1
    events = Event.objects.filter(source=Source.IOT)
    assert events.count() >= 7
    assert Alarm.objects.filter(event__isnull=True).count() == 0
    assert Alarm.objects.filter(state=AlarmState.CLEARED).count() == 2  # the smoke alarm and the ponding
    assert Alarm.objects.filter(count__gt=1).exists()
    assert "devices" in out.getvalue()
