"""Dashboards in Chromium: a township dispatcher opens their dashboard, sees the cards and the charts
drawn by ECharts, drills down to a village, and the big screen draws itself and refreshes from the API.
No console errors, failed requests or Content-Security-Policy violations."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from jiceng.analytics import queries
from tests.analytics.conftest import build_history
from tests.conftest import Org

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SLOW = 30_000


def login(page: Any, base: str, user: Any) -> None:
    client = Client()
    client.force_login(user)
    page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base}])


def test_dashboard_and_big_screen(open_page: Any, live_server: Any, org: Org, categories: Any) -> None:
    from django.utils import timezone

    build_history(org, timezone.now())
    base = live_server.url
    page, watch = open_page("desktop")
    login(page, base, org.user("a", "dispatcher"))
    page.goto(f"{base}/analytics/", timeout=SLOW)
    for chart in ("trend", "category", "source", "platform", "hotspot"):
        page.wait_for_selector(f"#chart-{chart} canvas", timeout=SLOW)
    expected = queries.dashboard(org.user("a", "dispatcher"))["cards"]
    assert page.locator("[data-card=new_today]").inner_text() == str(expected["new_today"])
    assert page.locator("[data-card=open]").inner_text() == str(expected["open"])
    page.click("#trend-range button[data-range='90']")
    watch.screenshot("dashboard-township")
    # Drill down from the ranking to the village.
    page.click("table.rank a >> nth=0")
    page.wait_for_selector("#chart-trend canvas", timeout=SLOW)
    assert "/analytics/regions/" in page.url
    watch.assert_clean()

    # A wall display set to another zone still shows the platform's time.
    screen, screen_watch = open_page("desktop", timezone_id="America/New_York")
    login(screen, base, org.user("county", "leader"))
    screen.goto(f"{base}/analytics/screen/", timeout=SLOW)
    screen.wait_for_selector("#chart-hotspot canvas", timeout=SLOW)
    screen.wait_for_function("() => document.querySelectorAll('#rank-children li').length === 2")
    before = timezone.localtime()
    clock = screen.locator("#clock").inner_text()
    after = timezone.localtime()
    assert before.strftime("%H:%M") in clock or after.strftime("%H:%M") in clock, clock
    # Every list says so when it is empty; none shows a cut row.
    for box in ("#warnings", "#recurring", "#rank-children"):
        assert screen.locator(f"{box} li").count() >= 1
        assert screen.evaluate(
            f"() => {{ const el = document.querySelector('{box}'); "
            "return el.scrollHeight <= el.clientHeight + 1; }"
        )
    if not queries.dashboard(org.user("county", "leader"))["warnings"]:
        assert screen.locator("#warnings li.none").inner_text() == "暂无"
    # The refresh from the JSON API (the page asks every minute; here it is asked at once).
    with screen.expect_response(lambda r: "/api/v1/analytics/" in r.url and r.status == 200, timeout=SLOW):
        screen.evaluate("() => fetch(document.getElementById('screen').dataset.api)")
    screen_watch.screenshot("dashboard-screen")
    screen_watch.assert_clean()

    phone, phone_watch = open_page("phone")
    login(phone, base, org.user("a", "village_cadre"))
    phone.goto(f"{base}/analytics/", timeout=SLOW)
    phone.wait_for_selector("#chart-trend canvas", timeout=SLOW)
    phone_watch.screenshot("dashboard-phone")
    phone_watch.assert_clean()
