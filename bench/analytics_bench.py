#!/usr/bin/env python
"""Dashboard benchmark on PostgreSQL (see bench/README.md, "Dashboards").

1. Creates its own database (default ``jiceng_analytics_bench``), migrates, loads the demo county's org data
   (no demo events or people) and the categories — as bench/events_bench.py does, with its helpers.
2. Bulk-loads ``--events`` events (default 1,000,000; 1,000 a day) with COPY, using events_bench.py's
   generator (realistic states, levels, lead units, grids, warnings, evaluations; no flow records: the
   dashboards never read them), then builds the rollups with ``rebuild_rollups`` (COPY into a temporary table
   and one INSERT … ON CONFLICT per chunk) and times it.
3. Times the dashboard in-process — ``queries.dashboard`` plus the JSON the API answers — 200 times for the
   county, every township, 6 villages and 6 grids (server time, no HTTP), and EXPLAINs its slowest query.
4. Starts the production server (gunicorn, 2 sync workers, DEBUG off, bench.bench_settings), loads with wrk,
   interleaved, ``--repeat`` times: the trivial ``GET /bench/json``, ``GET /api/v1/analytics/dashboard`` as a
   county leader and ``GET /api/v1/analytics/regions/{township}/dashboard`` as that township's dispatcher —
   at ``--connections`` (default 32, as events_bench) and at 2 connections (one per worker: latency without
   queueing).
5. Prints the table next to the DESIGN.md bar (county dashboard p95 < 100 ms at 5M; 5M ≤ 1.3 × 1M) and writes
   the figures to bench/results/.

    python bench/analytics_bench.py                               # 1,000,000 events
    python bench/analytics_bench.py --events 100000 --duration 10 # what `make bench-analytics` runs
    python bench/analytics_bench.py --events 5000000 --db jiceng_analytics_5m
    python bench/analytics_bench.py --reuse                       # measure again on the existing database
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import events_bench as eb
from bench.common import Figure, load, worker_rss_mb, write_scenario

ROOT = eb.ROOT
RESULTS = eb.RESULTS
BAR_P95_MS = 100.0
BAR_GROWTH = 1.3
IN_PROCESS_RUNS = 200


# --- data ---------------------------------------------------------------------------------------------------


def copy_events(county: eb.County, n: int, days: int, seed: int) -> int:
    """COPY ``n`` generated events (events_bench's generator, without its flow records)."""
    from django.db import connection

    from jiceng.events.models import Event

    rng = random.Random(seed)
    now = datetime.now(UTC)
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM events_event")
        start_id = int(cursor.fetchone()[0]) + 1
    rows = eb.generate_rows(county, n, start_id, 1, now, days, rng)
    first_event, _flows = next(rows)
    columns = [name for name, _v in first_event]
    # Columns added since the generator was written take their default.
    extra = [
        (str(f.column), f.get_default())
        for f in Event._meta.concrete_fields
        if str(f.column) not in columns and f.has_default()
    ]
    missing = {str(f.column) for f in Event._meta.concrete_fields} - set(columns) - {c for c, _d in extra}
    if missing:
        raise SystemExit(f"the event table has columns the generator does not fill: {sorted(missing)}")
    columns += [c for c, _d in extra]
    tail = "".join("\t" + eb._copy_text(d) for _c, d in extra)
    indexes = eb.drop_secondary_indexes(["events_event"])
    written = 0
    try:
        with connection.cursor() as django_cursor:
            django_cursor.execute("SET session_replication_role = replica")
            quoted = ", ".join(f'"{c}"' for c in columns)
            with django_cursor.cursor.copy(f"COPY events_event ({quoted}) FROM STDIN".encode()) as copy:
                batch: list[str] = []
                for event, _event_flows in eb._chain_first((first_event, _flows), rows):
                    batch.append("\t".join(eb._copy_text(v) for _k, v in event) + tail + "\n")
                    written += 1
                    if len(batch) >= 20_000:
                        copy.write("".join(batch))
                        batch.clear()
                    if written % 500_000 == 0:
                        eb.log(f"  {written:,} events generated")
                copy.write("".join(batch))
            django_cursor.execute("SET session_replication_role = DEFAULT")
        eb.log(f"  copied {written:,} events; rebuilding {len(indexes)} indexes")
    finally:
        eb.recreate_indexes(indexes)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('events_event', 'id'), (SELECT max(id) FROM events_event))"
        )
    return written


def build_rollups() -> dict[str, Any]:
    from django.db import connection

    from jiceng.analytics import rollups

    started = time.perf_counter()
    counts = rollups.rebuild(lambda message: eb.log(f"  rollups: {message}"))
    seconds = time.perf_counter() - started
    previous = connection.get_autocommit()
    connection.set_autocommit(True)
    try:
        with connection.cursor() as cursor:
            for table in ("analytics_dailyrollup", "analytics_currentrollup"):
                cursor.execute(f"VACUUM (ANALYZE) {table}")
            cursor.execute(
                "SELECT pg_total_relation_size('analytics_dailyrollup'), "
                "pg_total_relation_size('events_event')"
            )
            daily_bytes, event_bytes = cursor.fetchone()
    finally:
        connection.set_autocommit(previous)
    return {
        **counts,
        "seconds": round(seconds, 1),
        "events_per_s": round(counts["events"] / seconds) if seconds else None,
        "daily_mb": round(daily_bytes / 2**20, 1),
        "events_mb": round(event_bytes / 2**20, 1),
    }


def prepare(args: argparse.Namespace, timer: eb.Timer) -> dict[str, Any]:
    from jiceng.analytics.models import DailyRollup
    from jiceng.events.models import Event

    timer.run("migrate, demo county org data, categories", lambda: eb.prepare_database(args))
    have = int(eb.meta("events") or 0)
    if have != args.events:
        if have:
            raise SystemExit(
                f"{args.db} holds {have:,} generated events, not {args.events:,}: run without --reuse"
            )
        rng = random.Random(args.seed)
        county = timer.run("county data for the generator", lambda: eb.load_county(rng))
        days = args.days or max(30, args.events // 1000)
        timer.run(
            f"bulk load of {args.events:,} events over {days} days (COPY)",
            lambda: copy_events(county, args.events, days, args.seed),
        )
        eb.meta("events", str(args.events))
        timer.run("VACUUM ANALYZE events", eb.vacuum_analyze)
    else:
        eb.log(f"reusing {args.db}: {Event.objects.count():,} events")
    previous = eb.meta("rollups")
    if previous and DailyRollup.objects.exists() and not args.rebuild:
        return dict(json.loads(previous))
    built: dict[str, Any] = timer.run("rebuild_rollups", build_rollups)
    eb.meta("rollups", json.dumps(built))
    return built


# --- in-process server time ---------------------------------------------------------------------------------


def _timings(evaluate: Callable[[], Any], runs: int) -> dict[str, float]:
    for _ in range(5):
        evaluate()
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        evaluate()
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {
        "p50_ms": round(statistics.median(timings), 2),
        "p95_ms": round(timings[int(0.95 * len(timings)) - 1], 2),
        "max_ms": round(timings[-1], 2),
    }


def server_time(runs: int) -> dict[str, Any]:
    """queries.dashboard + the API's JSON, in-process, per node: the county, townships, villages, grids."""
    from django.db import connection
    from django.utils import timezone

    from jiceng.accounts.models import User
    from jiceng.analytics import queries
    from jiceng.analytics.api import DashboardOut
    from jiceng.analytics.rollups import local_day
    from jiceng.org.models import Region, RegionLevel

    root = User(username="bench", is_superuser=True, is_active=True)  # everything, as the county sees it

    def dashboard(code: str) -> Callable[[], Any]:
        return lambda: DashboardOut.model_validate(queries.dashboard(root, code)).model_dump_json()

    nodes: list[tuple[str, Region]] = []
    county = Region.objects.get(level=RegionLevel.COUNTY, code__in=_demo_county_codes())
    nodes.append(("county", county))
    nodes += [("township", r) for r in Region.objects.filter(level=RegionLevel.TOWNSHIP).order_by("code")]
    nodes += [("village", r) for r in Region.objects.filter(level=RegionLevel.VILLAGE).order_by("code")[:6]]
    nodes += [("grid", r) for r in Region.objects.filter(level=RegionLevel.GRID).order_by("code")[:6]]
    per: list[dict[str, Any]] = []
    for level, region in nodes:
        figures = _timings(dashboard(region.code), runs if level == "county" else max(40, runs // 5))
        per.append({"level": level, "code": region.code, "name": region.name, **figures})
        eb.log(
            f"  {level:<8} {region.name:<10} p50 {figures['p50_ms']:6.1f}  p95 {figures['p95_ms']:6.1f} ms"
        )
    by_level = {
        level: max(p["p95_ms"] for p in per if p["level"] == level)
        for level in ("county", "township", "village", "grid")
    }
    # The plan of the widest query of the county dashboard (recurring problems over the townships).
    today = local_day(timezone.now())
    children = list(Region.objects.filter(parent=county).values_list("code", flat=True))
    sql, params = queries.recurring_sql(children, today - timedelta(days=29), today)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        explain = "\n".join(row[0] for row in cursor.fetchall())
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM analytics_dailyrollup WHERE day >= %s", [today - timedelta(days=29)]
        )
        window_rows = cursor.fetchone()[0]
    return {
        "nodes": per,
        "p95_ms_by_level": by_level,
        "explain_recurring": explain,
        "rows_in_30_days": window_rows,
    }


def _demo_county_codes() -> list[str]:
    from jiceng.org.models import Region, RegionLevel

    return list(Region.objects.filter(level=RegionLevel.COUNTY).values_list("code", flat=True))


# --- load ---------------------------------------------------------------------------------------------------


def tokens() -> dict[str, Any]:
    """Bearer tokens of a county leader and of the first township's dispatcher."""
    from jiceng.accounts.actions import issue_token
    from jiceng.accounts.models import User
    from jiceng.accounts.roles import Role
    from jiceng.demo.loader import system_user
    from jiceng.org.models import RegionLevel

    actor = system_user()
    assert actor is not None
    leader = (
        User.objects.filter(roles__role=Role.LEADER, unit__region__level=RegionLevel.COUNTY)
        .order_by("username")
        .first()
    )
    dispatcher = (
        User.objects.select_related("unit__region")
        .filter(roles__role=Role.DISPATCHER, unit__region__level=RegionLevel.TOWNSHIP)
        .order_by("username")
        .first()
    )
    if leader is None or dispatcher is None or dispatcher.unit is None:
        raise SystemExit("the demo county has no county leader or township dispatcher")
    _t, leader_token = issue_token(actor, leader, "bench")
    _t, dispatcher_token = issue_token(actor, dispatcher, "bench")
    return {
        "leader": leader_token,
        "dispatcher": dispatcher_token,
        "township": dispatcher.unit.region.code,
        "township_name": dispatcher.unit.region.name,
    }


def scripts(directory: Path, access: dict[str, Any]) -> dict[str, tuple[str, Path, str]]:
    """name → (label, wrk script, path)."""
    township = access["township"]
    spec = {
        "json": ("GET /bench/json (trivial JSON)", "", "/bench/json"),
        "county": (
            "GET /api/v1/analytics/dashboard (county leader)",
            access["leader"],
            "/api/v1/analytics/dashboard",
        ),
        "township": (
            f"GET /api/v1/analytics/regions/{township}/dashboard (dispatcher)",
            access["dispatcher"],
            f"/api/v1/analytics/regions/{township}/dashboard",
        ),
    }
    out = {}
    for name, (label, token, path) in spec.items():
        script = directory / f"{name}.lua"
        auth = f'wrk.headers["Authorization"] = "Bearer {token}"\n' if token else ""
        script.write_text('wrk.method = "GET"\n' + auth + eb.DONE_HOOK, encoding="utf-8")
        out[name] = (label, script, path)
    return out


def measure(
    args: argparse.Namespace, env: dict[str, str], var_dir: Path, access: dict[str, Any]
) -> list[dict[str, Any]]:
    workdir = var_dir / "lua"
    workdir.mkdir()
    spec = scripts(workdir, access)
    server = eb.start_server(env, args.port, args.workers, var_dir / "server.log")
    runs: list[dict[str, Any]] = []
    base = f"http://127.0.0.1:{args.port}"
    try:
        eb.log(f"server up (pid {server.pid}); warming up")
        for _label, script, path in spec.values():
            eb.run_wrk(script, base + path, args, 3)
        for connections in dict.fromkeys([args.connections, 2]):
            load = argparse.Namespace(**{**vars(args), "connections": connections})
            for repetition in range(1, args.repeat + 1):
                for name, (_label, script, path) in spec.items():
                    result = eb.run_wrk(script, base + path, load, args.duration)
                    runs.append({"connections": connections, **vars(result), "endpoint": name})
                    eb.log(
                        f"c{connections} run {repetition} {name:<9} {result.rps:8.1f} req/s  "
                        f"p50 {result.p50:6.1f}  "
                        f"p95 {result.p95:6.1f}  p99 {result.p99:6.1f} ms  errors {result.errors or 0}"
                    )
        RSS.extend(worker_rss_mb(server.pid))
        eb.log(f"server workers' RSS after the load: {RSS} MB")
    finally:
        eb.stop_server(server)
        eb.log("server stopped")
    return runs


RSS: list[float] = []


def figures(results: dict[str, Any]) -> list[Figure]:
    st = results["server_time"]
    n = results["events"]
    out = []
    for level, ms in st["p95_ms_by_level"].items():
        bar = f"< {BAR_P95_MS:.0f} ms" if level in ("county", "township") else ""
        out.append(
            Figure(f"{level} dashboard server time p95 ({n:,} events)", ms, "ms", "", None, bar,
                   ms < BAR_P95_MS if bar else None)
        )  # fmt: skip
    smaller = load("dashboards-1000000")
    if n >= 4_000_000 and smaller:
        county_1m = next(
            (f["value"] for f in smaller["figures"] if f["name"].startswith("county dashboard server time")),
            None,
        )
        county = st["p95_ms_by_level"]["county"]
        if county_1m:
            out.append(
                Figure("county dashboard p95, growth from 1M", county, "ms", "the 1M run's p95", county_1m,
                       f"≤ {BAR_GROWTH}× the 1M figure", county <= BAR_GROWTH * county_1m)
            )  # fmt: skip
    summary = results.get("summary") or {}
    for key, s in summary.items():
        name, connections = key.split("@")
        if name == "json":
            out.append(Figure(f"trivial JSON (baseline), {connections}", s["rps"], "req/s"))
        else:
            json_rps = summary.get(f"json@{connections}", {}).get("rps")
            out.append(
                Figure(f"{name} dashboard GET under load, {connections}", s["rps"], "req/s", "trivial JSON",
                       json_rps)
            )  # fmt: skip
            out.append(Figure(f"{name} dashboard GET p95, {connections}", s["p95_ms"], "ms"))
    if RSS:
        out.append(Figure("server worker RSS after the load (max)", max(RSS), "MB", "", None, "< 200 MB",
                          max(RSS) < 200))  # fmt: skip
    return out


def summarize(runs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for r in runs:
        grouped.setdefault(f"{r['endpoint']}@c{r['connections']}", []).append(r)
    return {
        key: {
            "rps": round(statistics.median(r["rps"] for r in rs), 1),
            "p50_ms": round(statistics.median(r["p50"] for r in rs), 2),
            "p95_ms": round(statistics.median(r["p95"] for r in rs), 2),
            "p99_ms": round(statistics.median(r["p99"] for r in rs), 2),
            "errors": sum(sum(r["errors"].values()) for r in rs),
        }
        for key, rs in grouped.items()
    }


# --- main ---------------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument(
        "--events", type=int, default=1_000_000, help="events to generate (default 1,000,000)"
    )
    parser.add_argument("--days", type=int, default=0, help="days of history (default: 1,000 events a day)")
    parser.add_argument("--duration", type=int, default=15, help="seconds of each wrk run (default 15)")
    parser.add_argument("--repeat", type=int, default=2, help="runs per endpoint, interleaved (default 2)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument(
        "--db", default="jiceng_analytics_bench", help="database name (default jiceng_analytics_bench)"
    )
    parser.add_argument("--reuse", action="store_true", help="keep an existing database that has the events")
    parser.add_argument("--drop", action="store_true", help="drop the database at the end")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the rollups of a reused database")
    parser.add_argument("--seed", type=int, default=20261)
    parser.add_argument("--runs", type=int, default=IN_PROCESS_RUNS, help="in-process runs for the county")
    parser.add_argument("--no-load", action="store_true", help="in-process timings only, no server and wrk")
    return parser.parse_args(argv)


def run(args: argparse.Namespace, var_dir: Path) -> int:
    env = eb.configure_environment(args, var_dir)
    os.environ["JICENG_DEMO_PEOPLE"] = env["JICENG_DEMO_PEOPLE"] = "0"
    timer = eb.Timer()
    if not (args.reuse and eb.database_exists(args.db)):
        eb.log(f"creating the database {args.db}")
        eb.admin_sql(f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)', f'CREATE DATABASE "{args.db}"')

    import django

    django.setup()
    from django.db import connection

    built = prepare(args, timer)
    results: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(["python", *sys.argv]),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_at_start": os.getloadavg(),
        },
        "settings": dict(vars(args)),
        "phases_s": timer.phases,
        "rollups": built,
    }
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT version(), (SELECT count(*) FROM events_event), "
            "(SELECT count(*) FROM analytics_dailyrollup)"
        )
        results["machine"]["postgres"], results["events"], results["daily_rows"] = cursor.fetchone()
    eb.log("timing the dashboards in-process")
    results["server_time"] = server_time(args.runs)
    access = tokens()
    connection.close()
    if not args.no_load:
        runs = measure(args, env, var_dir, access)
        results["runs"] = runs
        results["summary"] = summarize(runs)
    results["machine"]["load_at_end"] = os.getloadavg()
    table = report(results, access)
    results["table"] = table
    print()
    print(table)
    print()
    print("EXPLAIN ANALYZE, recurring problems of the county (the widest query):")
    print(results["server_time"]["explain_recurring"])
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-analytics-{args.events}.json"
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
    eb.log(f"figures written to {out.relative_to(ROOT)}")
    scenario = write_scenario(f"dashboards-{args.events}", figures(results), {"run": out.name})
    eb.log(f"summary written to {scenario.relative_to(ROOT)}")
    if args.drop:
        eb.admin_sql(f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)')
        eb.log(f"dropped {args.db}")
    return 0


def report(results: dict[str, Any], access: dict[str, Any]) -> str:
    st = results["server_time"]
    built = results.get("rollups") or {}
    lines = [
        f"{results['events']:,} events, {results['daily_rows']:,} daily rollup rows "
        f"({built.get('daily_mb', '?')} MB; events table {built.get('events_mb', '?')} MB); rebuild_rollups "
        f"{built.get('seconds', '?')} s ({built.get('events_per_s', '?')} events/s); "
        f"{st['rows_in_30_days']:,} rollup rows in the last 30 days",
        "",
        "dashboard server time in-process (queries.dashboard + JSON), p95 worst per level:",
        "  " + ", ".join(f"{level} {ms} ms" for level, ms in st["p95_ms_by_level"].items()),
    ]
    summary = results.get("summary")
    if summary:
        lines += [
            "",
            f"{'endpoint':<72} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>6}",
        ]
        labels = {
            "json": "GET /bench/json (trivial JSON)",
            "county": "GET /api/v1/analytics/dashboard (county leader)",
            "township": f"GET /api/v1/analytics/regions/{access['township']}/dashboard "
            f"({access['township_name']})",
        }
        for key, s in summary.items():
            name, connections = key.split("@")
            lines.append(
                f"{labels[name] + ' ' + connections:<72} {s['rps']:>8.0f} {s['p50_ms']:>8.1f} "
                f"{s['p95_ms']:>8.1f} "
                f"{s['p99_ms']:>8.1f} {s['errors']:>6}"
            )
    county = st["p95_ms_by_level"]["county"]
    lines += [
        "",
        f"bar (DESIGN.md): county dashboard p95 < {BAR_P95_MS:.0f} ms server time: {county} ms — "
        f"{'met' if county < BAR_P95_MS else 'MISSED'} "
        f"(compare runs at 1M and 5M for the ≤ {BAR_GROWTH}× growth)",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.no_load and shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    var_dir = Path(tempfile.mkdtemp(prefix="jiceng-analytics-bench-"))
    try:
        return run(args, var_dir)
    except BaseException:
        log_file = var_dir / "server.log"
        if log_file.exists():
            kept = Path(tempfile.gettempdir()) / "jiceng-analytics-bench-server.log"
            shutil.copy(log_file, kept)
            eb.log(f"the server's log is kept in {kept}")
        raise
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
