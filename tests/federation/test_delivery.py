"""Delivery of the outbox: batches, signatures at send time, backoff, dead letters and manual retry."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import requests
from django.utils import timezone

from jiceng.core.errors import PermissionDenied
from jiceng.federation import delivery, messaging, signing
from jiceng.federation.models import Health, MessageType, OutboxMessage, OutboxState, System, SystemKind
from jiceng.federation.queries import peer_statuses
from jiceng.federation.systems import retry_dead_letters
from tests.conftest import Org
from tests.federation.conftest import KEY, system


@pytest.fixture
def hub(db: None, as_county: None) -> System:
    return System.objects.get(pk=system("HUB", SystemKind.HUB).pk)


def queue(hub: System, n: int) -> list[OutboxMessage]:
    return [messaging.enqueue(hub, MessageType.PROGRESS, {"n": i}, correlation="330199/1") for i in range(n)]


def test_delivered_in_order_signed_and_marked(hub: System, sent: list[Any]) -> None:
    queue(hub, 3)
    assert delivery.deliver_due() == (3, 0)
    ((url, body),) = sent
    assert url == hub.inbox_url
    assert [m["sequence"] for m in body["messages"]] == [1, 2, 3]
    assert all(signing.verify(m, [KEY]) and m["target"] == "HUB" for m in body["messages"])
    assert set(OutboxMessage.objects.values_list("state", flat=True)) == {OutboxState.SENT}
    assert System.objects.get(pk=hub.pk).health == Health.OK
    assert delivery.deliver_due() == (0, 0)  # nothing sent twice


def test_failures_back_off_then_dead_letter_and_retry(
    hub: System, transport: Any, org: Org, sent: list[Any]
) -> None:
    def down(url: str, body: dict[str, Any]) -> tuple[int, Any]:
        raise requests.ConnectionError("connection refused")

    transport(down)
    (message,) = queue(hub, 1)
    now = timezone.now()
    assert delivery.deliver_due(now) == (0, 1)
    message.refresh_from_db()
    assert message.attempts == 1 and message.state == OutboxState.PENDING
    assert delivery.deliver_due(now) == (0, 0)  # waiting out the backoff
    waits = []
    for _ in range(delivery.MAX_ATTEMPTS - 1):
        message.refresh_from_db()
        waits.append((message.next_attempt_at - now).total_seconds())
        now = message.next_attempt_at
        delivery.deliver_due(now)
    assert waits[:4] == [1, 2, 4, 8] and max(waits) == 600
    message.refresh_from_db()
    assert message.state == OutboxState.DEAD
    status = next(p for p in peer_statuses(org.user("county", "admin"), now) if p.system.code == "HUB")
    assert status.dead == 1 and status.warning and status.system.health == Health.FAILING
    with pytest.raises(PermissionDenied):
        retry_dead_letters(org.user("a", "dispatcher"))
    assert retry_dead_letters(org.user("county", "hub_operator")) == 1
    transport(lambda url, body: (200, {"results": {m["id"]: "accepted" for m in body["messages"]}}))
    assert delivery.deliver_due() == (1, 0)


def test_a_peer_that_answers_again_gets_its_queue_at_once(hub: System, transport: Any) -> None:
    calls = []

    def flaky(url: str, body: dict[str, Any]) -> tuple[int, Any]:
        calls.append(len(body["messages"]))
        if len(calls) == 1:
            raise requests.Timeout("timeout")
        return 200, {"results": {m["id"]: "accepted" for m in body["messages"]}}

    transport(flaky)
    queue(hub, 2)
    now = timezone.now()
    delivery.deliver_due(now)
    later = queue(hub, 1)[0]  # a new message, due at once; the old ones wait for their backoff
    OutboxMessage.objects.filter(pk=later.pk).update(next_attempt_at=now)
    # The peer answers: the two that failed go in the same run instead of after their backoff.
    assert delivery.deliver_due(now + timedelta(milliseconds=1)) == (3, 0)
    assert calls == [2, 1, 2]
    assert set(OutboxMessage.objects.values_list("state", flat=True)) == {OutboxState.SENT}


def test_a_refused_message_is_retried_the_others_delivered(hub: System, transport: Any) -> None:
    messages = queue(hub, 2)
    transport(
        lambda url, body: (
            200,
            {"results": {body["messages"][0]["id"]: "rejected:stale", body["messages"][1]["id"]: "held"}},
        )
    )
    assert delivery.deliver_due() == (1, 1)
    first, second = (OutboxMessage.objects.get(pk=m.pk) for m in messages)
    assert first.state == OutboxState.PENDING and first.last_error == "rejected:stale"
    assert second.state == OutboxState.SENT


def test_claimed_rows_are_not_sent_twice(hub: System, sent: list[Any]) -> None:
    queue(hub, 2)
    now = timezone.now()
    claimed = delivery._claim(hub, now)
    assert len(claimed) == 2
    assert delivery._claim(hub, now) == []  # a second worker finds them leased
    assert len(delivery._claim(hub, now + delivery.LEASE + timedelta(seconds=1))) == 2  # lease expired


def test_a_batch_stays_under_the_receivers_body_limit(
    hub: System, sent: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(delivery, "MAX_BODY_BYTES", 500)
    queue(hub, 3)
    assert delivery.deliver_due() == (3, 0)
    assert [len(body["messages"]) for _url, body in sent] == [1, 1, 1]
