"""Run every benchmark scenario and print one table of figures, baselines, ratios and bars.

    .venv/bin/python bench/run.py            # small scale, a few minutes (make bench)
    .venv/bin/python bench/run.py --full     # 1 M and 5 M events, 1 M people (make bench-full; hours)
    .venv/bin/python bench/run.py --only events,gis
    .venv/bin/python bench/run.py --table    # print the table of the latest results without running

Each scenario is its own script (see bench/README.md); it generates its own deterministic data set, starts
the server as production runs it where HTTP is measured, and writes ``bench/results/<scenario>.json``.
A scenario that fails is reported and the others still run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import load, table  # noqa: E402

PY = sys.executable

# (group, scenario file name, command) per scale.
SMALL = [
    ("events", "events-100000",
     ["bench/events_bench.py", "--events", "100000", "--duration", "5", "--repeat", "3", "--drop"]),
    ("dashboards", "dashboards-100000",
     ["bench/analytics_bench.py", "--events", "100000", "--duration", "5", "--repeat", "2", "--drop"]),
    ("registry", "registry-20000",
     ["bench/registry_bench.py", "--rows", "20000", "--lookups", "100", "--repeat", "3", "--drop"]),
    ("gis", "gis", ["bench/gis_bench.py", "--points", "200000", "--repeat", "3"]),
    ("federation", "federation", ["bench/federation_bench.py", "--quick"]),
]  # fmt: skip
FULL = [
    ("events", "events-1000000", ["bench/events_bench.py", "--events", "1000000", "--drop"]),
    ("events", "events-5000000",
     ["bench/events_bench.py", "--events", "5000000", "--db", "jiceng_bench_5m", "--repeat", "1", "--drop"]),
    ("dashboards", "dashboards-1000000", ["bench/analytics_bench.py", "--events", "1000000"]),
    ("dashboards", "dashboards-5000000",
     ["bench/analytics_bench.py", "--events", "5000000", "--db", "jiceng_analytics_bench_5m", "--drop"]),
    ("registry", "registry-1000000", ["bench/registry_bench.py", "--rows", "1000000", "--drop"]),
    ("gis", "gis", ["bench/gis_bench.py", "--points", "1000000"]),
    ("federation", "federation", ["bench/federation_bench.py"]),
]  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="full scale (hours)")
    parser.add_argument(
        "--only", default="", help="comma-separated groups: events,dashboards,registry,gis,federation"
    )
    parser.add_argument("--table", action="store_true", help="only print the table of the latest results")
    args = parser.parse_args()
    plan = FULL if args.full else SMALL
    if args.only:
        wanted = set(args.only.split(","))
        plan = [p for p in plan if p[0] in wanted]
    failed = []
    if not args.table:
        if shutil.which("wrk") is None:
            raise SystemExit("wrk is needed for the HTTP scenarios: apt-get install wrk")
        for _group, scenario, command in plan:
            if not (ROOT / command[0]).exists():
                print(f"\n=== {scenario}: {command[0]} does not exist; skipped", flush=True)
                continue
            print(f"\n=== {scenario}: {' '.join(command)}", flush=True)
            started = time.monotonic()
            status = subprocess.run([PY, *command], cwd=ROOT, env=os.environ.copy(), check=False).returncode  # noqa: S603
            print(f"=== {scenario}: exit {status} after {time.monotonic() - started:.0f} s", flush=True)
            if status != 0:
                failed.append(scenario)
    documents = [doc for _g, scenario, _c in plan if (doc := load(scenario)) is not None]
    print()
    print(table(documents))
    missed = [f"{d['scenario']}: {f['name']}" for d in documents for f in d["figures"] if f["met"] is False]
    print()
    print(f"bars missed: {len(missed)}" + "".join(f"\n  - {m}" for m in missed))
    if failed:
        print(f"scenarios that failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
