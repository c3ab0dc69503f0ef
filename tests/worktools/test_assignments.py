"""Leader assignments run as events of source "leader", with the unit's queue and the leader's progress."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from jiceng.events.actions import perform
from jiceng.events.models import Event, Source
from jiceng.notifications.models import Notification
from jiceng.worktools.models import LeaderAssignment
from tests.conftest import Org

pytestmark = pytest.mark.django_db


def body(org: Org, **extra: Any) -> dict[str, Any]:
    return {
        "unit_code": org.units["station_a"].code,
        "category": "0301",
        "title": "清理解放路沿街垃圾",
        "deadline": (timezone.localdate() + timedelta(days=5)).isoformat(),
        **extra,
    }


def test_leader_assigns_and_follows_progress(org: Org, categories: Any, api_as: Any) -> None:
    leader = api_as(org.user("a", "leader"))
    response = leader.post_json("/api/v1/worktools/assignments", body(org))
    assert response.status_code == 201, response.content
    item = response.json()
    event = Event.objects.get(pk=item["event_id"])
    assert event.source == Source.LEADER and event.region_code == org.regions["township_a"].code
    assert Notification.objects.filter(user=org.user("a", "handler"), kind="leader_assignment").exists()
    # The station sees it in its queue; township B's station does not.
    assert [
        a["id"] for a in api_as(org.user("a", "handler")).get("/api/v1/worktools/assignments").json()
    ] == [item["id"]]
    assert api_as(org.user("b", "handler")).get("/api/v1/worktools/assignments").json() == []
    assert len(api_as(org.user("a", "dispatcher")).get("/api/v1/worktools/assignments").json()) == 1
    # The usual flow: the dispatcher accepts and dispatches to the station, which handles.
    dispatcher, handler = org.user("a", "dispatcher"), org.user("a", "handler")
    perform(dispatcher, event.pk, "accept")
    perform(dispatcher, event.pk, "dispatch", lead_unit=org.units["station_a"].code)
    perform(handler, event.pk, "sign")
    perform(handler, event.pk, "handle", comment="已清理")
    given = leader.get("/api/v1/worktools/assignments?view=given").json()
    assert given[0]["state"] == "handled" and given[0]["overdue"] is False


def test_overdue_and_refusals(org: Org, categories: Any, api_as: Any) -> None:
    leader = org.user("a", "leader")
    item = api_as(leader).post_json("/api/v1/worktools/assignments", body(org)).json()
    LeaderAssignment.objects.filter(pk=item["id"]).update(deadline=timezone.localdate() - timedelta(days=1))
    assert api_as(leader).get("/api/v1/worktools/assignments?view=given").json()[0]["overdue"] is True
    # Only leaders; units in their jurisdiction; deadlines ahead.
    assert (
        api_as(org.user("a", "dispatcher")).post_json("/api/v1/worktools/assignments", body(org)).status_code
        == 403
    )
    outside = api_as(leader).post_json(
        "/api/v1/worktools/assignments", body(org, unit_code=org.units["station_b"].code)
    )
    assert outside.status_code == 422 and outside.json()["code"] == "invalid_unit"
    past = api_as(leader).post_json(
        "/api/v1/worktools/assignments",
        body(org, deadline=(timezone.localdate() - timedelta(days=1)).isoformat()),
    )
    assert past.status_code == 422 and past.json()["code"] == "invalid_deadline"
    nobody = api_as(leader).post_json("/api/v1/worktools/assignments", body(org, assignee="b_handler"))
    assert nobody.status_code == 422
    assert LeaderAssignment.objects.count() == 1 and Event.objects.count() == 1
