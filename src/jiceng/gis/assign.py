"""Bulk point-in-polygon: many (lng, lat) at once → the finest region containing each.

The rule is ``jiceng.org.locate``'s, on the same index (``locate.snapshot()``): levels finest first, and
at one level the intersecting region that comes first in the tree (lowest code) wins, boundary included.
``assign`` answers exactly what ``locate`` answers point by point, tens of times faster than a loop
(figures in bench/README.md).

How, per level: the polygons' bounding boxes are binned into a regular grid of buckets (about sixteen
along a typical polygon's side). A bucket is *owned* by a polygon that covers it whole when every polygon
before it in tree order is disjoint from the bucket; every point in an owned bucket gets its owner with no
geometry test at all (most points: ~80 % of buckets for Voronoi-like grids). The remaining points are
paired with their bucket's candidates, pre-filtered by bounding box, sorted by polygon, and tested with one
prepared ``shapely.intersects_xy`` call per polygon. No point geometries are created. Building the buckets
for 5,000 polygons takes about a second, once per change of the boundaries (``locate``'s index).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely

from jiceng.org import locate
from jiceng.org.models import RegionLevel

# Where registry records hang: the finest grid, else the village.
PLACE_LEVELS: tuple[str, ...] = (RegionLevel.MICROGRID, RegionLevel.GRID, RegionLevel.VILLAGE)
# Where events may hang (as at intake): down to the township or county when no grid contains the point.
EVENT_LEVELS: tuple[str, ...] = tuple(locate.LEVELS)

CHUNK = 1 << 20  # points per pass, to bound the memory of the candidate pairs
BUCKETS_PER_SIDE = 16  # buckets along a typical polygon's side
MAX_BUCKETS = 1 << 22  # per level
MAX_PAIRS = 1 << 24  # (bucket, polygon) pairs per level
# Owned buckets are tested enlarged by this much (degrees, ~1 mm), so that a point binned into a bucket by
# floating-point rounding is still covered.
_EPS = 1e-8

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_build_lock = threading.Lock()


class BucketIndex:
    """One level's polygons (in tree order) for bulk point lookups; ``query`` gives tree positions."""

    def __init__(self, geometries: Sequence[Any] | npt.NDArray[Any]):
        geoms = np.asarray(geometries, dtype=object)
        self.geoms = geoms
        self.size = len(geoms)
        shapely.prepare(geoms)
        bounds = shapely.bounds(geoms).reshape(-1, 4) if len(geoms) else np.zeros((0, 4))
        self.bounds = bounds
        valid: npt.NDArray[np.bool_] = np.all(
            np.isfinite(bounds), axis=1
        )  # empty geometries have NaN bounds and contain nothing
        if not valid.any():
            self.size = 0
            self.origin = (0.0, 0.0)
            self.cell = (1.0, 1.0)
            self.shape = (1, 1)
            self.offsets = np.zeros(2, dtype=np.int64)
            self.polys = np.zeros(0, dtype=np.int64)
            self.owner = np.full(1, -1, dtype=np.int64)
            return
        min_x, min_y = float(bounds[valid, 0].min()), float(bounds[valid, 1].min())
        max_x, max_y = float(bounds[valid, 2].max()), float(bounds[valid, 3].max())
        span_x, span_y = max(max_x - min_x, 1e-9), max(max_y - min_y, 1e-9)
        cell_x = float(np.median(bounds[valid, 2] - bounds[valid, 0])) / BUCKETS_PER_SIDE
        cell_y = float(np.median(bounds[valid, 3] - bounds[valid, 1])) / BUCKETS_PER_SIDE
        cell_x, cell_y = max(cell_x, span_x / 4096), max(cell_y, span_y / 4096)
        safe = np.where(valid[:, None], bounds, [min_x, min_y, min_x, min_y])
        while True:
            nx, ny = int(span_x // cell_x) + 1, int(span_y // cell_y) + 1
            # Every (bucket, polygon) whose bounding boxes overlap.
            ix0 = np.clip(np.floor((safe[:, 0] - min_x) / cell_x).astype(np.int64), 0, nx - 1)
            ix1 = np.clip(np.floor((safe[:, 2] - min_x) / cell_x).astype(np.int64), 0, nx - 1)
            iy0 = np.clip(np.floor((safe[:, 1] - min_y) / cell_y).astype(np.int64), 0, ny - 1)
            iy1 = np.clip(np.floor((safe[:, 3] - min_y) / cell_y).astype(np.int64), 0, ny - 1)
            width, height = ix1 - ix0 + 1, iy1 - iy0 + 1
            counts = np.where(valid, width * height, 0)
            if nx * ny <= MAX_BUCKETS and int(counts.sum()) <= MAX_PAIRS:
                break
            cell_x, cell_y = cell_x * 2, cell_y * 2
        self.origin, self.cell, self.shape = (min_x, min_y), (cell_x, cell_y), (nx, ny)

        # Sorted by bucket, then polygon (tree order).
        poly = np.repeat(np.arange(len(geoms), dtype=np.int64), counts)
        local = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
        bucket = (iy0[poly] + local // width[poly]) * nx + (ix0[poly] + local % width[poly])
        order = np.lexsort((poly, bucket))
        self.polys = poly[order]
        self.offsets = np.zeros(nx * ny + 1, dtype=np.int64)
        np.cumsum(np.bincount(bucket, minlength=nx * ny), out=self.offsets[1:])

        # A bucket is owned by a polygon that covers all of it when every candidate before that polygon (in
        # tree order) is disjoint from the bucket: it is then the answer for every point there. A candidate's
        # relation to a bucket its boundary does not pass through is all or nothing, told by the centre.
        self.owner = np.full(nx * ny, -1, dtype=np.int64)
        pair_bucket = np.repeat(np.arange(nx * ny, dtype=np.int64), np.diff(self.offsets))
        pair_poly = self.polys
        keys = pair_bucket * len(geoms) + pair_poly
        crossed_bucket, crossed_poly = self._touched_by_boundaries(geoms)
        crossed_keys = np.sort(crossed_bucket * len(geoms) + crossed_poly)  # repeats do not matter
        at = np.minimum(np.searchsorted(crossed_keys, keys), max(len(crossed_keys) - 1, 0))
        crossed = crossed_keys[at] == keys if len(crossed_keys) else np.zeros(len(keys), dtype=bool)
        clear = np.flatnonzero(~crossed)
        clear = clear[np.argsort(pair_poly[clear], kind="stable")]
        centre_x = min_x + (pair_bucket[clear] % nx + 0.5) * cell_x
        centre_y = min_y + (pair_bucket[clear] // nx + 0.5) * cell_y
        inside = np.zeros(len(keys), dtype=bool)
        for poly_at, start, end in _runs(pair_poly[clear]):
            inside[clear[start:end]] = shapely.intersects_xy(
                geoms[poly_at], centre_x[start:end], centre_y[start:end]
            )
        # Each bucket's first candidate that is not disjoint from it decides: owner if it covers the bucket.
        decisive = np.flatnonzero(crossed | inside)
        buckets = pair_bucket[decisive]
        decisive = (
            decisive[np.concatenate(([True], buckets[1:] != buckets[:-1]))] if len(decisive) else decisive
        )
        owned = decisive[inside[decisive]]
        self.owner[pair_bucket[owned]] = pair_poly[owned]

    def _touched_by_boundaries(self, geoms: npt.NDArray[Any]) -> tuple[IntArray, IntArray]:
        """(bucket, polygon) pairs, possibly repeated, for every bucket (with a margin) that a polygon's
        boundary passes through. Conservative: an extra bucket only costs geometry tests later."""
        (min_x, min_y), (cell_x, cell_y), (nx, ny) = self.origin, self.cell, self.shape
        # Boundaries cut into pieces shorter than a bucket, so that each piece's box spans few buckets.
        lines = shapely.segmentize(shapely.boundary(geoms), min(cell_x, cell_y) / 2)
        coords, owner = shapely.get_coordinates(lines, return_index=True)
        same = owner[1:] == owner[:-1]  # consecutive points of one polygon's boundary (rings joined up)
        x0, y0, x1, y1 = coords[:-1, 0][same], coords[:-1, 1][same], coords[1:, 0][same], coords[1:, 1][same]
        poly = owner[:-1][same].astype(np.int64)
        bx0 = np.clip(np.floor((np.minimum(x0, x1) - _EPS - min_x) / cell_x), 0, nx - 1).astype(np.int64)
        bx1 = np.clip(np.floor((np.maximum(x0, x1) + _EPS - min_x) / cell_x), 0, nx - 1).astype(np.int64)
        by0 = np.clip(np.floor((np.minimum(y0, y1) - _EPS - min_y) / cell_y), 0, ny - 1).astype(np.int64)
        by1 = np.clip(np.floor((np.maximum(y0, y1) + _EPS - min_y) / cell_y), 0, ny - 1).astype(np.int64)
        width = bx1 - bx0 + 1
        counts = width * (by1 - by0 + 1)
        seg = np.repeat(np.arange(len(poly)), counts)
        local = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
        bucket = (by0[seg] + local // width[seg]) * nx + (bx0[seg] + local % width[seg])
        return bucket, poly[seg]

    def query(self, x: FloatArray, y: FloatArray) -> IntArray:
        """For each point, the position of the first polygon (tree order) that intersects it, else -1."""
        result = np.full(len(x), -1, dtype=np.int64)
        if not self.size or not len(x):
            return result
        (min_x, min_y), (cell_x, cell_y), (nx, ny) = self.origin, self.cell, self.shape
        with np.errstate(invalid="ignore"):
            fx, fy = np.floor((x - min_x) / cell_x), np.floor((y - min_y) / cell_y)
            inside = (fx >= 0) & (fx < nx) & (fy >= 0) & (fy < ny)
        points = np.flatnonzero(inside)
        buckets = fy[points].astype(np.int64) * nx + fx[points].astype(np.int64)
        owned = self.owner[buckets]
        result[points] = owned
        rest = owned < 0
        points, buckets = points[rest], buckets[rest]

        # Candidate pairs (point, polygon) for the rest, filtered by bounding box.
        starts = self.offsets[buckets]
        counts = self.offsets[buckets + 1] - starts
        pair_point = np.repeat(points, counts)
        pair_poly = self.polys[
            np.repeat(starts - (np.cumsum(counts) - counts), counts) + np.arange(int(counts.sum()))
        ]
        px, py = x[pair_point], y[pair_point]
        b = self.bounds[pair_poly]
        near = (px >= b[:, 0]) & (px <= b[:, 2]) & (py >= b[:, 1]) & (py <= b[:, 3])
        pair_point, pair_poly, px, py = pair_point[near], pair_poly[near], px[near], py[near]
        if not len(pair_point):
            return result

        # One prepared point-in-polygon call per polygon, over all its candidate points.
        order = np.argsort(pair_poly, kind="stable")
        pair_point, pair_poly, px, py = pair_point[order], pair_poly[order], px[order], py[order]
        hit = np.zeros(len(pair_point), dtype=bool)
        for poly_at, start, end in _runs(pair_poly):
            hit[start:end] = shapely.intersects_xy(self.geoms[poly_at], px[start:end], py[start:end])
        pair_point, pair_poly = pair_point[hit], pair_poly[hit]
        # Pairs are in polygon order, so a point's first pair is its lowest position.
        found, first = np.unique(pair_point, return_index=True)
        result[found] = pair_poly[first]
        return result


def _runs(sorted_values: IntArray) -> Iterator[tuple[int, int, int]]:
    """(value, start, end) of each run of equal values in a sorted array."""
    if not len(sorted_values):
        return
    cuts = (np.flatnonzero(sorted_values[1:] != sorted_values[:-1]) + 1).tolist()
    for start, end in zip([0, *cuts], [*cuts, len(sorted_values)], strict=True):
        yield int(sorted_values[start]), start, end


def _bucket_index(snapshot: locate.Index, level: str) -> BucketIndex | None:
    if level not in snapshot.trees:
        return None
    key = f"gis.bucket.{level}"
    index = snapshot.extras.get(key)
    if index is None:
        with _build_lock:
            index = snapshot.extras.get(key)
            if index is None:
                tree, _ids = snapshot.trees[level]
                index = snapshot.extras[key] = BucketIndex(tree.geometries)
    return index


def assign(
    lng: Iterable[float] | FloatArray,
    lat: Iterable[float] | FloatArray,
    levels: Sequence[str] = PLACE_LEVELS,
) -> IntArray:
    """The id of the finest active region (among ``levels``) containing each WGS-84 point, 0 for none.

    Equal, point by point, to ``locate.locate(lng, lat)`` restricted to ``levels``; NaN gives 0.
    """
    x = np.ascontiguousarray(np.asarray(lng, dtype=np.float64).ravel())
    y = np.ascontiguousarray(np.asarray(lat, dtype=np.float64).ravel())
    if x.shape != y.shape:
        raise ValueError("lng and lat must have the same length")
    result = np.zeros(len(x), dtype=np.int64)
    snapshot = locate.snapshot()
    wanted = [level for level in locate.LEVELS if level in set(levels)]
    for level in wanted:
        index = _bucket_index(snapshot, level)
        if index is None:
            continue
        ids = snapshot.extras.get(f"gis.ids.{level}")
        if ids is None:
            ids = snapshot.extras[f"gis.ids.{level}"] = np.asarray(snapshot.trees[level][1], dtype=np.int64)
        for start in range(0, len(x), CHUNK):
            todo = start + np.flatnonzero(result[start : start + CHUNK] == 0)
            if not len(todo):
                continue
            positions = index.query(x[todo], y[todo])
            found = positions >= 0
            result[todo[found]] = ids[positions[found]]
    return result
