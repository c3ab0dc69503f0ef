#!/usr/bin/env python
"""Where a request of ``POST /api/v1/events`` spends its CPU: the request through Django's whole stack (test
client: middleware, token auth, Ninja, ``report_event``, the 201 body), in this process, under cProfile.

Needs the database of ``bench/events_bench.py`` (run it first; it keeps ``jiceng_bench``). Posts as the
bench's grid worker, with a broker configured as in production (the deferred journal path).

    python bench/profile_intake.py                   # 2,000 requests, the top 40 functions by own time
    python bench/profile_intake.py --requests 500 --sort cumulative --top 60
    python bench/profile_intake.py --no-profile      # CPU a request here and in the PostgreSQL backend

Without the profiler the figures are steadier than over HTTP on a shared machine: one process, one
backend, nothing else competing; alternate two versions of the code to compare them.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

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
    args = parser.parse_args()
    if not database_exists(args.db):
        raise SystemExit(f"{args.db} does not exist: run bench/events_bench.py first")
    configure_environment(argparse.Namespace(db=args.db), Path(tempfile.mkdtemp(prefix="jiceng-profile-")))
    os.environ["JICENG_CELERY_BROKER_URL"] = args.broker
    import django

    django.setup()
    from django.test import Client

    accounts = prepare_accounts(random.Random(1))
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
    profiler = cProfile.Profile()
    cpu, wall, server = time.process_time(), time.perf_counter(), backend()
    if not args.no_profile:
        profiler.enable()
    for i in range(args.warmup, args.warmup + args.requests):
        post(i)
    profiler.disable()
    cpu, wall, server = time.process_time() - cpu, time.perf_counter() - wall, backend() - server
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
