"""The window workbench in Chromium: from a new application to its acceptance, with no console errors,
failed requests or Content-Security-Policy violations."""

from __future__ import annotations

import re
from typing import Any

import pytest

from jiceng.applications.models import Application, ApplicationState
from tests.applications.conftest import Services
from tests.browser.conftest import chromium, open_page  # noqa: F401 - the browser fixtures
from tests.browser.test_event_flow import log_in, zh

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_window_intake_to_acceptance(open_page: Any, live_server: Any, svc: Services) -> None:  # noqa: F811
    from playwright.sync_api import expect

    base = live_server.url
    page, watch = open_page("desktop")
    log_in(page, base, svc.user("a", "window").username, "/services/")
    page.get_by_role("link", name=zh("New application"), exact=True).click()
    page.locator('[data-item="MZ-001"]').click()
    page.get_by_label(zh("Name, ID number or phone")).fill("张三")
    page.get_by_role("button", name=zh("Search"), exact=True).click()
    page.locator('input[name="person"]').first.check()
    for box in page.locator('input[name="provided"]').all():
        box.check()
    page.get_by_label("家庭人口数").fill("3")
    page.get_by_label("家庭月人均收入（元）").fill("520")
    page.get_by_label("申请事由").fill("丈夫因病丧失劳动能力")
    watch.screenshot("applications-intake")
    page.get_by_role("button", name=zh("Submit the application")).click()
    expect(page).to_have_url(re.compile(rf"{re.escape(base)}/services/\d+/$"))
    expect(page.locator(".app-head .state")).to_have_text(zh("Submitted, to accept"))
    page.get_by_role("button", name=zh("Accept"), exact=True).click()
    page.wait_for_load_state()
    expect(page.locator(".app-head .state")).to_have_text(zh("Under review"))
    expect(page.locator(".timeline")).to_contain_text("A镇社会事务办")
    watch.screenshot("applications-accepted")
    app = Application.objects.get()
    assert app.state == ApplicationState.REVIEWING and app.form_data["household_size"] == 3
    watch.assert_clean()
