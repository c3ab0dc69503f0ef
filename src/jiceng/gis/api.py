"""GeoJSON for maps: region boundaries and the events / key places / city components / houses layers."""

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from jiceng.core.api import responses
from jiceng.gis import queries
from jiceng.gis.queries import MAX_FEATURES, Layer, LayerFilter

router = Router(tags=["gis"])


class DisplayCrs(StrEnum):
    WGS84 = "wgs84"
    GCJ02 = "gcj02"


BBOX_HELP = "minLng,minLat,maxLng,maxLat in `crs`"
CRS_HELP = "Coordinates of the answer (and of bbox): wgs84 (天地图, GPS) or gcj02 (高德/腾讯 base maps)"


class FeatureOut(Schema):
    type: Literal["Feature"]
    id: int
    geometry: dict[str, Any]
    properties: dict[str, Any]


class FeatureCollectionOut(Schema):
    type: Literal["FeatureCollection"]
    features: list[FeatureOut]
    count: int = Field(..., description="Features in this answer")
    truncated: bool = Field(..., description="More matched than `limit`: zoom in or filter")
    crs: DisplayCrs
    layer: str | None = None


class BoundaryFilter(Schema):
    level: str = Field("", description="Region levels, comma-separated (e.g. village,grid); all by default")
    bbox: str = Field("", description=BBOX_HELP, max_length=200)
    crs: DisplayCrs = Field(DisplayCrs.WGS84, description=CRS_HELP)
    limit: int = Field(MAX_FEATURES, ge=1, le=MAX_FEATURES)


class LayerFilterIn(Schema):
    bbox: str = Field("", description=BBOX_HELP, max_length=200)
    since: datetime | None = Field(None, description="events: reported at or after")
    until: datetime | None = Field(None, description="events: reported before")
    category: str = Field(
        "",
        max_length=200,
        description="events: category code (with its sub-categories); places: place types; components: "
        "class codes (2 or 4 digits); houses: use codes — comma-separated",
    )
    state: str = Field(
        "",
        max_length=200,
        description="events: states; places: risk levels; components: states — comma-separated",
    )
    crs: DisplayCrs = Field(DisplayCrs.WGS84, description=CRS_HELP)
    limit: int = Field(MAX_FEATURES, ge=1, le=MAX_FEATURES)


@router.get(
    "/gis/boundaries",
    response=responses(FeatureCollectionOut),
    summary="Region and grid boundaries in your jurisdiction (GeoJSON)",
)
def boundaries(request: HttpRequest, filters: Query[BoundaryFilter]) -> Any:
    return queries.boundaries(
        request.user,
        levels=queries.parse_levels(filters.level),
        bbox=queries.parse_bbox(filters.bbox, filters.crs),
        crs=filters.crs,
        limit=filters.limit,
    )


@router.get(
    "/gis/layers/{layer}",
    response=responses(FeatureCollectionOut),
    summary="One map layer in your jurisdiction (GeoJSON): events, places, components or houses",
)
def map_layer(request: HttpRequest, layer: Layer, filters: Query[LayerFilterIn]) -> Any:
    f = LayerFilter(
        bbox=queries.parse_bbox(filters.bbox, filters.crs),
        since=filters.since,
        until=filters.until,
        category=filters.category.strip(),
        state=filters.state.strip(),
    )
    return queries.layer(request.user, layer, f, crs=filters.crs, limit=filters.limit)
