"""The hub's inbox: only signed, fresh, first-time messages from registered systems get in; per-event
order is kept by sequence (later messages wait for the gap)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from jiceng.federation import signing
from jiceng.federation.models import (
    InboxMessage,
    InboxState,
    MessageType,
    RejectedMessage,
    RoutedEvent,
    RouteState,
    System,
)
from jiceng.federation.systems import finish_rotation, rotate_key
from tests.conftest import Org
from tests.federation.conftest import COUNTY_CODE, envelope, post

ESCALATE = {
    "ref": "SJ202611260000001",
    "title": "基本农田违建",
    "category": "0501",
    "category_name": "违法建设",
    "region": "330199001000",
    "region_name": "A镇",
}


def escalate(correlation: str = "330199/1", sequence: int = 1, **kw: object) -> dict:
    return envelope(MessageType.ESCALATE, ESCALATE, correlation=correlation, sequence=sequence, **kw)  # type: ignore[arg-type]


def test_signed_message_is_processed(hub_peers: dict[str, System]) -> None:
    status, results = post({"messages": [escalate()]})
    assert status == 200 and list(results.values()) == ["accepted"]
    routed = RoutedEvent.objects.get()
    assert routed.county == hub_peers["county"] and routed.department == hub_peers["a"]
    assert routed.state == RouteState.ASSIGNED
    assert System.objects.get(code=COUNTY_CODE).last_contact_at is not None


def test_tampered_unsigned_stale_unknown_and_misaddressed_are_rejected_and_logged(
    hub_peers: dict[str, System],
) -> None:
    tampered = escalate()
    tampered["payload"] = {**tampered["payload"], "title": "改过的标题"}
    unsigned = escalate()
    del unsigned["signature"]
    stale = escalate(sent_at=timezone.now() - timedelta(minutes=10))
    unknown = escalate(source="330000")
    wrong_key = escalate(key="x" * 32)
    misaddressed = escalate(target="OTHER-HUB")
    cases = {
        "bad_signature": tampered,
        "unsigned": unsigned,
        "stale": stale,
        "unknown_source": unknown,
        "misaddressed": misaddressed,
    }
    for expected, message in cases.items():
        status, results = post(message)
        reason = "wrong_target" if expected == "misaddressed" else expected
        assert status == 403 and results == {message["id"]: f"rejected:{reason}"}, expected
    assert post(wrong_key)[1] == {wrong_key["id"]: "rejected:bad_signature"}
    assert post("not json at all")[0] == 403
    assert not RoutedEvent.objects.exists() and not InboxMessage.objects.exists()
    logged = set(RejectedMessage.objects.values_list("reason", flat=True))
    assert logged == {"bad_signature", "unsigned", "stale", "unknown_source", "wrong_target", "malformed"}


def test_replay_is_dropped_and_logged(hub_peers: dict[str, System]) -> None:
    message = escalate()
    assert post(message)[1] == {message["id"]: "accepted"}
    # The same message again, even freshly signed (a sender's retry after a lost answer, or a replay).
    again = signing.sign({k: v for k, v in message.items() if k != "signature"}, "k" * 32, timezone.now())
    assert post(again)[1] == {message["id"]: "duplicate"}
    assert post(message)[1] == {message["id"]: "duplicate"}
    assert RoutedEvent.objects.count() == 1 and InboxMessage.objects.count() == 1
    assert RejectedMessage.objects.filter(reason="replay", message_id=message["id"]).count() == 2


def test_out_of_order_messages_wait_for_the_gap(hub_peers: dict[str, System]) -> None:
    recall = envelope(MessageType.RECALL, {"comment": "已自行解决"}, correlation="330199/1", sequence=2)
    assert post(recall)[1] == {recall["id"]: "held"}
    assert InboxMessage.objects.get(message_id=recall["id"]).state == InboxState.HELD
    assert not RoutedEvent.objects.exists()
    assert post(escalate())[1] != {}
    # The escalation (1) was processed, then the held recall (2): the event is recalled, not open.
    assert RoutedEvent.objects.get().state == RouteState.RECALLED
    assert set(InboxMessage.objects.values_list("state", flat=True)) == {InboxState.PROCESSED}
    # Another event's conversation has its own sequence.
    other = escalate(correlation="330199/2", sequence=1)
    assert post(other)[1] == {other["id"]: "accepted"}


def test_previous_key_accepted_only_during_rotation(hub_peers: dict[str, System], org: Org) -> None:
    operator = org.user("county", "hub_operator")
    _system, new_key = rotate_key(operator, COUNTY_CODE)
    old = escalate(correlation="330199/1")
    new = escalate(correlation="330199/2", key=new_key)
    assert post(old)[1][old["id"]] == "accepted"
    assert post(new)[1][new["id"]] == "accepted"
    finish_rotation(operator, COUNTY_CODE)
    late = escalate(correlation="330199/3")
    assert post(late)[1][late["id"]] == "rejected:bad_signature"


def test_sm3_signatures_are_accepted_too(hub_peers: dict[str, System]) -> None:
    if "hmac-sm3" not in signing.ALGORITHMS:
        pytest.skip("this OpenSSL has no SM3")
    message = escalate()
    sm3 = signing.sign(
        {k: v for k, v in message.items() if k != "signature"}, "k" * 32, timezone.now(), "hmac-sm3"
    )
    assert sm3["signature"] != message["signature"]
    assert post(sm3)[1] == {message["id"]: "accepted"}
    forged = {**sm3, "alg": "hmac-md5"}
    assert post(forged)[1] == {message["id"]: "rejected:bad_signature"}
