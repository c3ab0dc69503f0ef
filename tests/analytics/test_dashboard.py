"""The dashboard figures equal a direct count over the events at every level, and stay in the jurisdiction."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from django.db.models import Q, QuerySet
from django.utils import translation

from jiceng.analytics import queries
from jiceng.analytics.rollups import local_day, local_zone
from jiceng.events.models import OPEN_STATES, Event, EventState
from jiceng.events.tasks import check_deadlines
from tests.analytics.conftest import History
from tests.conftest import Org


def _start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=local_zone())


def direct(prefix: str, start: date, end: date) -> dict[str, Any]:
    """The dashboard's definitions, counted straight from the events (see analytics/metrics.py)."""
    everything = Event.objects.filter(region_code__startswith=prefix)
    period: QuerySet[Event] = everything.filter(
        reported_at__gte=_start(start), reported_at__lt=_start(end + timedelta(days=1))
    )
    accepted = period.exclude(state__in=[EventState.REPORTED, EventState.REJECTED, EventState.MERGED])
    suspended = period.filter(state=EventState.SUSPENDED)
    closed = period.filter(state=EventState.CLOSED)
    late = Q(handle_due_at__isnull=False, handled_at__isnull=False, handled_at__gt=models_f("handle_due_at"))
    on_time = closed.exclude(late)
    due = accepted.count() - suspended.count()
    satisfied = period.filter(evaluation__in=["satisfied", "basically_satisfied"]).count()
    evaluations = period.exclude(evaluation="").count()

    def rate(n: int, d: int) -> float | None:
        return None if d <= 0 else round(n / d, 4)

    open_now = everything.filter(state__in=OPEN_STATES)
    today_start = _start(end)
    return {
        "new_today": everything.filter(reported_at__gte=today_start).count(),
        "open": open_now.count(),
        "overdue": open_now.filter(warning="red").count(),
        "reported": period.count(),
        "accepted": accepted.count(),
        "closed": closed.count(),
        "closed_on_time": on_time.count(),
        "suspended": suspended.count(),
        "reworked": period.filter(Q(rework_count__gt=0) | Q(reopen_count__gt=0)).count(),
        "extended": period.filter(extension_count__gt=0).count(),
        "evaluations": evaluations,
        "on_time_rate": rate(on_time.count(), due),
        "close_rate": rate(closed.count(), due),
        "rework_rate": rate(period.filter(Q(rework_count__gt=0) | Q(reopen_count__gt=0)).count(), due),
        "extension_rate": rate(period.filter(extension_count__gt=0).count(), due),
        "satisfaction": rate(satisfied, evaluations),
        "by_category": Counter(period.values_list("category__parent__code", flat=True)),
        "by_source": Counter(period.values_list("source", flat=True)),
        "by_unit": Counter(
            str(u) for u in period.exclude(lead_unit=None).values_list("lead_unit_id", flat=True)
        ),
        "reported_per_day": Counter(local_day(at) for at in everything.values_list("reported_at", flat=True)),
        "closed_per_day": Counter(
            local_day(at)
            for at in everything.filter(state=EventState.CLOSED).values_list("closed_at", flat=True)
        ),
    }


def models_f(name: str) -> Any:
    from django.db.models import F

    return F(name)


def assert_dashboard_is_direct(data: dict[str, Any], prefix: str) -> None:
    today = data["today"]
    want = direct(prefix, data["period_start"], today)
    cards = data["cards"]
    for name in (
        "new_today",
        "open",
        "overdue",
        "reported",
        "accepted",
        "closed",
        "closed_on_time",
        "suspended",
        "reworked",
        "extended",
        "evaluations",
        "on_time_rate",
        "close_rate",
        "rework_rate",
        "extension_rate",
        "satisfaction",
    ):
        assert cards[name] == want[name], (prefix, name, cards[name], want[name])
    assert {r["code"]: r["reported"] for r in data["by_category"]} == dict(want["by_category"])
    assert {r["code"]: r["reported"] for r in data["by_source"]} == dict(want["by_source"])
    assert {r["code"]: r["reported"] for r in data["units"] if r["reported"]} == dict(want["by_unit"])
    for point in data["trend"]:
        assert point["reported"] == want["reported_per_day"].get(point["day"], 0), point
        assert point["closed"] == want["closed_per_day"].get(point["day"], 0), point


LEVELS = [
    # (who looks, which region's dashboard, the region's code prefix)
    (("county", "leader"), None, "county"),
    (("a", "dispatcher"), None, "township_a"),
    (("a", "village_cadre"), None, "village_a"),
    (("a", "dispatcher"), "grid_a", "grid_a"),
    (("county", "county_center"), "township_b", "township_b"),
]


@pytest.mark.parametrize(("who", "region", "node"), LEVELS)
@pytest.mark.parametrize("days", [7, 30])
def test_every_level_equals_a_direct_count(
    org: Org, history: History, who: tuple[str, str], region: str | None, node: str, days: int
) -> None:
    code = org.regions[region].code if region else None
    data = queries.dashboard(org.user(*who), code, days=days)
    assert data["node"].code == org.regions[node].code
    assert data["cards"]["reported"] > 0
    assert_dashboard_is_direct(data, org.regions[node].scope_prefix)


def test_children_and_grids_rank_the_regions_below(org: Org, history: History) -> None:
    data = queries.dashboard(org.user("county", "leader"), None)
    children = {r["code"]: r for r in data["children"]}
    assert set(children) == {org.regions["township_a"].code, org.regions["township_b"].code}
    for key in ("township_a", "township_b"):
        want = direct(org.regions[key].scope_prefix, data["period_start"], data["today"])
        row = children[org.regions[key].code]
        assert (row["reported"], row["closed"], row["on_time_rate"]) == (
            want["reported"],
            want["closed"],
            want["on_time_rate"],
        )
        assert row["open"] == want["open"]
    grids = {r["code"]: r["reported"] for r in data["grids"]}
    for key in ("grid_a", "grid_b"):
        assert (
            grids[org.regions[key].code]
            == direct(org.regions[key].code, data["period_start"], data["today"])["reported"]
        )
    hotspot = {h["code"]: h for h in data["hotspot"]}
    assert (
        hotspot[org.regions["township_a"].code]["value"]
        == children[org.regions["township_a"].code]["reported"]
    )
    assert {c["code"] for c in hotspot[org.regions["township_a"].code]["children"]} == {
        org.regions["village_a"].code
    }


def test_a_township_user_sees_nothing_of_the_other_township(org: Org, history: History, api_as: Any) -> None:
    user = org.user("a", "dispatcher")
    data = queries.dashboard(user, None)
    assert data["node"].code == org.regions["township_a"].code
    b_codes = {org.regions[k].code for k in ("township_b", "village_b", "grid_b")}
    a_prefix = org.regions["township_a"].scope_prefix
    assert all(c["code"].startswith(a_prefix) for c in data["children"])
    assert all(g["code"].startswith(a_prefix) for g in data["grids"])
    assert all(h["code"].startswith(a_prefix) for h in data["hotspot"])
    assert all(r["region_code"].startswith(a_prefix) for r in data["recurring"])
    assert str(org.units["station_b"].pk) not in {u["code"] for u in data["units"]}
    assert data["parent"] is None  # the county is not theirs to see
    # Township B's event of today is not in A's figures.
    assert (
        data["cards"]["new_today"]
        == Event.objects.filter(
            region_code__startswith=a_prefix, reported_at__gte=_start(data["today"])
        ).count()
    )
    # The JSON says nothing of township B either, and B's regions answer 404.
    client = api_as(user)
    body = client.get("/api/v1/analytics/dashboard").content.decode()
    assert not any(code in body for code in b_codes)
    assert "B镇" not in body and "B村" not in body
    for key in ("township_b", "village_b", "grid_b", "county"):
        response = client.get(f"/api/v1/analytics/regions/{org.regions[key].code}/dashboard")
        assert response.status_code == 404, key
        assert response.json()["code"] == "not_found"


def test_residents_have_no_dashboard(org: Org, api_as: Any, page_as: Any) -> None:
    resident = org.user("none", "resident")
    assert api_as(resident).get("/api/v1/analytics/dashboard").status_code == 403
    assert page_as(resident).get("/analytics/").status_code == 403
    assert api_as(None).get("/api/v1/analytics/dashboard").status_code == 401


def test_the_deadline_check_keeps_overdue_counts_right(org: Org, history: History) -> None:
    later = history.now + timedelta(days=20)
    result = check_deadlines(later)
    assert result["red"] > 0
    for who, prefix in ((("county", "leader"), "county"), (("a", "dispatcher"), "township_a")):
        data = queries.dashboard(org.user(*who), None)
        want = direct(org.regions[prefix].scope_prefix, data["period_start"], data["today"])
        assert data["cards"]["overdue"] == want["overdue"] > 0
        assert data["cards"]["reported"] == want["reported"]
    # The ranking's overdue column is the cards' (open and red now), not the period's closed-late.
    data = queries.dashboard(org.user("county", "leader"), None)
    for row in data["children"]:
        want = direct(row["code"][:9], data["period_start"], data["today"])
        assert row["overdue_now"] == want["overdue"]
    assert sum(r["overdue_now"] for r in data["children"]) == data["cards"]["overdue"]


def test_pages_render_with_their_data(org: Org, history: History, page_as: Any) -> None:
    client = page_as(org.user("a", "dispatcher"))
    page = client.get("/analytics/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="dashboard-data"' in html
    # No inline script (the Content-Security-Policy allows none): only files and JSON data.
    assert not re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", html)
    assert "style=" not in html
    assert client.get(f"/analytics/regions/{org.regions['grid_a'].code}/?days=90").status_code == 200
    assert client.get(f"/analytics/regions/{org.regions['grid_b'].code}/").status_code == 404
    screen = client.get("/analytics/screen/")
    assert screen.status_code == 200 and b'data-refresh="60"' in screen.content
    assert client.get("/analytics/warnings/").status_code == 200
    report = client.get(f"/analytics/report/?month={local_day(history.now):%Y-%m}")
    assert report.status_code == 200
    assert report["Content-Type"].startswith("application/vnd.openxmlformats")


def test_service_application_figures_are_those_of_the_node(org: Org, api_as: Any) -> None:
    from tests.applications.conftest import make_application

    for key, n in (("a", 3), ("b", 1)):
        for _ in range(n):
            make_application(org, org.regions[f"village_{key}"].code)
    county = api_as(org.user("county", "leader")).get("/api/v1/analytics/dashboard").json()["applications"]
    assert county["total"] == 4 and county["open"] == 4
    township_a = api_as(org.user("a", "dispatcher")).get("/api/v1/analytics/dashboard").json()
    assert township_a["applications"]["total"] == 3
    region_b = org.regions["township_b"].code
    seen_from_county = api_as(org.user("county", "leader")).get(
        f"/api/v1/analytics/regions/{region_b}/dashboard"
    )
    assert seen_from_county.json()["applications"]["total"] == 1


def test_a_villages_grids_are_ranked_once(org: Org, history: History, page_as: Any) -> None:
    village = org.regions["village_a"].code
    data = queries.dashboard(org.user("county", "leader"), village)
    assert org.regions["grid_a"].code in {c["code"] for c in data["children"]}
    assert data["grids"] == []  # the same grids as the children: not a second ranking
    page = page_as(org.user("county", "leader")).get(f"/analytics/regions/{village}/").content.decode()
    assert page.count('<table class="list rank">') == 2  # the grids and the lead units


def test_the_category_charts_say_they_show_the_largest_only(org: Org, history: History, page_as: Any) -> None:
    client = page_as(org.user("county", "leader"))
    with translation.override("zh-hans"):
        assert "按类别（前10位）" in client.get("/analytics/").content.decode()
        assert "按类别（前8位，近30天）" in client.get("/analytics/screen/").content.decode()


def test_the_monthly_report_of_any_past_month_can_be_asked_for(
    org: Org, history: History, page_as: Any
) -> None:
    client = page_as(org.user("a", "dispatcher"))
    html = client.get(f"/analytics/regions/{org.regions['village_a'].code}/").content.decode()
    form = re.search(
        r'<form class="report-form" method="get" action="/analytics/report/">.*?</form>', html, re.S
    )
    assert form is not None, "the dashboard offers no month to choose"
    this_month = f"{local_day(history.now):%Y-%m}"
    assert f'type="month" name="month" value="{this_month}" max="{this_month}"' in form.group(0)
    assert f'name="region" value="{org.regions["village_a"].code}"' in form.group(0)


def test_the_screen_of_a_grid_names_its_empty_ranking(org: Org, history: History, page_as: Any) -> None:
    client = page_as(org.user("a", "dispatcher"))
    with translation.override("zh-hans"):
        page = client.get(f"/analytics/screen/{org.regions['grid_a'].code}/").content.decode()
    assert "<h2>排名：微网格 <span" in page and "<h2>排名： <span" not in page


def test_the_application_cards_say_they_count_the_periods_applications(org: Org, page_as: Any) -> None:
    """Unlike the event cards (open and overdue now), the 办件 cards count the period's applications,
    and overdue includes those concluded late: the labels say so."""
    from tests.applications.conftest import make_application

    make_application(org, org.regions["village_a"].code)
    with translation.override("zh-hans"):
        page = page_as(org.user("a", "dispatcher")).get("/analytics/").content.decode()
    assert "其中在办" in page and "其中超期（含逾期办结）" in page
    assert "在办办件" not in page and "超期办件" not in page


def test_the_screens_ranking_says_what_its_figures_are(org: Org, history: History, page_as: Any) -> None:
    with translation.override("zh-hans"):
        page = page_as(org.user("county", "leader")).get("/analytics/screen/").content.decode()
    assert '<span class="legend">上报数 · 按期办结率</span></h2><ol id="rank-children">' in page
