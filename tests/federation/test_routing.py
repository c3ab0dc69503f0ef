"""Routing at the hub: A → B → … by category and region; none left: the operator decides."""

from __future__ import annotations

import json

import pytest

from jiceng.core.errors import NotFound, PermissionDenied
from jiceng.federation import routing
from jiceng.federation.models import MessageType, OutboxMessage, RoutedEvent, RouteHop, RouteState, System
from tests.conftest import Org
from tests.federation.conftest import envelope, post
from tests.federation.test_inbox import escalate


def out(type: str) -> list[tuple[str, dict]]:
    return [
        (m.target.code, json.loads(m.payload))
        for m in OutboxMessage.objects.filter(type=type).select_related("target").order_by("id")
    ]


def from_department(code: str, type: str, payload: dict, sequence: int, routed: RoutedEvent) -> dict:
    return envelope(type, payload, source=code, correlation=routed.correlation, sequence=sequence)


def test_candidates_by_category_region_and_order(hub_peers: dict[str, System]) -> None:
    assert [s.code for s in routing.candidates_for("0501", "330199001000")] == ["DEPT-A", "DEPT-B"]
    assert [s.code for s in routing.candidates_for("D0101", "330201001000")] == ["DEPT-C"]
    assert routing.candidates_for("D0101", "330199001000") == []


def test_return_moves_to_next_then_resolution_goes_to_county(hub_peers: dict[str, System]) -> None:
    post(escalate())
    routed = RoutedEvent.objects.get()
    assert [code for code, _ in out(MessageType.ASSIGN)] == ["DEPT-A"]
    # Department B may not answer for A's assignment: logged and ignored.
    post(from_department("DEPT-B", MessageType.RESOLVED, {"result": "抢答"}, 1, routed))
    routed.refresh_from_db()
    assert routed.state == RouteState.ASSIGNED and routed.department.code == "DEPT-A"
    post(from_department("DEPT-A", MessageType.RETURN, {"comment": "不属于本部门职责"}, 1, routed))
    routed.refresh_from_db()
    assert routed.department.code == "DEPT-B" and routed.tried == ["DEPT-A", "DEPT-B"]
    post(from_department("DEPT-B", MessageType.RESOLVED, {"result": "已拆除"}, 2, routed))
    routed.refresh_from_db()
    assert routed.state == RouteState.RESOLVED and routed.resolution == "已拆除"
    assert list(RouteHop.objects.filter(routed=routed).values_list("action", "system")) == [
        ("received", "330199"),
        ("assigned", "DEPT-A"),
        ("ignored", "DEPT-B"),
        ("returned", "DEPT-A"),
        ("assigned", "DEPT-B"),
        ("resolved", "DEPT-B"),
    ]
    to_county = OutboxMessage.objects.filter(target__code="330199").order_by("sequence")
    assert [m.type for m in to_county] == [
        MessageType.PROGRESS,
        MessageType.PROGRESS,
        MessageType.PROGRESS,
        MessageType.RESOLVED,
    ]
    assert [m.sequence for m in to_county] == [1, 2, 3, 4]
    assert json.loads(to_county.last().payload) == {"result": "已拆除", "department": "部门B"}


def test_none_left_operator_decides(hub_peers: dict[str, System], org: Org) -> None:
    post(escalate())
    routed = RoutedEvent.objects.get()
    for n, code in enumerate(["DEPT-A", "DEPT-B"], start=1):
        post(from_department(code, MessageType.RETURN, {"comment": "非本部门"}, 1, routed))
        assert n
    routed.refresh_from_db()
    assert routed.state == RouteState.AWAITING_OPERATOR and routed.department is None
    operator = org.user("county", "hub_operator")
    with pytest.raises(PermissionDenied):
        routing.operator_assign(org.user("county", "handler"), routed.pk, "DEPT-C")
    # An operator of another jurisdiction does not see it (the neighbouring county's region).
    routed_other = RoutedEvent.objects.filter(pk=routed.pk)
    routed_other.update(region_code="330198001000")
    with pytest.raises(NotFound):
        routing.operator_assign(operator, routed.pk, "DEPT-C")
    routed_other.update(region_code="330199001000")
    routing.operator_assign(operator, routed.pk, "DEPT-C", comment="请生态环境部门协助")
    routed.refresh_from_db()
    assert routed.state == RouteState.ASSIGNED and routed.department.code == "DEPT-C"
    routing.operator_resolve(operator, routed.pk, result="已协调两部门联合执法")
    assert RoutedEvent.objects.get().state == RouteState.RESOLVED
    assert out(MessageType.RESOLVED)[-1] == (
        "330199",
        {"result": "已协调两部门联合执法", "department": "协同平台"},
    )


def test_feedback_closes_and_reaches_the_department(hub_peers: dict[str, System]) -> None:
    post(escalate())
    routed = RoutedEvent.objects.get()
    post(from_department("DEPT-A", MessageType.RESOLVED, {"result": "已处理"}, 1, routed))
    feedback = envelope(
        MessageType.FEEDBACK,
        {"action": "verify_pass", "comment": "核查属实"},
        correlation="330199/1",
        sequence=2,
    )
    post(feedback)
    routed.refresh_from_db()
    assert routed.state == RouteState.CLOSED and routed.feedback["verify_pass"]["comment"] == "核查属实"
    assert out(MessageType.FEEDBACK) == [("DEPT-A", {"action": "verify_pass", "comment": "核查属实"})]
