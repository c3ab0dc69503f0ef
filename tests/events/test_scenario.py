"""The seed's four-level flow, step by step, each by the role that owns it, through the API."""

from __future__ import annotations

from jiceng.events.models import Event
from tests.conftest import Org
from tests.events.conftest import IN_GRID_A


def act(client, event_id: int, action: str, **body):
    response = client.post_json(f"/api/v1/events/{event_id}/actions/{action}", body)
    assert response.status_code == 200, (action, response.content)
    return response.json()


def test_four_level_flow(org: Org, categories, api_as) -> None:
    grid = api_as(org.user("a", "grid_worker"))
    dispatcher = api_as(org.user("a", "dispatcher"))
    station = api_as(org.user("a", "handler"))
    county = api_as(org.user("county", "county_center"))
    department = api_as(org.user("county_dept", "handler"))

    created = grid.post_json(
        "/api/v1/events",
        {"category": "0301", "title": "河边堆放垃圾", **IN_GRID_A, "description": "桥下有大量生活垃圾"},
    )
    assert created.status_code == 201, created.content
    event = created.json()
    eid = event["id"]
    assert event["state"] == "reported" and event["level"] == "township"
    assert event["region_code"] == org.regions["grid_a"].code
    assert event["source"] == "grid_worker"
    # A grid worker cannot accept; the dispatcher of township B cannot even see it.
    assert grid.post_json(f"/api/v1/events/{eid}/actions/accept", {}).status_code == 403
    assert api_as(org.user("b", "dispatcher")).get(f"/api/v1/events/{eid}").status_code == 404

    assert [a["action"] for a in dispatcher.get(f"/api/v1/events/{eid}").json()["available_actions"]][:3] == [
        "accept",
        "reject",
        "merge",
    ]
    act(dispatcher, eid, "accept")
    act(dispatcher, eid, "dispatch", lead_unit=org.units["station_a"].code)
    returned = act(station, eid, "return", comment="不属于本所职责")
    assert returned["state"] == "pending_dispatch" and returned["counts"]["return"] == 1
    escalated = act(dispatcher, eid, "escalate", comment="涉及多部门，请县里协调")
    assert escalated["level"] == "county"
    # The township can no longer dispatch it; the county centre can.
    assert (
        dispatcher.post_json(
            f"/api/v1/events/{eid}/actions/dispatch", {"lead_unit": org.units["station_a"].code}
        ).status_code
        == 403
    )
    act(county, eid, "dispatch", lead_unit=org.units["county_dept"].code)
    act(department, eid, "sign")
    act(department, eid, "progress", comment="已联系环卫公司")
    act(department, eid, "handle", comment="已清运")
    rework = act(grid, eid, "verify_fail", comment="还有一半没清")
    assert rework["state"] == "handling" and rework["counts"]["rework"] == 1
    act(department, eid, "handle", comment="全部清运完毕")
    closed = act(grid, eid, "verify_pass")
    assert closed["state"] == "closed"
    act(grid, eid, "evaluate", evaluation="dissatisfied", comment="又有人倒了")
    reopened = act(county, eid, "reopen", comment="群众不满意，重办")
    assert reopened["state"] == "handling" and reopened["counts"]["reopen"] == 1
    act(department, eid, "handle", comment="加装监控，定期清理")
    act(grid, eid, "verify_pass")
    final = act(grid, eid, "evaluate", evaluation="satisfied")
    assert final["state"] == "closed" and final["evaluation"] == "satisfied"

    steps = [(f["action"], f["actor"]) for f in final["timeline"]]
    assert [a for a, _ in steps] == [
        "report",
        "accept",
        "dispatch",
        "return",
        "escalate",
        "dispatch",
        "sign",
        "progress",
        "handle",
        "verify_fail",
        "handle",
        "verify_pass",
        "evaluate",
        "reopen",
        "handle",
        "verify_pass",
        "evaluate",
    ]
    assert dict(steps)["return"] == "a_handler" and steps[5][1] == "county_county_center"
    # Replaying the flow records gives the current state.
    assert final["timeline"][-1]["to_state"] == Event.objects.get(pk=eid).state
