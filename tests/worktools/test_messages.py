"""Messages: one-to-one, unit and event groups; unread counts; one notification per burst; audited;
only members read a conversation."""

from __future__ import annotations

from typing import Any

import pytest

from jiceng.audit.models import AuditEntry
from jiceng.events.actions import report_event
from jiceng.notifications.models import Notification
from jiceng.worktools import message_actions, message_queries
from jiceng.worktools.models import Message
from tests.conftest import Org
from tests.events.conftest import IN_GRID_A

pytestmark = pytest.mark.django_db


def test_direct_messages_unread_and_notifications(org: Org, api_as: Any) -> None:
    worker, dispatcher = org.user("a", "grid_worker"), org.user("a", "dispatcher")
    a = api_as(worker)
    conv = a.post_json(
        "/api/v1/worktools/conversations", {"kind": "direct", "username": dispatcher.username}
    ).json()
    same = api_as(dispatcher).post_json(
        "/api/v1/worktools/conversations", {"kind": "direct", "username": worker.username}
    )
    assert same.json()["id"] == conv["id"]
    url = f"/api/v1/worktools/conversations/{conv['id']}/messages"
    for text in ("解放路积水", "已到现场"):
        assert a.post_json(url, {"body": text, "client_id": text}).status_code == 201
    assert (
        a.post_json(url, {"body": "已到现场", "client_id": "已到现场"}).status_code == 200
    )  # resent: kept once
    assert Message.objects.count() == 2
    d = api_as(dispatcher)
    assert d.get("/api/v1/worktools/conversations/unread").json() == {"unread": 2}
    # One notification for the burst, not one per message.
    assert Notification.objects.filter(user=dispatcher, kind="message").count() == 1
    # It reads as the message, not as the chat's internal key ("direct:…").
    assert Notification.objects.get(user=dispatcher, kind="message").body == "解放路积水"
    assert [m["body"] for m in d.get(url).json()] == ["解放路积水", "已到现场"]
    d.post_json(f"/api/v1/worktools/conversations/{conv['id']}/read", {})
    assert d.get("/api/v1/worktools/conversations/unread").json() == {"unread": 0}
    assert AuditEntry.objects.filter(action="message.send").count() == 2
    # Not a member: not found, nothing sent.
    other = api_as(org.user("a", "handler"))
    assert other.get(url).status_code == 404
    assert other.post_json(url, {"body": "插话"}).status_code == 404
    assert Message.objects.count() == 2


def test_unit_and_event_groups(org: Org, categories: Any) -> None:
    dispatcher = org.user("a", "dispatcher")
    unit_conv = message_actions.open_unit(dispatcher)
    assert message_queries.member_names(unit_conv) == [dispatcher.full_name]
    event, _ = report_event(org.user("a", "grid_worker"), category="0301", title="垃圾", **IN_GRID_A)
    conv = message_actions.open_event(dispatcher, event.pk)
    message_actions.send(dispatcher, conv.pk, "请尽快处理")
    # A grid worker who sees the event joins the group and reads it.
    worker = org.user("a", "grid_worker")
    assert message_actions.open_event(worker, event.pk).pk == conv.pk
    assert [m.body for m in message_queries.messages(worker, conv.pk)] == ["请尽快处理"]
    # Township B cannot join A's event group.
    from jiceng.core.errors import NotFound

    with pytest.raises(NotFound):
        message_actions.open_event(org.user("b", "dispatcher"), event.pk)
    assert message_queries.unread_total(dispatcher) == 0


def test_direct_with_someone_outside_the_county_is_refused(org: Org, api_as: Any) -> None:
    response = api_as(org.user("a", "grid_worker")).post_json(
        "/api/v1/worktools/conversations", {"kind": "direct", "username": "other_county_handler"}
    )
    assert response.status_code == 422 and response.json()["code"] == "invalid_user"
