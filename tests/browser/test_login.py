"""A dispatcher logs in through the real login page in Chromium and sees the home page in Chinese,
at desktop width and at phone width (where the menu toggle reveals the navigation), with no console
errors and no Content-Security-Policy violations."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.utils import translation

from tests.conftest import PASSWORD, Org

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CJK = re.compile(r"[\u4e00-\u9fff]")


def zh(msgid: str) -> str:
    """The Simplified Chinese the page should show for ``msgid``; fails if it is not translated."""
    with translation.override("zh-hans"):
        text = translation.gettext(msgid)
    assert CJK.search(text), f"no zh-hans translation for {msgid!r} (src/jiceng/locale, `make messages`)"
    return text


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_dispatcher_logs_in_and_sees_the_home_page_in_chinese(
    open_page: Any, live_server: Any, org: Org, device: str
) -> None:
    from playwright.sync_api import expect

    user = org.user("a", "dispatcher")
    page, watch = open_page(device)

    # Anonymous: the home page sends us to the login page, in Chinese.
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("h1")).to_have_text(zh("Log in"))
    expect(page.get_by_role("button", name=zh("Log in"))).to_be_visible()
    watch.screenshot(f"{device}-login")

    page.get_by_label(zh("Username")).fill(user.username)
    page.get_by_label(zh("Password")).fill(PASSWORD)
    page.get_by_role("button", name=zh("Log in")).click()

    # Logged in: the home page, in Chinese, with the user's unit and jurisdiction.
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    heading = page.locator("h1")
    expect(heading).to_contain_text(user.username)
    assert CJK.search(heading.inner_text()), f"the greeting is not in Chinese: {heading.inner_text()!r}"
    expect(page.locator(".whoami")).to_contain_text("A镇综合信息指挥室")
    expect(page.locator(".lead")).to_contain_text("A镇")
    expect(page.locator(".cards")).to_contain_text(zh("Grids"))
    assert page.evaluate("typeof window.htmx") == "object", "htmx did not load from static/vendor/"

    nav = page.locator("nav.mainnav")
    toggle = page.locator("label.nav-toggle-label")
    expected_links = [zh("Home"), zh("Regions"), zh("Units")]
    if device == "phone":
        # The menu is folded away until the toggle is tapped.
        expect(nav).to_be_hidden()
        expect(toggle).to_be_visible()
        watch.screenshot(f"{device}-home")
        toggle.click()
        expect(nav).to_be_visible()
        watch.screenshot(f"{device}-menu-open")
    else:
        expect(toggle).to_be_hidden()
        expect(nav).to_be_visible()
        watch.screenshot(f"{device}-home")
    expect(nav.get_by_role("link", name=zh("Units"), exact=True)).to_be_hidden()  # folded in its menu
    nav.locator("summary", has_text=zh("Administration")).click()
    watch.screenshot(f"{device}-menu-administration")
    for label in expected_links:
        link = nav.get_by_role("link", name=label, exact=True)
        expect(link).to_be_visible()
        box = link.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"]
    # A dispatcher is not offered the administrators' pages.
    expect(nav.get_by_role("link", name=zh("Audit log"))).to_have_count(0)
    # Nothing sticks out sideways (no horizontal scrolling on a phone).
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"page is {overflow}px wider than the {device} viewport"

    # The nav works: the regions page opens in Chinese.
    nav.get_by_role("link", name=zh("Regions"), exact=True).click()
    expect(page).to_have_url(re.compile(r"/org/regions/"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")

    watch.assert_clean()
