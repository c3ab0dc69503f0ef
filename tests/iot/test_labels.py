"""Metric keys and alarm codes are stored as codes but shown by their labels, in the page's language: rule
lists, device pages, the API and the events that alarms open."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from jiceng.events.models import Event
from jiceng.iot import actions
from jiceng.iot.ingest import ALARM, TELEMETRY, ingest
from jiceng.iot.labels import alarm_code_label, metric_label
from tests.conftest import Org, token_for
from tests.iot.conftest import Iot

pytestmark = pytest.mark.django_db


@pytest.fixture
def camera_rules(iot: Iot, org: Org) -> None:
    root = org.user("root", "superuser")
    for code, name in (("fire", "桶内起火"), ("fault", "桶设备故障")):
        actions.create_rule(
            root, device_type="bin", kind="device", metric=code, name=name, category_code="0301"
        )


def page(org: Org, path: str, language: str = "zh-hans") -> str:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    client.force_login(org.user("county", "admin"))
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.usefixtures("camera_rules")
def test_rule_list_shows_labels_not_codes(org: Org) -> None:
    html = page(org, "/iot/rules/")
    assert "满溢度 ≥ 90 %" in html and "设备告警：识别到火情" in html and "设备告警：设备故障" in html
    # The list, that is: the form below names each code beside its label, because rules are written in codes.
    table = html.split("</table>", 1)[0]
    assert "fill ≥" not in table and "fire" not in table and "fault" not in table
    english = page(org, "/iot/rules/", "en")
    assert "Fill level ≥ 90 %" in english and "device alarm: Fire detected" in english


@pytest.mark.usefixtures("camera_rules")
def test_device_page_shows_labels(iot: Iot, org: Org) -> None:
    ingest("BIN-A", TELEMETRY, {"values": {"fill": 40, "battery": 77}})
    html = page(org, "/iot/devices/BIN-A/")
    assert "满溢度 ≥ 90 %" in html and "设备告警：设备故障" in html
    assert "电量 (%)" in html
    assert '"name": "\\u7535\\u91cf"' in html  # the chart's series: 电量
    # Codes only where a device needs them: the chart's keys and the example body of the connection panel.
    assert "battery" not in html.replace('"key": "battery"', "").replace("&quot;battery&quot;", "")


def test_unknown_codes_fall_back_to_the_type_name_then_the_code(iot: Iot) -> None:
    iot.kind.metrics.append({"key": "lid", "name": "桶盖开合", "unit": "", "min": 0, "max": 1})
    assert metric_label("lid", iot.kind) == "桶盖开合"
    assert metric_label("lid") == "lid"
    assert alarm_code_label("lid_open") == "lid_open"


@pytest.mark.usefixtures("camera_rules")
def test_events_opened_by_alarms_name_the_labels(org: Org) -> None:
    t0 = timezone.now() - timedelta(minutes=30)
    fault = ingest("BIN-A", ALARM, {"ts": t0.isoformat(), "code": "fault"}, now=t0)
    description = Event.objects.get(pk=fault.events[0]).description
    assert "设备故障" in description and "fault" not in description
    for minute, fill in ((1, 95), (2, 96)):
        at = t0 + timedelta(minutes=minute)
        full = ingest("BIN-A", TELEMETRY, {"ts": at.isoformat(), "values": {"fill": fill}}, now=at)
    description = Event.objects.get(pk=full.events[0]).description
    assert "满溢度 96 %" in description and "满溢度 ≥ 90 %" in description and "fill" not in description


def test_events_are_written_in_the_platform_language_whatever_the_gateway_asks(iot: Iot) -> None:
    client = Client(headers={"X-Device-Secret": iot.secret_a})
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    for fill in (95, 96):
        answer = client.post(
            "/api/v1/iot/devices/BIN-A/telemetry", {"values": {"fill": fill}}, content_type="application/json"
        )
    assert "满溢度" in Event.objects.get(pk=answer.json()["events"][0]).description


@pytest.mark.usefixtures("camera_rules")
def test_api_gives_labels_beside_the_codes(org: Org) -> None:
    token = token_for(org.user("county", "admin"))
    client = Client(headers={"Authorization": f"Bearer {token}"})
    rules = {r["metric"]: r for r in client.get("/api/v1/iot/rules").json()}
    assert rules["fill"]["metric_label"] == "满溢度" and rules["fill"]["condition_label"] == "满溢度 ≥ 90 %"
    assert rules["fire"]["metric_label"] == "识别到火情"
    metrics = client.get("/api/v1/iot/device-types").json()[0]["metrics"]
    assert [m["label"] for m in metrics] == ["满溢度", "电量"]
