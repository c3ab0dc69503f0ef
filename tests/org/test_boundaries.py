"""Region boundaries: within the parent's (but for digitising slop), a grid's never removed, and every
change visible in the audit log as area and hash, in words a person reads."""

from __future__ import annotations

import json
from typing import Any

from jiceng.audit.models import AuditEntry
from jiceng.org.models import Region
from tests.conftest import Org, square

BEIJING = square(116.39, 39.9, 0.02)


def edit(client: Any, region: Region, boundary: Any) -> Any:
    region.refresh_from_db()
    return client.post(
        f"/org/regions/{region.code}/edit/",
        {
            "name": region.name,
            "boundary": json.dumps(boundary) if boundary else "",
            "is_active": "on",
            "version": region.version,
        },
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )


def test_a_boundary_far_outside_the_parent_is_refused(org: Org, page_as: Any) -> None:
    grid = org.regions["grid_a"]
    response = edit(page_as(org.user("a", "admin")), grid, BEIJING)
    assert response.status_code == 200
    assert "边界必须位于上级区域A村之内" in response.content.decode()
    grid.refresh_from_db()
    assert grid.boundary == square(120.0, 30.0, 0.02)


def test_a_sliver_outside_the_parent_is_digitising_slop(org: Org, page_as: Any) -> None:
    grid = org.regions["grid_a"]
    nudged = square(120.0 - 0.0001, 30.0, 0.02)  # 0.5 % of the grid west of the village's edge
    assert edit(page_as(org.user("a", "admin")), grid, nudged).status_code == 302
    half_out = square(120.04, 30.0, 0.02)  # half of it outside
    assert edit(page_as(org.user("a", "admin")), grid, half_out).status_code == 200


def test_a_grid_boundary_cannot_be_removed_but_a_village_boundary_can(org: Org, page_as: Any) -> None:
    client = page_as(org.user("a", "admin"))
    grid, village = org.regions["grid_a"], org.regions["village_a"]
    refused = edit(client, grid, None)
    assert refused.status_code == 200 and "网格的边界不能删除" in refused.content.decode()
    grid.refresh_from_db()
    assert grid.boundary is not None
    assert edit(client, village, None).status_code == 302
    village.refresh_from_db()
    assert village.boundary is None


def test_a_boundary_change_is_audited_as_area_and_hash_and_shown_readably(org: Org, page_as: Any) -> None:
    client = page_as(org.user("a", "admin"))
    grid = org.regions["grid_a"]
    assert edit(client, grid, square(120.0, 30.0, 0.01)).status_code == 302
    entry = AuditEntry.objects.filter(action="region.update", object_id=grid.code).latest("id")
    change = entry.changes["boundary"]
    assert change["before"] != change["after"]
    assert change["before"].startswith("≈4.") and " km² #" in change["before"]  # 0.02° square at 30° N
    assert change["after"].startswith("≈1.") and "coordinates" not in json.dumps(entry.changes)
    html = client.get("/audit/", {"object_id": grid.code}, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert f"边界:</span> {change['before']} → {change['after']}" in html
    assert "{&#x27;" not in html and "{'" not in html
