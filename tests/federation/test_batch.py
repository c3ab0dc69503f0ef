"""A POST of many messages: applied together with bulk statements, with the same outcome as one by one
(one bad message does not hold up the others; duplicates applied once; per-event order kept)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext

from jiceng.federation import messaging
from jiceng.federation.models import (
    InboxCursor,
    InboxMessage,
    InboxState,
    MessageType,
    OutboxMessage,
    ProvinceRecord,
    RejectedMessage,
    RoutedEvent,
    RouteHop,
    RouteState,
    SequenceCounter,
    System,
)
from tests.federation.conftest import COUNTY_CODE, envelope, post
from tests.federation.test_inbox import ESCALATE, escalate


def escalations(n: int, first: int = 1) -> list[dict[str, Any]]:
    return [escalate(correlation=f"330199/{i}") for i in range(first, first + n)]


def hops(routed: RoutedEvent) -> list[str]:
    return list(RouteHop.objects.filter(routed=routed).values_list("action", flat=True))


def test_a_batch_is_routed_like_single_messages(hub_peers: dict[str, System]) -> None:
    unrouted = envelope(
        MessageType.ESCALATE, {**ESCALATE, "category": "9901"}, correlation="330199/9", sequence=1
    )
    body = [*escalations(3), unrouted]
    with CaptureQueriesContext(connection) as queries:
        status, results = post({"messages": body})
    assert status == 200 and list(results.values()) == ["accepted"] * 4
    assert len(queries) < 40  # bulk statements, not ~20 per message
    for routed in RoutedEvent.objects.exclude(county_ref="330199/9"):
        assert routed.state == RouteState.ASSIGNED and routed.department == hub_peers["a"]
        assert routed.tried == ["DEPT-A"] and routed.candidates == ["DEPT-A", "DEPT-B"]
        assert routed.version == 2 and hops(routed) == ["received", "assigned"]
    alone = RoutedEvent.objects.get(county_ref="330199/9")
    assert alone.state == RouteState.AWAITING_OPERATOR and alone.department is None and alone.tried == []
    assert hops(alone) == ["received", "awaiting_operator"]
    sent = [
        (m.target.code, m.type, m.correlation, m.sequence)
        for m in OutboxMessage.objects.select_related("target").order_by("id")
    ]
    routed = {r.county_ref: r for r in RoutedEvent.objects.all()}
    expected = []
    for n in (1, 2, 3):
        expected.append(("DEPT-A", MessageType.ASSIGN, routed[f"330199/{n}"].correlation, 1))
        expected.append((COUNTY_CODE, MessageType.PROGRESS, f"330199/{n}", 1))
    assert sent == [*expected, (COUNTY_CODE, MessageType.PROGRESS, "330199/9", 1)]
    assignment = json.loads(OutboxMessage.objects.filter(type=MessageType.ASSIGN).first().payload)  # type: ignore[union-attr]
    assert assignment["county"] == "测试县" and assignment["title"] == ESCALATE["title"]
    assert set(InboxMessage.objects.values_list("state", flat=True)) == {InboxState.PROCESSED}
    assert InboxCursor.objects.filter(last=1).count() == 4


def test_one_bad_message_does_not_reject_the_others(hub_peers: dict[str, System]) -> None:
    good = escalations(2)
    forged = escalate(correlation="330199/3")
    forged["payload"] = {**forged["payload"], "title": "改过的标题"}
    # Signed and fresh, but its handler fails (no category): rolled back alone, marked failed.
    broken = envelope(
        MessageType.ESCALATE,
        {k: v for k, v in ESCALATE.items() if k != "category"},
        correlation="330199/4",
        sequence=1,
    )
    last = escalate(correlation="330199/5")
    status, results = post({"messages": [good[0], forged, broken, good[1], last]})
    assert status == 200
    assert results == {
        good[0]["id"]: "accepted",
        forged["id"]: "rejected:bad_signature",
        broken["id"]: "accepted",
        good[1]["id"]: "accepted",
        last["id"]: "accepted",
    }
    assert set(RoutedEvent.objects.values_list("county_ref", flat=True)) == {
        "330199/1",
        "330199/2",
        "330199/5",
    }
    failed = InboxMessage.objects.get(message_id=broken["id"])
    assert failed.state == InboxState.FAILED and failed.error
    assert not InboxMessage.objects.filter(message_id=forged["id"]).exists()
    assert list(RejectedMessage.objects.values_list("reason", flat=True)) == ["bad_signature"]
    # The failed message does not block its conversation's next message.
    assert InboxCursor.objects.get(correlation="330199/4").last == 1


def test_a_message_from_the_wrong_kind_of_system_fails_alone(hub_peers: dict[str, System]) -> None:
    # A department may not escalate: the batch handler refuses, the batch is redone one by one.
    foreign = envelope(MessageType.ESCALATE, ESCALATE, source="DEPT-A", correlation="x/1", sequence=1)
    body = [*escalations(2), foreign]
    assert list(post({"messages": body})[1].values()) == ["accepted"] * 3
    assert RoutedEvent.objects.count() == 2
    assert InboxMessage.objects.get(message_id=foreign["id"]).state == InboxState.FAILED


def test_a_failing_batch_statement_falls_back_to_one_by_one(
    hub_peers: dict[str, System], monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*args: Any, **kwargs: Any) -> None:
        raise DatabaseError("simulated")

    monkeypatch.setattr(messaging, "_apply", fail)
    assert list(post({"messages": escalations(3)})[1].values()) == ["accepted"] * 3
    assert RoutedEvent.objects.count() == 3 and InboxMessage.objects.count() == 3
    assert OutboxMessage.objects.count() == 6


def test_duplicates_in_one_batch_and_across_batches_are_applied_once(hub_peers: dict[str, System]) -> None:
    first, second = escalations(2)
    status, results = post({"messages": [first, first, second]})
    assert status == 200 and results == {first["id"]: "duplicate", second["id"]: "accepted"}
    assert RoutedEvent.objects.count() == 2 and InboxMessage.objects.count() == 2
    (third,) = escalations(1, first=3)
    assert post({"messages": [second, third, first]})[1] == {
        second["id"]: "duplicate",
        third["id"]: "accepted",
        first["id"]: "duplicate",
    }
    assert RoutedEvent.objects.count() == 3 and InboxMessage.objects.count() == 3
    assert OutboxMessage.objects.filter(type=MessageType.PROGRESS).count() == 3
    assert RejectedMessage.objects.filter(reason="replay").count() == 3


def test_order_per_event_is_kept_within_and_across_batches(hub_peers: dict[str, System]) -> None:
    def msg(type: str, payload: dict[str, Any], n: int, sequence: int) -> dict[str, Any]:
        return envelope(type, payload, correlation=f"330199/{n}", sequence=sequence)

    recall_1 = msg(MessageType.RECALL, {"comment": "已自行解决"}, 1, 3)
    assert post({"messages": [recall_1]})[1] == {recall_1["id"]: "held"}
    # Event 1: feedback (2) before escalation (1) in the same POST, the recall (3) held from before.
    # Event 2: escalation only. Event 3: its second message only: held.
    feedback_1 = msg(MessageType.FEEDBACK, {"action": "remind", "comment": "请尽快"}, 1, 2)
    body = [
        feedback_1,
        escalate(correlation="330199/2"),
        escalate(correlation="330199/1"),
        msg(MessageType.RECALL, {}, 3, 2),
    ]
    results = post({"messages": body})[1]
    assert list(results.values()) == ["held", "accepted", "accepted", "held"]
    one = RoutedEvent.objects.get(county_ref="330199/1")
    assert one.state == RouteState.RECALLED and "remind" in one.feedback
    assert hops(one) == ["received", "assigned", "feedback", "recalled"]
    assert RoutedEvent.objects.get(county_ref="330199/2").state == RouteState.ASSIGNED
    assert InboxCursor.objects.get(correlation="330199/1").last == 3
    assert InboxCursor.objects.get(correlation="330199/3").last == 0
    assert set(InboxMessage.objects.filter(correlation="330199/1").values_list("state", flat=True)) == {
        InboxState.PROCESSED
    }
    # Department A hears of event 1 in the same order (sequence per correlation).
    to_a = OutboxMessage.objects.filter(target__code="DEPT-A", correlation=one.correlation).order_by("id")
    assert [(m.type, m.sequence) for m in to_a] == [
        (MessageType.ASSIGN, 1),
        (MessageType.FEEDBACK, 2),
        (MessageType.RECALL, 3),
    ]
    # A sequence already processed, sent again under a new id: kept as failed, changes nothing.
    again = msg(MessageType.RECALL, {}, 1, 2)
    assert post({"messages": [again, escalate(correlation="330199/4")]})[1][again["id"]] == "accepted"
    assert InboxMessage.objects.get(message_id=again["id"]).state == InboxState.FAILED


def test_enqueue_many_continues_the_sequences(hub_peers: dict[str, System]) -> None:
    county, a = hub_peers["county"], hub_peers["a"]
    messaging.enqueue(county, MessageType.PROGRESS, {"n": 0}, correlation="330199/1")
    rows = messaging.enqueue_many(
        [
            (county, MessageType.PROGRESS, {"n": 1}, "330199/1"),
            (a, MessageType.ASSIGN, {"n": 2}, "hub/1"),
            (county, MessageType.PROGRESS, {"n": 3}, "330199/1"),
            (county, MessageType.SYNC, {"n": 4}, ""),
        ]
    )
    assert [r.sequence for r in rows] == [2, 1, 3, 0]
    messaging.enqueue(county, MessageType.PROGRESS, {"n": 5}, correlation="330199/1")
    assert SequenceCounter.objects.get(target=county, correlation="330199/1").last == 4
    assert [json.loads(m.payload)["n"] for m in OutboxMessage.objects.order_by("id")] == [0, 1, 2, 3, 4, 5]


def person(record_id: int, version: int, name: str) -> dict[str, Any]:
    return {
        "id": record_id,
        "version": version,
        "deleted": False,
        "name": name,
        "key": "",
        "region": "330199001001",
        "updated_at": "2026-11-26T10:00:00+00:00",
    }


def sync(*records: dict[str, Any]) -> dict[str, Any]:
    return envelope(MessageType.SYNC, {"kind": "person", "records": list(records)})


def test_sync_batches_keep_the_newest_version(hub_peers: dict[str, System]) -> None:
    body = [
        sync(person(1, 1, "甲1"), person(2, 2, "乙2")),
        sync(person(1, 2, "甲2"), person(2, 1, "乙1"), person(3, 1, "丙1")),
        sync(person(3, 1, "丙-同版本")),
    ]
    assert list(post({"messages": body})[1].values()) == ["accepted"] * 3
    stored = {r.record_id: (r.version, r.name) for r in ProvinceRecord.objects.all()}
    assert stored == {1: (2, "甲2"), 2: (2, "乙2"), 3: (1, "丙1")}
    # Later: an older version changes nothing, a newer one replaces the record.
    post({"messages": [sync(person(1, 1, "旧")), sync(person(2, 3, "乙3"))]})
    stored = {r.record_id: (r.version, r.name) for r in ProvinceRecord.objects.all()}
    assert stored == {1: (2, "甲2"), 2: (3, "乙3"), 3: (1, "丙1")}
    assert json.loads(ProvinceRecord.objects.get(record_id=2).data)["name"] == "乙3"


def test_sync_from_a_department_fails_alone(hub_peers: dict[str, System]) -> None:
    good = sync(person(1, 1, "甲"))
    foreign = envelope(MessageType.SYNC, {"kind": "person", "records": [person(2, 1, "乙")]}, source="DEPT-A")
    assert list(post({"messages": [good, foreign]})[1].values()) == ["accepted", "accepted"]
    assert list(ProvinceRecord.objects.values_list("record_id", flat=True)) == [1]
    assert InboxMessage.objects.get(message_id=foreign["id"]).state == InboxState.FAILED
