"""In Chromium: a grid worker patrols at phone width, loses the connection for part of the route (and
reports an event meanwhile), checks in and ends the patrol — the track has every position once, in
order, and the event links to the patrol. Two staff exchange messages live in two browser contexts."""

from __future__ import annotations

from typing import Any

import pytest

from jiceng.events.models import Event
from jiceng.registry.models import KeyPlace
from jiceng.worktools.models import Patrol, PatrolEvent, PatrolState, TrackPoint
from tests.browser.test_event_flow import log_in, no_sideways_scroll, zh
from tests.conftest import Org

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROUTE = [(120.0100 + 0.0004 * i, 30.0100 + 0.0001 * i) for i in range(9)]
OFFLINE_FROM, OFFLINE_TO = 4, 7  # positions 4, 5, 6 are taken while the phone has no connection


def test_patrol_with_a_lost_connection(
    open_page: Any, live_server: Any, org: Org, categories: Any, places: Any
) -> None:
    from playwright.sync_api import expect

    base = live_server.url
    worker = org.user("a", "grid_worker")
    phone, watch = open_page("phone")
    context = phone.context
    context.grant_permissions(["geolocation"], origin=base)
    context.set_geolocation({"longitude": ROUTE[0][0], "latitude": ROUTE[0][1], "accuracy": 5})
    log_in(phone, base, worker.username, "/worktools/m/")
    expect(phone.locator("h1")).to_have_text(zh("Mobile office"))
    no_sideways_scroll(phone)
    phone.get_by_role("link", name=zh("Start patrol")).click()
    expect(phone.get_by_role("button", name=zh("End patrol"))).to_be_hidden()
    phone.get_by_role("button", name=zh("Start patrol")).click()
    expect(phone.get_by_role("button", name=zh("End patrol"))).to_be_visible()
    root = phone.locator("#patrol")
    expect(root).not_to_have_attribute("data-patrol-id", "")
    phone.wait_for_function(
        "() => navigator.serviceWorker.ready.then(() => !!navigator.serviceWorker.controller)"
    )
    patrol = Patrol.objects.get(worker=worker, state=PatrolState.ACTIVE)
    expect(root).to_have_attribute("data-recorded", "1")

    def walk_to(i: int) -> None:
        context.set_geolocation({"longitude": ROUTE[i][0], "latitude": ROUTE[i][1], "accuracy": 5})
        expect(root).to_have_attribute("data-recorded", str(i + 1))

    def stored() -> int:
        return TrackPoint.objects.filter(patrol=patrol).count()

    for i in range(1, OFFLINE_FROM):
        walk_to(i)
    phone.wait_for_function(
        f"() => document.querySelector('#patrol-status').textContent.includes('{OFFLINE_FROM}')"
    )
    assert stored() == OFFLINE_FROM
    context.set_offline(True)
    for i in range(OFFLINE_FROM, OFFLINE_TO):
        walk_to(i)
    expect(phone.locator("#patrol-queue")).to_have_text(
        zh("Waiting to send: {n}").replace("{n}", str(OFFLINE_TO - OFFLINE_FROM))
    )
    assert stored() == OFFLINE_FROM
    # An event reported without a connection waits on the phone too.
    phone.select_option("#report-category", "0301")
    phone.get_by_label(zh("Title")).fill("巡查发现路边垃圾")
    phone.get_by_role("button", name=zh("Report"), exact=True).click()
    expect(phone.locator("#report-result")).to_have_text(
        zh("Offline: points are kept on the phone and sent later")
    )
    # The page itself opens without a connection (the service worker's copy); the queue is still there.
    phone.reload()
    expect(phone.get_by_role("button", name=zh("End patrol"))).to_be_visible()
    expect(phone.locator("#patrol-queue")).to_have_text(
        zh("Waiting to send: {n}").replace("{n}", str(OFFLINE_TO - OFFLINE_FROM))
    )
    watch.screenshot("phone-patrol-offline")
    context.set_offline(False)
    walk_to(OFFLINE_TO)
    expect(phone.locator("#patrol-queue")).to_have_text("")
    expect(phone.locator("#report-result")).to_contain_text("SJ")
    assert stored() == OFFLINE_TO + 1

    # Check in at the key place (we stand 48 m from it).
    KeyPlace.objects.filter(pk=places["a"].pk).update(
        lng=ROUTE[OFFLINE_TO][0] + 0.0005, lat=ROUTE[OFFLINE_TO][1]
    )
    phone.select_option("#checkin-place", places["a"].code)
    phone.get_by_role("button", name=zh("Check in here")).click()
    expect(phone.locator("#checkin-result")).to_have_class("ok")
    # A place with no location on record: checked in, no made-up distance.
    KeyPlace.objects.filter(pk=places["a"].pk).update(lng=None, lat=None)
    phone.select_option("#checkin-place", places["a"].code)
    phone.get_by_role("button", name=zh("Check in here")).click()
    expect(phone.locator("#checkin-result")).to_have_text(
        zh("Checked in (the place has no location on record to compare with)")
    )
    walk_to(len(ROUTE) - 1)
    no_sideways_scroll(phone)
    watch.screenshot("phone-patrol")
    phone.get_by_role("button", name=zh("End patrol")).click()
    expect(phone).to_have_url(f"{base}/worktools/patrols/{patrol.pk}/")
    expect(phone.locator("#patrol-events")).to_contain_text("巡查发现路边垃圾")

    patrol.refresh_from_db()
    track = list(TrackPoint.objects.filter(patrol=patrol).order_by("seq").values_list("seq", "lng", "lat"))
    assert [t[0] for t in track] == list(range(len(ROUTE)))  # no gap
    assert [(round(t[1], 6), round(t[2], 6)) for t in track] == [(round(x, 6), round(y, 6)) for x, y in ROUTE]
    assert patrol.state == PatrolState.ENDED and patrol.point_count == len(ROUTE) and patrol.distance_m > 300
    assert PatrolEvent.objects.filter(patrol=patrol, event__title="巡查发现路边垃圾").count() == 1
    assert Event.objects.filter(title="巡查发现路边垃圾").count() == 1
    assert [c.place_id for c in patrol.checkins.all()] == [places["a"].pk] * 2
    # What failed while the phone was offline failed on purpose.
    offline = ("ERR_INTERNET_DISCONNECTED", "htmx:sendError", "htmx:afterRequest")  # the badge's poll
    watch.assert_clean(ignore=offline)

    # Someone who does not patrol sees why, and the page neither fails nor asks for the location.
    desk, desk_watch = open_page("desktop")
    log_in(desk, base, org.user("a", "dispatcher").username, "/worktools/m/patrol/")
    expect(desk.locator("#patrol")).to_contain_text(
        zh("Only grid workers, village cadres and safety officers patrol.")
    )
    desk_watch.assert_clean()


def test_two_staff_exchange_messages_live(open_page: Any, live_server: Any, org: Org) -> None:
    from playwright.sync_api import expect

    base = live_server.url
    desk, desk_watch = open_page("desktop")
    log_in(desk, base, org.user("a", "dispatcher").username, "/worktools/contacts/")
    desk.get_by_role("searchbox").fill("a_grid_worker")
    desk.get_by_role("button", name=zh("Search")).click()
    desk.get_by_role("button", name=zh("Message")).first.click()
    desk.get_by_placeholder(zh("Message")).fill("请到解放路查看积水")
    desk.get_by_role("button", name=zh("Send")).click()
    expect(desk.locator("#chat")).to_contain_text("请到解放路查看积水")

    phone, phone_watch = open_page("phone")
    log_in(phone, base, org.user("a", "grid_worker").username, "/worktools/messages/")
    expect(phone.locator("#conversation-list .tag")).to_have_text("1")
    phone.locator("#conversation-list a").first.click()
    expect(phone.locator("#chat")).to_contain_text("请到解放路查看积水")
    phone.get_by_placeholder(zh("Message")).fill("收到，马上过去")
    phone.get_by_role("button", name=zh("Send")).click()
    # Live: the dispatcher's open page shows the reply without a reload, and the other way round.
    expect(desk.locator("#chat")).to_contain_text("收到，马上过去")
    desk.get_by_placeholder(zh("Message")).fill("好的")
    desk.get_by_role("button", name=zh("Send")).click()
    expect(phone.locator("#chat")).to_contain_text("好的")
    expect(phone.locator("#chat .msg")).to_have_count(3)
    expect(desk.locator("#chat .msg")).to_have_count(3)
    no_sideways_scroll(phone)
    phone_watch.screenshot("phone-messages")
    # This server is WSGI only: the live socket cannot open, and polling brought every message.
    # (The page keeps retrying the socket, so a failed attempt can be logged at any moment.)
    for watch in (desk_watch, phone_watch):
        watch.assert_clean(ignore=("WebSocket connection to",))


def test_a_patrol_report_missing_its_title_keeps_what_was_typed(
    open_page: Any, live_server: Any, org: Org, categories: Any
) -> None:
    """Checked on the phone before it is queued: refused later by the server, the typed text was gone."""
    from playwright.sync_api import expect

    from jiceng.worktools import patrol_actions

    base = live_server.url
    worker = org.user("a", "grid_worker")
    patrol, _ = patrol_actions.start_patrol(worker)
    phone, watch = open_page("phone")
    phone.context.grant_permissions(["geolocation"], origin=base)
    phone.context.set_geolocation({"longitude": ROUTE[0][0], "latitude": ROUTE[0][1], "accuracy": 5})
    log_in(phone, base, worker.username, "/worktools/m/patrol/")
    phone.select_option("#report-category", "0301")
    phone.get_by_label(zh("Description")).fill("垃圾桶旁堆放大件家具")
    phone.get_by_role("button", name=zh("Report"), exact=True).click()
    expect(phone.get_by_label(zh("Description"))).to_have_value("垃圾桶旁堆放大件家具")
    queued = phone.evaluate(f"() => localStorage.getItem('jiceng.patrol.{patrol.pk}.reports')")
    assert queued in (None, "[]")
    phone.get_by_label(zh("Title")).fill("大件垃圾")
    phone.get_by_role("button", name=zh("Report"), exact=True).click()
    expect(phone.locator("#report-result")).to_contain_text("SJ")
    assert PatrolEvent.objects.filter(patrol=patrol, event__title="大件垃圾").count() == 1
    watch.assert_clean()
