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


def test_the_records_behind_a_score_read_on_a_phone(
    open_page: Any, live_server: Any, org: Org, categories: Any
) -> None:
    from jiceng.analytics.models import ScoreItem
    from tests.analytics.conftest import build_history

    now = timezone.now()
    build_history(org, now)
    actions.create_rule(
        org.user("county", "admin"), name="结案率", subject_type="township", metric="close_rate", weight="10"
    )
    card = scoring.compute_scorecard(org.user("county", "leader"), PeriodKind.MONTH, local_day(now))
    item = ScoreItem.objects.get(row__scorecard=card, row__subject_code=org.regions["township_a"].code)
    assert item.event_ids
    page, watch = open_page("phone")
    login(page, live_server.url, org.user("a", "dispatcher"))
    page.goto(f"{live_server.url}/analytics/scores/{item.pk}/", timeout=SLOW)
    lines = page.evaluate(
        """() => [...document.querySelectorAll('td.nowrap')].map(td => {
             const range = document.createRange(); range.selectNodeContents(td);
             return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size; })"""
    )
    assert lines and set(lines) == {1}, lines  # 已办结 on one line, not one character a line
    title = page.locator("tbody tr >> nth=0").locator("td >> nth=1")
    assert title.bounding_box()["width"] >= 100  # the title keeps a readable width
    watch.screenshot("score-item-phone")
    watch.assert_clean()
