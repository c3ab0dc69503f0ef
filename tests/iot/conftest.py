"""IoT fixtures: a garbage-bin type with a fill rule (category 0301 of the shared fixture), one device in
township A's grid and one in township B's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from jiceng.iot import actions
from jiceng.iot.models import AlarmRule, Device, DeviceType
from tests.conftest import Org
from tests.events.conftest import IN_GRID_A, IN_GRID_B


@dataclass
class Iot:
    kind: DeviceType
    rule: AlarmRule
    a: Device
    b: Device
    secret_a: str
    secret_b: str


@pytest.fixture
def iot(org: Org, categories: Any) -> Iot:
    return make_iot(org)


def make_iot(org: Org) -> Iot:
    root = org.user("root", "superuser")
    kind = actions.save_device_type(
        root,
        code="bin",
        name="垃圾桶满溢监测",
        domain="garbage",
        metrics=[
            {"key": "fill", "name": "满溢度", "unit": "%", "min": 0, "max": 100},
            {"key": "battery", "name": "电量", "unit": "%", "min": 0, "max": 100},
        ],
        offline_after_minutes=30,
    )
    rule = actions.create_rule(
        root,
        device_type="bin",
        name="垃圾桶满溢",
        category_code="0301",
        metric="fill",
        comparison="ge",
        threshold=90,
        consecutive=2,
        cooldown_minutes=30,
    )
    a, secret_a = actions.create_device(
        root, code="BIN-A", name="A村垃圾桶", device_type="bin", address="A村村口", **IN_GRID_A
    )
    b, secret_b = actions.create_device(root, code="BIN-B", name="B村垃圾桶", device_type="bin", **IN_GRID_B)
    return Iot(kind, rule, a, b, secret_a, secret_b)
