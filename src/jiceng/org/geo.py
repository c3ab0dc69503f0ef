"""Boundary geometry: GeoJSON polygons in WGS-84, checked with shapely."""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

import shapely
from django.utils.translation import gettext as _
from shapely.geometry import mapping, shape


class GeometryError(ValueError):
    pass


def clean_geometry(value: Any) -> dict[str, Any]:
    """A valid Polygon or MultiPolygon as a GeoJSON geometry dict (a Feature's geometry is taken)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise GeometryError(_("The boundary is not valid GeoJSON.")) from exc
    if not isinstance(value, dict):
        raise GeometryError(_("The boundary is not valid GeoJSON."))
    if value.get("type") == "Feature":
        value = value.get("geometry") or {}
    if value.get("type") not in ("Polygon", "MultiPolygon"):
        raise GeometryError(_("A boundary must be a Polygon or MultiPolygon."))
    try:
        geom = shape(value)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, shapely.errors.ShapelyError) as exc:
        raise GeometryError(_("The boundary is not valid GeoJSON.")) from exc
    if geom.is_empty or not geom.is_valid:
        raise GeometryError(_("The boundary polygon is empty or crosses itself."))
    min_x, min_y, max_x, max_y = geom.bounds
    if min_x < -180 or max_x > 180 or min_y < -90 or max_y > 90:
        raise GeometryError(_("Boundary coordinates must be WGS-84 longitude and latitude."))
    return json.loads(json.dumps(mapping(geom)))


def centroid(geometry: dict[str, Any]) -> tuple[float, float]:
    point = shape(geometry).representative_point()
    return round(point.x, 7), round(point.y, 7)


# Share of a child's area that may lie outside its parent: digitising slop along a shared border.
OUTSIDE_PARENT_TOLERANCE = 0.01


def share_outside(geometry: dict[str, Any], parent: dict[str, Any]) -> float:
    """The share (0–1) of ``geometry``'s area outside ``parent`` (planar in degrees: fine for a ratio
    between neighbouring shapes)."""
    geom, outer = shape(geometry), shape(parent)
    if geom.area == 0:
        return 0.0
    return float(geom.difference(outer).area / geom.area)


def summary(geometry: dict[str, Any] | None) -> str | None:
    """What the audit log keeps of a boundary: its approximate area and a short hash of its coordinates —
    enough to see that and how much it changed, without copying the whole GeoJSON into every entry."""
    if not geometry:
        return None
    geom = shape(geometry)
    # Degrees² to km²: 111.32 km per degree of latitude, shrunk by cos(latitude) along the parallels.
    km2 = geom.area * 111.32**2 * math.cos(math.radians(geom.centroid.y))
    digest = hashlib.sha256(json.dumps(geometry, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    return f"≈{km2:.2f} km² #{digest[:12]}"
