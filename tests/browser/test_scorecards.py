"""Scorecards on a phone: the table scrolls sideways instead of breaking names and scores one
character a line."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from jiceng.analytics import actions, scoring
from jiceng.analytics.models import PeriodKind
from jiceng.analytics.rollups import local_day
from tests.browser.test_dashboard import SLOW, login
from tests.conftest import Org

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
RULES = ("on_time_rate", "close_rate", "rework_rate", "extension_rate", "satisfaction", "overdue", "returns")


def test_names_and_scores_keep_to_one_line_on_a_phone(
    open_page: Any, live_server: Any, org: Org, categories: Any
) -> None:
    for metric in RULES:
        actions.create_rule(
            org.user("county", "admin"),
            name=f"规则{metric}",
            subject_type="unit",
            metric=metric,
            weight="10",
            deduction="1",
        )
    month = local_day(timezone.now()).replace(day=1)
    scoring.compute_scorecard(org.user("county", "leader"), PeriodKind.MONTH, month)
    page, watch = open_page("phone")
    login(page, live_server.url, org.user("county", "leader"))
    page.goto(f"{live_server.url}/analytics/scorecards/?kind=month&period={month:%Y-%m}", timeout=SLOW)
    cells = page.locator("td.score-name, td.score-total")
    assert cells.count() >= 2
    lines = page.evaluate(
        """() => [...document.querySelectorAll('td.score-name, td.score-total')].map(td => {
             const range = document.createRange(); range.selectNodeContents(td);
             return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size; })"""
    )
    assert set(lines) == {1}, lines
    assert (
        page.evaluate("() => document.documentElement.scrollWidth") <= 390
    )  # the table scrolls, not the page
    watch.screenshot("scorecards-phone")
    watch.assert_clean()
