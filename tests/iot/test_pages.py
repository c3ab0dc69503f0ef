"""What an administrator meets when onboarding devices on the pages (not only through the API)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from jiceng.accounts.roles import Role
from jiceng.iot.models import Alarm, Device
from tests.conftest import Org
from tests.iot.conftest import Iot

pytestmark = pytest.mark.django_db

OUTSIDE_EVERY_GRID = {"lng": "100.5", "lat": "25.5"}


def editor(org: Org) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(org.user("county", Role.ADMIN))
    return client


def test_a_device_outside_every_grid_is_registered_with_the_region_the_message_asks_for(
    org: Org, iot: Iot
) -> None:
    """“该位置不在本平台的任何网格内，请指定区域” must name a field the form has."""
    client = editor(org)
    form = {"code": "BIN-X", "name": "路边垃圾桶", "device_type": "bin", **OUTSIDE_EVERY_GRID}
    html = client.post(reverse("iot:device_new"), form).content.decode()
    assert "请指定区域" in html and 'name="region_code"' in html
    assert not Device.objects.filter(code="BIN-X").exists()
    response = client.post(reverse("iot:device_new"), {**form, "region_code": org.regions["grid_a"].code})
    assert response.status_code == 200 and "dev_" in response.content.decode()
    assert Device.objects.get(code="BIN-X").region_code == org.regions["grid_a"].code


def test_the_device_page_says_where_the_device_sends_its_messages(org: Org, iot: Iot) -> None:
    html = editor(org).get(reverse("iot:device_detail", args=["BIN-A"])).content.decode()
    assert "http://testserver/api/v1/iot/devices/BIN-A/telemetry" in html
    assert "http://testserver/api/v1/iot/devices/BIN-A/alarm" in html
    assert "jiceng/devices/BIN-A/telemetry" in html and "jiceng/devices/BIN-A/alarm" in html
    assert "{&quot;values&quot;: {&quot;fill&quot;: 0, &quot;battery&quot;: 0}}" in html


def test_a_new_secret_is_asked_for_twice_and_never_cached(org: Org, iot: Iot) -> None:
    client = editor(org)
    html = client.get(reverse("iot:device_detail", args=["BIN-A"])).content.decode()
    assert "旧密钥立即失效" in html and "确认生成新密钥" in html
    response = client.post(reverse("iot:device_secret", args=["BIN-A"]))
    assert "dev_" in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    form = {"code": "BIN-N", "name": "新桶", "device_type": "bin", "lng": "120.01", "lat": "30.01"}
    assert "no-store" in client.post(reverse("iot:device_new"), form)["Cache-Control"]


def test_readers_see_no_connection_details(org: Org, iot: Iot) -> None:
    client = Client()
    client.force_login(org.user("a", Role.GRID_WORKER))
    html = client.get(reverse("iot:device_detail", args=["BIN-A"])).content.decode()
    assert "X-Device-Secret" not in html and "iot:device_secret" not in html


def api(user: object) -> Client:
    from tests.conftest import token_for

    return Client(headers={"Authorization": f"Bearer {token_for(user)}"}, HTTP_ACCEPT_LANGUAGE="zh-hans")


def test_a_county_adds_a_device_type_its_detectors_need(org: Org, iot: Iot) -> None:
    """Types were only seeded: a county with gas detectors, or a sensor of another metric, was stuck."""
    body = {
        "name": "可燃气体探测器",
        "domain": "security",
        "offline_after_minutes": 120,
        "metrics": [{"key": "gas", "name": "可燃气体浓度", "unit": "%LEL", "min": 0, "max": 100}],
    }
    county = api(org.user("county", Role.ADMIN))
    response = county.put("/api/v1/iot/device-types/gas_detector", body, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["metrics"][0]["key"] == "gas"
    town = api(org.user("a", Role.ADMIN))
    body["name"] = "改名"
    assert (
        town.put("/api/v1/iot/device-types/gas_detector", body, content_type="application/json").status_code
        == 403
    )
    bad = {**body, "metrics": [{"key": "gas", "min": 10, "max": 0}]}
    response = county.put("/api/v1/iot/device-types/gas_detector", bad, content_type="application/json")
    assert response.status_code == 422 and response.json()["code"] == "invalid_metrics"


def test_a_metric_an_alarm_rule_uses_is_not_dropped_silently(org: Org, iot: Iot) -> None:
    body = {
        "name": "垃圾桶满溢监测",
        "domain": "garbage",
        "metrics": [{"key": "battery", "min": 0, "max": 100}],
    }
    response = api(org.user("county", Role.ADMIN)).put(
        "/api/v1/iot/device-types/bin", body, content_type="application/json"
    )
    assert response.status_code == 422 and response.json()["code"] == "metric_in_use"
    assert "垃圾桶满溢" in response.json()["message"]


def test_a_refused_rule_shows_why_instead_of_folding_the_form_away(org: Org, iot: Iot) -> None:
    rule = {
        "name": "一氧化碳",
        "device_type": "bin",
        "kind": "threshold",
        "metric": "co",
        "comparison": "gt",
        "threshold": "50",
        "consecutive": "1",
        "hold_seconds": "0",
        "cooldown_minutes": "30",
        "category_code": "0301",
        "urgency": "normal",
    }
    html = editor(org).post(reverse("iot:rules"), rule).content.decode()
    assert '<details class="panel" open>' in html
    assert "该设备类型不上报此指标" in html


@pytest.mark.parametrize("name", ["iot:devices", "iot:alarms", "iot:rules"])
def test_the_tabs_are_styled_by_a_stylesheet_the_page_loads(org: Org, iot: Iot, name: str) -> None:
    """The tabs' rules were only in the event pages' CSS: here they ran together as plain links."""
    import re
    from pathlib import Path

    from django.contrib.staticfiles import finders

    html = editor(org).get(reverse(name)).content.decode()
    assert '<nav class="tabs">' in html
    sheets = re.findall(r'<link rel="stylesheet" href="/static/([^"]+)">', html)
    css = "".join(Path(str(finders.find(s))).read_text(encoding="utf-8") for s in sheets)
    assert ".tabs {" in css and ".tab.active {" in css


def test_the_rule_form_offers_categories_and_codes_instead_of_asking_to_type_them(org: Org, iot: Iot) -> None:
    """“事件分类（末级编码）” and “指标或告警代码” were free text: an administrator had to know CG0409 and
    temperature by heart."""
    html = editor(org).get(reverse("iot:rules")).content.decode()
    assert '<select name="category_code"' in html and '<option value="0301">' in html
    assert "fill (满溢度)" in html and "battery (电量)" in html and "smoke (烟雾报警)" in html


def test_a_township_admin_is_asked_for_the_device_before_sending_a_rule(org: Org, iot: Iot) -> None:
    """Type-wide rules are the county's: a township admin filled the whole form and met a 403 page."""
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(org.user("a", Role.ADMIN))
    rule = {
        "name": "本镇满溢",
        "device_type": "bin",
        "kind": "threshold",
        "metric": "fill",
        "comparison": "ge",
        "threshold": "80",
        "consecutive": "1",
        "hold_seconds": "0",
        "cooldown_minutes": "30",
        "category_code": "0301",
        "urgency": "normal",
    }
    response = client.post(reverse("iot:rules"), rule)
    assert response.status_code == 200
    html = response.content.decode()
    assert "这里只能为本辖区的一台设备添加规则" in html and "此项为必填项" in html
    assert client.post(reverse("iot:rules"), {**rule, "device": "BIN-A"}).status_code == 302
    # The county's rule of the type is listed, not offered for editing.
    assert (
        f'href="{reverse("iot:rule_edit", args=[iot.rule.pk])}"'
        not in client.get(reverse("iot:rules")).content.decode()
    )
    assert client.get(reverse("iot:rule_edit", args=[iot.rule.pk])).status_code == 403


def test_the_device_list_filters_by_a_region_chosen_by_name(org: Org, iot: Iot) -> None:
    """The filter asked for a region code: nobody at the county knows 330199001001001 by heart."""
    client = editor(org)
    html = client.get(reverse("iot:devices")).content.decode()
    assert '<select id="region" name="region">' in html
    assert '<option value="330199001">A镇</option>' in html
    assert '<option value="330199001001">　A村</option>' in html
    assert '<option value="330199001001001">　　A村第一网格</option>' in html
    town_a = client.get(reverse("iot:devices"), {"region": "330199001"}).content.decode()
    assert "BIN-A" in town_a and "BIN-B" not in town_a
    assert '<option value="330199001" selected>A镇</option>' in town_a
    # A township's admin is offered only their own township.
    client.force_login(org.user("a", Role.ADMIN))
    assert "B镇" not in client.get(reverse("iot:devices")).content.decode()


def test_an_event_an_alarm_opened_leads_to_the_device(org: Org, iot: Iot) -> None:
    """The dispatcher who gets “垃圾桶满溢：A村垃圾桶” can open the device's readings from the event."""
    from datetime import timedelta

    from django.utils import timezone

    from jiceng.iot.ingest import TELEMETRY, ingest

    t0 = timezone.now() - timedelta(minutes=10)
    for minute in (0, 1):
        ingest(
            "BIN-A", TELEMETRY, {"ts": (t0 + timedelta(minutes=minute)).isoformat(), "values": {"fill": 95}}
        )
    event_id = Alarm.objects.get(device__code="BIN-A").event_id
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(org.user("a", Role.DISPATCHER))
    link = reverse("iot:event_device", args=[event_id])
    assert f'href="{link}"' in client.get(reverse("events:detail", args=[event_id])).content.decode()
    response = client.get(link)
    assert response.status_code == 302 and response["Location"] == reverse(
        "iot:device_detail", args=["BIN-A"]
    )
    outsider = Client()
    outsider.force_login(org.user("b", Role.DISPATCHER))
    assert outsider.get(link).status_code == 404
