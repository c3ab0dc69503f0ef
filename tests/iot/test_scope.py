"""Jurisdiction and permissions: someone of township A sees none of township B's devices, readings, alarms
or device rules, through any endpoint or page; only administrators and the county center edit."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jiceng.accounts.roles import Role
from jiceng.iot import actions
from jiceng.iot.ingest import TELEMETRY, ingest
from jiceng.iot.models import Alarm, Device
from tests.conftest import TOWNSHIP_ROLE_UNIT, Org, token_for
from tests.iot.conftest import Iot

pytestmark = pytest.mark.django_db


@pytest.fixture
def alarms(iot: Iot, org: Org) -> dict[str, Any]:
    """An alarm (with its event) on each township's device, and a rule of B's device only."""
    t0 = timezone.now() - timedelta(minutes=30)
    for code in ("BIN-A", "BIN-B"):
        for minute in (0, 1):
            ingest(
                code, TELEMETRY, {"ts": (t0 + timedelta(minutes=minute)).isoformat(), "values": {"fill": 95}}
            )
    rule_b = actions.create_rule(
        org.user("root", "superuser"),
        device_type="bin",
        device="BIN-B",
        name="B桶专用",
        category_code="0301",
        metric="fill",
        threshold=50,
    )
    return {
        "a": Alarm.objects.get(device__code="BIN-A"),
        "b": Alarm.objects.get(device__code="BIN-B"),
        "rule_b": rule_b,
    }


def api(user: Any) -> Client:
    return Client(headers={"Authorization": f"Bearer {token_for(user)}"})


@pytest.mark.parametrize("role", list(TOWNSHIP_ROLE_UNIT))
def test_township_a_sees_nothing_of_township_b(org: Org, iot: Iot, alarms: dict[str, Any], role: str) -> None:
    client = api(org.user("a", role))
    devices = client.get("/api/v1/iot/devices").json()
    assert [d["code"] for d in devices] == ["BIN-A"]
    assert client.get("/api/v1/iot/device-counts").json()["total"] == 1
    assert [a["device"] for a in client.get("/api/v1/iot/alarms").json()] == ["BIN-A"]
    assert client.get("/api/v1/iot/alarms?device=BIN-B").json() == []
    assert alarms["rule_b"].pk not in {r["id"] for r in client.get("/api/v1/iot/rules").json()}
    b = alarms["b"]
    for method, url, body in [
        ("get", "/api/v1/iot/devices/BIN-B", None),
        ("patch", "/api/v1/iot/devices/BIN-B", {"name": "越权"}),
        ("post", "/api/v1/iot/devices/BIN-B/secret", None),
        ("get", "/api/v1/iot/devices/BIN-B/readings", None),
        ("get", f"/api/v1/iot/alarms/{b.pk}", None),
        ("get", f"/api/v1/iot/rules/{alarms['rule_b'].pk}", None),
        ("patch", f"/api/v1/iot/rules/{alarms['rule_b'].pk}", {"threshold": 1}),
    ]:
        response = (
            getattr(client, method)(url, body, content_type="application/json")
            if body
            else getattr(client, method)(url)
        )
        assert response.status_code in (403, 404), f"{role} {method} {url}: {response.status_code}"
    assert Device.objects.get(code="BIN-B").name == "B村垃圾桶"
    # Own records are readable.
    assert client.get("/api/v1/iot/devices/BIN-A").status_code == 200
    assert client.get(f"/api/v1/iot/alarms/{alarms['a'].pk}").json()["event_id"] == alarms["a"].event_id
    assert len(client.get("/api/v1/iot/devices/BIN-A/readings").json()) >= 1


@pytest.mark.parametrize("role", list(TOWNSHIP_ROLE_UNIT))
def test_pages_of_township_a_show_nothing_of_township_b(
    org: Org, iot: Iot, alarms: dict[str, Any], role: str
) -> None:
    client = Client()
    client.force_login(org.user("a", role))
    page = client.get(reverse("iot:devices")).content.decode()
    assert "BIN-A" in page and "BIN-B" not in page
    alarm_page = client.get(reverse("iot:alarms")).content.decode()
    assert "A村垃圾桶" in alarm_page and "B村垃圾桶" not in alarm_page
    assert "B桶专用" not in client.get(reverse("iot:rules")).content.decode()
    assert client.get(reverse("iot:device_detail", args=["BIN-B"])).status_code == 404
    assert client.get(reverse("iot:device_edit", args=["BIN-B"])).status_code == 404
    assert client.post(reverse("iot:device_secret", args=["BIN-B"])).status_code == 404
    assert client.get(reverse("iot:rule_edit", args=[alarms["rule_b"].pk])).status_code == 404
    detail = client.get(reverse("iot:device_detail", args=["BIN-A"]))
    assert detail.status_code == 200 and "iot-chart-data" in detail.content.decode()


def test_the_county_sees_both_and_the_other_county_nothing(
    org: Org, iot: Iot, alarms: dict[str, Any]
) -> None:
    assert len(api(org.user("county", Role.LEADER)).get("/api/v1/iot/devices").json()) == 2
    other = api(org.user("county_2", Role.HANDLER))
    assert other.get("/api/v1/iot/devices").json() == [] and other.get("/api/v1/iot/alarms").json() == []
    assert other.get("/api/v1/iot/devices/BIN-A").status_code == 404


def test_only_admins_and_the_county_center_edit(org: Org, iot: Iot, alarms: dict[str, Any]) -> None:
    body = {"code": "BIN-A2", "name": "新桶", "device_type": "bin", "lng": 120.012, "lat": 30.012}
    for who in (("a", Role.GRID_WORKER), ("a", Role.DISPATCHER), ("county", Role.LEADER)):
        response = api(org.user(*who)).post("/api/v1/iot/devices", body, content_type="application/json")
        assert response.status_code == 403, who
    # A township admin registers in the township, not in the other one, and not county-wide rules.
    admin_a = api(org.user("a", Role.ADMIN))
    created = admin_a.post("/api/v1/iot/devices", body, content_type="application/json")
    assert created.status_code == 201 and created.json()["secret"].startswith("dev_")
    assert created.json()["region_code"] == org.regions["grid_a"].code
    outside = {**body, "code": "BIN-X", "lng": 120.112}
    assert admin_a.post("/api/v1/iot/devices", outside, content_type="application/json").status_code == 403
    rule = {"name": "全县", "device_type": "bin", "metric": "fill", "threshold": 80, "category_code": "0301"}
    assert admin_a.post("/api/v1/iot/rules", rule, content_type="application/json").status_code == 403
    own = admin_a.post("/api/v1/iot/rules", {**rule, "device": "BIN-A2"}, content_type="application/json")
    assert own.status_code == 201
    county = api(org.user("county", Role.COUNTY_CENTER))
    assert county.post("/api/v1/iot/rules", rule, content_type="application/json").status_code == 201
    moved = county.patch("/api/v1/iot/devices/BIN-A2", {"lng": 120.112}, content_type="application/json")
    assert moved.status_code == 200 and moved.json()["region_code"] == org.regions["grid_b"].code


def test_rule_validation(org: Org, iot: Iot) -> None:
    county = api(org.user("county", Role.ADMIN))
    base = {"name": "x", "device_type": "bin", "metric": "fill", "threshold": 80, "category_code": "0301"}
    for change, code in (
        ({"metric": "depth"}, "invalid_metric"),
        ({"category_code": "03"}, "category_not_leaf"),
        ({"category_code": "9999"}, "invalid_category"),
        ({"device_type": "nope"}, "invalid_device_type"),
    ):
        response = county.post("/api/v1/iot/rules", {**base, **change}, content_type="application/json")
        assert response.status_code == 422 and response.json()["code"] == code, change


def test_device_pages_for_editors(org: Org, iot: Iot) -> None:
    client = Client()
    client.force_login(org.user("county", Role.ADMIN))
    form = {"code": "BIN-P", "name": "页面登记", "device_type": "bin", "lng": "120.013", "lat": "30.013"}
    response = client.post(reverse("iot:device_new"), form)
    assert response.status_code == 200 and "dev_" in response.content.decode()
    assert Device.objects.get(code="BIN-P").region_code == org.regions["grid_a"].code
    edit = {**form, "name": "页面改名", "is_active": "on"}
    del edit["code"]
    assert client.post(reverse("iot:device_edit", args=["BIN-P"]), edit).status_code == 302
    assert Device.objects.get(code="BIN-P").name == "页面改名"
    rule = {
        "name": "页面规则",
        "device_type": "bin",
        "kind": "threshold",
        "metric": "fill",
        "comparison": "ge",
        "threshold": "85",
        "consecutive": "2",
        "hold_seconds": "0",
        "cooldown_minutes": "30",
        "category_code": "0301",
        "urgency": "normal",
        "is_active": "on",
    }
    assert client.post(reverse("iot:rules"), rule).status_code == 302
    worker = Client()
    worker.force_login(org.user("a", Role.GRID_WORKER))
    assert worker.get(reverse("iot:device_new")).status_code == 403
    assert worker.post(reverse("iot:rules"), rule).status_code == 403


def test_alarm_states_read_as_alarm_states_in_chinese(org: Org, iot: Iot, alarms: dict[str, Any]) -> None:
    """告警中 / 已消除 as on the device list, not 启用 (the on/off switch of rules and devices)."""
    Alarm.objects.filter(pk=alarms["b"].pk).update(state="cleared", cleared_at=timezone.now())
    for user in (org.user("county", Role.COUNTY_CENTER), org.user("a", Role.DISPATCHER)):
        client = Client()
        client.force_login(user)
        html = client.get("/iot/alarms/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        assert 'href="?state=active">告警中</a>' in html and 'href="?state=cleared">已消除</a>' in html
        assert 'status-active">告警中</span>' in html and "启用" not in html
