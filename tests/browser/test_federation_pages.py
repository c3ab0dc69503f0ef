"""The hub's pages on a phone: the interface registry and the routed events fit the screen, one or two
lines a row, instead of columns squeezed to a character each."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.conftest import Org

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(page: Any, base: str, user: Any) -> None:
    client = Client()
    client.force_login(user)
    page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base}])


def test_hub_tables_fit_a_phone(open_page: Any, live_server: Any, org: Org, settings: Any) -> None:
    from jiceng.federation.models import MessageType, SystemKind
    from tests.federation.conftest import envelope, post, system
    from tests.federation.test_inbox import ESCALATE

    settings.PLATFORM_ROLE, settings.PLATFORM_CODE = "hub", "HUB"
    system("330199", SystemKind.COUNTY, name="测试县")
    system("DEPT-A", SystemKind.DEPARTMENT, name="省生态环境厅执法系统", categories=["05"], priority=10)
    system("DEPT-B", SystemKind.DEPARTMENT, name="省自然资源厅执法系统", categories=["05"], priority=20)
    for n in range(1, 4):
        payload = {**ESCALATE, "ref": f"SJ20261126000000{n}", "title": f"东门村违法建设线索 第{n}号"}
        post(envelope(MessageType.ESCALATE, payload, correlation=f"330199/{n}", sequence=1))
    page, watch = open_page("phone")
    login(page, live_server.url, org.user("county", "hub_operator"))
    for url, table in (("/federation/", "#peers"), ("/federation/routes/", "table.routes")):
        page.goto(f"{live_server.url}{url}")
        watch.screenshot(f"phone-hub{url.replace('/', '-')}")
        wrap = page.locator(table).locator("xpath=..")
        assert wrap.evaluate("e => e.scrollWidth <= e.clientWidth"), f"{url}: the table sticks out"
        tallest = page.locator(f"{table} tbody tr").evaluate_all(
            "rows => Math.max(...rows.map(r => r.getBoundingClientRect().height))"
        )
        assert tallest < 120, f"{url}: rows {tallest}px high, columns squeezed"
    watch.assert_clean()
