"""In Chromium at phone width: the device page's charts are readable."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from jiceng.iot.ingest import TELEMETRY, ingest
from tests.browser.conftest import chromium, open_page  # noqa: F401  (fixtures)
from tests.browser.test_event_flow import log_in, no_sideways_scroll
from tests.conftest import Org
from tests.iot.conftest import make_iot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_device_chart_drops_overlapping_time_labels_on_a_phone(
    open_page: Any,  # noqa: F811
    live_server: Any,
    org: Org,
    categories: Any,
) -> None:
    from playwright.sync_api import expect

    make_iot(org)
    start = timezone.now() - timedelta(days=2)
    for i in range(0, 48 * 12, 12):  # a reading an hour for two days
        ingest(
            "BIN-A", TELEMETRY, {"ts": (start + timedelta(minutes=5 * i)).isoformat(), "values": {"fill": 40}}
        )
    phone, watch = open_page("phone")
    log_in(phone, live_server.url, org.user("county", "admin").username, "/iot/devices/BIN-A/")
    expect(phone.locator(".iot-chart").first).to_be_visible()
    chart = "echarts.getInstanceByDom(document.querySelector('.iot-chart'))"
    hide = phone.evaluate(f"() => {chart}.getOption().xAxis[0].axisLabel.hideOverlap")
    assert hide is True
    no_sideways_scroll(phone)
    watch.assert_clean()
