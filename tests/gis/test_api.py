"""The GeoJSON API: scoped to the jurisdiction, bbox-checked, filtered, capped, in WGS-84 or GCJ-02."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from jiceng.core.coords import distance_m, wgs84_to_gcj02
from jiceng.events.actions import report_event
from jiceng.events.models import Event
from jiceng.registry.models import CityComponent, House, KeyPlace
from tests.conftest import COUNTY_ROLES, TOWNSHIP_ROLE_UNIT, Org
from tests.events.conftest import IN_GRID_A, IN_GRID_B

BOUNDARIES = "/api/v1/gis/boundaries"


def layer(name: str) -> str:
    return f"/api/v1/gis/layers/{name}"


def codes(body: dict[str, Any], key: str = "code") -> set[str]:
    return {f["properties"][key] for f in body["features"]}


@pytest.fixture
def mapped(org: Org, categories: Any) -> dict[str, Any]:
    """Events, a key place, a component and two houses (one with a footprint) in each township's grid."""
    made: dict[str, Any] = {}
    for key, point in (("a", IN_GRID_A), ("b", IN_GRID_B)):
        grid = org.regions[f"grid_{key}"]
        at = {"region": grid, "region_code": grid.code, "lng": point["lng"], "lat": point["lat"]}
        event, _ = report_event(org.user(key, "grid_worker"), category="0301", title=f"{key}镇垃圾", **point)
        made[f"event_{key}"] = event
        made[f"place_{key}"] = KeyPlace.objects.create(
            code=f"P{key}", name=f"{key}超市", place_type="market", **at
        )
        made[f"component_{key}"] = CityComponent.objects.create(
            code=f"33019901010000{'01' if key == 'a' else '02'}", major="01", minor="0101", name="井盖", **at
        )
        lng, lat = point["lng"], point["lat"]
        made[f"tower_{key}"] = House.objects.create(
            code=f"H{key}1",
            floors=18,
            address=f"{key}村1幢",
            footprint={
                "type": "Polygon",
                "coordinates": [
                    [
                        [lng, lat],
                        [lng + 0.0003, lat],
                        [lng + 0.0003, lat + 0.0002],
                        [lng, lat + 0.0002],
                        [lng, lat],
                    ]
                ],
            },
            **at,
        )
        made[f"cottage_{key}"] = House.objects.create(code=f"H{key}2", floors=2, **at)
    return made


def test_boundaries_show_only_the_jurisdiction(org: Org, api_as: Any) -> None:
    body = api_as(org.user("b", "dispatcher")).get(BOUNDARIES).json()
    assert body["type"] == "FeatureCollection" and not body["truncated"]
    assert codes(body) == {"330199002000", "330199002001", "330199002001001"}
    # A grid worker of village B: the village and its grid.
    village = api_as(org.user("b", "grid_worker")).get(BOUNDARIES).json()
    assert codes(village) == {"330199002001", "330199002001001"}
    grid = next(f for f in body["features"] if f["properties"]["level"] == "grid")
    assert grid["geometry"]["type"] == "Polygon"
    assert grid["properties"]["name"] == "B村第一网格" and grid["properties"]["level_label"]
    assert grid["properties"]["parent_code"] == "330199002001"
    assert grid["properties"]["url"].endswith("/330199002001001/")
    lng, lat = grid["properties"]["label_point"]
    assert 120.1 < lng < 120.12 and 30.0 < lat < 30.02

    county = api_as(org.user("county", "leader")).get(BOUNDARIES).json()
    assert {"330199", "330199001001001", "330199002001001"} <= codes(county)
    assert api_as(org.user("none", "resident")).get(BOUNDARIES).json()["features"] == []
    assert api_as(None).get(BOUNDARIES).status_code == 401


def test_boundaries_by_level_and_area(org: Org, api_as: Any) -> None:
    client = api_as(org.user("county", "leader"))
    assert codes(client.get(BOUNDARIES, {"level": "grid"}).json()) == {"330199001001001", "330199002001001"}
    body = client.get(BOUNDARIES, {"level": "village,grid", "bbox": "120.0,30.0,120.03,30.03"}).json()
    assert codes(body) == {"330199001001", "330199001001001"}
    assert client.get(BOUNDARIES, {"limit": 2}).json()["truncated"] is True
    bad = client.get(BOUNDARIES, {"level": "planet"})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_level"


@pytest.mark.parametrize(
    "bbox",
    [
        "120,30,121",
        "120,30,121,31,5",
        "a,b,c,d",
        "120,30,nan,31",
        "200,30,210,31",
        "120,-95,121,31",
        "121,30,120,31",
    ],
)
def test_a_bad_bbox_is_refused_with_its_own_code(org: Org, api_as: Any, bbox: str) -> None:
    client = api_as(org.user("a", "dispatcher"))
    for url in (BOUNDARIES, layer("events"), layer("houses")):
        response = client.get(url, {"bbox": bbox})
        assert response.status_code == 422, (url, bbox)
        body = response.json()
        assert body["code"] == "invalid_bbox" and body["details"]["bbox"] and body["message"]


def test_township_b_sees_nothing_of_township_a(org: Org, mapped: dict[str, Any], api_as: Any) -> None:
    b = api_as(org.user("b", "dispatcher"))
    a = api_as(org.user("a", "dispatcher"))
    for name, key, a_key, b_key in (
        ("events", "id", mapped["event_a"].pk, mapped["event_b"].pk),
        ("places", "code", "Pa", "Pb"),
        ("components", "code", mapped["component_a"].code, mapped["component_b"].code),
        ("houses", "code", "Ha1", "Hb1"),
    ):
        assert a_key not in codes(b.get(layer(name)).json(), key), name
        assert b_key in codes(b.get(layer(name)).json(), key), name
        assert a_key in codes(a.get(layer(name)).json(), key), name
        assert b_key not in codes(a.get(layer(name)).json(), key), name
    everything = api_as(org.user("county", "leader"))
    assert len(everything.get(layer("houses")).json()["features"]) == 4
    # Residents have no jurisdiction: their own reports only, no base data.
    resident = api_as(org.user("none", "resident"))
    for name in ("events", "places", "components", "houses"):
        assert resident.get(layer(name)).json()["features"] == [], name
    assert api_as(None).get(layer("events")).status_code == 401


def test_event_features_and_filters(org: Org, mapped: dict[str, Any], api_as: Any) -> None:
    client = api_as(org.user("county", "leader"))
    body = client.get(layer("events")).json()
    assert body["layer"] == "events" and body["count"] == 2 and not body["truncated"]
    feature = next(f for f in body["features"] if f["id"] == mapped["event_a"].pk)
    assert feature["geometry"] == {"type": "Point", "coordinates": [IN_GRID_A["lng"], IN_GRID_A["lat"]]}
    p = feature["properties"]
    assert p["title"] == "a镇垃圾" and p["state"] == "reported" and p["category"] == "0301"
    assert p["url"] == f"/events/{mapped['event_a'].pk}/"

    def ids(**params: Any) -> set[int]:
        return {f["id"] for f in client.get(layer("events"), params).json()["features"]}

    a, b = mapped["event_a"].pk, mapped["event_b"].pk
    assert ids(bbox="120.0,30.0,120.05,30.05") == {a}
    assert ids(state="reported") == {a, b} and ids(state="closed,handled") == set()
    assert ids(category="03") == {a, b} and ids(category="0301") == {a, b} and ids(category="D01") == set()
    Event.objects.filter(pk=a).update(reported_at=timezone.now() - timedelta(days=10))
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert ids(since=since) == {b}
    assert ids(until=since) == {a}
    assert ids(since=(timezone.now() - timedelta(days=11)).date().isoformat()) == {a, b}
    capped = client.get(layer("events"), {"limit": 1}).json()
    assert capped["count"] == 1 and capped["truncated"] is True
    bad = client.get(layer("events"), {"state": "lost"})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_state"


def test_registry_layers(org: Org, mapped: dict[str, Any], api_as: Any) -> None:
    client = api_as(org.user("a", "grid_worker"))
    place = client.get(layer("places")).json()["features"][0]
    assert place["properties"]["name"] == "a超市" and place["properties"]["url"] == "/registry/place/Pa/"
    assert client.get(layer("places"), {"category": "school"}).json()["features"] == []
    assert client.get(layer("places"), {"state": "low"}).json()["count"] == 1
    component = client.get(layer("components")).json()["features"][0]
    assert component["properties"]["state"] == "intact"
    assert component["properties"]["url"] == f"/registry/component/{mapped['component_a'].code}/"
    assert client.get(layer("components"), {"category": "01"}).json()["count"] == 1
    assert client.get(layer("components"), {"category": "02"}).json()["count"] == 0
    assert client.get(layer("components"), {"category": "1"}).json()["code"] == "invalid_category"

    houses = {f["properties"]["code"]: f for f in client.get(layer("houses")).json()["features"]}
    tower, cottage = houses["Ha1"], houses["Ha2"]
    assert tower["geometry"]["type"] == "Polygon" and tower["properties"]["height"] == 54.0
    assert tower["properties"]["footprint"] is True and tower["properties"]["url"] == "/registry/house/Ha1/"
    assert cottage["geometry"]["type"] == "Point" and cottage["properties"]["floors"] == 2

    # Deleted records are not on the map; neither is an unknown layer.
    KeyPlace.objects.filter(code="Pa").update(deleted_at=timezone.now())
    assert client.get(layer("places")).json()["features"] == []
    response = client.get(layer("rivers"))
    assert response.status_code == 422 and response.json()["code"] == "invalid_input"


def test_houses_with_a_footprint_only_are_found_by_their_footprint(org: Org, api_as: Any) -> None:
    grid = org.regions["grid_a"]
    House.objects.create(
        code="H-footprint",
        region=grid,
        region_code=grid.code,
        floors=5,
        footprint={
            "type": "Polygon",
            "coordinates": [[[120.01, 30.01], [120.011, 30.01], [120.011, 30.011], [120.01, 30.01]]],
        },
    )
    House.objects.create(code="H-broken", region=grid, region_code=grid.code, footprint={"type": "Polygon"})
    client = api_as(org.user("a", "dispatcher"))
    assert codes(client.get(layer("houses")).json()) == {"H-footprint"}
    assert codes(client.get(layer("houses"), {"bbox": "120.0,30.0,120.0105,30.02"}).json()) == {"H-footprint"}
    assert codes(client.get(layer("houses"), {"bbox": "120.02,30.0,120.03,30.02"}).json()) == set()


def test_gcj02_for_a_gcj02_base_map(org: Org, mapped: dict[str, Any], api_as: Any) -> None:
    client = api_as(org.user("a", "dispatcher"))
    body = client.get(layer("events"), {"crs": "gcj02"}).json()
    assert body["crs"] == "gcj02"
    lng, lat = body["features"][0]["geometry"]["coordinates"]
    expected = wgs84_to_gcj02(IN_GRID_A["lng"], IN_GRID_A["lat"])
    assert distance_m(lng, lat, *expected) < 0.05
    assert distance_m(lng, lat, IN_GRID_A["lng"], IN_GRID_A["lat"]) > 100
    # The bbox is read in the same system: a box around the shifted point finds the event.
    box = f"{lng - 0.001},{lat - 0.001},{lng + 0.001},{lat + 0.001}"
    assert client.get(layer("events"), {"crs": "gcj02", "bbox": box}).json()["count"] == 1
    x, y = IN_GRID_A["lng"], IN_GRID_A["lat"]
    wgs_box = f"{x - 0.001},{y - 0.001},{x + 0.001},{y + 0.001}"
    assert client.get(layer("events"), {"crs": "gcj02", "bbox": wgs_box}).json()["count"] == 0
    grid = next(f for f in client.get(BOUNDARIES, {"crs": "gcj02", "level": "grid"}).json()["features"])
    corner = grid["geometry"]["coordinates"][0][0]
    assert distance_m(*corner, *wgs84_to_gcj02(120.0, 30.0)) < 0.05
    tower = next(
        f
        for f in client.get(layer("houses"), {"crs": "gcj02"}).json()["features"]
        if f["properties"]["code"] == "Ha1"
    )
    assert distance_m(*tower["geometry"]["coordinates"][0][0], *expected) < 0.05
    assert client.get(layer("events"), {"crs": "bd09"}).status_code == 422


OUTSIDE_COUNTY_POINT = {"lng": 119.5, "lat": 29.5}
STAFF = [("a", role) for role in TOWNSHIP_ROLE_UNIT] + [("county", role) for role in COUNTY_ROLES]


def outside_features(org: Org, where: str) -> set[tuple[str, int]]:
    """One feature of every layer outside ``where`` (township B, or the neighbouring county): (layer, id)."""
    if where == "a":
        region = org.regions["grid_b"]
        point = IN_GRID_B
        event, _ = report_event(org.user("b", "grid_worker"), category="0301", title="外镇", **point)
    else:
        region = org.regions["township_2"]
        point = OUTSIDE_COUNTY_POINT
        event, _ = report_event(
            org.user("county_2", "handler"), category="0301", title="邻县", region_code=region.code, **point
        )
    at = {"region": region, "region_code": region.code, **point}
    made = {
        ("events", event.pk),
        ("places", KeyPlace.objects.create(code=f"P-out-{where}", name="外", place_type="market", **at).pk),
        (
            "components",
            CityComponent.objects.create(
                code=f"{region.code[:6]}0101{'0000' if where == 'a' else '9999'}99",
                major="01",
                minor="0101",
                **at,
            ).pk,
        ),
        ("houses", House.objects.create(code=f"H-out-{where}", floors=3, **at).pk),
    }
    return made


@pytest.mark.parametrize(("where", "role"), STAFF)
def test_no_role_sees_a_feature_outside_its_jurisdiction(
    org: Org, categories: Any, api_as: Any, where: str, role: str
) -> None:
    outside = outside_features(org, where)
    client = api_as(org.user(where, role))
    seen: set[tuple[str, int]] = set()
    for name in ("events", "places", "components", "houses"):
        response = client.get(layer(name))
        assert response.status_code == 200
        seen |= {(name, f["id"]) for f in response.json()["features"]}
    assert not seen & outside
    boundary_codes = codes(client.get(BOUNDARIES).json())
    foreign = "330199002" if where == "a" else "330198"
    assert not any(code.startswith(foreign) for code in boundary_codes)
    # Their own side's counterparts are visible to the other side's staff (the fixture is not empty).
    other = api_as(org.user("b", "dispatcher") if where == "a" else org.user("county_2", "handler"))
    assert {("houses", f["id"]) for f in other.get(layer("houses")).json()["features"]} & outside


def test_patrol_tracks_and_positions_stay_in_the_jurisdiction(org: Org, categories: Any, api_as: Any) -> None:
    from jiceng.worktools.patrol_actions import PointIn, add_points, start_patrol, stop_patrol

    now = timezone.now()
    made = {}
    for key, point in (("a", IN_GRID_A), ("b", IN_GRID_B)):
        worker = org.user(key, "grid_worker")
        patrol, _ = start_patrol(worker, now=now - timedelta(minutes=30))
        steps = [(point["lng"] + i * 0.0005, point["lat"]) for i in range(3)]
        add_points(
            worker,
            patrol.pk,
            [PointIn(i, lng, lat, now - timedelta(minutes=20 - i)) for i, (lng, lat) in enumerate(steps)],
            now=now,
        )
        made[key] = patrol
    stop_patrol(org.user("b", "grid_worker"), made["b"].pk, now=now)

    def features(who: Any) -> dict[tuple[int, str], dict[str, Any]]:
        body = who.get(layer("patrols")).json()
        return {(f["id"], f["properties"]["kind"]): f for f in body["features"]}

    seen_a = features(api_as(org.user("a", "dispatcher")))
    assert set(seen_a) == {(made["a"].pk, "track"), (made["a"].pk, "position")}
    track = seen_a[(made["a"].pk, "track")]
    assert track["geometry"]["type"] == "LineString" and len(track["geometry"]["coordinates"]) == 3
    assert track["properties"]["url"] == f"/worktools/patrols/{made['a'].pk}/"
    # An ended patrol keeps its track but has no live position.
    assert set(features(api_as(org.user("b", "dispatcher")))) == {(made["b"].pk, "track")}
    assert len(features(api_as(org.user("county", "leader")))) == 3
    assert features(api_as(org.user("county_2", "handler"))) == {}
    # A box round township A's grid keeps patrol A and drops patrol B.
    a_lng, a_lat = IN_GRID_A["lng"], IN_GRID_A["lat"]
    box = f"{a_lng - 0.0002},{a_lat - 0.0002},{a_lng + 0.002},{a_lat + 0.0002}"
    boxed = api_as(org.user("county", "leader")).get(layer("patrols"), {"bbox": box}).json()
    assert {f["id"] for f in boxed["features"]} == {made["a"].pk}
    # The time filter: patrols started before it are not shown.
    later = (now + timedelta(minutes=1)).isoformat()
    body = api_as(org.user("county", "leader")).get(layer("patrols"), {"since": later}).json()
    assert body["features"] == []
