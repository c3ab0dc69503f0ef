"""Early warning: a spike of a category in a township is recorded once and its command room told once."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.utils import timezone

from jiceng.analytics import alerts, queries
from jiceng.analytics.models import EarlyWarning
from jiceng.analytics.rollups import local_day, local_zone
from jiceng.analytics.tasks import detect_spikes
from jiceng.events.actions import report_event
from jiceng.notifications.models import Notification
from tests.conftest import Org
from tests.events.conftest import IN_GRID_A, IN_GRID_B


def _report(org: Org, where: str, at: Any, n: int, category: str = "0301") -> None:
    place = IN_GRID_A if where == "a" else IN_GRID_B
    extra = {"form_data": {"parties": 2}} if category == "D0101" else {}
    for i in range(n):
        report_event(
            org.user(where, "grid_worker"), category=category, title=f"{where}{i}", now=at, **place, **extra
        )


def _earlier_today(now: datetime, minutes: int) -> datetime:
    """``minutes`` before ``now``, but not before the local midnight (a run just after midnight)."""
    return max(now - timedelta(minutes=minutes), datetime.combine(local_day(now), time.min, local_zone()))


def test_a_spike_is_raised_once_and_notifies_the_command_room(org: Org, categories: Any) -> None:
    now = timezone.now()
    # A baseline of about one a week in township A; family disputes steady at two a day in B.
    for days_ago in (3, 10, 17, 24):
        _report(org, "a", now - timedelta(days=days_ago), 1)
    for days_ago in range(1, 29):
        _report(org, "b", now - timedelta(days=days_ago), 2, category="D0101")
    # Today: seven garbage reports in A (a spike), two family disputes in B (as usual), four garbage
    # reports in B (unusual, but under the minimum of five).
    _report(org, "a", _earlier_today(now, 30), 7)
    _report(org, "b", _earlier_today(now, 20), 2, category="D0101")
    _report(org, "b", _earlier_today(now, 10), 4)

    first = detect_spikes()
    assert first == {"spikes": 1, "raised": 1, "notified": 1}
    warning = EarlyWarning.objects.get()
    assert (warning.region_code, warning.category.code, warning.count) == (
        org.regions["township_a"].code,
        "0301",
        7,
    )
    assert warning.day == local_day(now)
    assert warning.threshold < 7 and warning.baseline_mean == round(4 / 28, 3)
    notes = Notification.objects.filter(kind="early_warning")
    assert [n.user for n in notes] == [org.user("a", "dispatcher")]
    assert "暴露垃圾" in notes[0].title

    # Again, and once more after another report: nothing new is raised or sent; the count follows.
    assert detect_spikes(local_day(now).isoformat()) == {"spikes": 1, "raised": 0, "notified": 0}
    _report(org, "a", _earlier_today(now, 5), 1)
    assert detect_spikes() == {"spikes": 1, "raised": 0, "notified": 0}
    assert EarlyWarning.objects.get().count == 8
    assert Notification.objects.filter(kind="early_warning").count() == 1

    # On township A's dashboard, not on B's.
    a = queries.dashboard(org.user("a", "dispatcher"), None)
    b = queries.dashboard(org.user("b", "dispatcher"), None)
    assert [w.pk for w in a["warnings"]] == [warning.pk]
    assert b["warnings"] == []
    county = queries.dashboard(org.user("county", "leader"), None)
    assert [w.pk for w in county["warnings"]] == [warning.pk]


def test_a_quiet_day_raises_nothing(org: Org, categories: Any) -> None:
    now = timezone.now()
    for days_ago in range(1, 29):
        _report(org, "a", now - timedelta(days=days_ago), 5 if days_ago % 2 else 6)
    _report(org, "a", _earlier_today(now, 5), 6)
    assert alerts.raise_warnings() == {"spikes": 0, "raised": 0, "notified": 0}
    assert not EarlyWarning.objects.exists()


def test_warnings_api_and_page_stay_in_the_jurisdiction(
    org: Org, categories: Any, api_as: Any, page_as: Any
) -> None:
    now = timezone.now()
    _report(org, "b", _earlier_today(now, 5), 6)
    assert detect_spikes()["raised"] == 1
    assert api_as(org.user("a", "dispatcher")).get("/api/v1/analytics/warnings").json() == []
    listed = api_as(org.user("b", "dispatcher")).get("/api/v1/analytics/warnings").json()
    assert [w["region_code"] for w in listed] == [org.regions["township_b"].code]
    assert "B镇" not in page_as(org.user("a", "leader")).get("/analytics/warnings/").content.decode()
    assert "B镇" in page_as(org.user("county", "leader")).get("/analytics/warnings/").content.decode()
