"""What a QA walkthrough found, checked in Chromium: the work log's date picker shows its date (and the
log saves as prefilled), a locked account's page has no CSP violation, and opening an action's address
shows the platform's Chinese 405 page rather than the browser's own."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from jiceng.worktools.models import WorkLog
from tests.browser.test_dashboard import login
from tests.conftest import Org

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_work_log_date_shows_and_saves(open_page: Any, live_server: Any, org: Org) -> None:
    from playwright.sync_api import expect

    worker = org.user("a", "grid_worker")
    page, watch = open_page("phone")
    login(page, live_server.url, worker)
    page.goto(f"{live_server.url}/worktools/logs/")
    today = timezone.localdate().isoformat()
    expect(page.locator('input[name="day"]')).to_have_value(today)  # the browser accepted the value
    page.locator('textarea[name="content"]').fill("走访三户，排查隐患一处。")
    page.locator('form.panel button[type="submit"]').click()
    expect(page).to_have_url(f"{live_server.url}/worktools/logs/?day={today}")
    assert WorkLog.objects.filter(author=worker, day=today).exists()
    watch.assert_clean()


def test_a_locked_account_page_and_a_405_page(open_page: Any, live_server: Any, org: Org) -> None:
    from playwright.sync_api import expect

    target = org.user("a", "grid_worker")
    target.locked_until = timezone.now() + timedelta(minutes=15)
    target.save(update_fields=["locked_until"])
    page, watch = open_page("desktop")
    login(page, live_server.url, org.user("county", "admin"))
    page.goto(f"{live_server.url}/accounts/users/{target.username}/")
    unlock = page.locator(f'form[action="/accounts/users/{target.username}/unlock/"]')
    expect(unlock).to_be_visible()
    assert unlock.evaluate("f => getComputedStyle(f).display") == "inline"
    watch.assert_clean()
    response = page.goto(f"{live_server.url}/accounts/users/{target.username}/unlock/")
    assert response is not None and response.status == 405
    expect(page.locator("h1")).to_have_text("405")
    expect(page.locator(".error-page")).to_contain_text("不能直接打开")
    watch.assert_clean(ignore=("405",))
