#!/usr/bin/env python
"""Where a request of ``POST /api/v1/events`` spends its CPU: the request through Django's whole stack (test
client: middleware, token auth, Ninja, ``report_event``, the 201 body), in this process, under cProfile.

Needs the database of ``bench/events_bench.py`` (run it first; it keeps ``jiceng_bench``). Posts as the
bench's grid worker, with a broker configured as in production (the deferred journal path).

    python bench/profile_intake.py                   # 2,000 requests, the top 40 functions by own time
    python bench/profile_intake.py --requests 500 --sort cumulative --top 60
    python bench/profile_intake.py --no-profile      # CPU a request here and in the PostgreSQL backend
    python bench/profile_intake.py --no-profile --processes 3 --requests 400   # writers at once

Without the profiler the figures are steadier than over HTTP on a shared machine: one process, one
backend, nothing else competing; alternate two versions of the code to compare them.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.events_bench import configure_environment, database_exists, prepare_accounts  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--db", default="jiceng_bench")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--sort", default="tottime", choices=["tottime", "cumulative"])
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/9")
    parser.add_argument("--no-profile", action="store_true", help="only time the requests")
    parser.add_argument(
        "--processes", type=int, default=1, help="with --no-profile: this many processes post at once"
    )
    args = parser.parse_args()
    if not database_exists(args.db):
        raise SystemExit(f"{args.db} does not exist: run bench/events_bench.py first")
    configure_environment(argparse.Namespace(db=args.db), Path(tempfile.mkdtemp(prefix="jiceng-profile-")))
    os.environ["JICENG_CELERY_BROKER_URL"] = args.broker
    import django

    django.setup()

    accounts = prepare_accounts(random.Random(1))
    if args.no_profile and args.processes > 1:
        return at_once(args, accounts)
    profiler = cProfile.Profile()
    cpu, server, wall = post_many(args, accounts, None if args.no_profile else profiler)
    each = 1000 / args.requests
    if args.no_profile:
        print(
            f"{args.requests} requests: {cpu * each:.2f} ms CPU here, {server * each:.2f} ms in the"
            f" PostgreSQL backend, {wall * each:.2f} ms wall each"
        )
        return 0
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.top)
    print(out.getvalue())
    print(
        f"{args.requests} requests: {cpu * each:.2f} ms CPU and {wall * each:.2f} ms wall each in this"
        " process (under cProfile, which adds roughly a third)"
    )
    return 0


def post_many(
    args: argparse.Namespace, accounts: Any, profiler: cProfile.Profile | None
) -> tuple[float, ...]:
    """Warm up, then post ``args.requests`` new events; (CPU here, CPU of the backend, wall) in seconds."""
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=f"Bearer {accounts.grid_token}", SERVER_NAME="127.0.0.1")
    run_id = uuid.uuid4().hex[:12]

    def post(i: int) -> None:
        body = accounts.bodies[i % len(accounts.bodies)]
        response = client.post(
            "/api/v1/events",
            body,
            content_type="application/json",
            headers={"Idempotency-Key": f"{run_id}-{i}"},
        )
        assert response.status_code == 201, response.content[:300]

    for i in range(args.warmup):
        post(i)
    backend = backend_cpu_reader()
    cpu, wall, server = time.process_time(), time.perf_counter(), backend()
    if profiler is not None:
        profiler.enable()
    for i in range(args.warmup, args.warmup + args.requests):
        post(i)
    if profiler is not None:
        profiler.disable()
    return time.process_time() - cpu, backend() - server, time.perf_counter() - wall


def at_once(args: argparse.Namespace, accounts: Any) -> int:
    """``args.processes`` forked processes post at once, each on its own connection."""
    from django.db import connection

    connection.close()
    readers = []
    for _n in range(args.processes):
        read_end, write_end = os.pipe()
        if os.fork() == 0:
            os.close(read_end)
            result = post_many(args, accounts, None)
            os.write(write_end, json.dumps(result).encode())
            os._exit(0)
        os.close(write_end)
        readers.append(read_end)
    results = []
    for read_end in readers:
        with os.fdopen(read_end) as pipe:
            results.append(json.loads(pipe.read()))
    for _pid in readers:
        os.wait()
    each = 1000 / args.requests
    for cpu, server, wall in results:
        print(
            f"  {cpu * each:.2f} ms CPU, {server * each:.2f} ms PostgreSQL,"
            f" {wall * each:.2f} ms wall a request"
        )
    slowest = max(wall for _cpu, _server, wall in results)
    print(
        f"{args.processes} processes × {args.requests} requests:"
        f" {args.processes * args.requests / slowest:.0f} req/s"
    )
    return 0


def backend_cpu_reader() -> Callable[[], float]:
    """CPU seconds used so far by the PostgreSQL backend of this process's connection (``/proc``)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    stat = Path(f"/proc/{pid}/stat")
    ticks = os.sysconf("SC_CLK_TCK")

    def read() -> float:
        fields = stat.read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / ticks

    return read


if __name__ == "__main__":
    raise SystemExit(main())
