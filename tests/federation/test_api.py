"""The registration API, the operators' health page and the department system's pages."""

from __future__ import annotations

from typing import Any

from jiceng.core.crypto import decrypt
from jiceng.federation import messaging
from jiceng.federation.county import county_region
from jiceng.federation.models import DepartmentTask, MessageType, OutboxMessage, System, SystemKind, TaskState
from tests.conftest import Org
from tests.federation.conftest import envelope, post, system


def test_register_rotate_and_list(org: Org, api_as: Any, as_hub: None) -> None:
    operator = api_as(org.user("county", "hub_operator"))
    body = {
        "code": "DEPT-ZJ",
        "name": "住建厅执法系统",
        "kind": "department",
        "inbox_url": "https://zj.example.gov.cn/federation/inbox",
        "categories": ["05"],
        "regions": ["33"],
    }
    response = operator.post_json("/api/v1/federation/systems", body)
    assert response.status_code == 201
    key = response.json()["key"]
    stored = System.objects.get(code="DEPT-ZJ")
    # The key is kept encrypted: the column holds ciphertext, decrypting gives the key shown once.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT key FROM federation_system WHERE code = %s", ["DEPT-ZJ"])
        raw = cursor.fetchone()[0]
    assert key not in raw and decrypt(raw) == key == stored.key
    assert operator.post_json("/api/v1/federation/systems", body).json()["code"] == "duplicate_system"
    bad = operator.post_json("/api/v1/federation/systems", {**body, "code": "X", "inbox_url": "ftp://x"})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_url"
    assert not System.objects.filter(code="X").exists()

    rotated = operator.post_json("/api/v1/federation/systems/DEPT-ZJ/rotate-key", {}).json()
    assert rotated["key"] != key and rotated["system"]["rotating"]
    listed = operator.get("/api/v1/federation/systems").json()
    assert [p["system"]["code"] for p in listed] == ["DEPT-ZJ"] and listed[0]["queued"] == 0

    for role in ("handler", "county_center"):
        other = api_as(org.user("county", role))
        assert other.post_json("/api/v1/federation/systems", {**body, "code": "Y"}).status_code == 403
        assert other.get("/api/v1/federation/systems").status_code == 403
        assert other.post_json("/api/v1/federation/systems/DEPT-ZJ/rotate-key", {}).status_code == 403
    assert api_as(None).get("/api/v1/federation/systems").status_code == 401


def test_health_page_for_operators_only(org: Org, page_as: Any, as_hub: None) -> None:
    county = system("330199", SystemKind.COUNTY, name="测试县")
    messaging.enqueue(county, MessageType.PROGRESS, {"comment": "x"}, correlation="330199/1")
    page = page_as(org.user("county", "hub_operator")).get("/federation/")
    assert page.status_code == 200 and "测试县" in page.content.decode()
    assert page_as(org.user("a", "dispatcher")).get("/federation/").status_code == 403


def test_health_page_names_this_platform_by_name_and_role(org: Org, page_as: Any, settings: Any) -> None:
    settings.PLATFORM_ROLE, settings.PLATFORM_CODE, settings.PLATFORM_NAME = "county", "", ""
    html = page_as(org.user("county", "hub_operator")).get("/federation/").content.decode()
    assert f"本平台：{county_region().name} · 县级平台" in html and "未设置平台编码" in html
    assert "LOCAL" not in html and "（county）" not in html
    settings.PLATFORM_ROLE, settings.PLATFORM_CODE, settings.PLATFORM_NAME = "hub", "HUB-ZJ", "浙江省协同平台"
    html = page_as(org.user("county", "hub_operator")).get("/federation/").content.decode()
    assert "本平台：浙江省协同平台 · 省级协同平台" in html and "平台编码 HUB-ZJ" in html
    settings.PLATFORM_NAME = ""
    html = page_as(org.user("county", "hub_operator")).get("/federation/").content.decode()
    assert "本平台：省级协同平台" in html and "HUB-ZJ" in html


def test_department_handlers_answer_assignments(
    org: Org, api_as: Any, page_as: Any, as_department: None
) -> None:
    hub = system("HUB", SystemKind.HUB, name="协同平台")
    post(
        envelope(
            MessageType.ASSIGN,
            {"title": "违建", "category_name": "违法建设", "county": "测试县"},
            source="HUB",
            target="DEPT-A",
            correlation="hub/7",
            sequence=1,
        )
    )
    task = DepartmentTask.objects.get()
    assert task.hub == hub and task.state == TaskState.NEW
    handler = org.user("county", "handler")
    assert page_as(handler).get("/federation/tasks/").status_code == 200
    assert (
        api_as(org.user("a", "grid_worker"))
        .post_json(f"/api/v1/federation/tasks/{task.pk}/accept", {})
        .status_code
        == 403
    )
    client = api_as(handler)
    assert client.post_json(f"/api/v1/federation/tasks/{task.pk}/accept", {}).json()["state"] == "accepted"
    missing = client.post_json(f"/api/v1/federation/tasks/{task.pk}/resolve", {})
    assert missing.status_code == 422
    stale = client.post_json(
        f"/api/v1/federation/tasks/{task.pk}/resolve", {"comment": "已处理", "version": 1}
    )
    assert stale.status_code == 409
    done = client.post_json(
        f"/api/v1/federation/tasks/{task.pk}/resolve", {"comment": "已处理", "version": 2}
    )
    assert done.json()["state"] == "resolved"
    assert client.post_json(f"/api/v1/federation/tasks/{task.pk}/return", {"comment": "x"}).status_code == 409
    sent = list(OutboxMessage.objects.order_by("id").values_list("type", "sequence"))
    assert sent == [(MessageType.PROGRESS, 1), (MessageType.RESOLVED, 2)]


def test_hub_pages_show_the_route_and_take_the_operators_decision(
    org: Org, page_as: Any, hub_peers: dict[str, System]
) -> None:
    from jiceng.federation.models import RoutedEvent
    from tests.federation.test_inbox import escalate

    post(escalate())
    routed = RoutedEvent.objects.get()
    operator = page_as(org.user("county", "hub_operator"))
    assert "基本农田违建" in operator.get("/federation/routes/").content.decode()
    page = operator.get(f"/federation/routes/{routed.pk}/")
    assert page.status_code == 200 and "部门A" in page.content.decode()
    response = operator.post(f"/federation/routes/{routed.pk}/", {"resolve": "1", "result": "已协调处理"})
    assert response.status_code == 302
    routed.refresh_from_db()
    assert routed.state == "resolved" and routed.resolution == "已协调处理"
    assert page_as(org.user("a", "dispatcher")).get(f"/federation/routes/{routed.pk}/").status_code == 403


def test_county_escalation_page(org: Org, page_as: Any, categories: Any, as_county: None) -> None:
    from jiceng.events.actions import perform, report_event

    system("HUB", SystemKind.HUB, name="省协同平台")
    center = org.user("county", "county_center")
    event, _ = report_event(center, category="0301", title="跨县垃圾", source="hotline", region_code="330199")
    perform(center, event.pk, "accept")
    client = page_as(center)
    response = client.post("/federation/escalations/", {"event_id": event.pk, "comment": "县级无法办结"})
    assert response.status_code == 302 and response["Location"] == f"/events/{event.pk}/"
    assert "跨县垃圾" in client.get("/federation/escalations/").content.decode()
    # Township B's dispatcher neither sees it nor can escalate it.
    other = page_as(org.user("b", "dispatcher"))
    assert "跨县垃圾" not in other.get("/federation/escalations/").content.decode()
    # … told on the form, as for a number that does not exist (nothing learnt about other jurisdictions).
    refused = other.post("/federation/escalations/", {"event_id": event.pk, "comment": "x"})
    assert refused.status_code == 200 and "您的辖区内没有这个编号的事件" in refused.content.decode()
