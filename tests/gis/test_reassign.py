"""``jiceng reassign_grids``: after a boundary change, records follow their points into the new grids."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command

from jiceng.audit.models import AuditEntry
from jiceng.events.actions import report_event
from jiceng.events.models import Event, EventState
from jiceng.gis.actions import reassign_grids
from jiceng.org import actions as org_actions
from jiceng.org.models import Region, RegionLevel
from jiceng.registry.models import (
    CityComponent,
    House,
    Household,
    KeyPlace,
    Organization,
    Person,
    SpecialGroupRecord,
)
from tests.conftest import Org, square

P1 = (120.01, 30.01)  # in grid a now; in the new second grid after the change
P2 = (120.03, 30.03)  # in village a only now; in grid a after the change
P3 = (120.07, 30.07)  # in township a, in no village: stays


def located(model: type[Any], region: Region, point: tuple[float, float], **fields: Any) -> Any:
    return model.objects.create(region=region, region_code=region.code, lng=point[0], lat=point[1], **fields)


@pytest.fixture
def world(org: Org, categories: Any) -> dict[str, Any]:
    r = org.regions
    grid_worker = org.user("a", "grid_worker")
    e1, _ = report_event(grid_worker, category="0301", title="垃圾一", lng=P1[0], lat=P1[1])
    e2, _ = report_event(grid_worker, category="0301", title="垃圾二", lng=P2[0], lat=P2[1])
    e3, _ = report_event(grid_worker, category="0301", title="垃圾三", lng=P3[0], lat=P3[1])
    assert (e1.region, e2.region, e3.region) == (r["grid_a"], r["village_a"], r["township_a"])
    person = located(Person, r["grid_a"], P1, name="张三")
    SpecialGroupRecord.objects.create(
        person=person, region_code=r["grid_a"].code, group="drug", group_index="x"
    )
    return {
        "events": (e1, e2, e3),
        "person": person,
        "household": located(Household, r["village_a"], P2, number="330199000001"),
        "house": located(House, r["grid_a"], P1, code="H0001", floors=3),
        "organization": located(
            Organization,
            r["village_a"],
            P2,
            credit_code="91330199MA2XXXXXX1",
            name="某公司",
            org_kind="enterprise",
        ),
        "place": located(KeyPlace, r["village_a"], P3, code="P0001", name="小超市", place_type="nine_small"),
        "component": located(
            CityComponent, r["grid_a"], P1, code="3301990101000001", major="01", minor="0101"
        ),
        "unlocated": Person.objects.create(region=r["grid_a"], region_code=r["grid_a"].code, name="李四"),
    }


def redraw(org: Org) -> Region:
    """Grid a moves east; a new second grid takes its west end."""
    admin = org.user("county", "admin")
    r = org.regions
    org_actions.update_region(admin, r["grid_a"], boundary=square(120.015, 30.0, 0.035))
    return org_actions.create_region(
        admin,
        code="330199001001002",
        name="A村第二网格",
        level=RegionLevel.GRID,
        parent_code=r["village_a"].code,
        boundary=square(120.0, 30.0, 0.015),
    )


def test_nothing_moves_while_the_boundaries_stay(world: dict[str, Any]) -> None:
    report = reassign_grids()
    assert report.moved == 0 and not report.moves
    assert {m.model: m.scanned for m in report.models}["events.event"] == 3


def test_a_dry_run_reports_the_moves_and_writes_nothing(org: Org, world: dict[str, Any]) -> None:
    redraw(org)
    audits = AuditEntry.objects.count()
    report = reassign_grids(dry_run=True)
    assert report.moved == 7
    a, a2, village = org.regions["grid_a"].code, "330199001001002", org.regions["village_a"].code
    assert report.moves[("events.event", a, a2)] == 1
    assert report.moves[("events.event", village, a)] == 1
    assert Event.objects.get(pk=world["events"][0].pk).region == org.regions["grid_a"]
    assert AuditEntry.objects.count() == audits


def test_records_follow_their_points_and_the_run_is_audited(org: Org, world: dict[str, Any]) -> None:
    second = redraw(org)
    r = org.regions
    e1, e2, e3 = world["events"]
    version = e1.version
    report = reassign_grids(batch_size=2)  # several batches

    moved = {m.model: (m.scanned, m.moved, m.unplaced) for m in report.models}
    assert moved == {
        "events.event": (3, 2, 0),
        "registry.person": (1, 1, 0),
        "registry.household": (1, 1, 0),
        "registry.house": (1, 1, 0),
        "registry.organization": (1, 1, 0),
        "registry.keyplace": (1, 0, 1),
        "registry.citycomponent": (1, 1, 0),
    }
    e1.refresh_from_db()
    e2.refresh_from_db()
    e3.refresh_from_db()
    assert (e1.region, e1.region_code, e1.version) == (second, second.code, version + 1)
    assert e2.region == r["grid_a"] and e3.region == r["township_a"]
    for key, region in (
        ("person", second),
        ("household", r["grid_a"]),
        ("house", second),
        ("organization", r["grid_a"]),
        ("component", second),
        ("place", r["village_a"]),  # in no village any more: left where it was
        ("unlocated", r["grid_a"]),  # no coordinates: not touched
    ):
        obj = world[key]
        obj.refresh_from_db()
        assert (obj.region, obj.region_code) == (region, region.code), key
    assert SpecialGroupRecord.objects.get(person=world["person"]).region_code == second.code
    assert report.special_group_records == 1

    entry = AuditEntry.objects.filter(action="gis.reassign_grids").get()
    assert entry.username == "system"
    assert entry.changes["models"]["events.event"] == {"scanned": 3, "moved": 2, "unplaced": 0}
    assert ["events.event", r["grid_a"].code, second.code, 1] in entry.changes["moves"]

    # Run again: nothing left to move.
    assert reassign_grids().moved == 0


def test_closed_events_can_stay_where_they_were_counted(org: Org, world: dict[str, Any]) -> None:
    second = redraw(org)
    e1 = world["events"][0]
    Event.objects.filter(pk=e1.pk).update(state=EventState.CLOSED)
    report = reassign_grids(open_events_only=True)
    assert {m.model: m.moved for m in report.models}["events.event"] == 1
    e1.refresh_from_db()
    assert e1.region == org.regions["grid_a"] != second


def test_the_command_reports_counts_and_pairs(org: Org, world: dict[str, Any]) -> None:
    redraw(org)
    out = io.StringIO()
    call_command("reassign_grids", "--dry-run", stdout=out)
    text = out.getvalue()
    assert "events.event: 3 located, 2 moved, 0 outside every region" in text
    assert "330199001001001 A村第一网格 → 330199001001002 A村第二网格: 1" in text
    assert "would move 7 records" in text
    assert Event.objects.filter(region__code="330199001001002").count() == 0

    out = io.StringIO()
    call_command("reassign_grids", stdout=out)
    assert "moved 7 records" in out.getvalue()
    assert Event.objects.filter(region__code="330199001001002").count() == 1
