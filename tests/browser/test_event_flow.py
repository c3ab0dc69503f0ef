"""The closed loop in Chromium: a grid worker reports from the phone with a photo and the phone's
location, the dispatcher accepts and dispatches at the desk, the station's handler signs and handles,
and the grid worker verifies; the event page then says closed and its timeline has every step. No
console errors, no failed requests, no Content-Security-Policy violations on any page."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.urls import include, path
from django.utils import translation

import jiceng.urls
from jiceng.events.models import Event, EventState
from tests.conftest import PASSWORD, Org
from tests.events.conftest import IN_GRID_A


def _mounted(namespace: str) -> bool:
    return any(getattr(p, "namespace", None) == namespace for p in jiceng.urls.urlpatterns)


# Until jiceng/urls.py includes the event pages, this module mounts them itself (a no-op after).
urlpatterns = [
    *([] if _mounted("events") else [path("events/", include("jiceng.events.urls"))]),
    *([] if _mounted("event_attachments") else [path("events/", include("jiceng.events.attachment_urls"))]),
    *jiceng.urls.urlpatterns,
]
handler403, handler404, handler500 = jiceng.urls.handler403, jiceng.urls.handler404, jiceng.urls.handler500

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.urls(__name__)]

CJK = re.compile(r"[\u4e00-\u9fff]")


def zh(msgid: str) -> str:
    with translation.override("zh-hans"):
        text = translation.gettext(msgid)
    assert CJK.search(text), f"no zh-hans translation for {msgid!r}"
    return text


def jpeg() -> bytes:
    from PIL import Image, ImageDraw

    picture = Image.new("RGB", (64, 48), "#8a9a5b")
    ImageDraw.Draw(picture).rectangle((20, 14, 44, 34), fill="#5a3d2b")
    out = io.BytesIO()
    picture.save(out, "JPEG")
    return out.getvalue()


def log_in(page: Any, base: str, username: str, next_url: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{base}/accounts/login/?next={next_url}")
    page.get_by_label(zh("Username")).fill(username)
    page.get_by_label(zh("Password")).fill(PASSWORD)
    page.get_by_role("button", name=zh("Log in")).click()
    expect(page).to_have_url(f"{base}{next_url}")


def no_sideways_scroll(page: Any) -> None:
    # Against the device's width: a phone browser widens its layout viewport to fit what sticks out.
    overflow = page.evaluate("document.documentElement.scrollWidth") - page.viewport_size["width"]
    assert overflow <= 0, f"the page is {overflow}px wider than the viewport"


def take(page: Any, label: str) -> None:
    """Click the workflow button labelled ``label`` (exactly) and wait for the page it leads to."""
    page.get_by_role("button", name=label, exact=True).click()
    page.wait_for_load_state()


def test_the_closed_loop_from_phone_to_desk_and_back(
    open_page: Any, live_server: Any, org: Org, categories: Any
) -> None:
    from playwright.sync_api import expect

    base = live_server.url
    grid_worker = org.user("a", "grid_worker")

    # --- the grid worker reports from the phone, with a photo and the phone's location -------------
    phone, phone_watch = open_page("phone")
    phone.context.grant_permissions(["geolocation"], origin=base)
    phone.context.set_geolocation(
        {"longitude": IN_GRID_A["lng"], "latitude": IN_GRID_A["lat"], "accuracy": 12}
    )
    log_in(phone, base, grid_worker.username, "/events/m/")
    expect(phone.locator("h1")).to_have_text(zh("Grid work"))
    no_sideways_scroll(phone)
    phone_watch.screenshot("phone-grid-work")
    phone.get_by_role("link", name=zh("Report an event")).click()
    expect(phone).to_have_url(f"{base}/events/m/report/")
    expect(phone.locator("#geo-status")).to_have_text(zh("Located ±{m} m").replace("{m}", "12"))
    # 大类 → 小类: only the chosen 大类's leaves remain, and a single one is chosen at once.
    phone.select_option("#id_major", "03")
    expect(phone.locator("#id_category option:not([value=''])")).to_have_count(1)
    expect(phone.locator("#id_category")).to_have_value("0301")
    phone.get_by_label(zh("Title")).fill("桥下堆放生活垃圾")
    phone.get_by_label(zh("Description")).fill("约两立方米，影响通行")
    phone.get_by_label(zh("Address")).fill("A村石桥下")
    phone.set_input_files(
        "#id_photos", files=[{"name": "scene.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}]
    )
    expect(phone.locator("#id_photos-count")).to_have_text(zh("Photos chosen: {n}").replace("{n}", "1"))
    # 当场处置 reveals its fields only when ticked.
    expect(phone.locator("#on-spot-fields")).to_be_hidden()
    phone.get_by_label(zh("Handled on the spot")).check()
    expect(phone.locator("#on-spot-fields")).to_be_visible()
    phone.get_by_label(zh("Handled on the spot")).uncheck()
    no_sideways_scroll(phone)
    phone_watch.screenshot("phone-report-form")
    phone.get_by_role("button", name=zh("Report"), exact=True).click()
    expect(phone).to_have_url(re.compile(rf"{re.escape(base)}/events/\d+/$"))
    event = Event.objects.get(title="桥下堆放生活垃圾")
    assert event.region == org.regions["grid_a"] and event.reporter == grid_worker
    assert event.lng == pytest.approx(IN_GRID_A["lng"]) and event.lat == pytest.approx(IN_GRID_A["lat"])
    expect(phone.locator(".event-head .state")).to_have_text(zh("Reported"))
    # The photo is stored with the report step and shown as a thumbnail.
    photo = event.attachments.get()
    assert photo.stage == "before" and photo.flow is not None and photo.flow.action == "report"
    thumbnail = phone.locator(".thumbs img")
    expect(thumbnail).to_have_count(1)
    thumbnail.scroll_into_view_if_needed()  # it loads lazily
    phone.wait_for_function(
        "() => { const i = document.querySelector('.thumbs img'); return i.complete && i.naturalWidth > 0; }"
    )
    no_sideways_scroll(phone)
    event_url = f"/events/{event.pk}/"

    # --- the dispatcher accepts and dispatches, at the desk --------------------------------------
    desk, desk_watch = open_page("desktop")
    log_in(desk, base, org.user("a", "dispatcher").username, "/events/workbench/")
    expect(desk.locator(".tab.active")).to_contain_text(zh("To accept"))
    expect(desk.locator("table.events")).to_contain_text(event.title)
    desk_watch.screenshot("desktop-workbench")
    desk.get_by_role("link", name=event.title).click()
    expect(desk).to_have_url(f"{base}{event_url}")
    take(desk, zh("Accept"))
    expect(desk.locator(".event-head .state")).to_have_text(zh("Pending dispatch"))
    desk.select_option("#id_dispatch-lead_unit", org.units["station_a"].code)
    take(desk, zh("Dispatch"))
    expect(desk.locator(".event-head .state")).to_have_text(zh("Dispatched"))
    expect(desk.locator(".facts")).to_contain_text(org.units["station_a"].name)
    desk_watch.screenshot("desktop-event-dispatched")
    desk_watch.assert_clean()

    # --- the station's handler signs and handles ------------------------------------------------
    handler, handler_watch = open_page("desktop")
    log_in(handler, base, org.user("a", "handler").username, "/events/workbench/")
    expect(handler.locator(".tab.active")).to_contain_text(zh("To sign"))
    handler.get_by_role("link", name=event.title).click()
    take(handler, zh("Sign for"))
    expect(handler.locator(".event-head .state")).to_have_text(zh("Handling"))
    handler.locator("#id_handle-comment").fill("已联系环卫清运完毕")
    take(handler, zh("Report handled"))
    expect(handler.locator(".event-head .state")).to_have_text(zh("Handled, to verify"))
    handler_watch.assert_clean()

    # --- the grid worker verifies on the phone --------------------------------------------------
    phone.goto(f"{base}/events/m/")
    phone.get_by_role("link", name=re.compile(zh("To verify"))).click()
    phone.get_by_role("link", name=re.compile(event.title)).click()
    expect(phone).to_have_url(f"{base}{event_url}")
    take(phone, zh("Verified: close"))
    expect(phone.locator(".event-head .state")).to_have_text(zh("Closed"))
    steps = phone.locator(".timeline li.step")
    expect(steps).to_have_count(6)
    assert [s.get_attribute("data-action") for s in steps.all()] == [
        "report",
        "accept",
        "dispatch",
        "sign",
        "handle",
        "verify_pass",
    ]
    expect(phone.locator(".timeline")).to_contain_text("已联系环卫清运完毕")
    expect(phone.locator(".timeline")).to_contain_text(org.units["station_a"].name)
    no_sideways_scroll(phone)
    phone_watch.screenshot("phone-event-closed")
    assert Event.objects.get(pk=event.pk).state == EventState.CLOSED
    # The workbench fits the phone too (the tabs scroll sideways inside their strip, not the page).
    phone.goto(f"{base}/events/workbench/")
    expect(phone.locator(".tabs")).to_be_visible()
    no_sideways_scroll(phone)
    phone_watch.screenshot("phone-workbench")
    # A list of events reads on the phone: the title gets the room (the number goes under it) and the
    # table needs no sideways scroll.
    phone.goto(f"{base}/events/search/?q=桥下")
    row = phone.locator("table.events tbody tr").first
    expect(row).to_contain_text(event.ref)
    title_width = row.locator("td").nth(1).bounding_box()["width"]
    table_width = phone.locator("table.events").bounding_box()["width"]
    assert title_width >= 0.4 * table_width, (title_width, table_width)
    assert phone.evaluate(
        "() => { const w = document.querySelector('.table-wrap'); return w.scrollWidth <= w.clientWidth; }"
    )
    phone_watch.assert_clean()

    # The dispatcher finds the closed event in the search.
    desk.goto(f"{base}/events/search/?q=桥下&state=closed")
    expect(desk.locator("table.events")).to_contain_text(event.title)
    expect(desk.get_by_role("link", name=zh("Export to Excel"))).to_have_attribute(
        "href", re.compile(r"^/events/search/export/\?")
    )
    desk_watch.screenshot("desktop-search")
    desk_watch.assert_clean()
