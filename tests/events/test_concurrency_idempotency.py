from __future__ import annotations

from typing import Any

import pytest

from jiceng.core.errors import Conflict
from jiceng.events.actions import perform, report_event
from jiceng.events.models import Event, EventFlow
from tests.conftest import Org, build_org
from tests.core.test_concurrency import race
from tests.events.conftest import IN_GRID_A


def make_categories() -> None:
    from jiceng.events.models import EventCategory, Platform

    city = EventCategory.objects.create(code="03", name="市容环境", platform=Platform.LAW_ENFORCEMENT)
    EventCategory.objects.create(code="0301", name="暴露垃圾", parent=city, platform=Platform.LAW_ENFORCEMENT)


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_dispatches_one_wins_one_conflicts() -> None:
    org = build_org()
    make_categories()
    dispatcher = org.user("a", "dispatcher")
    event, _ = report_event(org.user("a", "grid_worker"), category="0301", title="并发", **IN_GRID_A)
    event = perform(dispatcher, event.pk, "accept")
    results = race(
        lambda: perform(dispatcher, event.pk, "dispatch", version=event.version, lead_unit="T001-SFS"),
        lambda: perform(dispatcher, event.pk, "dispatch", version=event.version, lead_unit="V001001-CWH"),
    )
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "Event"], results
    stored = Event.objects.get(pk=event.pk)
    winner = next(r for r in results if isinstance(r, Event))
    assert stored.lead_unit_id == winner.lead_unit_id and stored.version == event.version + 1
    assert EventFlow.objects.filter(event=event, action="dispatch").count() == 1
    conflict = next(r for r in results if isinstance(r, Conflict))
    assert conflict.status == 409


def test_stale_version_answers_409_and_changes_nothing(org: Org, categories: Any, api_as) -> None:
    event, _ = report_event(org.user("a", "grid_worker"), category="0301", title="旧版本", **IN_GRID_A)
    client = api_as(org.user("a", "dispatcher"))
    assert client.post_json(f"/api/v1/events/{event.pk}/actions/accept", {"version": 1}).status_code == 200
    stale = client.post_json(
        f"/api/v1/events/{event.pk}/actions/dispatch",
        {"version": 1, "lead_unit": org.units["station_a"].code},
    )
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"
    assert Event.objects.get(pk=event.pk).state == "pending_dispatch"
    wrong_state = client.post_json(f"/api/v1/events/{event.pk}/actions/sign", {})
    assert wrong_state.status_code in (403, 409)


def test_same_idempotency_key_gives_one_event(org: Org, categories: Any, api_as) -> None:
    client = api_as(org.user("a", "grid_worker"))
    body = {"category": "0301", "title": "重复提交", **IN_GRID_A}
    first = client.post(
        "/api/v1/events", body, content_type="application/json", headers={"Idempotency-Key": "k-1"}
    )
    again = client.post(
        "/api/v1/events", body, content_type="application/json", headers={"Idempotency-Key": "k-1"}
    )
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    other = client.post(
        "/api/v1/events", body, content_type="application/json", headers={"Idempotency-Key": "k-2"}
    )
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]
    assert Event.objects.count() == 2


def test_hotline_orders_are_idempotent_on_the_order_number(org: Org, categories: Any, api_as) -> None:
    hotline = api_as(org.user("county", "county_center"))
    body = {
        "category": "0301",
        "title": "市民来电：垃圾未清运",
        "source": "hotline",
        "source_ref": "12345-20261126001",
        "reporter_name": "王先生",
        "reporter_phone": "13700001111",
        **IN_GRID_A,
    }
    first = hotline.post_json("/api/v1/events", body)
    again = hotline.post_json("/api/v1/events", {**body, "title": "重复推送"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert Event.objects.filter(source="hotline").count() == 1
    assert first.json()["level"] == "township"  # goes to the township where it happened
    # A grid worker cannot pretend to be the hotline.
    grid = api_as(org.user("a", "grid_worker")).post_json("/api/v1/events", {**body, "source_ref": "x"})
    assert grid.status_code == 403


@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_with_one_key_make_one_event() -> None:
    org = build_org()
    make_categories()
    user = org.user("a", "grid_worker")
    results = race(
        *[
            (
                lambda: report_event(
                    user, category="0301", title="并发提交", idempotency_key="same", **IN_GRID_A
                )
            )
            for _ in range(3)
        ]
    )
    assert all(isinstance(r, tuple) for r in results), results
    assert len({event.pk for event, _created in results}) == 1
    assert sum(created for _event, created in results) == 1
    assert Event.objects.count() == 1


def test_bad_input_writes_nothing(org: Org, categories: Any, api_as) -> None:
    client = api_as(org.user("a", "grid_worker"))
    cases = [
        ({"category": "03", "title": "大类"}, "category_not_leaf"),
        ({"category": "nope", "title": "x"}, "invalid_category"),
        ({"category": "0301", "title": "x", "lng": 120.0}, "invalid_location"),
        ({"category": "0301", "title": "x", "lng": 100.0, "lat": 20.0}, "location_outside"),
        ({"category": "0301", "title": "x", "reporter_phone": "123", **IN_GRID_A}, "invalid_phone"),
        (
            {"category": "D0101", "title": "纠纷", "form_data": {"parties": 1}, **IN_GRID_A},
            "invalid_form_data",
        ),
    ]
    for body, code in cases:
        response = client.post_json("/api/v1/events", body)
        assert response.status_code == 422, (body, response.content)
        assert response.json()["code"] == code
    assert Event.objects.count() == 0


def test_invalid_extra_fields_are_explained_per_field_in_chinese(org: Org, categories: Any, api_as) -> None:
    """Each problem of ``form_data`` is named by the field's title, in Chinese, under ``form_data.<name>``."""
    family = categories["family"]
    family.form_schema = {
        "type": "object",
        "properties": {
            "parties": {"type": "integer", "title": "涉及人数", "minimum": 2},
            "amount": {"type": "number", "title": "涉及金额（元）"},
        },
        "required": ["parties"],
    }
    family.save()
    client = api_as(org.user("a", "grid_worker"))
    body = {"category": "D0101", "title": "纠纷", **IN_GRID_A}
    response = client.post_json("/api/v1/events", {**body, "form_data": {"amount": "很多"}})
    assert response.status_code == 422
    answer = response.json()
    assert answer["code"] == "invalid_form_data"
    # The first problem in the schema's order (PostgreSQL's jsonb keeps no key order: either may be first).
    assert answer["message"] in ("请填写“涉及人数”。", "“涉及金额（元）”须为数字。")
    assert answer["details"] == {
        "form_data.parties": ["请填写“涉及人数”。"],
        "form_data.amount": ["“涉及金额（元）”须为数字。"],
    }
    response = client.post_json("/api/v1/events", {**body, "form_data": {"parties": 1}})
    assert response.json()["details"] == {"form_data.parties": ["“涉及人数”不能小于 2。"]}
    assert Event.objects.count() == 0


def test_coordinates_in_gcj02_and_bd09_are_converted(org: Org, categories: Any) -> None:
    from jiceng.core.coords import gcj02_to_bd09, wgs84_to_gcj02

    gcj = wgs84_to_gcj02(120.01, 30.01)
    bd = gcj02_to_bd09(*gcj)
    reporter = org.user("a", "grid_worker")
    for lng, lat, system in ((*gcj, "gcj02"), (*bd, "bd09")):
        event, _ = report_event(
            reporter, category="0301", title=system, lng=lng, lat=lat, coord_system=system
        )
        assert abs(event.lng - 120.01) < 1e-6 and abs(event.lat - 30.01) < 1e-6
        assert event.region_code == org.regions["grid_a"].code
