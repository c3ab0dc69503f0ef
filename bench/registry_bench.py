#!/usr/bin/env python
"""Registry import and lookup benchmark on PostgreSQL (see bench/README.md, "Registry import and lookup").

1. Creates its own database (default ``jiceng_bench_registry``), migrates, and makes a small region tree
   (county → township → village → grid, with boundaries) and the grid worker who imports.
2. Writes a deterministic CSV of ``--rows`` people (Chinese headers, 1 % bad rows of five kinds: wrong ID
   check character, no name, unknown ethnicity, a grid outside the jurisdiction, a duplicate ID number).
3. Imports it with ``registry.imports.import_file`` (rows/s, RSS sampled after every batch), then imports it
   again (everything unchanged), then COPYs the same file into a plain table (the raw baseline).
4. VACUUM ANALYZE, then times ``queries.records(user, "person", q=…)[:25]`` in-process for ID numbers, full
   pinyin, initials, names, surnames and parts of names (``--lookups`` different values, ``--repeat``
   rounds) next to a plain indexed SELECT by id; prints p50/p95 and EXPLAINs the slowest name query.
5. Prints a table and writes the figures to bench/results/.

    python bench/registry_bench.py                     # 100,000 people
    python bench/registry_bench.py --rows 1000000      # the README's figures
    python bench/registry_bench.py --rows 1000000 --reuse --skip-import   # lookups only, on the same database
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import platform
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"
PG_URL = "postgres://postgres@127.0.0.1:5432"
# Bench-only keys for a throw-away database (never use them elsewhere).
SECRET_KEY = "bench-only-" + hashlib.sha256(b"jiceng-bench-secret").hexdigest()
MIGRATED_APPS = ("audit", "registry")
DATA_KEY = base64.b64encode(hashlib.sha256(b"jiceng-bench-data-key").digest()).decode()


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def configure(args: argparse.Namespace, var_dir: Path) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "jiceng.settings",
            "JICENG_DATABASE_URL": f"{PG_URL}/{args.db}",
            "JICENG_SECRET_KEY": SECRET_KEY,
            "JICENG_DATA_KEY": DATA_KEY,
            "JICENG_DEBUG": "0",
            "JICENG_DEMO": "0",
            "JICENG_VAR_DIR": str(var_dir),
            "JICENG_ALLOWED_HOSTS": "127.0.0.1,localhost",
        }
    )
    for path in (ROOT, ROOT / "src"):
        if str(path) not in sys.path:
            sys.path.insert(0, str(path))


def admin_sql(*statements: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as conn:
        for sql in statements:
            conn.execute(sql.encode())


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- set-up -------------------------------------------------------------------------------------------------


def square(lng: float, lat: float, size: float) -> dict[str, Any]:
    ring = [[lng, lat], [lng + size, lat], [lng + size, lat + size], [lng, lat + size], [lng, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def make_org() -> tuple[Any, str, str]:
    """Two townships with a village and a grid each; the grid worker of the first village. Returns (user,
    grid code, the other township's grid code)."""
    from jiceng.accounts.models import User, UserRole
    from jiceng.accounts.roles import Role
    from jiceng.org.models import Region, RegionLevel, Unit, UnitKind

    existing = User.objects.filter(username="bench_grid_worker").first()
    if existing is not None:
        return existing, "330199001001001", "330199002001001"
    county = Region.objects.create(
        code="330199", name="测试县", level=RegionLevel.COUNTY, boundary=square(120.0, 30.0, 0.2)
    )
    grids = []
    for n, lng in (("001", 120.0), ("002", 120.1)):
        township = Region.objects.create(
            code=f"330199{n}000",
            name=f"{n}镇",
            level=RegionLevel.TOWNSHIP,
            parent=county,
            boundary=square(lng, 30.0, 0.1),
        )
        village = Region.objects.create(
            code=f"330199{n}001",
            name=f"{n}村",
            level=RegionLevel.VILLAGE,
            parent=township,
            boundary=square(lng, 30.0, 0.05),
        )
        grids.append(
            Region.objects.create(
                code=f"330199{n}001001", name=f"{n}村第一网格", level=RegionLevel.GRID, parent=village,
                boundary=square(lng, 30.0, 0.02),
            )
        )  # fmt: skip
        if n == "001":
            unit = Unit.objects.create(
                code="V001-CWH", name="一村村委会", kind=UnitKind.VILLAGE_COMMITTEE, region=village
            )
    user = User.objects.create(username="bench_grid_worker", full_name="网格员", unit=unit)
    UserRole.objects.create(user=user, role=Role.GRID_WORKER)
    return user, grids[0].code, grids[1].code


def write_csv(path: Path, rows: int, grid: str, outside: str) -> int:
    from tests.registry.people_csv import write_people_csv

    expected = write_people_csv(path, rows, grid, outside)
    return len(expected.bad)


# --- measurements -------------------------------------------------------------------------------------------


class BackendCpu:
    """CPU seconds of the PostgreSQL processes serving the bench's database (the importer's connections,
    autovacuum), read from /proc after every batch: a process seen at its start counts from there."""

    def __init__(self, db: str) -> None:
        import psycopg

        self.conn = psycopg.connect(f"{PG_URL}/{db}", autocommit=True)
        self.pid = self.conn.info.backend_pid
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.sample()

    @staticmethod
    def _cpu(pid: int) -> float | None:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def sample(self) -> None:
        pids = [
            pid
            for (pid,) in self.conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> %s",
                [self.pid],
            )
        ]
        for pid in pids:
            cpu = self._cpu(pid)
            if cpu is not None:
                self.first.setdefault(pid, cpu)
                self.last[pid] = cpu

    def seconds(self) -> float:
        self.sample()
        self.conn.close()
        return sum(self.last[pid] - self.first[pid] for pid in self.last)


def timed_import(user: Any, path: Path, db: str) -> dict[str, Any]:
    from jiceng.registry import imports

    samples: list[float] = []
    server = BackendCpu(db)

    def progress(_rows: int) -> None:
        samples.append(rss_mb())
        server.sample()

    start_rss = rss_mb()
    started = time.perf_counter()
    cpu_started = time.process_time()
    with path.open("rb") as handle:
        report = imports.import_file(user, "person", handle, path.name, progress=progress)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    server_cpu = server.seconds()
    result = {
        "seconds": round(seconds, 1),
        "cpu_seconds": round(cpu, 1),
        "rows_per_cpu_s": round(report.rows / cpu),
        "postgres_cpu_seconds": round(server_cpu, 1),
        "postgres_cpu_us_per_row": round(server_cpu / report.rows * 1e6),
        "load_average": os.getloadavg()[0],
        "rows_per_s": round(report.rows / seconds),
        **report.counts(),
        "rss_start_mb": round(start_rss),
        "rss_peak_mb": round(max(samples, default=start_rss)),
        "rss_at_half_mb": round(samples[len(samples) // 2]) if samples else None,
    }
    log(
        f"  {report.rows:,} rows in {seconds:.1f} s ({result['rows_per_s']:,} rows/s; "
        f"importer CPU {cpu:.1f} s, PostgreSQL CPU {server_cpu:.1f} s): "
        f"created {report.created:,}, unchanged {report.unchanged:,}, errors {report.error_rows:,}; "
        f"RSS {start_rss:.0f} → peak {result['rss_peak_mb']} MB"
    )
    return result


def raw_copy(path: Path) -> dict[str, Any]:
    """COPY the same CSV into a plain table (no indexes, no triggers): the floor of any import."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_people_copy")
        cursor.execute(
            "CREATE TABLE bench_people_copy (id bigserial PRIMARY KEY, name text, id_number text, "
            "ethnicity text, phone text, address text, occupation text, region text)"
        )
        started = time.perf_counter()
        raw = cursor.cursor
        columns = "name, id_number, ethnicity, phone, address, occupation, region"
        with (
            path.open("rb") as handle,
            raw.copy(
                f"COPY bench_people_copy ({columns}) FROM STDIN "
                "WITH (FORMAT csv, HEADER true, ENCODING 'UTF8')"
            ) as copy,
        ):
            handle.read(3)  # the BOM
            while block := handle.read(1 << 20):
                copy.write(block)
        seconds = time.perf_counter() - started
        cursor.execute("SELECT count(*) FROM bench_people_copy")
        rows = cursor.fetchone()[0]
    log(f"  raw COPY: {rows:,} rows in {seconds:.2f} s ({rows / seconds:,.0f} rows/s)")
    return {"seconds": round(seconds, 2), "rows": rows, "rows_per_s": round(rows / seconds)}


def vacuum() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) registry_person")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def time_queries(name: str, values: Sequence[Any], run: Callable[[Any], Any], repeat: int) -> dict[str, Any]:
    timings: list[float] = []
    found = 0
    for value in values[: min(10, len(values))]:  # warm up the plan cache and the buffers a little
        run(value)
    for _round in range(repeat):
        for value in values:
            started = time.perf_counter()
            result = run(value)
            timings.append((time.perf_counter() - started) * 1000)
            found += bool(result)
    figures = {
        "runs": len(timings),
        "p50_ms": round(statistics.median(timings), 2),
        "p95_ms": round(percentile(timings, 95), 2),
        "max_ms": round(max(timings), 2),
        "hit_rate": round(found / len(timings), 3),
    }
    log(
        f"  {name:<26} p50 {figures['p50_ms']:7.2f}  p95 {figures['p95_ms']:7.2f}  "
        f"max {figures['max_ms']:7.2f} ms"
    )
    return figures


def lookups(user: Any, rows: int, count: int, repeat: int, seed: int) -> dict[str, Any]:
    from django.db import connection
    from tests.registry.people_csv import id_number, person_row

    from jiceng.registry import queries, search
    from jiceng.registry.models import Person

    rng = random.Random(seed)
    picks = [i for i in (rng.randrange(rows) for _ in range(count * 2)) if i % 100 != 50][:count]
    people = [person_row(i, "") for i in picks]
    ids = [id_number(i) for i in picks]
    names = [p["name"] for p in people]
    pinyin = [search.name_keys(n)[0] for n in names]
    initials = [search.name_keys(n)[1] for n in names]
    surnames = [search.surname(n) or n[0] for n in names]
    parts = [n[-2:] if len(n) > 2 else n for n in names]  # the given name, or the whole two-character name
    # 尾号 of a phone (every odd row has one): the generator's ID numbers share a few dozen sequence numbers,
    # so their last four would be far commoner than in a real register (~1 in 11,000)
    tails = [person_row(i | 1, "")["phone"][-4:] for i in picks]
    pks = list(Person.objects.order_by("?").values_list("pk", flat=True)[:count])

    def page(q: str) -> list[Any]:
        return list(queries.records(user, "person", q=q)[:25])

    def by_id(pk: int) -> list[Any]:
        return list(Person.objects.filter(pk=pk))

    def raw(pk: int) -> Any:
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM registry_person WHERE id = %s", [pk])
            return cursor.fetchone()

    results = {
        "id_number": time_queries("q=<ID number>", ids, page, repeat),
        "name": time_queries("q=<name>", names, page, repeat),
        "pinyin": time_queries("q=<full pinyin>", pinyin, page, repeat),
        "initials": time_queries("q=<initials>", initials, page, repeat),
        "surname": time_queries("q=<surname>", surnames, page, repeat),
        "name_part": time_queries("q=<part of a name>", parts, page, repeat),
        "tail": time_queries("q=<last 4 of phone>", tails, page, repeat),
        "select_by_id_orm": time_queries("ORM SELECT by id", pks, by_id, repeat),
        "select_by_id_raw": time_queries("raw SELECT by id", pks, raw, repeat),
    }
    with connection.cursor() as cursor:
        for label, q in (
            ("name", names[0]),
            ("pinyin", pinyin[0]),
            ("id_number", ids[0]),
            ("surname", surnames[0]),
            ("name_part", parts[0]),
            ("tail", tails[0]),
        ):
            sql, params = queries.records(user, "person", q=q)[:25].query.sql_with_params()
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            results[f"explain_{label}"] = "\n".join(r[0] for r in cursor.fetchall())
    return results


# --- main ---------------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000, help="people in the CSV (default 100,000)")
    parser.add_argument("--db", default="jiceng_bench_registry")
    parser.add_argument("--reuse", action="store_true", help="keep an existing database")
    parser.add_argument("--skip-import", action="store_true", help="lookups only (with --reuse)")
    parser.add_argument("--no-reimport", action="store_true")
    parser.add_argument("--lookups", type=int, default=200, help="different values per lookup kind")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--drop", action="store_true", help="drop the database at the end")
    return parser.parse_args(argv)


def write_scenario(name: str, figures: list[Any], details: dict[str, Any]) -> Path:
    from bench.common import write_scenario as write

    return write(name, figures, details)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    var_dir = Path(tempfile.mkdtemp(prefix="jiceng-registry-bench-"))
    configure(args, var_dir)
    if not args.reuse:
        admin_sql(f'DROP DATABASE IF EXISTS "{args.db}"', f'CREATE DATABASE "{args.db}"')
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    figures: dict[str, Any] = {
        "rows": args.rows,
        "started": datetime.now().isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_before": os.getloadavg()[0],
    }
    started = time.perf_counter()
    for app in MIGRATED_APPS:  # only what the import needs (other apps' migrations may be mid-edit)
        call_command("migrate", app, verbosity=0, interactive=False)
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        figures["postgresql"] = cursor.fetchone()[0]
    user, grid, outside = make_org()
    csv_path = var_dir / "people.csv"
    log(f"writing {args.rows:,} people to {csv_path}")
    t = time.perf_counter()
    bad = write_csv(csv_path, args.rows, grid, outside)
    figures["csv"] = {
        "seconds": round(time.perf_counter() - t, 1),
        "mb": round(csv_path.stat().st_size / 2**20, 1),
        "bad_rows": bad,
    }
    if not args.skip_import:
        log("import")
        figures["import"] = timed_import(user, csv_path, args.db)
        if not args.no_reimport:
            log("import again (all unchanged)")
            figures["reimport"] = timed_import(user, csv_path, args.db)
        log("raw COPY of the same file into a plain table")
        figures["copy"] = raw_copy(csv_path)
        figures["import"]["share_of_copy"] = round(
            figures["import"]["rows_per_s"] / figures["copy"]["rows_per_s"], 4
        )
    figures["peak_rss_process_mb"] = round(peak_rss_mb())
    log("VACUUM ANALYZE")
    vacuum()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), pg_size_pretty(pg_total_relation_size('registry_person')) FROM registry_person"
        )
        count, size = cursor.fetchone()
    figures["people"], figures["table_size"] = count, size
    log(f"lookups among {count:,} people ({size})")
    figures["lookups"] = lookups(user, args.rows, args.lookups, args.repeat, args.seed)
    figures["seconds"] = round(time.perf_counter() - started, 1)
    connection.close()
    if args.drop:
        admin_sql(f'DROP DATABASE IF EXISTS "{args.db}"')
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"{time.strftime('%Y%m%d-%H%M%S')}-registry-{args.rows}.json"
    out.write_text(json.dumps(figures, indent=2, ensure_ascii=False))
    print_summary(figures)
    log(f"figures written to {out}")
    write_scenario(f"registry-{args.rows}", scenario_figures(figures), {"run": out.name})
    shutil.rmtree(var_dir, ignore_errors=True)
    return 0


def scenario_figures(figures: dict[str, Any]) -> list[Any]:
    """The DESIGN.md bars of this scenario, for bench/run.py's table."""
    from bench.common import Figure

    out = []
    if "import" in figures:
        i, c = figures["import"], figures["copy"]
        out += [
            Figure("raw COPY of the same rows (baseline)", c["rows_per_s"], "rows/s"),
            Figure(
                f"people import, {i['rows']:,} rows", i["rows_per_s"], "rows/s", "raw COPY", c["rows_per_s"],
                "≥ 20,000 rows/s and ≥ 30 % of COPY",
                i["rows_per_s"] >= 20_000 and i["rows_per_s"] >= 0.3 * c["rows_per_s"],
            ),
            Figure("importer RSS peak", i["rss_peak_mb"], "MB", bar="< 300 MB", met=i["rss_peak_mb"] < 300),
        ]  # fmt: skip
    raw = figures["lookups"]["select_by_id_raw"]["p95_ms"]
    for key, label in (("id_number", "ID number"), ("name", "name"), ("pinyin", "full pinyin"),
                       ("initials", "initials"), ("surname", "surname"),
                       ("name_part", "part of a name"), ("tail", "last 4 of phone")):  # fmt: skip
        if key not in figures["lookups"]:  # results of older versions
            continue
        p95 = figures["lookups"][key]["p95_ms"]
        out.append(
            Figure(
                f"person lookup by {label} p95 ({figures['people']:,} people)", p95, "ms",
                "raw indexed SELECT p95", raw, "< 10 ms", p95 < 10,
            )
        )  # fmt: skip
    return out


def print_summary(f: dict[str, Any]) -> None:
    print()
    print(f"people: {f['rows']:,} (table {f.get('table_size')}), PostgreSQL {f.get('postgresql')}")
    if "import" in f:
        i, c = f["import"], f["copy"]
        print(
            f"import:   {i['rows_per_s']:>8,} rows/s  ({i['seconds']} s, CPU {i['cpu_seconds']} s + "
            f"PostgreSQL {i['postgres_cpu_seconds']} s; RSS peak {i['rss_peak_mb']} MB)"
        )
        if "reimport" in f:
            r = f["reimport"]
            print(
                f"again:    {r['rows_per_s']:>8,} rows/s  ({r['seconds']} s, CPU {r['cpu_seconds']} s + "
                f"PostgreSQL {r['postgres_cpu_seconds']} s; unchanged: {r['unchanged']:,})"
            )
        print(
            f"raw COPY: {c['rows_per_s']:>8,} rows/s  ({c['seconds']} s) → "
            f"import is {i['share_of_copy']:.1%} of COPY"
        )
    print("lookup (in-process, ms)      p50      p95")
    for key, label in (
        ("id_number", "q=<ID number>"),
        ("name", "q=<name>"),
        ("pinyin", "q=<full pinyin>"),
        ("initials", "q=<initials>"),
        ("surname", "q=<surname>"),
        ("name_part", "q=<part of a name>"),
        ("tail", "q=<last 4 of phone>"),
        ("select_by_id_orm", "ORM SELECT by id"),
        ("select_by_id_raw", "raw SELECT by id"),
    ):
        if key not in f["lookups"]:
            continue
        x = f["lookups"][key]
        print(f"  {label:<26} {x['p50_ms']:7.2f}  {x['p95_ms']:7.2f}")


if __name__ == "__main__":
    raise SystemExit(main())
