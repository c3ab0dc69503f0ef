"""The notification centre (API and pages: each user sees only their own) and how the reporter hears
of the result (in the app, or by SMS without an account)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.conf import settings
from django.utils import translation

from jiceng.core.crypto import blind_index
from jiceng.events.actions import perform, report_event
from jiceng.events.models import Event, EventCoUnit, Source
from jiceng.notifications import sms
from jiceng.notifications.actions import TITLES, notify, notify_event, recipients
from jiceng.notifications.models import Notification, SmsMessage
from tests.conftest import Org
from tests.events.conftest import IN_GRID_A

PHONE = "13812341234"
pytestmark = pytest.mark.usefixtures("categories")


@pytest.fixture
def inboxes(org: Org) -> dict[str, list[Notification]]:
    """Three notifications for township A's dispatcher, two for township B's."""
    mine, theirs = org.user("a", "dispatcher"), org.user("b", "dispatcher")
    notify([mine], "reported", "甲一")
    notify([mine], "reported", "甲二")
    notify([mine], "escalate", "甲三")
    notify([theirs], "reported", "乙一")
    notify([theirs], "reported", "乙二")
    return {
        "mine": list(Notification.objects.filter(user=mine).order_by("id")),
        "theirs": list(Notification.objects.filter(user=theirs).order_by("id")),
    }


def unread(user: Any) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


# --- API ------------------------------------------------------------------------------------------


def test_api_lists_only_your_own(org: Org, inboxes: dict[str, list[Notification]], api_as: Any) -> None:
    client = api_as(org.user("a", "dispatcher"))
    body = client.get("/api/v1/notifications").json()
    assert body["count"] == 3
    assert [n["title"] for n in body["items"]] == ["甲三", "甲二", "甲一"]
    assert set(body["items"][0]) == {"id", "kind", "title", "body", "event_id", "created_at", "read_at"}
    assert client.get("/api/v1/notifications/unread-count").json() == {"count": 3}
    paged = client.get("/api/v1/notifications?limit=2&offset=2").json()
    assert [n["title"] for n in paged["items"]] == ["甲一"]
    assert api_as(None).get("/api/v1/notifications").status_code == 401
    assert api_as(None).get("/api/v1/notifications/unread-count").status_code == 401


def test_api_mark_read(org: Org, inboxes: dict[str, list[Notification]], api_as: Any) -> None:
    me = org.user("a", "dispatcher")
    client = api_as(me)
    first = inboxes["mine"][0].pk
    response = client.post_json("/api/v1/notifications/read", {"ids": [first]})
    assert response.status_code == 200 and response.json() == {"marked": 1, "unread": 2}
    # Again: nothing more to mark.
    assert client.post_json("/api/v1/notifications/read", {"ids": [first]}).json() == {
        "marked": 0,
        "unread": 2,
    }
    body = client.get("/api/v1/notifications?unread=true").json()
    assert body["count"] == 2 and first not in [n["id"] for n in body["items"]]
    assert client.post_json("/api/v1/notifications/read", {"all": True}).json() == {"marked": 2, "unread": 0}
    assert client.get("/api/v1/notifications?unread=true").json()["count"] == 0
    assert client.get("/api/v1/notifications").json()["items"][0]["read_at"] is not None
    # Township B's notifications are untouched.
    assert unread(org.user("b", "dispatcher")) == 2


def test_api_another_users_notification_is_not_found(
    org: Org, inboxes: dict[str, list[Notification]], api_as: Any
) -> None:
    me = org.user("a", "dispatcher")
    client = api_as(me)
    theirs = inboxes["theirs"][0].pk
    for ids in ([theirs], [inboxes["mine"][0].pk, theirs], [10**9]):
        response = client.post_json("/api/v1/notifications/read", {"ids": ids})
        assert response.status_code == 404, ids
        assert response.json()["code"] == "not_found"
    # Nothing was marked, neither theirs nor mine.
    assert unread(org.user("b", "dispatcher")) == 2 and unread(me) == 3


def test_api_mark_read_needs_ids_or_all(
    org: Org, inboxes: dict[str, list[Notification]], api_as: Any
) -> None:
    client = api_as(org.user("a", "dispatcher"))
    for body in ({}, {"ids": [inboxes["mine"][0].pk], "all": True}, {"ids": "x"}):
        response = client.post_json("/api/v1/notifications/read", body)
        assert response.status_code == 422, body
        assert response.json()["code"] == "invalid_input"
    assert api_as(None).post_json("/api/v1/notifications/read", {"all": True}).status_code == 401


# --- pages ----------------------------------------------------------------------------------------


def test_page_lists_only_your_own_and_marks_read(
    org: Org, inboxes: dict[str, list[Notification]], page_as: Any
) -> None:
    me = org.user("a", "dispatcher")
    client = page_as(me)
    page = client.get("/notifications/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "甲一" in text and "甲三" in text and "乙一" not in text
    response = client.post("/notifications/read/", {"id": [inboxes["mine"][0].pk, inboxes["mine"][1].pk]})
    assert response.status_code == 302 and response["Location"] == "/notifications/"
    assert unread(me) == 1
    only_unread = client.get("/notifications/?unread=1").content.decode()
    assert "甲三" in only_unread and "甲一" not in only_unread
    response = client.post("/notifications/read/", {"all": "1", "unread": "1"})
    assert response["Location"] == "/notifications/?unread=1"
    assert unread(me) == 0
    assert page_as(None).get("/notifications/").status_code == 302  # to the login page


def test_page_another_users_notification_is_not_found(
    org: Org, inboxes: dict[str, list[Notification]], page_as: Any
) -> None:
    client = page_as(org.user("a", "dispatcher"))
    assert client.post("/notifications/read/", {"id": [inboxes["theirs"][0].pk]}).status_code == 404
    assert client.get("/notifications/read/").status_code == 405
    assert unread(org.user("b", "dispatcher")) == 2


def test_badge(org: Org, inboxes: dict[str, list[Notification]], page_as: Any) -> None:
    me = org.user("a", "dispatcher")
    client = page_as(me)
    response = client.get("/notifications/badge/", headers={"HX-Request": "true"})
    assert response.status_code == 200 and ">3<" in response.content.decode()
    Notification.objects.filter(user=me).update(read_at="2026-01-01T00:00:00Z")
    assert client.get("/notifications/badge/").content.decode().strip() == ""
    # Logged out (or the session expired): htmx stops polling on 286 instead of swapping in a login page.
    assert page_as(None).get("/notifications/badge/").status_code == 286


def test_polling_the_badge_does_not_keep_an_idle_session_alive(org: Org, page_as: Any) -> None:
    client = page_as(org.user("a", "dispatcher"))
    assert settings.SESSION_COOKIE_NAME in client.get("/notifications/").cookies  # pages renew the session
    response = client.get("/notifications/badge/")
    assert response.status_code == 200
    assert settings.SESSION_COOKIE_NAME not in response.cookies


# --- who hears what -------------------------------------------------------------------------------


def hotline_event(org: Org, **extra: Any) -> Event:
    """A 12345 call taken by township A's dispatcher: the caller has no account, only a phone."""
    event, _ = report_event(
        org.user("a", "dispatcher"),
        category="0301",
        title="路灯不亮",
        source=Source.HOTLINE,
        source_ref=f"12345-{extra.pop('ref', 1)}",
        reporter_name="张三",
        reporter_phone=PHONE,
        **IN_GRID_A,
        **extra,
    )
    assert event.reporter_id is None
    return event


def test_reporter_without_account_gets_an_sms_when_rejected(
    org: Org, django_capture_on_commit_callbacks: Any, caplog: pytest.LogCaptureFixture
) -> None:
    event = hotline_event(org)
    with caplog.at_level(logging.INFO, logger="jiceng.sms"), django_capture_on_commit_callbacks(execute=True):
        perform(org.user("a", "dispatcher"), event.pk, "reject", comment="不属于受理范围")
    message = SmsMessage.objects.get()
    assert message.phone_masked == "138****1234" and message.phone_index == blind_index(PHONE)
    assert PHONE not in message.text and message.sent_ok and message.gateway_reply == "logged"
    with translation.override("zh-hans"):
        expected = translation.gettext(TITLES["reject"])
    assert expected != TITLES["reject"]  # translated
    assert message.text == f"【基层】{expected}：路灯不亮（{event.ref}）"
    logged = [r.getMessage() for r in caplog.records if r.name == "jiceng.sms"]
    assert any(event.ref in m for m in logged) and not any(PHONE in m for m in logged)
    assert "138****1234" in logged[0]


def test_reporter_without_account_hears_of_the_result_only(
    org: Org, django_capture_on_commit_callbacks: Any
) -> None:
    event = hotline_event(org)
    dispatcher, station = org.user("a", "dispatcher"), org.user("a", "handler")
    with django_capture_on_commit_callbacks(execute=True):
        perform(dispatcher, event.pk, "accept")
        perform(dispatcher, event.pk, "dispatch", lead_unit=org.units["station_a"].code)
        perform(station, event.pk, "sign")
        perform(station, event.pk, "handle", comment="已更换灯泡")
    assert SmsMessage.objects.count() == 0  # progress is not worth a text message
    with django_capture_on_commit_callbacks(execute=True):
        perform(org.user("a", "grid_worker"), event.pk, "verify_pass")
    message = SmsMessage.objects.get()
    assert event.ref in message.text and message.phone_masked == "138****1234"


def test_no_sms_for_anonymous_reports_or_reporters_with_accounts(
    org: Org, django_capture_on_commit_callbacks: Any
) -> None:
    anonymous = hotline_event(org, anonymous=True)
    assert anonymous.reporter_phone == ""
    resident = org.user("none", "resident")
    own, _ = report_event(resident, category="0301", title="井盖缺失", reporter_phone=PHONE, **IN_GRID_A)
    assert own.reporter_id == resident.pk
    with django_capture_on_commit_callbacks(execute=True):
        perform(org.user("a", "dispatcher"), anonymous.pk, "reject", comment="重复")
        perform(org.user("a", "dispatcher"), own.pk, "reject", comment="重复")
    assert SmsMessage.objects.count() == 0
    # The resident hears of it in the app instead.
    assert list(Notification.objects.filter(user=resident).values_list("kind", flat=True)) == ["reject"]


def test_the_reporter_gets_their_own_wording(org: Org) -> None:
    resident = org.user("none", "resident")
    event, _ = report_event(resident, category="0301", title="井盖缺失", **IN_GRID_A)
    Event.objects.filter(pk=event.pk).update(state="handling", lead_unit=org.units["station_a"])
    notify_event(event.pk, "handle")
    titles = dict(Notification.objects.filter(event=event).values_list("user__username", "title"))
    with translation.override("zh-hans"):
        assert titles["resident"].startswith(
            translation.gettext("Your report has been handled and is being checked")
        )
        assert titles["a_grid_worker"].startswith(translation.gettext("Event handled, to verify"))
    assert titles.keys() == {"resident", "a_grid_worker", "a_dispatcher"}


def test_notifications_are_written_in_the_platform_language(org: Org) -> None:
    event = hotline_event(org)
    with translation.override("en"):
        notify_event(event.pk, "reported")
    title = Notification.objects.get(event=event).title
    with translation.override(settings.LANGUAGE_CODE):
        assert title == f"{translation.gettext(TITLES['reported'])}：路灯不亮"


def test_recipients_in_one_query(org: Org, django_assert_num_queries: Any) -> None:
    event = hotline_event(org)
    Event.objects.filter(pk=event.pk).update(lead_unit=org.units["station_a"])
    EventCoUnit.objects.create(event=event, unit=org.units["village_committee_a"])
    event = Event.objects.get(pk=event.pk)
    org.user("a", "village_cadre").is_active = False
    org.user("a", "village_cadre").save(update_fields=["is_active"])
    with django_assert_num_queries(1):
        users = recipients(event, "warning_red")
    # The triage, the lead unit and the co-handling unit's active users, each once.
    assert [u.username for u in users] == ["a_dispatcher", "a_handler", "a_grid_worker"]


class FailingSender:
    def send(self, phone: str, text: str) -> tuple[bool, str]:
        raise ConnectionError("gateway down")


def test_a_failing_sms_gateway_is_recorded_not_raised(
    org: Org, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.SMS_SENDER = f"{__name__}.FailingSender"
    sms.sender.cache_clear()
    try:
        event = hotline_event(org)
        with django_capture_on_commit_callbacks(execute=True):
            perform(org.user("a", "dispatcher"), event.pk, "reject", comment="不属于受理范围")
    finally:
        sms.sender.cache_clear()
    message = SmsMessage.objects.get()
    assert not message.sent_ok and "gateway down" in message.gateway_reply
    assert Event.objects.get(pk=event.pk).state == "rejected"
