"""Point-in-polygon: which grid (or village, township) a point lies in.

An STRtree over every region polygon, rebuilt when regions change (checked at most every few seconds),
so assigning an event to its grid is one tree query, not a database scan.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import shapely
from django.db.models import Count, Max
from shapely.geometry import Point, shape

from jiceng.org.models import Region, RegionLevel

# Finest first: a point gets the smallest region that contains it.
LEVELS = [
    RegionLevel.MICROGRID,
    RegionLevel.GRID,
    RegionLevel.VILLAGE,
    RegionLevel.TOWNSHIP,
    RegionLevel.COUNTY,
]
RECHECK_SECONDS = 5.0


@dataclass
class _Index:
    stamp: tuple[int, object]
    trees: dict[str, tuple[shapely.STRtree, list[int]]]
    checked_at: float


_lock = threading.Lock()
_index: _Index | None = None


def _stamp() -> tuple[int, object]:
    agg = Region.objects.filter(boundary__isnull=False).aggregate(n=Count("id"), latest=Max("updated_at"))
    return agg["n"], agg["latest"]


def _build(stamp: tuple[int, object]) -> _Index:
    trees: dict[str, tuple[shapely.STRtree, list[int]]] = {}
    for level in LEVELS:
        rows = list(
            Region.objects.filter(level=level, boundary__isnull=False, is_active=True).values_list(
                "id", "boundary"
            )
        )
        if rows:
            trees[level] = (shapely.STRtree([shape(b) for _id, b in rows]), [i for i, _b in rows])
    return _Index(stamp, trees, time.monotonic())


def _current() -> _Index:
    global _index
    with _lock:
        if _index is None or time.monotonic() - _index.checked_at > RECHECK_SECONDS:
            stamp = _stamp()
            if _index is None or _index.stamp != stamp:
                _index = _build(stamp)
            else:
                _index.checked_at = time.monotonic()
        return _index


def reset() -> None:
    global _index
    with _lock:
        _index = None


def locate(lng: float, lat: float) -> Region | None:
    """The finest active region whose boundary contains the WGS-84 point, or None."""
    index = _current()
    point = Point(lng, lat)
    for level in LEVELS:
        if level not in index.trees:
            continue
        tree, ids = index.trees[level]
        hits = tree.query(point, predicate="intersects")
        if len(hits):
            found = Region.objects.filter(pk=ids[int(min(hits))]).first()
            if found is None:  # the tree is older than the table: rebuild once
                reset()
                return locate(lng, lat)
            return found
    return None
