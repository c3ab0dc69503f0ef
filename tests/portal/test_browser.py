"""A resident in Chromium at 390×844: signs up with an SMS code, reports with a photo and a point picked on
the map, finds the report under My reports, and rates it once staff have closed it. No console errors,
failed requests or CSP violations; nothing wider than the phone."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.utils import translation

from jiceng.events.actions import perform
from jiceng.events.models import Event
from tests.browser.conftest import chromium, open_page  # noqa: F401 - fixtures
from tests.conftest import Org
from tests.events.conftest import IN_GRID_A
from tests.portal.conftest import last_code, make_resident

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
CJK = re.compile(r"[\u4e00-\u9fff]")


def zh(msgid: str) -> str:
    with translation.override("zh-hans"):
        text = translation.gettext(msgid)
    assert CJK.search(text), f"no zh-hans translation for {msgid!r}"
    return text


def jpeg() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), "#8a9a5b").save(out, "JPEG")
    return out.getvalue()


def no_sideways_scroll(page: Any) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth") - page.viewport_size["width"]
    assert overflow <= 0, f"the page is {overflow}px wider than the viewport"


def test_resident_signs_up_reports_and_rates(
    open_page: Any,  # noqa: F811 - the fixture imported above
    live_server: Any,
    org: Org,
    categories: Any,
) -> None:
    from playwright.sync_api import expect

    base = live_server.url
    page, watch = open_page("phone")
    page.context.grant_permissions(["geolocation"], origin=base)
    page.context.set_geolocation(
        {"longitude": IN_GRID_A["lng"], "latitude": IN_GRID_A["lat"], "accuracy": 15}
    )

    # Sign up with an SMS code (the demo sender logs it; the test reads what was sent).
    page.goto(f"{base}/portal/signup/")
    page.get_by_label(zh("Mobile number")).fill("13900000001")
    page.get_by_role("button", name=zh("Send code")).click()
    expect(page.locator("#code-status")).to_have_text(
        zh("If the number can receive SMS, a code is on its way.")
    )
    page.get_by_label(zh("Verification code")).fill(last_code())
    page.select_option("#id_community", org.regions["village_a"].code)
    page.get_by_label(zh("I have read and agree to the privacy notice")).check()
    no_sideways_scroll(page)
    page.get_by_role("button", name=zh("Sign up"), exact=True).click()
    expect(page.locator("h1")).to_have_text("A村")
    no_sideways_scroll(page)
    watch.screenshot("portal-home")

    # Report with a photo; the phone's location first, then a point picked on the map.
    page.get_by_role("link", name=zh("Report a problem")).first.click()
    expect(page.locator("#geo-status")).to_have_text(zh("Located ±{m} m").replace("{m}", "15"))
    page.select_option("#id_major", "03")
    expect(page.locator("#id_category")).to_have_value("0301")
    page.get_by_label(zh("Title")).fill("小区门口垃圾没人清")
    page.get_by_label(zh("Description")).fill("已经三天了")
    page.set_input_files("#id_photos", files=[{"name": "a.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}])
    page.wait_for_function("() => window.jicengPickMap && window.jicengPickMap.loaded()")
    page.locator("#pick-map canvas").click()
    expect(page.locator("#geo-status")).to_have_text(zh("Point picked on the map"))
    no_sideways_scroll(page)
    watch.screenshot("portal-report")
    page.get_by_role("button", name=zh("Send report")).click()
    expect(page).to_have_url(re.compile(rf"{re.escape(base)}/portal/reports/\d+/$"))
    event = Event.objects.get(title="小区门口垃圾没人清")
    assert event.attachments.count() == 1
    # The map's centre lies in village A outside its grid: the picked point, not the phone's, was used.
    assert event.region == org.regions["village_a"] and event.lng != pytest.approx(IN_GRID_A["lng"])

    page.get_by_role("link", name=zh("My reports")).first.click()
    expect(page.locator(".card h3")).to_have_text(["小区门口垃圾没人清"])

    # Staff close it; the resident rates the result.
    dispatcher, station = org.user("a", "dispatcher"), org.user("a", "handler")
    perform(dispatcher, event.pk, "accept")
    perform(dispatcher, event.pk, "dispatch", lead_unit=org.units["station_a"].code)
    perform(station, event.pk, "sign")
    perform(station, event.pk, "handle", comment="已清运")
    perform(dispatcher, event.pk, "verify_pass")
    page.locator(".card").first.click()
    expect(page.locator("#rate-form")).to_be_visible()
    page.get_by_label(zh("Satisfied"), exact=True).check()
    page.get_by_role("button", name=zh("Send rating")).click()
    expect(page.locator(".messages")).to_contain_text(zh("Thank you for your rating."))
    event.refresh_from_db()
    assert event.evaluation == "satisfied"
    no_sideways_scroll(page)
    watch.screenshot("portal-rated")
    watch.assert_clean()


def test_resident_report_asks_for_the_categorys_extra_fields(
    open_page: Any,  # noqa: F811 - the fixture imported above
    live_server: Any,
    org: Org,
    services: Any,
) -> None:
    """Choosing a 小类 with extra fields shows them (as on the grid worker's form); another hides them."""
    from playwright.sync_api import expect

    make_resident(org, "a", "13900000009", password="Jiceng-2026!")
    base = live_server.url
    page, watch = open_page("phone")
    page.context.grant_permissions(["geolocation"], origin=base)
    page.context.set_geolocation(
        {"longitude": IN_GRID_A["lng"], "latitude": IN_GRID_A["lat"], "accuracy": 15}
    )
    page.goto(f"{base}/portal/login/?method=password&next=/portal/report/")
    page.get_by_label(zh("Mobile number")).fill("13900000009")
    page.get_by_label(zh("Password")).fill("Jiceng-2026!")
    page.get_by_role("button", name=zh("Log in"), exact=True).click()
    expect(page.locator("h1")).to_have_text(zh("Report a problem"))

    extra = page.locator("#extra-fields")
    page.select_option("#id_major", "02")  # one 小类: chosen at once, its fields follow
    expect(page.locator("#id_category")).to_have_value("0201")
    expect(extra.get_by_label("坑洼大小")).to_be_visible(timeout=15_000)  # htmx, on a loaded machine too
    page.select_option("#id_major", "03")
    expect(page.locator("#id_category")).to_have_value("0301")
    expect(extra.locator("input, select, textarea")).to_have_count(0)
    page.select_option("#id_major", "02")
    extra.get_by_label("坑洼大小").select_option("大")
    extra.get_by_label("深度（厘米）").fill("12")
    extra.get_by_label("右").check()
    page.get_by_label(zh("Title")).fill("路面有个大坑")
    no_sideways_scroll(page)
    watch.screenshot("portal-report-extra-fields")
    page.get_by_role("button", name=zh("Send report")).click()
    expect(page).to_have_url(re.compile(rf"{re.escape(base)}/portal/reports/\d+/$"))
    event = Event.objects.get(title="路面有个大坑")
    assert event.category.code == "0201"
    assert event.form_data == {"size": "大", "depth_cm": 12, "blocking": False, "lanes": ["右"]}
    watch.assert_clean()
