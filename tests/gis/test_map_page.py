"""The map page: opens on the user's jurisdiction, carries its configuration as data, no inline script."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

import jiceng
from jiceng.gis import maplibre
from tests.conftest import Org


def config_of(html: str) -> dict[str, Any]:
    found = re.search(r'<script id="map-config" type="application/json">(.*?)</script>', html, re.S)
    assert found, "no map configuration on the page"
    return json.loads(found.group(1))


def test_the_map_opens_on_the_jurisdiction(org: Org, page_as: Any) -> None:
    response = page_as(org.user("a", "dispatcher")).get("/map/")
    assert response.status_code == 200
    html = response.content.decode()
    config = config_of(html)
    assert config["bounds"] == [120.0, 30.0, 120.1, 30.1]  # township A
    assert config["crs"] == "wgs84" and config["tiles"] == []
    assert config["worker"].endswith("vendor/maplibre-gl/maplibre-gl-csp-worker.js")
    assert config["api"]["boundaries"] == "/api/v1/gis/boundaries"
    assert config["api"]["houses"] == "/api/v1/gis/layers/houses"
    assert {s["code"] for s in config["states"]} >= {"reported", "closed"}
    # Scripts are files of ours only; the configuration is JSON data, which the CSP does not run.
    assert re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", html) == []
    assert "maplibre-gl-csp.js" in html and "gis/map.js" in html
    assert 'href="/map/"' in html  # in the navigation

    county = config_of(page_as(org.user("county", "leader")).get("/map/").content.decode())
    assert county["bounds"] == [120.0, 30.0, 120.2, 30.2]
    everything = config_of(page_as(org.user("root", "superuser")).get("/map/").content.decode())
    assert everything["bounds"] == [
        120.0,
        30.0,
        120.2,
        30.2,
    ]  # the county level, the coarsest with a boundary
    assert config_of(page_as(org.user("none", "resident")).get("/map/").content.decode())["bounds"] is None


def test_the_map_needs_a_login(db: None, page_as: Any) -> None:
    response = page_as(None).get("/map/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@override_settings(
    MAP_TILES=["https://t0.tianditu.gov.cn/vec_w/wmts?x={x}&y={y}&l={z}&tk=KEY"], MAP_TILES_CRS="gcj02"
)
def test_a_gcj02_base_map_shifts_the_home_box(org: Org, page_as: Any) -> None:
    config = config_of(page_as(org.user("a", "dispatcher")).get("/map/").content.decode())
    assert config["crs"] == "gcj02" and len(config["tiles"]) == 1
    min_lng, min_lat = config["bounds"][:2]
    assert min_lng != 120.0 and abs(min_lng - 120.0) < 0.01 and abs(min_lat - 30.0) < 0.01


def test_a_tile_server_is_allowed_by_the_content_security_policy() -> None:
    import os
    import subprocess
    import sys

    code = (
        "import jiceng.settings as s, json; d = s.CONTENT_SECURITY_POLICY['DIRECTIVES'];"
        "print(json.dumps([s.MAP_TILES, s.MAP_TILES_CRS, d['img-src'], d['connect-src']]))"
    )
    env = {
        **os.environ,
        "JICENG_DEBUG": "1",
        "JICENG_MAP_TILES": "https://wprd01.is.autonavi.com/appmaptile?x={x}&y={y}&z={z}&style=7,"
        "https://wprd02.is.autonavi.com/appmaptile?x={x}&y={y}&z={z}&style=7",
        "JICENG_MAP_TILES_CRS": "GCJ02",
    }
    out = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    tiles, crs, img, connect = json.loads(out.stdout)
    assert len(tiles) == 2 and crs == "gcj02"
    origins = ["https://wprd01.is.autonavi.com", "https://wprd02.is.autonavi.com"]
    assert img[-2:] == origins and connect == ["'self'", *origins]
    env["JICENG_MAP_TILES_CRS"] = "mars"
    refused = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)  # noqa: S603
    assert refused.returncode != 0 and "JICENG_MAP_TILES_CRS" in refused.stderr


def test_maplibre_controls_speak_the_page_language(org: Org, page_as: Any, settings: Any) -> None:
    client = page_as(org.user("a", "dispatcher"))
    locale = config_of(client.get("/map/").content.decode())["locale"]
    assert locale["NavigationControl.ZoomIn"] == "放大" and locale["NavigationControl.ZoomOut"] == "缩小"
    assert locale["NavigationControl.ResetBearing"] == "拖动可旋转地图，点击恢复正北"
    assert locale["Map.Title"] == "地图" and locale["ScaleControl.Kilometers"] == "千米"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = config_of(client.get("/map/").content.decode())["locale"]
    assert english["NavigationControl.ZoomIn"] == "Zoom in"


def test_every_maplibre_map_takes_the_shared_locale() -> None:
    """One place (jiceng.gis.maplibre) for every map: each script that makes a map passes the locale, and
    the keys are the vendored MapLibre's own (an upgrade that renames one fails here)."""
    source = Path(jiceng.__file__).resolve().parent
    scripts = [
        p
        for p in source.rglob("*.js")
        if "vendor" not in p.parts and "new maplibregl.Map(" in p.read_text(encoding="utf-8")
    ]
    assert {p.name for p in scripts} == {"map.js", "portal.js"}
    for script in scripts:
        assert "locale: config.locale" in script.read_text(encoding="utf-8"), script
    vendored = source / "web/static/vendor/maplibre-gl/maplibre-gl-csp.js"
    if not vendored.exists():
        pytest.skip("front-end assets not copied (make assets)")
    text = vendored.read_text(encoding="utf-8")
    missing = [key for key in maplibre.LOCALE if f'"{key}":' not in text]
    assert not missing, f"not MapLibre locale keys: {missing}"
