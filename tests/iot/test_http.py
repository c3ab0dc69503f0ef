"""HTTP ingestion for gateways (/api/v1/iot/devices/<code>/telemetry|alarm, header X-Device-Secret):
stable error codes with Chinese messages, and the secret's lifecycle."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from jiceng.events.models import Event
from jiceng.iot.models import Device
from tests.conftest import Org, token_for
from tests.iot.conftest import Iot

pytestmark = pytest.mark.django_db

URL = "/api/v1/iot/devices/{code}/{kind}"


def post(code: str, body: Any, secret: str | None, kind: str = "telemetry") -> Any:
    headers = {"X-Device-Secret": secret} if secret is not None else {}
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return Client(headers=headers).post(
        URL.format(code=code, kind=kind), data, content_type="application/json"
    )


def test_a_gateway_posts_readings_and_alarms_open_events(iot: Iot) -> None:
    first = post("BIN-A", {"values": {"fill": 93}}, iot.secret_a)
    assert first.status_code == 202 and first.json()["stored"] is True
    second = post("BIN-A", {"values": {"fill": 96, "battery": 80}}, iot.secret_a)
    body = second.json()
    assert second.status_code == 202 and len(body["events"]) == 1
    assert Event.objects.get(pk=body["events"][0]).source == "iot"
    assert Device.objects.get(code="BIN-A").latest == {"fill": 96, "battery": 80}
    alarm = post("BIN-A", {"code": "lid_open", "message": "桶盖未关"}, iot.secret_a, kind="alarm")
    assert alarm.status_code == 202 and alarm.json()["opened"] == []


@pytest.mark.parametrize(
    ("code", "secret", "body", "status", "error", "message"),
    [
        ("BIN-A", None, {"values": {"fill": 1}}, 401, "device_auth_failed", "设备认证失败。"),
        ("BIN-A", "dev_wrong", {"values": {"fill": 1}}, 401, "device_auth_failed", "设备认证失败。"),
        ("NOPE-1", "A", {"values": {"fill": 1}}, 401, "device_auth_failed", "设备认证失败。"),
        ("BIN-A", "A", "{not json", 400, "malformed_json", "消息不是有效的 JSON。"),
        ("BIN-A", "A", "[1, 2]", 400, "malformed_json", "消息必须是 JSON 对象。"),
        ("BIN-A", "A", {"values": {"fill": 120}}, 422, "out_of_range", "fill = 120.0 超出 0–100。"),
        ("BIN-A", "A", {"values": {"depth": 1}}, 422, "unknown_metric", "该设备类型不上报 depth。"),
        ("BIN-A", "A", {"values": {"fill": "x"}}, 422, "invalid_value", "fill 的值不是数字。"),
        ("BIN-A", "A", {"values": {}}, 422, "no_values", "消息中没有数值。"),
        (
            "BIN-A",
            "A",
            {"values": {"fill": 1}, "ts": "soon"},
            422,
            "invalid_time",
            "时间不是 ISO 8601 格式或 Unix 秒数。",
        ),
    ],
)
def test_errors_have_stable_codes_and_chinese_messages(
    iot: Iot, code: str, secret: str | None, body: Any, status: int, error: str, message: str
) -> None:
    response = post(code, body, iot.secret_a if secret == "A" else secret)
    assert response.status_code == status
    assert response.json() == {"code": error, "message": message}
    assert Device.objects.get(code="BIN-A").last_seen_at is None


def test_an_alarm_needs_a_code(iot: Iot) -> None:
    response = post("BIN-A", {"message": "?"}, iot.secret_a, kind="alarm")
    assert response.status_code == 422 and response.json()["code"] == "invalid_alarm_code"


def test_one_device_cannot_post_for_another(iot: Iot) -> None:
    assert post("BIN-B", {"values": {"fill": 1}}, iot.secret_a).status_code == 401


def test_a_new_secret_replaces_the_old_one(iot: Iot, org: Org) -> None:
    admin = Client(headers={"Authorization": f"Bearer {token_for(org.user('county', 'admin'))}"})
    response = admin.post("/api/v1/iot/devices/BIN-A/secret")
    assert response.status_code == 200
    new = response.json()["secret"]
    assert post("BIN-A", {"values": {"fill": 1}}, iot.secret_a).status_code == 401
    assert post("BIN-A", {"values": {"fill": 1}}, new).status_code == 202


def test_an_inactive_device_is_refused(iot: Iot) -> None:
    Device.objects.filter(code="BIN-A").update(is_active=False)
    assert post("BIN-A", {"values": {"fill": 1}}, iot.secret_a).json()["code"] == "device_auth_failed"
