"""The map in Chromium: a township dispatcher opens /map/ on their jurisdiction, sees the grid boundaries
and the events (coloured by state), filters them, clicks one for its popup, zooms to a house with a
footprint and turns on 3D, where the house stands extruded by its floors. No base tiles (closed
network): only our own layers. No console errors, failed requests or CSP violations."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from jiceng.events.actions import report_event
from jiceng.registry.models import CityComponent, House, KeyPlace
from tests.conftest import Org
from tests.events.conftest import IN_GRID_A, IN_GRID_B

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HOUSE = (120.012, 30.012)
# The page's first load (MapLibre is ~1 MB of script from the live server) on a busy CI machine.
SLOW = 30_000


def footprint(lng: float, lat: float) -> dict[str, Any]:
    w, h = 0.0004, 0.0002
    ring = [[lng, lat], [lng + w, lat], [lng + w, lat + h], [lng, lat + h], [lng, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def demo_like(org: Org) -> dict[str, Any]:
    """A few events in township A (and one in B, which A must not see), a tower with a footprint and a
    cottage without, a key place and a city component."""
    worker_a, worker_b = org.user("a", "grid_worker"), org.user("b", "grid_worker")
    events = [
        report_event(
            worker_a,
            category="0301",
            title=f"垃圾堆放{i}",
            lng=IN_GRID_A["lng"] + i * 0.002,
            lat=IN_GRID_A["lat"] + (i % 2) * 0.002,
        )[0]
        for i in range(4)
    ]
    report_event(worker_b, category="0301", title="外镇事件", **IN_GRID_B)
    grid = org.regions["grid_a"]
    at = {"region": grid, "region_code": grid.code}
    House.objects.create(
        code="H-TOWER",
        address="A村1幢",
        floors=18,
        footprint=footprint(*HOUSE),
        lng=HOUSE[0],
        lat=HOUSE[1],
        **at,
    )
    House.objects.create(code="H-COTTAGE", floors=2, lng=HOUSE[0] + 0.001, lat=HOUSE[1], **at)
    KeyPlace.objects.create(code="P-1", name="A村超市", place_type="market", lng=120.005, lat=30.005, **at)
    CityComponent.objects.create(
        code="3301990101000001", major="01", minor="0101", lng=120.006, lat=30.006, **at
    )
    return {"events": events}


def logged_in(page: Any, base: str, user: Any) -> None:
    client = Client()
    client.force_login(user)
    page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base}])


def wait_idle(page: Any) -> None:
    page.wait_for_function(
        "() => window.jicengMap && window.jicengMap.loaded() && !window.jicengMap.isMoving()"
    )
    page.evaluate(
        "() => new Promise((done) => {"
        " const m = window.jicengMap; m.once('idle', done); m.triggerRepaint(); })"
    )


def rendered(page: Any, *layers: str) -> list[dict[str, Any]]:
    return page.evaluate(
        """(layers) => window.jicengMap.queryRenderedFeatures({layers}).map(
            (f) => ({layer: f.layer.id, properties: f.properties}))""",
        list(layers),
    )


def test_the_map_shows_grids_events_and_houses_in_3d(
    open_page: Any, live_server: Any, org: Org, categories: Any
) -> None:
    data = demo_like(org)
    base = live_server.url
    page, watch = open_page("desktop")
    logged_in(page, base, org.user("a", "dispatcher"))
    page.goto(f"{base}/map/", timeout=SLOW)
    page.wait_for_selector(
        "#map[data-loaded*=events][data-loaded*=houses][data-loaded*=boundaries]", timeout=SLOW
    )
    wait_idle(page)
    # MapLibre's own controls speak Chinese (the shared locale), not its English defaults.
    assert page.get_attribute(".maplibregl-ctrl-zoom-in", "title") == "放大"
    assert page.get_attribute(".maplibregl-ctrl-compass", "title") == "拖动可旋转地图，点击恢复正北"

    # Opened on township A: its grid and village boundaries are drawn, nothing of township B.
    centre = page.evaluate("() => window.jicengMap.getCenter().toArray()")
    assert 120.0 < centre[0] < 120.1 and 30.0 < centre[1] < 30.1
    boundaries = rendered(page, "boundary-line", "boundary-fill")
    names = {f["properties"]["name"] for f in boundaries}
    assert {"A村第一网格", "A村"} <= names and not any(n.startswith("B") for n in names)
    # The events (clustered or single, coloured by state): all four of A's, none of B's.
    source = page.evaluate("() => window.jicengMap.getSource('events').serialize().data")
    assert sorted(f["properties"]["title"] for f in source["features"]) == [f"垃圾堆放{i}" for i in range(4)]
    assert rendered(page, "event-points", "event-clusters")
    assert rendered(page, "places")
    watch.screenshot("map-township")

    # Filter by state: no closed events, so the layer empties; back to all states.
    page.select_option("#map-state", "closed")
    page.wait_for_function(
        "() => window.jicengMap.getSource('events').serialize().data.features.length === 0"
    )
    page.select_option("#map-state", "")
    page.wait_for_function(
        "() => window.jicengMap.getSource('events').serialize().data.features.length === 4"
    )

    # Zoom to the first event and click it: a popup with a link to the event's page.
    first = data["events"][0]
    page.evaluate("(c) => window.jicengMap.jumpTo({center: c, zoom: 17})", [first.lng, first.lat])
    wait_idle(page)
    point = page.evaluate("(c) => window.jicengMap.project(c)", [first.lng, first.lat])
    box = page.locator("#map canvas").bounding_box()
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
    link = page.locator(".maplibregl-popup a")
    link.wait_for()
    assert link.get_attribute("href") == f"/events/{first.pk}/"
    page.locator(".maplibregl-popup-close-button").click()

    # The houses: a footprint (2D fill) and a point; then 3D: the tower extruded by its 18 floors.
    page.evaluate("(c) => window.jicengMap.jumpTo({center: c, zoom: 17})", [HOUSE[0] + 0.0005, HOUSE[1]])
    page.wait_for_function(
        "() => window.jicengMap.getSource('houses').serialize().data.features.length === 2"
    )
    wait_idle(page)
    assert {f["properties"]["code"] for f in rendered(page, "house-fill")} == {"H-TOWER"}
    assert {f["properties"]["code"] for f in rendered(page, "house-points")} == {"H-COTTAGE"}
    assert (
        page.evaluate("() => window.jicengMap.getLayoutProperty('house-extrusion', 'visibility')") == "none"
    )
    page.click("#map-3d")
    page.wait_for_function("() => window.jicengMap.getPitch() > 45")
    wait_idle(page)
    assert page.get_attribute("#map-3d", "aria-pressed") == "true"
    assert (
        page.evaluate("() => window.jicengMap.getLayoutProperty('house-extrusion', 'visibility')")
        == "visible"
    )
    extruded = rendered(page, "house-extrusion")
    assert extruded and extruded[0]["properties"]["height"] == 54
    assert not rendered(page, "house-fill")
    watch.screenshot("map-3d-houses")

    # The heat map can be turned on; the page stayed clean throughout.
    page.check("input[name=layer][value=heat]")
    assert page.evaluate("() => window.jicengMap.getLayoutProperty('event-heat', 'visibility')") == "visible"
    config = json.loads(page.locator("#map-config").text_content() or "{}")
    assert config["tiles"] == [] and config["crs"] == "wgs84"
    watch.assert_clean()

    # On a phone: the panel starts folded, the map takes the screen, nothing sticks out sideways.
    phone, phone_watch = open_page("phone")
    logged_in(phone, base, org.user("a", "dispatcher"))
    phone.goto(f"{base}/map/", timeout=SLOW)
    phone.wait_for_selector("#map[data-loaded*=events]", timeout=SLOW)
    wait_idle(phone)
    assert phone.evaluate("() => document.querySelector('.map-panel').open") is False
    height = phone.evaluate("() => document.getElementById('map').getBoundingClientRect().height")
    assert height > 0.6 * phone.viewport_size["height"]
    assert phone.evaluate("document.documentElement.scrollWidth") <= phone.viewport_size["width"]
    phone.click(".map-panel summary")
    assert phone.locator("#map-3d").is_visible()
    phone_watch.screenshot("map-phone")
    phone_watch.assert_clean()
