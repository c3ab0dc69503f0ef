"""Scoped reads for the map: region boundaries and the point/footprint layers, as GeoJSON.

Everything goes through the models' own jurisdiction rules (``Region.objects.restrict``,
``Event.objects.restrict``, ``Model.objects.alive().restrict`` for the registry). Geometry is stored in
WGS-84; ``crs="gcj02"`` shifts it for display over a GCJ-02 base map (高德, 腾讯), and a bbox given in that
system is shifted back before filtering. Each answer holds at most ``limit`` features, with ``truncated``
set when there were more.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from django.db.models import Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from shapely.geometry import mapping, shape

from jiceng.core.coords import CoordSystem, gcj02_to_wgs84, lnglat_to
from jiceng.core.errors import field_error
from jiceng.events.models import Event, EventState
from jiceng.org import locate
from jiceng.org.models import LEVEL_ORDER, Region, RegionLevel
from jiceng.registry.models import CityComponent, ComponentState, House, KeyPlace, PlaceType, RiskLevel
from jiceng.worktools.models import Patrol, PatrolState, TrackPoint

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from jiceng.accounts.models import User

MAX_FEATURES = 5000
FLOOR_HEIGHT_M = 3.0  # extrusion height per floor
DECIMALS = 7  # ~1 cm
DISPLAY_CRS = (CoordSystem.WGS84, CoordSystem.GCJ02)


class Layer(StrEnum):
    EVENTS = "events"
    PLACES = "places"
    COMPONENTS = "components"
    HOUSES = "houses"
    PATROLS = "patrols"


@dataclass(frozen=True)
class BBox:
    """A WGS-84 box: min_lng, min_lat, max_lng, max_lat."""

    min_lng: float
    min_lat: float
    max_lng: float
    max_lat: float

    def contains(self, lng: float, lat: float) -> bool:
        return self.min_lng <= lng <= self.max_lng and self.min_lat <= lat <= self.max_lat

    def intersects(self, bounds: tuple[float, float, float, float]) -> bool:
        min_x, min_y, max_x, max_y = bounds
        return not (
            max_x < self.min_lng or min_x > self.max_lng or max_y < self.min_lat or min_y > self.max_lat
        )

    def box(self) -> shapely.Polygon:
        return shapely.box(self.min_lng, self.min_lat, self.max_lng, self.max_lat)


def parse_bbox(text: str, crs: str = CoordSystem.WGS84) -> BBox | None:
    """``minLng,minLat,maxLng,maxLat`` (in ``crs``) → a WGS-84 box; "" → None; anything else → 422."""
    if not text.strip():
        return None
    parts = text.split(",")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if len(parts) != 4 or len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise field_error(
            "bbox", _("The map area must be four numbers: minLng,minLat,maxLng,maxLat."), "invalid_bbox"
        )
    min_lng, min_lat, max_lng, max_lat = values
    if not (
        -180 <= min_lng <= 180 and -180 <= max_lng <= 180 and -90 <= min_lat <= 90 and -90 <= max_lat <= 90
    ):
        raise field_error(
            "bbox", _("The map area must be in longitude (−180…180) and latitude (−90…90)."), "invalid_bbox"
        )
    if min_lng > max_lng or min_lat > max_lat:
        raise field_error(
            "bbox", _("The map area's minimum must not be greater than its maximum."), "invalid_bbox"
        )
    if crs == CoordSystem.GCJ02:
        # Corners back to WGS-84; a small margin for the offset's change across the box.
        min_lng, min_lat = gcj02_to_wgs84(min_lng, min_lat)
        max_lng, max_lat = gcj02_to_wgs84(max_lng, max_lat)
        pad = 1e-4
        min_lng, min_lat, max_lng, max_lat = min_lng - pad, min_lat - pad, max_lng + pad, max_lat + pad
    return BBox(min_lng, min_lat, max_lng, max_lat)


def parse_levels(text: str) -> list[str]:
    levels = [p.strip() for p in text.split(",") if p.strip()]
    unknown = [p for p in levels if p not in RegionLevel.values]
    if unknown:
        raise field_error(
            "level",
            _("Unknown region level: %(levels)s.") % {"levels": ", ".join(unknown)},
            "invalid_level",
        )
    return levels


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


# --- geometry out ---------------------------------------------------------------------------------------


def _display(crs: str, coords: np.ndarray) -> np.ndarray:
    return np.round(lnglat_to(crs, coords), DECIMALS)


def _geometries(geoms: list[dict[str, Any]], crs: str) -> list[dict[str, Any]]:
    """Stored GeoJSON geometries (WGS-84) in the display system (one transform over all vertices)."""
    if crs == CoordSystem.WGS84 or not geoms:
        return geoms
    shifted = shapely.transform(np.array([shape(g) for g in geoms], dtype=object), lambda c: _display(crs, c))
    return [mapping(g) for g in shifted]


def _points(rows: list[dict[str, Any]], crs: str) -> list[list[float]]:
    if not rows:
        return []
    coords = np.array([[r["lng"], r["lat"]] for r in rows], dtype=np.float64)
    return _display(crs, coords).tolist()


def _collection(features: list[dict[str, Any]], truncated: bool, crs: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "features": features,
        "count": len(features),
        "truncated": truncated,
        "crs": str(crs),
        **extra,
    }


def _cut(rows: list[Any], limit: int) -> tuple[list[Any], bool]:
    return rows[:limit], len(rows) > limit


# --- boundaries -----------------------------------------------------------------------------------------


def _ids_in(bbox: BBox) -> set[int]:
    """Regions of the point-in-polygon index whose boundary meets the box."""
    found: set[int] = set()
    box = bbox.box()
    for tree, ids in locate.snapshot().trees.values():
        found.update(ids[int(i)] for i in tree.query(box, predicate="intersects"))
    return found


def boundaries(
    user: User | AnonymousUser | None,
    *,
    levels: list[str] | None = None,
    bbox: BBox | None = None,
    crs: str = CoordSystem.WGS84,
    limit: int = MAX_FEATURES,
) -> dict[str, Any]:
    """Active regions with a boundary in the user's jurisdiction, coarsest level first."""
    qs = Region.objects.restrict(user).filter(is_active=True, boundary__isnull=False)
    if levels:
        qs = qs.filter(level__in=levels)
    if bbox is not None:
        # Levels the index holds are filtered by it; any other level (province, city) by its bounds below.
        qs = qs.filter(Q(pk__in=_ids_in(bbox)) | ~Q(level__in=locate.LEVELS))
    rows = list(
        qs.select_related("parent").only(
            "id", "code", "name", "level", "boundary", "center_lng", "center_lat", "parent__code"
        )
    )
    if bbox is not None:
        rows = [r for r in rows if r.level in locate.LEVELS or bbox.intersects(shape(r.boundary).bounds)]
    rows.sort(key=lambda r: (LEVEL_ORDER.index(r.level), r.code))
    rows, truncated = _cut(rows, limit)
    url = _url_maker("org:region_detail", "code")
    labels = _points(
        [
            {"lng": r.center_lng, "lat": r.center_lat}
            if r.center_lng is not None and r.center_lat is not None
            else dict(zip(("lng", "lat"), shape(r.boundary).representative_point().coords[0], strict=True))
            for r in rows
        ],
        crs,
    )
    features = [
        {
            "type": "Feature",
            "id": r.pk,
            "geometry": geometry,
            "properties": {
                "code": r.code,
                "name": r.name,
                "level": r.level,
                "level_label": str(RegionLevel(r.level).label),
                "parent_code": r.parent.code if r.parent else "",
                "label_point": label,
                "url": url(r.code),
            },
        }
        for r, label, geometry in zip(
            rows, labels, _geometries([r.boundary or {} for r in rows], crs), strict=True
        )
    ]
    return _collection(features, truncated, crs)


# --- layers ---------------------------------------------------------------------------------------------


@dataclass
class LayerFilter:
    bbox: BBox | None = None
    since: datetime | None = None
    until: datetime | None = None
    category: str = ""
    state: str = ""


def _in_bbox(qs: QuerySet[Any], bbox: BBox | None) -> QuerySet[Any]:
    if bbox is None:
        return qs
    return qs.filter(
        lng__gte=bbox.min_lng, lng__lte=bbox.max_lng, lat__gte=bbox.min_lat, lat__lte=bbox.max_lat
    )


def _choices(text: str, allowed: list[str], field: str) -> list[str]:
    values = [v.strip() for v in text.split(",") if v.strip()]
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise field_error(
            field,
            _("Not one of the allowed values: %(values)s.") % {"values": ", ".join(unknown)},
            f"invalid_{field}",
        )
    return values


def _url_maker(name: str, key_name: str, **fixed: str) -> Callable[[Any], str]:
    """key → the record page's URL, reversed once (and "" when that page is not mounted)."""
    placeholder = "0000000000"
    try:
        pattern = reverse(name, kwargs={**fixed, key_name: placeholder})
    except NoReverseMatch:
        return lambda key: ""
    return lambda key: pattern.replace(placeholder, str(key))


def _events(user: User | AnonymousUser | None, f: LayerFilter, crs: str, limit: int) -> dict[str, Any]:
    qs = _in_bbox(Event.objects.restrict(user).filter(lng__isnull=False, lat__isnull=False), f.bbox)
    states = _choices(f.state, list(EventState.values), "state")
    if states:
        qs = qs.filter(state__in=states)
    if f.category:
        qs = qs.filter(Q(category__code=f.category) | Q(category__parent__code=f.category))
    if f.since:
        qs = qs.filter(reported_at__gte=_aware(f.since))
    if f.until:
        qs = qs.filter(reported_at__lt=_aware(f.until))
    rows, truncated = _cut(
        list(
            qs.order_by("-reported_at", "-id").values(
                "id",
                "title",
                "state",
                "urgency",
                "warning",
                "reported_at",
                "lng",
                "lat",
                "category__code",
                "category__name",
            )[: limit + 1]
        ),
        limit,
    )
    url = _url_maker("events:detail", "event_id")
    state_labels = dict(EventState.choices)
    features = [
        {
            "type": "Feature",
            "id": r["id"],
            "geometry": {"type": "Point", "coordinates": point},
            "properties": {
                "id": r["id"],
                "title": r["title"],
                "state": r["state"],
                "state_label": str(state_labels.get(r["state"], r["state"])),
                "urgency": r["urgency"],
                "warning": r["warning"],
                "category": r["category__code"],
                "category_name": r["category__name"],
                "reported_at": timezone.localtime(r["reported_at"]).isoformat(timespec="minutes"),
                "url": url(r["id"]),
            },
        }
        for r, point in zip(rows, _points(rows, crs), strict=True)
    ]
    return _collection(features, truncated, crs, layer=Layer.EVENTS.value)


def _places(user: User | AnonymousUser | None, f: LayerFilter, crs: str, limit: int) -> dict[str, Any]:
    qs = _in_bbox(
        KeyPlace.objects.alive().restrict(user).filter(lng__isnull=False, lat__isnull=False), f.bbox
    )
    if f.category:
        qs = qs.filter(place_type__in=_choices(f.category, list(PlaceType.values), "category"))
    if f.state:
        qs = qs.filter(risk_level__in=_choices(f.state, list(RiskLevel.values), "state"))
    rows, truncated = _cut(
        list(
            qs.order_by("code").values("id", "code", "name", "place_type", "risk_level", "lng", "lat")[
                : limit + 1
            ]
        ),
        limit,
    )
    url = _url_maker("registry:detail", "key", kind="place")
    types, risks = dict(PlaceType.choices), dict(RiskLevel.choices)
    features = [
        {
            "type": "Feature",
            "id": r["id"],
            "geometry": {"type": "Point", "coordinates": point},
            "properties": {
                "code": r["code"],
                "name": r["name"],
                "place_type": r["place_type"],
                "place_type_label": str(types.get(r["place_type"], r["place_type"])),
                "risk_level": r["risk_level"],
                "risk_level_label": str(risks.get(r["risk_level"], r["risk_level"])),
                "url": url(r["code"]),
            },
        }
        for r, point in zip(rows, _points(rows, crs), strict=True)
    ]
    return _collection(features, truncated, crs, layer=Layer.PLACES.value)


def _components(user: User | AnonymousUser | None, f: LayerFilter, crs: str, limit: int) -> dict[str, Any]:
    qs = _in_bbox(
        CityComponent.objects.alive().restrict(user).filter(lng__isnull=False, lat__isnull=False), f.bbox
    )
    if f.category:
        classes = [c.strip() for c in f.category.split(",") if c.strip()]
        if not all(c.isdigit() and len(c) in (2, 4) for c in classes):
            raise field_error(
                "category",
                _("Give a component class: 2 digits (major class) or 4 digits (class)."),
                "invalid_category",
            )
        query = Q()
        for c in classes:
            query |= Q(minor__startswith=c)
        qs = qs.filter(query)
    if f.state:
        qs = qs.filter(state__in=_choices(f.state, list(ComponentState.values), "state"))
    rows, truncated = _cut(
        list(qs.order_by("code").values("id", "code", "name", "minor", "state", "lng", "lat")[: limit + 1]),
        limit,
    )
    url = _url_maker("registry:detail", "key", kind="component")
    states = dict(ComponentState.choices)
    features = [
        {
            "type": "Feature",
            "id": r["id"],
            "geometry": {"type": "Point", "coordinates": point},
            "properties": {
                "code": r["code"],
                "name": r["name"],
                "class": r["minor"],
                "state": r["state"],
                "state_label": str(states.get(r["state"], r["state"])),
                "url": url(r["code"]),
            },
        }
        for r, point in zip(rows, _points(rows, crs), strict=True)
    ]
    return _collection(features, truncated, crs, layer=Layer.COMPONENTS.value)


def _footprint(value: Any) -> Any:
    """A stored footprint as a shapely Polygon/MultiPolygon, or None when it is missing or unusable."""
    if not isinstance(value, dict) or value.get("type") not in ("Polygon", "MultiPolygon"):
        return None
    try:
        geom = shape(value)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, shapely.errors.ShapelyError):
        return None
    return geom if not geom.is_empty else None


def _houses(user: User | AnonymousUser | None, f: LayerFilter, crs: str, limit: int) -> dict[str, Any]:
    qs = House.objects.alive().restrict(user)
    located = Q(lng__isnull=False, lat__isnull=False)
    if f.bbox is not None:
        b = f.bbox
        located &= Q(lng__gte=b.min_lng, lng__lte=b.max_lng, lat__gte=b.min_lat, lat__lte=b.max_lat)
    # Houses with a footprint but no point are filtered by the footprint's bounds below.
    qs = qs.filter(located | Q(lng__isnull=True, footprint__isnull=False))
    if f.category:
        qs = qs.filter(use__in=[c.strip() for c in f.category.split(",") if c.strip()])
    url = _url_maker("registry:detail", "key", kind="house")
    uses = dict(House._meta.get_field("use").choices or [])
    kept: list[tuple[dict[str, Any], Any]] = []
    truncated = False
    for r in (
        qs.order_by("code")
        .values("id", "code", "address", "floors", "use", "footprint", "lng", "lat")
        .iterator(chunk_size=2000)
    ):
        geom = _footprint(r["footprint"])
        if geom is None and (r["lng"] is None or r["lat"] is None):
            continue
        if (
            geom is not None
            and f.bbox is not None
            and r["lng"] is None
            and not f.bbox.intersects(geom.bounds)
        ):
            continue
        if len(kept) == limit:
            truncated = True
            break
        kept.append((r, geom))
    points = iter(_points([r for r, geom in kept if geom is None], crs))
    features: list[dict[str, Any]] = []
    for r, geom in kept:
        if geom is None:
            geometry = {"type": "Point", "coordinates": next(points)}
        elif crs == CoordSystem.WGS84:
            geometry = mapping(geom)
        else:
            geometry = mapping(shapely.transform(geom, lambda c: _display(crs, c)))
        floors = r["floors"] or 0
        features.append(
            {
                "type": "Feature",
                "id": r["id"],
                "geometry": geometry,
                "properties": {
                    "code": r["code"],
                    "address": r["address"],
                    "floors": floors,
                    "height": round(floors * FLOOR_HEIGHT_M, 1) if floors else FLOOR_HEIGHT_M,
                    "use": r["use"],
                    "use_label": str(uses.get(r["use"], r["use"])),
                    "footprint": geom is not None,
                    "url": url(r["code"]),
                },
            }
        )
    return _collection(features, truncated, crs, layer=Layer.HOUSES.value)


PATROL_DEFAULT_HOURS = 24  # without a time filter: the patrols of the last day


def _patrols(user: User | AnonymousUser | None, f: LayerFilter, crs: str, limit: int) -> dict[str, Any]:
    """Patrol tracks (LineString) and, for those still on patrol, the worker's last position (Point)."""
    since = _aware(f.since) if f.since else timezone.now() - timedelta(hours=PATROL_DEFAULT_HOURS)
    qs = Patrol.objects.restrict(user).filter(started_at__gte=since)
    if f.until:
        qs = qs.filter(started_at__lt=_aware(f.until))
    if f.bbox is not None:  # patrols with a point in the box
        b = f.bbox
        # Only the points of the patrols already chosen (by the (patrol, seq) index): the track point
        # table grows without end and has no index on position.
        in_box = TrackPoint.objects.filter(
            patrol__in=qs.values("pk"),
            lng__gte=b.min_lng,
            lng__lte=b.max_lng,
            lat__gte=b.min_lat,
            lat__lte=b.max_lat,
        )
        qs = qs.filter(pk__in=in_box.values("patrol_id"))
    patrols, truncated = _cut(
        list(
            qs.order_by("-started_at", "-id").values(
                "id", "state", "started_at", "ended_at", "distance_m", "last_lng", "last_lat",
                "worker__full_name", "worker__username", "unit__name",
            )[: limit + 1]
        ),
        limit,
    )  # fmt: skip
    tracks: dict[int, list[list[float]]] = {}
    for pid, lng, lat in (
        TrackPoint.objects.filter(patrol_id__in=[p["id"] for p in patrols])
        .order_by("patrol_id", "seq")
        .values_list("patrol_id", "lng", "lat")
    ):
        tracks.setdefault(pid, []).append([lng, lat])
    url = _url_maker("worktools:patrol_detail", "patrol_id")
    features: list[dict[str, Any]] = []
    for p in patrols:
        props = {
            "kind": "track",
            "state": p["state"],
            "worker": p["worker__full_name"] or p["worker__username"],
            "unit": p["unit__name"],
            "started_at": timezone.localtime(p["started_at"]).isoformat(timespec="minutes"),
            "distance_m": round(p["distance_m"]),
            "url": url(p["id"]),
        }
        line = tracks.get(p["id"], [])
        if len(line) > 1:
            coords = _display(crs, np.array(line, dtype=np.float64)).tolist()
            features.append(
                {"type": "Feature", "id": p["id"], "geometry": {"type": "LineString", "coordinates": coords},
                 "properties": props}
            )  # fmt: skip
        if p["state"] == PatrolState.ACTIVE and p["last_lng"] is not None and p["last_lat"] is not None:
            point = _points([{"lng": p["last_lng"], "lat": p["last_lat"]}], crs)[0]
            features.append(
                {"type": "Feature", "id": p["id"], "geometry": {"type": "Point", "coordinates": point},
                 "properties": {**props, "kind": "position"}}
            )  # fmt: skip
    return _collection(features, truncated, crs, layer=Layer.PATROLS.value)


_LAYERS = {
    Layer.EVENTS: _events,
    Layer.PLACES: _places,
    Layer.COMPONENTS: _components,
    Layer.HOUSES: _houses,
    Layer.PATROLS: _patrols,
}


def layer(
    user: User | AnonymousUser | None,
    name: Layer,
    f: LayerFilter,
    *,
    crs: str = CoordSystem.WGS84,
    limit: int = MAX_FEATURES,
) -> dict[str, Any]:
    """One map layer as a GeoJSON FeatureCollection, in the user's jurisdiction."""
    return _LAYERS[Layer(name)](user, f, crs, min(limit, MAX_FEATURES))


# --- where the map opens ----------------------------------------------------------------------------------


def home_bounds(user: User | AnonymousUser | None, crs: str = CoordSystem.WGS84) -> list[float] | None:
    """The box of the user's jurisdiction (their unit's region, else the regions they see), in ``crs``."""
    region = getattr(getattr(user, "unit", None), "region", None)
    geoms: list[Any] = []
    if region is not None and region.boundary:
        geoms = [shape(region.boundary)]
    else:
        scoped = Region.objects.restrict(user).filter(is_active=True, boundary__isnull=False)
        for level in LEVEL_ORDER:
            found = list(scoped.filter(level=level).values_list("boundary", flat=True)[:500])
            if found:
                geoms = [shape(b) for b in found]
                break
    if not geoms:
        return None
    min_x, min_y, max_x, max_y = shapely.total_bounds(geoms)
    corners = _display(crs, np.array([[min_x, min_y], [max_x, max_y]], dtype=np.float64))
    return [*corners[0].tolist(), *corners[1].tolist()]
