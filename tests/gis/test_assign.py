"""Bulk grid assignment: right answers on the test county's grids, and exactly what ``locate`` says."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from jiceng.gis.assign import EVENT_LEVELS, PLACE_LEVELS, BucketIndex, assign
from jiceng.org.locate import locate
from jiceng.org.models import Region, RegionLevel
from tests.conftest import Org, square
from tests.events.conftest import IN_GRID_A, IN_GRID_B


def test_points_go_to_the_finest_region_that_holds_them(org: Org) -> None:
    r = org.regions
    points = [
        (IN_GRID_A["lng"], IN_GRID_A["lat"]),  # grid a
        (IN_GRID_B["lng"], IN_GRID_B["lat"]),  # grid b
        (120.03, 30.03),  # village a, outside its grid
        (120.07, 30.07),  # township a only
        (119.5, 30.01),  # outside the county
        (float("nan"), 30.0),
    ]
    lng, lat = np.array(points).T
    assert assign(lng, lat).tolist() == [r["grid_a"].pk, r["grid_b"].pk, r["village_a"].pk, 0, 0, 0]
    events = assign(lng, lat, EVENT_LEVELS).tolist()
    assert events == [r["grid_a"].pk, r["grid_b"].pk, r["village_a"].pk, r["township_a"].pk, 0, 0]
    assert assign([], []).tolist() == []


def test_a_boundary_point_belongs_to_its_region_and_overlaps_go_to_the_lowest_code(org: Org) -> None:
    r = org.regions
    # On grid a's east edge, and on the corner it shares with nothing else.
    assert assign([120.02, 120.0], [30.01, 30.0]).tolist() == [r["grid_a"].pk, r["grid_a"].pk]
    second = Region.objects.create(
        code="330199001001002",
        name="A村第二网格",
        level=RegionLevel.GRID,
        parent=r["village_a"],
        boundary=square(120.01, 30.0, 0.02),  # overlaps grid a on 120.01…120.02
    )
    from jiceng.org import locate as locate_module

    locate_module.reset()
    got = assign([120.015, 120.025], [30.01, 30.01]).tolist()
    assert got == [r["grid_a"].pk, second.pk]


def test_the_vectorized_answer_equals_locate_point_by_point(org: Org) -> None:
    r = org.regions
    Region.objects.create(
        code="330199001001002",
        name="A村第二网格",
        level=RegionLevel.GRID,
        parent=r["village_a"],
        boundary=square(120.01, 30.01, 0.025),
    )
    Region.objects.create(
        code="330199001001002001",
        name="微网格",
        level=RegionLevel.MICROGRID,
        parent=Region.objects.get(code="330199001001002"),
        boundary=square(120.02, 30.02, 0.005),
    )
    rng = np.random.default_rng(7)
    lng = rng.uniform(119.98, 120.22, 400)
    lat = rng.uniform(29.98, 30.22, 400)
    # Points exactly on edges and corners, where the tie rule matters.
    lng[:40] = rng.choice([120.0, 120.01, 120.02, 120.035, 120.05, 120.1, 120.12], 40)
    lat[40:80] = rng.choice([30.0, 30.01, 30.02, 30.025, 30.035, 30.05, 30.1], 40)
    got = assign(lng, lat, EVENT_LEVELS).tolist()
    expected = []
    for x, y in zip(lng.tolist(), lat.tolist(), strict=True):
        found = locate(x, y)
        expected.append(found.pk if found else 0)
    assert got == expected
    assert len(set(got)) >= 6  # microgrid, both grids, villages, townships, county, none

    # Restricted to the places' levels: the same answer wherever locate found a grid or village.
    places = assign(lng, lat, PLACE_LEVELS).tolist()
    levels = dict(Region.objects.values_list("pk", "level"))
    for mine, theirs in zip(places, expected, strict=True):
        assert mine == (theirs if levels.get(theirs) in PLACE_LEVELS else 0)


def _reference(geoms: list[shapely.Geometry], x: np.ndarray, y: np.ndarray) -> list[int]:
    """The STRtree answer: the lowest intersecting position, else -1."""
    hits = shapely.STRtree(geoms).query(shapely.points(x, y), predicate="intersects")
    best = np.full(len(x), -1)
    for point, position in zip(*hits.tolist(), strict=True):
        if best[point] < 0 or position < best[point]:
            best[point] = position
    return best.tolist()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_bucket_index_agrees_with_strtree_on_irregular_polygons(seed: int) -> None:
    rng = np.random.default_rng(seed)
    sites = shapely.multipoints(rng.uniform(0, 1, (300, 2)))
    cells = list(shapely.get_parts(shapely.voronoi_polygons(sites, extend_to=shapely.box(0, 0, 1, 1))))
    cells = [c.intersection(shapely.box(0, 0, 1, 1)) for c in cells]
    # A few harder shapes: a cell with a hole, a multipolygon, an overlapping big polygon, an empty one.
    cells[0] = cells[0].difference(cells[0].centroid.buffer(0.005))
    cells[1] = shapely.union(cells[1], shapely.box(0.9, 0.9, 0.95, 0.95))
    cells.insert(5, shapely.box(0.2, 0.2, 0.6, 0.3))
    cells.append(shapely.Polygon())
    x = rng.uniform(-0.05, 1.05, 20_000)
    y = rng.uniform(-0.05, 1.05, 20_000)
    # Vertices: points exactly on boundaries.
    vertices = shapely.get_coordinates(shapely.boundary([c for c in cells if not c.is_empty]))
    pick = rng.choice(len(vertices), 2000)
    x[:2000], y[:2000] = vertices[pick, 0], vertices[pick, 1]
    assert BucketIndex(cells).query(x, y).tolist() == _reference(cells, x, y)


def test_an_index_with_nothing_in_it_finds_nothing() -> None:
    assert BucketIndex([]).query(np.array([1.0]), np.array([2.0])).tolist() == [-1]
    assert BucketIndex([shapely.Polygon()]).query(np.array([1.0]), np.array([2.0])).tolist() == [-1]
