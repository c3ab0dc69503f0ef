"""The county side: escalation through the events workflow, the hub's answers carried into the event's
loop, the feedback sent up, and base data synced and queried across counties."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any
from unittest import mock

import pytest
from django.utils import timezone

from jiceng.core.errors import NotFound, PermissionDenied
from jiceng.core.validators import make_id_number
from jiceng.events.actions import perform, report_event
from jiceng.events.models import Event, EventCategory, EventFlow, EventState
from jiceng.federation import county, sync
from jiceng.federation.models import (
    EscalationLink,
    MessageType,
    OutboxMessage,
    ProvinceRecord,
    SyncCursor,
    System,
    SystemKind,
)
from jiceng.registry import actions as registry_actions
from tests.conftest import Org
from tests.federation.conftest import COUNTY_CODE, envelope, post, system


@pytest.fixture
def hub(org: Org, as_county: None) -> System:
    return system("HUB", SystemKind.HUB, name="省协同平台")


def county_event(org: Org, categories: dict[str, EventCategory]) -> Event:
    center = org.user("county", "county_center")
    event, _ = report_event(
        center, category="0301", title="跨县河道垃圾", source="hotline", region_code=COUNTY_CODE
    )
    return perform(center, event.pk, "accept")


def from_hub(event: Event, type: str, payload: dict[str, Any], sequence: int) -> dict[str, Any]:
    return envelope(
        type,
        payload,
        source="HUB",
        target=COUNTY_CODE,
        correlation=f"{COUNTY_CODE}/{event.pk}",
        sequence=sequence,
    )


def test_escalation_dispatches_links_and_queues_in_one_transaction(
    hub: System, org: Org, categories: dict[str, EventCategory]
) -> None:
    event = county_event(org, categories)
    center = org.user("county", "county_center")
    # Someone from township B does not see the event: 404, nothing changes.
    with pytest.raises(NotFound):
        county.escalate_to_hub(org.user("b", "dispatcher"), event.pk, comment="越权")
    # A failure while queueing the message rolls back the dispatch too.
    with (
        mock.patch.object(county, "enqueue", side_effect=RuntimeError("disk full")),
        pytest.raises(RuntimeError),
    ):
        county.escalate_to_hub(center, event.pk, comment="县级无法办结")
    assert Event.objects.get(pk=event.pk).state == EventState.PENDING_DISPATCH
    assert not EscalationLink.objects.exists() and not OutboxMessage.objects.exists()

    link = county.escalate_to_hub(center, event.pk, comment="县级无法办结")
    event.refresh_from_db()
    assert event.state == EventState.DISPATCHED and event.lead_unit.code == "HUB-HUB"
    message = OutboxMessage.objects.get()
    assert (
        message.type == MessageType.ESCALATE
        and message.correlation == link.correlation == f"330199/{event.pk}"
    )
    payload = json.loads(message.payload)
    assert payload["category"] == "0301" and "reporter_phone" not in payload


def test_hub_answers_carry_the_loop_and_feedback_goes_up(
    hub: System, org: Org, categories: dict[str, EventCategory]
) -> None:
    event = county_event(org, categories)
    center = org.user("county", "county_center")
    county.escalate_to_hub(center, event.pk, comment="县级无法办结")
    resolved = from_hub(event, MessageType.RESOLVED, {"result": "已清理", "department": "部门B"}, 3)
    progress_2 = from_hub(event, MessageType.PROGRESS, {"comment": "部门A退回"}, 2)
    progress_1 = from_hub(event, MessageType.PROGRESS, {"comment": "已转交部门A", "department": "部门A"}, 1)
    # Out of order on the wire: held until the first arrives, then applied 1, 2, 3.
    assert list(post({"messages": [resolved, progress_2]})[1].values()) == ["held", "held"]
    assert Event.objects.get(pk=event.pk).state == EventState.DISPATCHED
    post(progress_1)
    event.refresh_from_db()
    assert event.state == EventState.HANDLED
    flows = list(EventFlow.objects.filter(event=event).values_list("action", "comment"))
    assert flows[-4:] == [
        ("sign", ""),
        ("progress", "已转交部门A"),
        ("progress", "部门A退回"),
        ("handle", "部门B：已清理"),
    ]
    assert EscalationLink.objects.get().state == "resolved"

    perform(center, event.pk, "verify_pass")
    feedback = OutboxMessage.objects.filter(type=MessageType.FEEDBACK).get()
    assert json.loads(feedback.payload)["action"] == "verify_pass" and feedback.sequence == 2
    assert EscalationLink.objects.get().state == "closed"


def test_events_without_a_hub_link_send_nothing(
    hub: System, org: Org, categories: dict[str, EventCategory]
) -> None:
    event = county_event(org, categories)
    center = org.user("county", "county_center")
    perform(center, event.pk, "dispatch", lead_unit="C-MZJ")
    assert not OutboxMessage.objects.exists()


def test_base_data_sync_and_cross_county_query(hub: System, org: Org, transport: Any, settings: Any) -> None:
    admin = org.user("county", "admin")
    people = [
        registry_actions.create(
            admin,
            "person",
            {
                "region": "330199001001",
                "name": name,
                "id_number": make_id_number("330199", date(1980, 1, n + 1), 100 + n),
                "phone": f"1380000000{n}",
                "population_type": "registered",
            },
        )
        for n, name in enumerate(["张三", "李四"])
    ]
    later = timezone.now() + timedelta(seconds=10)
    assert sync.queue_registry_changes(later) == 2
    assert sync.queue_registry_changes(later) == 0  # nothing new: nothing queued again
    registry_actions.delete(admin, people[1], "迁出")
    assert sync.queue_registry_changes(later + timedelta(seconds=10)) == 1
    assert SyncCursor.objects.get(kind="person").last_id == people[1].pk
    batches = [json.loads(m.payload) for m in OutboxMessage.objects.filter(type=MessageType.SYNC)]
    assert [len(b["records"]) for b in batches] == [2, 1] and batches[1]["records"][0]["deleted"]

    # The hub applies them (the same database plays the hub: its county peer is 330199).
    settings.PLATFORM_ROLE, settings.PLATFORM_CODE = "hub", "HUB"
    system(COUNTY_CODE, SystemKind.COUNTY, name="测试县")
    for n, batch in enumerate(batches + batches[:1]):  # the first batch twice: no effect the second time
        post(envelope(MessageType.SYNC, batch))
        assert n < 3
    rows = {r.name: r for r in ProvinceRecord.objects.all()}
    assert set(rows) == {"张三", "李四"} and rows["李四"].deleted and rows["李四"].version == 2

    # A county user queries the hub; the answer is masked and both sides audit it.
    def hub_data_service(url: str, body: dict[str, Any]) -> tuple[int, Any]:
        settings.PLATFORM_ROLE, settings.PLATFORM_CODE = "hub", "HUB"
        try:
            return sync.answer_query(body)
        finally:
            settings.PLATFORM_ROLE, settings.PLATFORM_CODE = "county", COUNTY_CODE

    transport(hub_data_service)
    settings.PLATFORM_ROLE, settings.PLATFORM_CODE = "county", COUNTY_CODE
    with pytest.raises(PermissionDenied):
        sync.query_hub(org.user("a", "grid_worker"), kind="person", name="张三", purpose="核实")
    (found,) = sync.query_hub(
        org.user("county", "county_center"),
        kind="person",
        key=make_id_number("330199", date(1980, 1, 1), 100),
        purpose="核实外县户籍",
    )
    assert found["name"] == "张三" and "*" in found["key"] and found["phone"] == "138****0000"
    assert (
        sync.query_hub(org.user("county", "county_center"), kind="person", name="李四", purpose="核实") == []
    )
    from jiceng.audit.models import AuditEntry

    assert {"federation.query", "federation.query.answer"} <= set(
        AuditEntry.objects.values_list("action", flat=True)
    )


def test_a_residents_rating_goes_up_without_their_name(
    hub: System, org: Org, categories: dict[str, EventCategory]
) -> None:
    from tests.conftest import make_user

    resident = make_user("liu", None, "resident")
    resident.full_name = "刘刚英"
    resident.save(update_fields=["full_name"])
    center = org.user("county", "county_center")
    event, _ = report_event(resident, category="0301", title="跨县河道垃圾", region_code=COUNTY_CODE)
    perform(center, event.pk, "accept")
    county.escalate_to_hub(center, event.pk, comment="县级无法办结")
    post(from_hub(event, MessageType.RESOLVED, {"result": "已清理", "department": "部门B"}, 1))
    perform(center, event.pk, "verify_pass")
    perform(resident, event.pk, "evaluate", evaluation="satisfied")
    sent = [json.loads(m.payload) for m in OutboxMessage.objects.filter(type=MessageType.FEEDBACK)]
    assert [p["action"] for p in sent] == ["verify_pass", "evaluate"]
    assert sent[0]["by"] == "county_county_center"  # staff are named
    assert sent[1]["by"] == "刘*英" and "刘刚英" not in json.dumps(sent, ensure_ascii=False)
