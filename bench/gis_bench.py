#!/usr/bin/env python
"""Bulk grid assignment benchmark (DESIGN.md bar: at least 200,000 points/s against 5,000 grid polygons).

1. Generates ``--cells`` grid polygons (default 5,000) tiling a county-sized area (0.5° × 0.5°, ~50 × 55 km):
   Voronoi cells of relaxed random sites, edges cut into ~40 m pieces so cells have tens of vertices like
   digitized grid boundaries (shared edges stay shared), plus ``--points`` random points (default 1,000,000)
   over the area and a 0.01° margin around it (~7 % fall outside every cell), 1 % exactly on cell vertices.
2. Times, best of ``--repeat``:
   - ``jiceng.gis.assign.assign`` (the public function, on an index built from these cells as the
     point-in-polygon index would hold them; index build timed separately);
   - the baseline: shapely 2's STRtree ``query(points, predicate="intersects")`` alone, points made from the
     arrays first (timed apart too), which is what a straightforward vectorized version would do;
   - the naive loop that ``org.locate.locate`` is (one STRtree query per point) on ``--sample`` points.
3. Checks that all three give the same region for every point (lowest tree position on ties, as locate).
4. Prints a table and writes the figures to bench/results/<time>-gis.json.

No database is needed. Run: ``.venv/bin/python bench/gis_bench.py`` (about a minute on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
BAR_POINTS_PER_S = 200_000
EXTENT = (119.9, 28.2, 120.4, 28.7)  # about the demo county's size

sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiceng.settings")
os.environ.setdefault("JICENG_DEBUG", "1")  # settings need no keys; nothing here touches the database

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
import shapely  # noqa: E402

from jiceng.gis import assign as bulk  # noqa: E402
from jiceng.org import locate  # noqa: E402

sys.path.insert(0, str(ROOT))
from bench.common import Figure, write_scenario  # noqa: E402


def cells(n: int, rng: np.random.Generator) -> list[Any]:
    min_x, min_y, max_x, max_y = EXTENT
    area = shapely.box(*EXTENT)
    sites = rng.uniform((min_x, min_y), (max_x, max_y), (n, 2))
    for _ in range(2):  # Lloyd relaxation: grid-like cells, no slivers
        polys = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(sites), extend_to=area))
        polys = shapely.intersection(polys, area)
        sites = shapely.get_coordinates(shapely.centroid(polys))
    polys = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(sites), extend_to=area))
    polys = shapely.intersection(polys, area)
    return list(shapely.segmentize(polys, 0.0004))  # ~40 m pieces


def points(n: int, polys: list[Any], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    min_x, min_y, max_x, max_y = EXTENT
    pad = 0.01
    x = rng.uniform(min_x - pad, max_x + pad, n)
    y = rng.uniform(min_y - pad, max_y + pad, n)
    vertices = shapely.get_coordinates(shapely.boundary(polys))
    on_edge = rng.choice(len(vertices), n // 100)
    x[: n // 100], y[: n // 100] = vertices[on_edge, 0], vertices[on_edge, 1]
    return x, y


def best(repeat: int, run: Callable[[], Any]) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return min(times), result


def lowest(pairs: np.ndarray, n: int) -> np.ndarray:
    """From STRtree (input, tree) pairs: each input's lowest tree position, -1 for none."""
    found = np.full(n, -1, dtype=np.int64)
    order = np.lexsort((pairs[1], pairs[0]))
    inputs, trees = pairs[0][order], pairs[1][order]
    first = np.r_[True, inputs[1:] != inputs[:-1]] if len(inputs) else np.zeros(0, dtype=bool)
    found[inputs[first]] = trees[first]
    return found


def install_index(polys: list[Any]) -> np.ndarray:
    """Make ``locate``'s index hold these cells as its grid level (ids 1…n), as if read from the database."""
    ids = list(range(1, len(polys) + 1))
    tree = shapely.STRtree(polys)
    locate._index = locate.Index(("bench", None), {"grid": (tree, ids)}, time.monotonic() + 10**9)
    return np.asarray(ids, dtype=np.int64)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cells", type=int, default=5000)
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=20_000, help="points for the naive per-point loop")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)

    start = time.perf_counter()
    polys = cells(args.cells, rng)
    x, y = points(args.points, polys, rng)
    vertex_count = int(shapely.get_num_coordinates(polys).sum())
    print(
        f"{len(polys)} cells ({vertex_count / len(polys):.0f} vertices on average), {len(x):,} points, "
        f"generated in {time.perf_counter() - start:.1f} s; load average {os.getloadavg()[0]:.2f}"
    )

    ids = install_index(polys)
    build_s, _ = best(1, lambda: bulk._bucket_index(locate.snapshot(), "grid"))
    assign_s, assigned = best(args.repeat, lambda: bulk.assign(x, y, ("grid",)))

    make_points_s, geoms = best(args.repeat, lambda: shapely.points(x, y))
    tree = shapely.STRtree(polys)
    query_s, pairs = best(args.repeat, lambda: tree.query(geoms, predicate="intersects"))
    strtree = lowest(pairs, len(x))

    sample = rng.choice(len(x), min(args.sample, len(x)), replace=False)

    def naive() -> np.ndarray:
        out = np.full(len(sample), -1, dtype=np.int64)
        for i, (px, py) in enumerate(zip(x[sample].tolist(), y[sample].tolist(), strict=True)):
            hits = tree.query(shapely.Point(px, py), predicate="intersects")
            if len(hits):
                out[i] = int(min(hits))
        return out

    naive_s, naive_found = best(1, naive)

    expected = np.where(strtree >= 0, ids[np.maximum(strtree, 0)], 0)
    same = bool((assigned == expected).all())
    same_naive = bool((naive_found == strtree[sample]).all())
    n = len(x)
    rows = [
        ("jiceng.gis.assign.assign", n / assign_s, assign_s),
        ("STRtree.query(predicate) alone", n / query_s, query_s),
        ("STRtree: shapely.points + query", n / (make_points_s + query_s), make_points_s + query_s),
        (f"naive per-point loop ({len(sample):,} points)", len(sample) / naive_s, naive_s),
    ]
    print(f"\nindex build (bucket grid, once per boundary change): {build_s:.2f} s")
    print(f"{'method':<42} {'points/s':>12} {'seconds':>9}")
    for name, rate, seconds in rows:
        print(f"{name:<42} {rate:>12,.0f} {seconds:>9.3f}")
    verdict = "meets" if n / assign_s >= BAR_POINTS_PER_S else "MISSES"
    print(f"\nbar: ≥ {BAR_POINTS_PER_S:,} points/s — {verdict} it ({n / assign_s / BAR_POINTS_PER_S:.1f}×)")
    print(
        f"same answers: assign = STRtree {same}; naive = STRtree {same_naive}; "
        f"{int((expected == 0).sum()):,} points outside every cell"
    )

    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-gis.json"
    out.write_text(
        json.dumps(
            {
                "cells": len(polys),
                "vertices_per_cell": vertex_count / len(polys),
                "points": n,
                "repeat": args.repeat,
                "index_build_s": build_s,
                "rows": [{"method": m, "points_per_s": r, "seconds": s} for m, r, s in rows],
                "same_answers": same and same_naive,
                "bar_points_per_s": BAR_POINTS_PER_S,
                "load_average": os.getloadavg(),
                "python": platform.python_version(),
                "shapely": shapely.__version__,
                "geos": shapely.geos_version_string,
                "numpy": np.__version__,
                "cpus": os.cpu_count(),
            },
            indent=2,
        )
    )
    print(f"written to {out.relative_to(ROOT)}")
    rate = n / assign_s
    figures = [
        Figure(
            f"grid assignment, {len(polys):,} polygons, {n:,} points", rate, "points/s",
            "STRtree query alone", n / query_s, f"≥ {BAR_POINTS_PER_S:,} points/s", rate >= BAR_POINTS_PER_S,
        ),
        Figure("naive per-point loop", len(sample) / naive_s, "points/s", "jiceng.gis.assign", rate),
    ]  # fmt: skip
    write_scenario("gis", figures, {"run": out.name, "same_answers": same and same_naive})
    if not (same and same_naive):
        sys.exit(1)


if __name__ == "__main__":
    main()
