#!/usr/bin/env python
"""Event intake and worklist benchmark on PostgreSQL (see bench/README.md).

1. Creates its own database (default ``jiceng_bench``), migrates, loads the demo county's org data (regions,
   units, users; the demo's event history is turned off with JICENG_DEMO_EVENTS=0) and seeds the categories.
2. Bulk-generates ``--events`` events (default 1,000,000) and their flow records with COPY: realistic
   states by age, levels, due times and warnings, lead units, real grid codes and points; VACUUM ANALYZE.
3. Starts the production server (gunicorn, 2 sync workers, DEBUG off) with ``bench.bench_settings``, which
   adds two baselines to the real URLconf: GET /bench/json (trivial), POST /bench/insert (one ORM row).
4. Loads each endpoint with wrk (32 connections, 2 threads, ``--duration`` seconds, ``--repeat`` times,
   interleaved): the trivial JSON endpoint, the one-row insert, ``POST /api/v1/events`` as a grid worker (a
   random point in a grid, a unique Idempotency-Key per request) and ``GET /api/v1/events?worklist=to_dispatch
   &limit=25`` as a township dispatcher. Percentiles come from wrk's latency histogram (a Lua ``done`` hook).
5. Times the dispatcher's worklist query in-process (200 evaluations: server time, no HTTP) and EXPLAINs it.
6. Prints a table next to the DESIGN.md bars and writes the figures to bench/results/.

    python bench/events_bench.py                    # 1,000,000 events, 20 s runs, 3 repetitions
    python bench/events_bench.py --events 100000 --duration 10      # what `make bench` runs
    python bench/events_bench.py --reuse            # measure again on the existing database
    python bench/events_bench.py --drop             # drop the database at the end
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import platform
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    CpuMeter,
    Figure,
    empty_broker,
    health_line,
    table_health,
    wait_for_batches,
    worker_rss_mb,
    write_scenario,
)

RESULTS = ROOT / "bench" / "results"
PG_URL = "postgres://postgres@127.0.0.1:5432"
# Bench-only keys for a throw-away database (never use them elsewhere).
SECRET_KEY = "bench-only-" + hashlib.sha256(b"jiceng-bench-secret").hexdigest()
DATA_KEY = base64.b64encode(hashlib.sha256(b"jiceng-bench-data-key").digest()).decode()

# The DESIGN.md bars.
BAR_INTAKE_SHARE = 0.5  # of the one-row insert endpoint's throughput
BAR_INTAKE_P99_MS = 100.0
BAR_WORKLIST_P95_MS = 30.0

# State mix. Events of the last RECENT_DAYS are still moving; older ones are done but for a few stuck open.
RECENT_DAYS = 14
RECENT_STATES = {
    "closed": 40, "rejected": 4, "merged": 2, "handling": 18, "handled": 8, "dispatched": 6,
    "pending_dispatch": 8, "reported": 6, "extension_pending": 3, "suspended": 5,
}  # fmt: skip
OLD_STATES = {
    "closed": 934, "rejected": 40, "merged": 19, "handling": 2, "handled": 1, "dispatched": 1,
    "pending_dispatch": 1, "reported": 1, "extension_pending": 0.3, "suspended": 0.7,
}  # fmt: skip
SOURCES = {
    "grid_worker": 38,
    "hotline": 22,
    "resident": 14,
    "department": 8,
    "other": 8,
    "iot": 6,
    "leader": 4,
}
# The actions that bring an event to each state (after "report"), and the state each one leads to.
PATHS = {
    "reported": [],
    "pending_dispatch": ["accept"],
    "dispatched": ["accept", "dispatch"],
    "handling": ["accept", "dispatch", "sign"],
    "extension_pending": ["accept", "dispatch", "sign", "request_extension"],
    "suspended": ["accept", "dispatch", "sign", "suspend"],
    "handled": ["accept", "dispatch", "sign", "handle"],
    "closed": ["accept", "dispatch", "sign", "handle", "verify_pass"],
    "rejected": ["reject"],
    "merged": ["merge"],
}
TARGET = {
    "accept": "pending_dispatch", "dispatch": "dispatched", "sign": "handling", "handle": "handled",
    "verify_pass": "closed", "reject": "rejected", "merge": "merged",
    "request_extension": "extension_pending",
    "suspend": "suspended", "evaluate": "closed", "return": "pending_dispatch",
}  # fmt: skip
STAGE_HOURS = {"reported": 2, "pending_dispatch": 4, "dispatched": 4}
OPEN = {"reported", "pending_dispatch", "dispatched", "handling", "extension_pending", "suspended", "handled"}


# --- environment and database -------------------------------------------------------------------------------


def db_url(name: str) -> str:
    return f"{PG_URL}/{name}"


def configure_environment(args: argparse.Namespace, var_dir: Path) -> dict[str, str]:
    """The environment of the production server (and of this process's Django)."""
    env = {
        "DJANGO_SETTINGS_MODULE": "bench.bench_settings",
        "JICENG_DATABASE_URL": db_url(args.db),
        "JICENG_SECRET_KEY": SECRET_KEY,
        "JICENG_DATA_KEY": DATA_KEY,
        "JICENG_DEBUG": "0",
        "JICENG_DEMO": "0",
        "JICENG_DEMO_EVENTS": "0",
        # Only the org data, users and categories are needed: the demo's residents and 办件 take minutes.
        "JICENG_DEMO_PEOPLE": "0",
        "JICENG_DEMO_APPLICATIONS": "0",
        "JICENG_VAR_DIR": str(var_dir),
        "JICENG_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
    }
    os.environ.update(env)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return {**os.environ, **env}


def admin_sql(*statements: str) -> None:
    import psycopg

    with psycopg.connect(db_url("postgres"), autocommit=True) as conn:
        for sql in statements:
            conn.execute(sql.encode())


def database_exists(name: str) -> bool:
    import psycopg

    with psycopg.connect(db_url("postgres"), autocommit=True) as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    return row is not None


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


@dataclass
class Timer:
    phases: dict[str, float] = field(default_factory=dict)

    def run(self, name: str, func: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        result = func()
        self.phases[name] = round(time.perf_counter() - started, 1)
        log(f"{name}: {self.phases[name]} s")
        return result


# --- preparing the data -------------------------------------------------------------------------------------


def prepare_database(args: argparse.Namespace) -> None:
    """Migrate, load the demo county's org data and the categories, and the insert baseline's table."""
    from django.core.management import call_command
    from django.db import connection

    from jiceng.demo.loader import load_demo, system_user
    from jiceng.events.models import EventCategory
    from jiceng.events.seed import seed_categories

    call_command("migrate", verbosity=0, interactive=False)
    if system_user() is None:
        load_demo(open(os.devnull, "w"))  # noqa: SIM115 - the demo's progress is not wanted here
    actor = system_user()
    if not EventCategory.objects.exists():
        seed_categories(actor)
    from bench.bench_urls import CREATE_TABLE

    with connection.cursor() as cursor:
        cursor.execute(CREATE_TABLE)
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_meta (key text PRIMARY KEY, value text NOT NULL)")


@dataclass
class County:
    """What generated rows refer to: leaf regions with points inside, units, users, categories and texts."""

    leaves: list[tuple[int, str, list[tuple[float, float]]]]  # region id, code, sample points
    stations: dict[
        str, list[tuple[int, str]]
    ]  # township prefix (9) → (unit id, name) of stations and agencies
    departments: list[tuple[int, str]]
    committees: dict[str, tuple[int, str]]  # village code → committee
    dispatchers: dict[str, tuple[int, str]]  # township prefix → user
    grid_workers: dict[str, tuple[int, str]]  # township prefix → a grid worker of the township
    county_center: tuple[int, str]
    texts: dict[
        str, list[tuple[int, str, str, str]]
    ]  # township prefix → (category id, title, description, address)


def sample_points(boundary: Any, rng: random.Random, n: int) -> list[tuple[float, float]]:
    import numpy as np
    import shapely
    from shapely.geometry import shape

    geom = shape(boundary)
    min_x, min_y, max_x, max_y = geom.bounds
    found: list[tuple[float, float]] = []
    while len(found) < n:
        xs = np.round(np.array([rng.uniform(min_x, max_x) for _ in range(4 * n)]), 6)
        ys = np.round(np.array([rng.uniform(min_y, max_y) for _ in range(4 * n)]), 6)
        inside = shapely.contains_xy(geom, xs, ys)
        found += [(float(x), float(y)) for x, y in zip(xs[inside], ys[inside], strict=True)]
    return found[:n]


def load_county(rng: random.Random) -> County:
    from jiceng.accounts.models import User
    from jiceng.accounts.roles import Role
    from jiceng.demo.county import build_plan
    from jiceng.events import demo
    from jiceng.events.models import EventCategory
    from jiceng.org.models import Region, RegionLevel, Unit, UnitKind

    regions = list(Region.objects.filter(level__in=[RegionLevel.GRID, RegionLevel.MICROGRID]))
    parents = {r.parent_id for r in regions if r.level == RegionLevel.MICROGRID}
    leaves = [(r.pk, r.code, sample_points(r.boundary, rng, 64)) for r in regions if r.pk not in parents]
    stations: dict[str, list[tuple[int, str]]] = {}
    committees: dict[str, tuple[int, str]] = {}
    departments: list[tuple[int, str]] = []
    for unit in Unit.objects.select_related("region").order_by("code"):
        if unit.kind in (UnitKind.TOWNSHIP_STATION, UnitKind.DISPATCHED_AGENCY):
            stations.setdefault(unit.region.code[:9], []).append((unit.pk, unit.name))
        elif unit.kind == UnitKind.VILLAGE_COMMITTEE:
            committees[unit.region.code] = (unit.pk, unit.name)
        elif unit.kind == UnitKind.COUNTY_DEPARTMENT:
            departments.append((unit.pk, unit.name))
    dispatchers: dict[str, tuple[int, str]] = {}
    grid_workers: dict[str, tuple[int, str]] = {}
    center = (0, "")
    for user in User.objects.select_related("unit__region").prefetch_related("roles").order_by("username"):
        roles = {r.role for r in user.roles.all()}
        if user.unit is None:
            continue
        prefix = user.unit.region.code[:9]
        if Role.DISPATCHER in roles:
            dispatchers.setdefault(prefix, (user.pk, user.full_name))
        if Role.GRID_WORKER in roles:
            grid_workers.setdefault(prefix, (user.pk, user.full_name))
        if Role.COUNTY_CENTER in roles:
            center = (user.pk, user.full_name)
    # Titles and descriptions as the demo history writes them, a pool per township.
    plan = build_plan()
    cats = list(EventCategory.objects.select_related("parent").filter(is_active=True).order_by("code"))
    parent_ids = {c.parent_id for c in cats if c.parent_id}
    leaf_cats = [c for c in cats if c.pk not in parent_ids]
    texts: dict[str, list[tuple[int, str, str, str]]] = {}
    for township in plan.at_level(RegionLevel.TOWNSHIP):
        villages = plan.children(township.code)
        pool = texts.setdefault(township.code[:9], [])
        for _ in range(400):
            category = rng.choice(leaf_cats)
            village = rng.choice(villages)
            family = demo.family_of(category)
            words = demo.Words(rng, township, village, villages, category)
            template = rng.choice(demo.title_templates(family, category))
            detail = rng.choice(demo._texts(family.descriptions, category.name, demo.GENERIC.descriptions))
            pool.append(
                (
                    category.pk,
                    words.fill(template)[:200],
                    words.fill(f"{template}。{detail}"),
                    f"{township.name}{words.location(template)}"[:200],
                )
            )
    return County(leaves, stations, departments, committees, dispatchers, grid_workers, center, texts)


def _copy_text(value: Any) -> str:
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value)
    if any(c in text for c in "\\\t\n\r"):
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def _weighted_cycle(rng: random.Random, weights: Mapping[str, float], n: int = 100_000) -> list[str]:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys], k=n)


def generate_rows(
    county: County, n: int, start_id: int, flow_start_id: int, now: datetime, days: int, rng: random.Random
) -> Iterator[tuple[list[Any], list[list[Any]]]]:
    """(event row, flow rows) for ``n`` events with ids from ``start_id``, over the ``days`` before now."""
    recent_states = _weighted_cycle(rng, RECENT_STATES)
    old_states = _weighted_cycle(rng, OLD_STATES)
    sources = _weighted_cycle(rng, SOURCES)
    flow_id = flow_start_id
    hotline_seq = 0
    span = days * 86400
    for k in range(n):
        event_id = start_id + k
        # Older ids are older events: ids follow the report time, as in production.
        age = span * (1 - (k + rng.random()) / n)
        reported = now - timedelta(seconds=age)
        recent = age < RECENT_DAYS * 86400
        state = (recent_states if recent else old_states)[rng.randrange(100_000)]
        region_id, code, points = rng.choice(county.leaves)
        lng, lat = rng.choice(points)
        prefix = code[:9]
        category_id, title, description, address = rng.choice(county.texts[prefix])
        source = sources[rng.randrange(100_000)]
        dispatcher = county.dispatchers[prefix]
        grid_worker = county.grid_workers.get(prefix, dispatcher)
        reporter = grid_worker if source in ("grid_worker", "resident") else None
        created_by = grid_worker if source == "grid_worker" else dispatcher
        source_ref = ""
        if source == "hotline":
            hotline_seq += 1
            source_ref = f"12345-{reported:%Y%m%d}{hotline_seq:06d}"
        elif source == "iot":
            source_ref = f"IOT-{event_id}"
        roll = rng.random()
        level = "township"
        lead: tuple[int, str] | None = None
        path = PATHS[state]
        returned = state == "pending_dispatch" and roll > 0.9  # a unit sent it back
        if returned:
            path = ["accept", "dispatch", "return"]
        if "dispatch" in path and not returned:
            if roll < 0.07:
                level, lead = "county", rng.choice(county.departments)
            elif roll < 0.12:
                level, lead = "village", county.committees[code[:12]]
            else:
                lead = rng.choice(county.stations[prefix])
        elif state in ("reported", "pending_dispatch") and roll < 0.1:
            level = "county"
        # Times of the steps: minutes to hours apart; closed ones took up to about two weeks.
        times = [reported]
        for _action in path:
            times.append(times[-1] + timedelta(minutes=rng.uniform(10, 600 if _action != "handle" else 8000)))
        if times[-1] > now:
            squeeze = (now - reported) / (times[-1] - reported) * 0.99
            times = [reported + (t - reported) * squeeze for t in times]
        stage_start = times[-1]
        handle_due = times[3] + timedelta(days=rng.choice([3, 5, 7, 15])) if len(times) > 3 else None
        due: datetime | None = None
        if state in STAGE_HOURS:
            due = stage_start + timedelta(hours=STAGE_HOURS[state] * 1.6)
        elif state in ("handling", "extension_pending", "suspended"):
            due = handle_due
        elif state == "handled":
            due = stage_start + timedelta(days=2.8)
        warning = ""
        was_overdue = False
        if due is not None and state in OPEN and state != "suspended":
            if due <= now:
                warning, was_overdue = "red", True
            elif (now - stage_start) / (due - stage_start) >= 0.8:
                warning = "yellow"
        closed_at = times[-1] if state == "closed" else None
        handled_at = times[4] if state in ("handled", "closed") else None
        evaluation = ""
        if state == "closed" and rng.random() < 0.45:
            evaluation = rng.choices(["satisfied", "basically_satisfied", "dissatisfied"], [78, 14, 8])[0]
        merged_into = max(1, event_id - rng.randint(1, 500)) if state == "merged" and event_id > 1 else None
        if state == "merged" and merged_into is None:
            state, path, times = "rejected", ["reject"], times[:2]
        event = {
            "id": event_id, "title": title, "description": description, "category_id": category_id,
            "urgency": "normal" if roll > 0.1 else "urgent", "source": source, "source_ref": source_ref,
            "state": state, "level": level, "region_id": region_id, "region_code": code,
            "lng": lng, "lat": lat,
            "address": address, "occurred_at": reported - timedelta(minutes=rng.randint(0, 90)),
            "reported_at": reported, "reporter_id": reporter[0] if reporter else None,
            "reporter_name": reporter[1] if reporter else "", "anonymous": False,
            "created_by_id": created_by[0],
            "idempotency_key": "", "form_data": "{}", "on_spot": False,
            "lead_unit_id": lead[0] if lead else None, "stage_started_at": stage_start, "due_at": due,
            "handle_due_at": handle_due if state not in ("reported", "pending_dispatch", "rejected", "merged")
            else None, "warning": warning, "was_overdue": was_overdue, "handled_at": handled_at,
            "closed_at": closed_at, "evaluation": evaluation, "evaluation_comment": "",
            "merged_into_id": merged_into, "updated_at": times[-1], "version": len(path) + 1,
            "reporter_phone": "", "reporter_phone_index": "", "return_count": int(returned),
            "rework_count": 0, "extension_count": 0,
            "escalation_count": 1 if level == "county" else 0, "reopen_count": 0, "supervision_count": 0,
        }  # fmt: skip
        flows = []
        previous = ""
        steps = ["report", *path] + (["evaluate"] if evaluation else [])
        at_times = [*times, times[-1] + timedelta(days=1)] if evaluation else times
        for action, at in zip(steps, at_times, strict=True):
            to_state = "reported" if action == "report" else TARGET[action]
            by_lead = action in ("sign", "handle", "request_extension", "suspend", "return")
            actor = (
                None
                if by_lead
                else (reporter or created_by)
                if action in ("report", "evaluate")
                else (county.county_center if level == "county" else dispatcher)
            )
            data = (
                json.dumps({"source": source})
                if action == "report"
                else json.dumps({"lead_unit": lead[0]})
                if action == "dispatch" and lead
                else "{}"
            )
            flows.append({
                "id": flow_id, "event_id": event_id, "at": at, "actor_id": actor[0] if actor else None,
                "actor_name": (actor[1] if actor else lead[1] if lead else "")[:60],
                "unit_id": lead[0] if by_lead and lead else None, "action": action, "from_state": previous,
                "to_state": to_state, "level": level, "comment": "", "data": data,
            })  # fmt: skip
            flow_id += 1
            previous = to_state
        yield list(event.items()), [list(f.items()) for f in flows]


def copy_events(county: County, n: int, days: int, seed: int) -> tuple[int, int]:
    """COPY ``n`` events and their flows into the database; returns (events, flows) written."""
    from django.db import connection

    from jiceng.events.models import Event, EventFlow

    rng = random.Random(seed)
    now = datetime.now(UTC)
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM events_event")
        start_id = int(cursor.fetchone()[0]) + 1
        cursor.execute("SELECT coalesce(max(id), 0) FROM events_eventflow")
        flow_start = int(cursor.fetchone()[0]) + 1
    rows = generate_rows(county, n, start_id, flow_start, now, days, rng)
    first_event, first_flows = next(rows)
    event_columns = [name for name, _v in first_event]
    flow_columns = [name for name, _v in first_flows[0]]
    missing = {str(f.column) for f in Event._meta.concrete_fields} - set(event_columns)
    missing |= {str(f.column) for f in EventFlow._meta.concrete_fields} - set(flow_columns)
    if missing:
        raise SystemExit(f"the event tables have columns this generator does not fill: {sorted(missing)}")
    indexes = drop_secondary_indexes(["events_event", "events_eventflow"])
    flow_path = Path(tempfile.mkstemp(prefix="bench-flows-", suffix=".tsv")[1])
    events = flows = 0
    pg = connection.connection  # the psycopg connection under Django's
    try:
        with connection.cursor() as django_cursor, flow_path.open("w", encoding="utf-8") as flow_file:
            django_cursor.execute("SET session_replication_role = replica")  # no FK triggers while loading
            cursor = pg.cursor()
            columns = ", ".join(f'"{c}"' for c in event_columns)
            with cursor.copy(f"COPY events_event ({columns}) FROM STDIN".encode()) as copy:
                batch: list[str] = []
                for event, event_flows in _chain_first((first_event, first_flows), rows):
                    batch.append("\t".join(_copy_text(v) for _k, v in event) + "\n")
                    for flow in event_flows:
                        flow_file.write("\t".join(_copy_text(v) for _k, v in flow) + "\n")
                    flows += len(event_flows)
                    events += 1
                    if len(batch) >= 20_000:
                        copy.write("".join(batch))
                        batch.clear()
                    if events % 200_000 == 0:
                        log(f"  {events:,} events generated")
                copy.write("".join(batch))
            flow_file.flush()
            columns = ", ".join(f'"{c}"' for c in flow_columns)
            with (
                cursor.copy(f"COPY events_eventflow ({columns}) FROM STDIN".encode()) as copy,
                flow_path.open("rb") as source,
            ):
                while chunk := source.read(8 << 20):
                    copy.write(chunk)
            django_cursor.execute("SET session_replication_role = DEFAULT")
        log(f"  copied {events:,} events and {flows:,} flow records; rebuilding {len(indexes)} indexes")
    finally:
        flow_path.unlink(missing_ok=True)
        recreate_indexes(indexes)
    with connection.cursor() as cursor:
        for table in ("events_event", "events_eventflow"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: S608
            )
    return events, flows


def _chain_first(first: Any, rest: Iterator[Any]) -> Iterator[Any]:
    yield first
    yield from rest


def drop_secondary_indexes(tables: Sequence[str]) -> list[str]:
    """Drop the tables' indexes except primary keys (faster bulk loading); returns their definitions."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = ANY(%s) AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
            [list(tables)],
        )
        rows = cursor.fetchall()
        for name, _definition in rows:
            cursor.execute(f'DROP INDEX "{name}"')
    return [definition for _name, definition in rows]


def recreate_indexes(definitions: Sequence[str]) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '512MB'")
        for definition in definitions:
            cursor.execute(definition)


def vacuum_analyze() -> None:
    from django.db import connection

    previous = connection.get_autocommit()
    connection.set_autocommit(True)
    try:
        with connection.cursor() as cursor:
            for table in ("events_event", "events_eventflow", "bench_row", "audit_auditentry"):
                cursor.execute(f"VACUUM (ANALYZE) {table}")
    finally:
        connection.set_autocommit(previous)


def meta(key: str, value: str | None = None) -> str | None:
    from django.db import connection

    with connection.cursor() as cursor:
        if value is not None:
            cursor.execute(
                "INSERT INTO bench_meta (key, value) VALUES (%s, %s) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [key, value],
            )
            return value
        cursor.execute("SELECT value FROM bench_meta WHERE key = %s", [key])
        row = cursor.fetchone()
        return str(row[0]) if row else None


# --- the server and the load --------------------------------------------------------------------------------


@dataclass
class Accounts:
    grid_worker: str
    grid_token: str
    dispatcher: str
    dispatcher_token: str
    bodies: list[str]


def prepare_accounts(rng: random.Random, bodies: int = 2000) -> Accounts:
    """Fresh API tokens for a grid worker and a dispatcher of the county seat, and event bodies to post."""
    from jiceng.accounts.actions import issue_token
    from jiceng.accounts.models import User
    from jiceng.demo.county import build_plan
    from jiceng.demo.loader import system_user
    from jiceng.events import demo
    from jiceng.events.models import EventCategory
    from jiceng.org.models import Region, RegionLevel

    actor = system_user()
    assert actor is not None
    grid_worker = User.objects.select_related("unit__region").get(username="qingxi_grid")
    assert grid_worker.unit is not None
    dispatcher = User.objects.get(username="qingxi_dispatcher")
    _t, grid_token = issue_token(actor, grid_worker, "bench")
    _t, dispatcher_token = issue_token(actor, dispatcher, "bench")
    plan = build_plan()
    township = plan.township("qingxi")
    # The grid worker reports in their own village (a report outside it is created but answered with 404:
    # the reporter cannot read it back; see README).
    village_code = grid_worker.unit.region.code
    villages = [v for v in plan.children(township.code) if v.code == village_code]
    grids = {r.code: r for r in Region.objects.filter(level=RegionLevel.GRID, code__startswith=village_code)}
    cats = list(EventCategory.objects.select_related("parent").filter(is_active=True).order_by("code"))
    parent_ids = {c.parent_id for c in cats if c.parent_id}
    leaves = [c for c in cats if c.pk not in parent_ids]
    points = {code: sample_points(g.boundary, rng, 20) for code, g in grids.items()}
    out: list[str] = []
    while len(out) < bodies:
        category = rng.choice(leaves)
        form = demo.form_data_for(category, rng, datetime.now(UTC).date())
        if form is None:
            continue
        village = rng.choice(villages)
        words = demo.Words(rng, township, village, villages, category)
        template = rng.choice(demo.title_templates(demo.family_of(category), category))
        grid = rng.choice([c for c in grids if c.startswith(village.code)])
        lng, lat = rng.choice(points[grid])
        body = {
            "category": category.code, "title": words.fill(template)[:200],
            "description": words.fill(template) + "。请尽快处理。", "lng": lng, "lat": lat,
            "address": f"{township.name}{words.location(template)}"[:200], "form_data": form,
        }  # fmt: skip
        out.append(json.dumps(body, ensure_ascii=False))
    return Accounts(grid_worker.username, grid_token, dispatcher.username, dispatcher_token, out)


def lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


DONE_HOOK = """
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('BENCH_JSON {"requests": %d, "duration_us": %d, "connect": %d, "read": %d, '
    .. '"write": %d, "status": %d, "timeout": %d, "p50": %d, "p90": %d, "p95": %d, "p99": %d, '
    .. '"p999": %d, "max": %d, "mean": %.1f}\\n', summary.requests, summary.duration, e.connect, e.read,
    e.write, e.status, e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency:percentile(99.9), latency.max, latency.mean))
end
"""


def write_scripts(directory: Path, accounts: Accounts, idempotency: bool) -> dict[str, Path]:
    """wrk scripts per endpoint. The intake's Idempotency-Keys start with the id that run_wrk passes to each
    invocation: keys repeated from an earlier run would be answered as repeats, not created."""
    scripts = {
        "json": 'wrk.method = "GET"\n',
        "insert": 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
        'wrk.body = \'{"name": "bench", "value": 42}\'\n',
        "worklist": 'wrk.method = "GET"\n'
        f'wrk.headers["Authorization"] = "Bearer {accounts.dispatcher_token}"\n',
        "create": "\n".join(
            [
                "local bodies = {" + ",\n".join(lua_string(b) for b in accounts.bodies) + "}",
                "local counter = 0",
                "local threads = 0",
                'local run_id = ""',
                "function setup(thread) threads = threads + 1; thread:set('thread_id', threads) end",
                "function init(args) run_id = args[1]; math.randomseed(os.time() * 100 + thread_id) end",
                "function request()",
                "  counter = counter + 1",
                f'  local headers = {{["Authorization"] = "Bearer {accounts.grid_token}", '
                '["Content-Type"] = "application/json"}',
                f'  if {"true" if idempotency else "false"} then headers["Idempotency-Key"] = '
                'run_id .. "-" .. thread_id .. "-" .. counter end',
                '  return wrk.format("POST", "/api/v1/events", headers, bodies[math.random(#bodies)])',
                "end",
            ]
        ),
    }
    paths = {}
    for name, text in scripts.items():
        path = directory / f"{name}.lua"
        path.write_text(text + DONE_HOOK, encoding="utf-8")
        paths[name] = path
    return paths


ENDPOINTS = {
    "json": ("GET /bench/json (trivial JSON)", "/bench/json"),
    "insert": ("POST /bench/insert (one-row ORM insert)", "/bench/insert"),
    "create": ("POST /api/v1/events (intake)", "/api/v1/events"),
    "worklist": (
        "GET /api/v1/events?worklist=to_dispatch&limit=25",
        "/api/v1/events?worklist=to_dispatch&limit=25",
    ),
}


def start_server(env: dict[str, str], port: int, workers: int, log_path: Path) -> subprocess.Popen[bytes]:
    """gunicorn as ``jiceng serve`` runs it (sync workers, 60 s timeout), with the bench settings."""
    gunicorn = Path(sys.executable).parent / "gunicorn"
    command = [
        str(gunicorn), "jiceng.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
        "--access-logfile", "/dev/null", "--timeout", "60",
    ]  # fmt: skip
    log_file = log_path.open("wb")
    server = subprocess.Popen(command, env=env, stdout=log_file, stderr=subprocess.STDOUT, cwd=ROOT)  # noqa: S603
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited; see {log_path}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/bench/json", timeout=2) as response:
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(0.3)
    stop_server(server)
    raise SystemExit(f"the server did not answer within 60 s; see {log_path}")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@dataclass
class Run:
    endpoint: str
    rps: float
    p50: float
    p90: float
    p95: float
    p99: float
    max: float
    requests: int
    errors: dict[str, int]
    load_before: float
    tables: list[dict[str, Any]] = field(default_factory=list)  # table_health() after the run
    created: int | None = None  # events that the run added (intake runs): every request must add one
    cpu_ms: dict[str, float] = field(
        default_factory=dict
    )  # CPU ms per request: server, worker, postgresql, wrk


def run_wrk(script: Path, url: str, args: argparse.Namespace, duration: int) -> Run:
    command = [
        "wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{duration}s", "--latency",
        "--timeout", "10s",
        "-s", str(script), url, "--", uuid.uuid4().hex[:12],
    ]  # fmt: skip
    load = os.getloadavg()[0]
    result = subprocess.run(command, capture_output=True, text=True, check=True)  # noqa: S603
    found = re.search(r"^BENCH_JSON (.*)$", result.stdout, re.M)
    if not found:
        raise SystemExit(f"no figures from wrk:\n{result.stdout}\n{result.stderr}")
    d = json.loads(found.group(1))
    errors = {k: int(d[k]) for k in ("connect", "read", "write", "status", "timeout") if d[k]}
    return Run(
        endpoint=script.stem, rps=d["requests"] / (d["duration_us"] / 1e6), p50=d["p50"] / 1000,
        p90=d["p90"] / 1000, p95=d["p95"] / 1000, p99=d["p99"] / 1000, max=d["max"] / 1000,
        requests=int(d["requests"]), errors=errors, load_before=round(load, 2),
    )  # fmt: skip


# --- the worklist's server time -----------------------------------------------------------------------------


def _timings(evaluate: Callable[[], list[Any]], runs: int) -> dict[str, Any]:
    for _ in range(10):
        evaluate()
    timings = []
    rows: list[Any] = []
    for _ in range(runs):
        started = time.perf_counter()
        rows = evaluate()
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {
        "rows": len(rows),
        "p50_ms": round(statistics.median(timings), 2),
        "p95_ms": round(timings[int(0.95 * len(timings)) - 1], 2),
        "max_ms": round(timings[-1], 2),
    }


def _page(page: Callable[[Any], Any], user: Any, name: str) -> list[Any]:
    from jiceng.events import queries

    return list(page(queries.worklist(user, name)))


WORKLIST_SHAPES: dict[str, Callable[[Any], Any]] = {
    "queries.worklist[:25]": lambda qs: qs[:25],  # as queries.worklist orders it (due_at, id)
    "API page": lambda qs: qs.order_by("-id")[:26],  # as GET /api/v1/events?worklist=… pages it
}


def worklist_server_time(runs: int = 200) -> dict[str, Any]:
    """The to_dispatch worklist evaluated in-process (server time, no HTTP) for every township's dispatcher,
    in both orders, with the queue sizes and the plans of the slowest."""
    from django.db import connection

    from jiceng.accounts.models import User
    from jiceng.accounts.roles import Role
    from jiceng.events import queries

    dispatchers = list(
        User.objects.select_related("unit__region").filter(roles__role=Role.DISPATCHER).order_by("username")
    )
    per: dict[str, Any] = {}
    worst: tuple[float, str, str] = (0.0, "", "")
    for user in dispatchers:
        assert user.unit is not None
        prefix = user.unit.region.scope_prefix
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM events_event WHERE state = 'pending_dispatch' AND level = 'township' "
                "AND region_code LIKE %s",
                [prefix + "%"],
            )
            queue = cursor.fetchone()[0]
        entry: dict[str, Any] = {"queue": queue}
        for shape, page in WORKLIST_SHAPES.items():
            entry[shape] = _timings(partial(_page, page, user, "to_dispatch"), runs)
            if entry[shape]["p95_ms"] > worst[0]:
                worst = (entry[shape]["p95_ms"], user.username, shape)
        # Not a bar: the "returned" queue (a few events among many), as the API pages it.
        entry["returned, API page"] = _timings(
            partial(_page, WORKLIST_SHAPES["API page"], user, "returned"), max(20, runs // 10)
        )
        per[user.username] = entry
    slowest = next(u for u in dispatchers if u.username == worst[1])
    qs = WORKLIST_SHAPES[worst[2]](queries.worklist(slowest, "to_dispatch"))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FILTER (WHERE state = 'pending_dispatch'), count(*) FROM events_event"
        )
        pending, total = cursor.fetchone()
    return {
        "dispatchers": per,
        "p95_ms_worst": worst[0],
        "worst": f"{worst[1]} ({worst[2]})",
        "p95_ms_all": {shape: max(e[shape]["p95_ms"] for e in per.values()) for shape in WORKLIST_SHAPES},
        "pending_dispatch_in_county": pending,
        "events": total,
        "explain_worst": qs.explain(analyze=True, buffers=True),
        "returned_api_page_p95_ms_worst": max(e["returned, API page"]["p95_ms"] for e in per.values()),
        "explain_returned_api_page": WORKLIST_SHAPES["API page"](
            queries.worklist(slowest, "returned")
        ).explain(analyze=True, buffers=True),
    }


# --- reporting ----------------------------------------------------------------------------------------------


def summarize(runs: list[Run]) -> dict[str, dict[str, Any]]:
    by: dict[str, list[Run]] = {}
    for run in runs:
        by.setdefault(run.endpoint, []).append(run)
    summary = {}
    for name, rs in by.items():
        summary[name] = {
            "rps": round(statistics.median(r.rps for r in rs), 1),
            "p50_ms": round(statistics.median(r.p50 for r in rs), 2),
            "p95_ms": round(statistics.median(r.p95 for r in rs), 2),
            "p99_ms": round(statistics.median(r.p99 for r in rs), 2),
            "runs_rps": [round(r.rps, 1) for r in rs],
            "errors": sum(sum(r.errors.values()) for r in rs),
            "requests": sum(r.requests for r in rs),
        }
    return summary


def print_table(summary: dict[str, dict[str, Any]], worklist: dict[str, Any]) -> str:
    json_rps = summary["json"]["rps"]
    insert_rps = summary["insert"]["rps"]
    lines = [
        f"{'endpoint':<52} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'/json':>6} "
        f"{'/insert':>8} {'errors':>6}",
    ]
    for key, (label, _path) in ENDPOINTS.items():
        s = summary[key]
        lines.append(
            f"{label:<52} {s['rps']:>8.0f} {s['p50_ms']:>8.1f} {s['p95_ms']:>8.1f} {s['p99_ms']:>8.1f} "
            f"{s['rps'] / json_rps:>6.2f} {s['rps'] / insert_rps:>8.2f} {s['errors']:>6}"
        )
    create = summary["create"]
    wl = worklist["p95_ms_all"]
    lines += [
        "",
        f"worklist server time (in-process, 200 runs for each of {len(worklist['dispatchers'])} dispatchers, "
        f"{worklist['pending_dispatch_in_county']:,} pending dispatch of {worklist['events']:,} events): "
        f"p95 worst {worklist['p95_ms_worst']} ms ({worklist['worst']}); "
        + "; ".join(f"{shape} p95 ≤ {ms} ms" for shape, ms in wl.items())
        + f" (the 'returned' queue, API page: p95 ≤ {worklist['returned_api_page_p95_ms_worst']} ms)",
        "",
        "bars (DESIGN.md):",
        f"  intake ≥ {BAR_INTAKE_SHARE:.0%} of the insert endpoint: {create['rps'] / insert_rps:.0%} "
        f"({create['rps']:.0f} vs {insert_rps:.0f} req/s) — "
        f"{'met' if create['rps'] >= BAR_INTAKE_SHARE * insert_rps else 'MISSED'}",
        f"  intake p99 < {BAR_INTAKE_P99_MS:.0f} ms at 32 connections: {create['p99_ms']:.1f} ms — "
        f"{'met' if create['p99_ms'] < BAR_INTAKE_P99_MS else 'MISSED'}",
        f"  worklist p95 < {BAR_WORKLIST_P95_MS:.0f} ms server time: {worklist['p95_ms_worst']} ms — "
        f"{'met' if worklist['p95_ms_worst'] < BAR_WORKLIST_P95_MS else 'MISSED'}",
    ]
    return "\n".join(lines)


def scenario_figures(
    summary: dict[str, dict[str, Any]], worklist: dict[str, Any], rss: list[float]
) -> list[Figure]:
    out: list[Figure] = []
    json_rps = summary.get("json", {}).get("rps")
    insert_rps = summary.get("insert", {}).get("rps")
    if json_rps:
        out.append(Figure("trivial JSON (baseline)", json_rps, "req/s"))
    if insert_rps:
        out.append(Figure("one-row ORM insert (baseline)", insert_rps, "req/s", "trivial JSON", json_rps))
    if "create" in summary:
        create = summary["create"]
        out.append(
            Figure(
                "event intake POST /api/v1/events",
                create["rps"],
                "req/s",
                "one-row insert",
                insert_rps,
                f"≥ {BAR_INTAKE_SHARE:.0%} of the insert",
                create["rps"] >= BAR_INTAKE_SHARE * insert_rps if insert_rps else None,
            )
        )
        out.append(
            Figure(
                "event intake p99 at 32 connections",
                create["p99_ms"],
                "ms",
                "one-row insert p99",
                summary.get("insert", {}).get("p99_ms"),
                f"< {BAR_INTAKE_P99_MS:.0f} ms",
                create["p99_ms"] < BAR_INTAKE_P99_MS,
            )
        )
    if "worklist" in summary:
        out.append(
            Figure("worklist GET under load", summary["worklist"]["rps"], "req/s", "trivial JSON", json_rps)
        )
    out.append(
        Figure(
            f"worklist server time p95 ({worklist['events']:,} events)",
            worklist["p95_ms_worst"],
            "ms",
            "",
            None,
            f"< {BAR_WORKLIST_P95_MS:.0f} ms",
            worklist["p95_ms_worst"] < BAR_WORKLIST_P95_MS,
        )
    )
    if rss:
        out.append(
            Figure(
                "server worker RSS after the load (max)", max(rss), "MB", "", None, "< 200 MB", max(rss) < 200
            )
        )
    return out


# --- main ---------------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument(
        "--events", type=int, default=1_000_000, help="events to generate (default 1,000,000)"
    )
    parser.add_argument("--days", type=int, default=0, help="days of history (default: 1,000 events a day)")
    parser.add_argument("--duration", type=int, default=20, help="seconds of each wrk run (default 20)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per endpoint, interleaved (default 3)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--broker",
        default="redis://127.0.0.1:6379/12",
        help="Celery broker for the server, with one `jiceng worker` beside it, as in production "
        "('' runs tasks inside the request, as the embedded mode does)",
    )
    parser.add_argument("--db", default="jiceng_bench", help="database name (created; default jiceng_bench)")
    parser.add_argument("--reuse", action="store_true", help="keep an existing database that has the events")
    parser.add_argument("--drop", action="store_true", help="drop the database at the end")
    parser.add_argument("--no-idempotency-key", action="store_true", help="post without Idempotency-Key")
    parser.add_argument("--seed", type=int, default=20260)
    parser.add_argument(
        "--only", default="", help="comma-separated endpoints to load (json,insert,create,worklist)"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    var_dir = Path(tempfile.mkdtemp(prefix="jiceng-bench-"))
    try:
        return run(args, var_dir)
    except BaseException:
        log_file = var_dir / "server.log"
        if log_file.exists():
            kept = Path(tempfile.gettempdir()) / "jiceng-bench-server.log"
            shutil.copy(log_file, kept)
            log(f"the server's log is kept in {kept}")
        raise
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


def prepare(args: argparse.Namespace, timer: Timer, rng: random.Random) -> None:
    """The database with its events: created and loaded, or reused with --reuse."""
    from jiceng.events.models import Event

    timer.run("migrate, demo county org data, categories", lambda: prepare_database(args))
    have = int(meta("events") or 0)
    if have == args.events:
        log(f"reusing {args.db}: {Event.objects.count():,} events")
        return
    if have:
        raise SystemExit(
            f"{args.db} holds {have:,} generated events, not {args.events:,}: run without --reuse"
        )
    county = timer.run("county data for the generator", lambda: load_county(rng))
    days = args.days or max(30, args.events // 1000)
    _events, flows = timer.run(
        f"bulk load of {args.events:,} events over {days} days (COPY)",
        lambda: copy_events(county, args.events, days, args.seed),
    )
    meta("events", str(args.events))
    meta("flows", str(flows))
    timer.run("VACUUM ANALYZE", vacuum_analyze)


def measure(
    args: argparse.Namespace, env: dict[str, str], var_dir: Path, accounts: Accounts
) -> tuple[list[Run], list[float]]:
    """Start the server, warm up, then run wrk on each endpoint, interleaved, ``--repeat`` times."""
    from jiceng.events.models import Event

    workdir = var_dir / "lua"
    workdir.mkdir()
    scripts = write_scripts(workdir, accounts, not args.no_idempotency_key)
    only = [e for e in (args.only.split(",") if args.only else ENDPOINTS) if e in ENDPOINTS]
    worker = None
    if args.broker:
        empty_broker(args.broker)
        env = {**env, "JICENG_CELERY_BROKER_URL": args.broker}
        celery = [str(Path(sys.executable).parent / "jiceng"), "worker", "-c", "1", "-l", "warning"]
        worker_log = (var_dir / "worker.log").open("wb")
        worker = subprocess.Popen(celery, env=env, stdout=worker_log, stderr=subprocess.STDOUT, cwd=ROOT)  # noqa: S603
    server = start_server(env, args.port, args.workers, var_dir / "server.log")
    runs: list[Run] = []
    try:
        log(f"server up (pid {server.pid}); warming up")
        base = f"http://127.0.0.1:{args.port}"
        for name in only:
            run_wrk(scripts[name], base + ENDPOINTS[name][1], args, 3)
        for repetition in range(1, args.repeat + 1):
            for name in only:
                before = Event.objects.count()
                meter = CpuMeter({"server": server.pid, **({"worker": worker.pid} if worker else {})})
                result = run_wrk(scripts[name], base + ENDPOINTS[name][1], args, args.duration)
                spent = meter.stop()
                spent["wrk"] = spent.pop("children")
                result.cpu_ms = {k: round(v * 1000 / max(result.requests, 1), 3) for k, v in spent.items()}
                result.tables = table_health()
                if name == "create":
                    # Requests cut off when wrk stops may still finish; each connection has at most one.
                    result.created = Event.objects.count() - before
                    if not args.no_idempotency_key and result.created < result.requests:
                        raise SystemExit(f"{result.requests} creates added only {result.created} events")
                runs.append(result)
                log(
                    f"run {repetition} {name:<8} {result.rps:8.1f} req/s  p50 {result.p50:6.1f}  "
                    f"p95 {result.p95:6.1f}  p99 {result.p99:6.1f} ms  errors {result.errors or 0}  "
                    f"(load {result.load_before})"
                    + (f"  {result.created:,} events added" if result.created is not None else "")
                )
                log("  CPU ms a request: " + ", ".join(f"{k} {v:.2f}" for k, v in result.cpu_ms.items()))
                log(f"  most dead rows: {health_line(result.tables)}")
        rss = worker_rss_mb(server.pid)
        log(f"server workers' RSS after the load: {rss} MB")
        if worker is not None:
            backlog, seconds = wait_for_batches()
            log(f"the worker had {backlog:,} rollup changes and notifications left and took {seconds} s more")
    finally:
        stop_server(server)
        if worker is not None:
            stop_server(worker)
        log("server stopped")
    return runs, rss


def run(args: argparse.Namespace, var_dir: Path) -> int:
    env = configure_environment(args, var_dir)
    timer = Timer()
    rng = random.Random(args.seed)
    if not (args.reuse and database_exists(args.db)):
        log(f"creating the database {args.db}")
        admin_sql(f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)', f'CREATE DATABASE "{args.db}"')

    import django

    django.setup()
    from django.db import connection

    prepare(args, timer, rng)
    accounts = prepare_accounts(rng)
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
    }
    with connection.cursor() as cursor:
        cursor.execute("SELECT version(), (SELECT count(*) FROM events_event)")
        results["machine"]["postgres"], results["events_in_db_before"] = cursor.fetchone()
    connection.close()

    runs, rss = measure(args, env, var_dir, accounts)
    log("timing the worklist in-process")
    worklist = worklist_server_time()
    connection.close()
    summary = summarize(runs)
    results.update(summary=summary, runs=[vars(r) for r in runs], worklist=worklist, worker_rss_mb=rss)
    results["machine"]["load_at_end"] = os.getloadavg()
    print()
    if set(ENDPOINTS) <= set(summary):
        results["table"] = print_table(summary, worklist)
        print(results["table"])
    else:
        for name, figures in summary.items():
            print(
                f"{ENDPOINTS[name][0]:<52} {figures['rps']:>8.0f} req/s  p50 {figures['p50_ms']} ms  "
                f"p95 {figures['p95_ms']} ms  p99 {figures['p99_ms']} ms  errors {figures['errors']}"
            )
        print(
            f"worklist server time: p95 worst {worklist['p95_ms_worst']} ms ({worklist['worst']}), "
            f"{worklist['pending_dispatch_in_county']:,} pending dispatch of {worklist['events']:,} events"
        )
    print()
    print(f"EXPLAIN ANALYZE of the slowest worklist, {worklist['worst']}:")
    print(worklist["explain_worst"])
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{args.events}.json"
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
    log(f"figures written to {out.relative_to(ROOT)}")
    scenario = write_scenario(
        f"events-{args.events}", scenario_figures(summary, worklist, rss), {"run": out.name}
    )
    log(f"summary written to {scenario.relative_to(ROOT)}")
    if args.drop:
        admin_sql(f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)')
        log(f"dropped {args.db}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
