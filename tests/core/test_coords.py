"""Coordinate systems against published reference pairs, and round trips within 1 m.

References (public test vectors of the widely used implementations of the same formulas):
- googollee/eviltransform, go/transform_test.go: WGS-84 → GCJ-02 for Shanghai, Shenzhen and Beijing.
- wandergis/coordtransform, README: 天安门 (116.404, 39.915) through WGS-84 → GCJ-02, GCJ-02 → BD-09 and
  BD-09 → GCJ-02 (its GCJ-02 → WGS-84 is a one-step approximation, so it is not used as a reference for ours,
  which iterates to well under a centimetre).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from jiceng.core.coords import (
    CoordSystem,
    bd09_to_gcj02,
    distance_m,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    lnglat_to,
    to_wgs84,
    wgs84_to_gcj02,
    wgs84_to_gcj02_array,
)

# (name, WGS-84 lng, lat, GCJ-02 lng, lat) — eviltransform's vectors.
WGS_GCJ = [
    ("上海", 121.5272106, 31.1774276, 121.531541859215, 31.17530398364597),
    ("深圳", 113.912316, 22.543847, 113.9171764808363, 22.540796131694766),
    ("北京", 116.377817, 39.911954, 116.38404722455657, 39.91334545536069),
]
# 天安门 in coordtransform's README: the input is read as WGS-84, GCJ-02 or BD-09 in turn.
TIANANMEN = (116.404, 39.915)
TIANANMEN_WGS_TO_GCJ = (116.41024449916938, 39.91640428150164)
TIANANMEN_GCJ_TO_BD = (116.41036949371029, 39.92133699351021)
TIANANMEN_BD_TO_GCJ = (116.39762729119315, 39.90865673957631)
TIANANMEN_WGS_TO_BD = (116.41662724378733, 39.922699552216216)
# Places across China, for round trips: 杭州西湖, 拉萨, 乌鲁木齐, 三亚, 哈尔滨, the demo county.
PLACES = [
    (120.1485, 30.2424),
    (91.1172, 29.6469),
    (87.6168, 43.8256),
    (109.5119, 18.2528),
    (126.6424, 45.7567),
    (120.05, 28.45),
]


def close(a: tuple[float, float], b: tuple[float, float]) -> float:
    return distance_m(a[0], a[1], b[0], b[1])


@pytest.mark.parametrize(("name", "wlng", "wlat", "glng", "glat"), WGS_GCJ)
def test_wgs84_to_gcj02_matches_the_published_pairs(
    name: str, wlng: float, wlat: float, glng: float, glat: float
) -> None:
    got = wgs84_to_gcj02(wlng, wlat)
    assert close(got, (glng, glat)) < 0.01, name
    # The offset itself is hundreds of metres: the test would notice a missing shift.
    assert close((wlng, wlat), (glng, glat)) > 100


@pytest.mark.parametrize(("name", "wlng", "wlat", "glng", "glat"), WGS_GCJ)
def test_gcj02_back_to_wgs84_within_a_metre(
    name: str, wlng: float, wlat: float, glng: float, glat: float
) -> None:
    assert close(gcj02_to_wgs84(glng, glat), (wlng, wlat)) < 1.0, name
    assert close(to_wgs84(glng, glat, CoordSystem.GCJ02), (wlng, wlat)) < 1.0, name


def test_tiananmen_through_every_system() -> None:
    assert close(wgs84_to_gcj02(*TIANANMEN), TIANANMEN_WGS_TO_GCJ) < 0.01
    assert close(gcj02_to_bd09(*TIANANMEN), TIANANMEN_GCJ_TO_BD) < 0.01
    assert close(bd09_to_gcj02(*TIANANMEN), TIANANMEN_BD_TO_GCJ) < 0.01
    assert close(gcj02_to_bd09(*wgs84_to_gcj02(*TIANANMEN)), TIANANMEN_WGS_TO_BD) < 0.01
    # BD-09 in, WGS-84 stored: back through GCJ-02 to where the point was.
    assert close(to_wgs84(*TIANANMEN_WGS_TO_BD, CoordSystem.BD09), TIANANMEN) < 1.0


@pytest.mark.parametrize(("lng", "lat"), PLACES)
def test_round_trips_stay_within_a_metre(lng: float, lat: float) -> None:
    gcj = wgs84_to_gcj02(lng, lat)
    assert 1 < close(gcj, (lng, lat)) < 1000  # shifted, by the usual few hundred metres
    assert close(gcj02_to_wgs84(*gcj), (lng, lat)) < 1.0
    bd = gcj02_to_bd09(*gcj)
    assert close(to_wgs84(*bd, CoordSystem.BD09), (lng, lat)) < 1.0
    assert close(bd09_to_gcj02(*bd), gcj) < 1.0


def test_wgs84_and_cgcs2000_are_taken_as_they_are_and_foreign_points_are_not_shifted() -> None:
    assert to_wgs84(120.1, 30.2, CoordSystem.CGCS2000) == (120.1, 30.2)
    assert to_wgs84(120.1, 30.2, CoordSystem.WGS84) == (120.1, 30.2)
    assert wgs84_to_gcj02(2.2945, 48.8584) == (2.2945, 48.8584)  # Paris
    assert gcj02_to_wgs84(-74.0445, 40.6892) == (-74.0445, 40.6892)


def test_the_array_form_equals_the_scalar_one() -> None:
    lng = np.array([p[0] for p in PLACES] + [2.2945, TIANANMEN[0]])
    lat = np.array([p[1] for p in PLACES] + [48.8584, TIANANMEN[1]])
    glng, glat = wgs84_to_gcj02_array(lng, lat)
    for i in range(len(lng)):
        expected = wgs84_to_gcj02(float(lng[i]), float(lat[i]))
        assert math.isclose(glng[i], expected[0], abs_tol=1e-12)
        assert math.isclose(glat[i], expected[1], abs_tol=1e-12)
    coords = np.column_stack((lng, lat))
    assert (lnglat_to(CoordSystem.WGS84, coords) == coords).all()
    shifted = lnglat_to(CoordSystem.GCJ02, coords)
    assert np.allclose(shifted[:, 0], glng) and np.allclose(shifted[:, 1], glat)
    bd = lnglat_to(CoordSystem.BD09, coords[-1:])[0]
    assert close((float(bd[0]), float(bd[1])), TIANANMEN_WGS_TO_BD) < 0.01
