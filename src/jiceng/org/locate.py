"""Point-in-polygon: which grid (or village, township) a point lies in.

An STRtree over every region polygon, rebuilt when regions change (checked at most every few seconds),
so assigning an event to its grid is one tree query, not a database scan. ``snapshot()`` hands the same
index to bulk assignment (``jiceng.gis.assign``), which keeps what it derives in ``Index.extras`` so that
it is rebuilt exactly when the index is.
"""

from __future__ import annotations

import copy
import threading
import time
from dataclasses import dataclass, field
from typing import Any

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
class Index:
    """Per level, an STRtree of the active regions' boundaries and their ids in tree order (by code)."""

    stamp: tuple[int, object]
    trees: dict[str, tuple[shapely.STRtree, list[int]]]
    checked_at: float
    # The indexed regions without their boundaries, so that a hit costs no query.
    regions: dict[int, Region] = field(default_factory=dict)
    # Structures derived from this index by other modules (see jiceng.gis.assign), dropped with it.
    extras: dict[str, Any] = field(default_factory=dict)


_lock = threading.Lock()
_index: Index | None = None


def _stamp() -> tuple[int, object]:
    agg = Region.objects.filter(boundary__isnull=False).aggregate(n=Count("id"), latest=Max("updated_at"))
    return agg["n"], agg["latest"]


def _build(stamp: tuple[int, object]) -> Index:
    trees: dict[str, tuple[shapely.STRtree, list[int]]] = {}
    for level in LEVELS:
        rows = list(
            Region.objects.filter(level=level, boundary__isnull=False, is_active=True).values_list(
                "id", "boundary"
            )
        )
        if rows:
            trees[level] = (shapely.STRtree([shape(b) for _id, b in rows]), [i for i, _b in rows])
    ids = [i for _tree, level_ids in trees.values() for i in level_ids]
    regions = {r.pk: r for r in Region.objects.filter(pk__in=ids).defer("boundary")} if ids else {}
    return Index(stamp, trees, time.monotonic(), regions=regions)


def _current() -> Index:
    global _index
    with _lock:
        if _index is None or time.monotonic() - _index.checked_at > RECHECK_SECONDS:
            stamp = _stamp()
            if _index is None or _index.stamp != stamp:
                _index = _build(stamp)
            else:
                _index.checked_at = time.monotonic()
        return _index


def snapshot() -> Index:
    """The current index (rebuilt when regions have changed). A point's region at a level is the
    intersecting tree entry with the lowest position, as in ``locate``."""
    return _current()


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
            found = index.regions.get(ids[int(min(hits))])
            if found is None:  # the tree is older than the table: rebuild once
                reset()
                return locate(lng, lat)
            return copy.copy(found)
    return None
