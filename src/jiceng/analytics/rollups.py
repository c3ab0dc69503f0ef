"""Keeping the rollups current: every change to an event moves its counters — in the same transaction when
embedded, or through a journal row (``RollupChange``) that a worker folds in batches when side effects are
deferred (``fold``; see core/batching.py).

What an event contributes is a pure function of its own fields (``contribution``): at its report day it
adds to the cohort counters of that day (reported, accepted, closed, closed on time, …), at its close day
to ``closed_on_day``, and to the current counters (open, overdue, …) while open. The hooks compute the
contribution before and after a change and add the difference to every row concerned — the event's
region and each region above it (grid → village → township → county), in total and per slice (category,
source, lead unit) — with one ``INSERT … ON CONFLICT DO UPDATE`` per table. ``rebuild`` sums the same
contributions over all events, so a rebuild gives exactly what the hooks maintained.

The hooks, each a single line in the event code:

- ``event_reported(event)`` at the end of ``events.actions.report_event``;
- ``event_changed(event, changes)`` in ``events.actions.perform`` after its compare-and-set;
- ``warning_changed(event_id, old, new)`` in ``events.tasks`` when the deadline check raises a warning.
"""

from __future__ import annotations

import logging
import zoneinfo
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, fields, replace
from datetime import date, datetime
from functools import cache
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction

from jiceng.analytics.models import (
    CURRENT_COUNTERS,
    DAILY_COUNTERS,
    CurrentRollup,
    DailyRollup,
    RollupChange,
    Slice,
)
from jiceng.core import batching, inserts
from jiceng.events.models import OPEN_STATES, Evaluation, Event, EventState, Warning

logger = logging.getLogger(__name__)

# Region depth by code: 1 county (6), 2 township (12, ending 000), 3 village (12), 4 grid (15), 5 micro-grid.
COUNTY, TOWNSHIP, VILLAGE, GRID, MICROGRID = 1, 2, 3, 4, 5

DailyKey = tuple[str, int, str, date, str]  # region_code, depth, slice, day, key
CurrentKey = tuple[str, int, str, str]  # region_code, depth, slice, key
Counts = dict[str, int]


@cache
def local_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def local_day(moment: datetime) -> date:
    """The calendar day of ``moment`` in the platform's time zone (Asia/Shanghai)."""
    return moment.astimezone(local_zone()).date()


def ancestors(code: str) -> list[tuple[str, int]]:
    """The region and every region above it down from the county, as (code, depth)."""
    levels = [(code[:6], COUNTY)]
    if len(code) >= 12:
        township = code[:9] + "000"
        levels.append((township, TOWNSHIP))
        if code[:12] != township:
            levels.append((code[:12], VILLAGE))
    if len(code) >= 15:
        levels.append((code[:15], GRID))
    if len(code) >= 18:
        levels.append((code[:18], MICROGRID))
    return levels


def depth_of(code: str) -> int:
    return ancestors(code)[-1][1]


@dataclass(frozen=True)
class Facts:
    """The fields of an event that its counters depend on (never ``was_overdue``: see ``is_late``)."""

    reported_at: datetime
    region_code: str
    category_id: int
    source: str
    lead_unit_id: int | None
    state: str
    warning: str
    handled_at: datetime | None
    handle_due_at: datetime | None
    closed_at: datetime | None
    return_count: int
    rework_count: int
    reopen_count: int
    extension_count: int
    escalation_count: int
    supervision_count: int
    on_spot: bool
    evaluation: str


FACT_FIELDS = tuple(f.name for f in fields(Facts))


def facts_of(event: Event, changes: Mapping[str, Any] | None = None) -> Facts:
    """The facts of ``event``, with ``changes`` (field → new value, as ``perform`` writes them) applied."""
    values = {name: getattr(event, name) for name in FACT_FIELDS}
    for name, value in (changes or {}).items():
        if name == "lead_unit":
            values["lead_unit_id"] = value.pk if value is not None else None
        elif name in values:
            values[name] = value
    return Facts(**values)


def is_late(f: Facts) -> bool:
    """Handled after the handling deadline (including approved extensions)."""
    return f.handle_due_at is not None and f.handled_at is not None and f.handled_at > f.handle_due_at


def cohort_counts(f: Facts) -> Counts:
    """What the event adds to the counters of its report day (the definitions of DAILY_COUNTERS)."""
    state = f.state
    is_open = state in OPEN_STATES
    closed = state == EventState.CLOSED
    late = is_late(f)
    c: Counts = {"reported": 1}
    if state not in (EventState.REPORTED, EventState.REJECTED, EventState.MERGED):
        c["accepted"] = 1  # 立案: taken on to be handled
    if state == EventState.REJECTED:
        c["rejected"] = 1
    if state == EventState.MERGED:
        c["merged"] = 1
    if is_open:
        c["open"] = 1
    if closed:
        c["closed"] = 1
        if not late:
            c["closed_on_time"] = 1
        if f.closed_at is not None:
            c["close_seconds"] = max(0, int((f.closed_at - f.reported_at).total_seconds()))
    if (closed and late) or (is_open and f.warning == Warning.RED):
        c["overdue"] = 1
    if state == EventState.SUSPENDED:
        c["suspended"] = 1  # 缓办
    if f.return_count:
        c["returned"] = 1
    if f.rework_count or f.reopen_count:
        c["reworked"] = 1  # 返工: failed verification or reopened after a bad evaluation
    if f.extension_count:
        c["extended"] = 1  # 延期
    if f.escalation_count:
        c["escalated"] = 1
    if f.supervision_count:
        c["supervised"] = 1
    if f.on_spot:
        c["on_spot"] = 1
    if f.evaluation == Evaluation.SATISFIED:
        c["eval_satisfied"] = 1
    elif f.evaluation == Evaluation.BASICALLY_SATISFIED:
        c["eval_basic"] = 1
    elif f.evaluation == Evaluation.DISSATISFIED:
        c["eval_dissatisfied"] = 1
    return c


STAGE_COUNTER = {
    EventState.REPORTED: "to_accept",
    EventState.PENDING_DISPATCH: "to_dispatch",
    EventState.DISPATCHED: "in_handling",
    EventState.HANDLING: "in_handling",
    EventState.EXTENSION_PENDING: "in_handling",
    EventState.SUSPENDED: "suspended",
    EventState.HANDLED: "to_verify",
}


def current_counts(f: Facts) -> Counts:
    """What the event adds to the current counters (the definitions of CURRENT_COUNTERS)."""
    if f.state not in OPEN_STATES:
        return {}
    c: Counts = {"open": 1, STAGE_COUNTER[EventState(f.state)]: 1}
    if f.warning == Warning.RED:
        c["overdue"] = 1
    elif f.warning == Warning.YELLOW:
        c["yellow"] = 1
    return c


@dataclass(frozen=True)
class Parts:
    """What one event adds, before it is spread over its regions and slices."""

    day: date  # its report day: the cohort counters go there
    cohort: Counts
    closed_day: date | None  # its close day, where it adds to closed_on_day
    current: Counts


def parts(f: Facts) -> Parts:
    closed = f.state == EventState.CLOSED and f.closed_at is not None
    return Parts(
        local_day(f.reported_at),
        cohort_counts(f),
        local_day(f.closed_at) if closed and f.closed_at is not None else None,
        current_counts(f),
    )


TOTAL, CATEGORY, SOURCE, UNIT = (s.value for s in (Slice.TOTAL, Slice.CATEGORY, Slice.SOURCE, Slice.UNIT))


def slice_keys(f: Facts) -> list[tuple[str, str]]:
    """The slices an event counts in: in total, its category, its source and (if any) its lead unit."""
    keys = [(TOTAL, ""), (CATEGORY, str(f.category_id)), (SOURCE, f.source)]
    if f.lead_unit_id:
        keys.append((UNIT, str(f.lead_unit_id)))
    return keys


def contribution(f: Facts) -> tuple[dict[DailyKey, Counts], dict[CurrentKey, Counts]]:
    """Every rollup row the event adds to, with what it adds."""
    levels = ancestors(f.region_code)
    p = parts(f)
    keys = slice_keys(f)
    daily: dict[DailyKey, Counts] = {}
    for code, depth in levels:
        for name, key in keys:
            daily[(code, depth, name, p.day, key)] = p.cohort
    if p.closed_day is not None:
        for code, depth in levels:
            closed_key = (code, depth, TOTAL, p.closed_day, "")
            daily[closed_key] = {**daily.get(closed_key, {}), "closed_on_day": 1}
    current: dict[CurrentKey, Counts] = {}
    if p.current:
        for code, depth in levels:
            for name, key in keys:
                if name in (TOTAL, UNIT):
                    current[(code, depth, name, key)] = p.current
    return daily, current


def difference(before: Mapping[Any, Counts], after: Mapping[Any, Counts]) -> dict[Any, Counts]:
    """after − before, row by row, leaving out what did not change."""
    out: dict[Any, Counts] = {}
    for key in before.keys() | after.keys():
        b, a = before.get(key, {}), after.get(key, {})
        delta = {name: a.get(name, 0) - b.get(name, 0) for name in a.keys() | b.keys()}
        delta = {name: value for name, value in delta.items() if value}
        if delta:
            out[key] = delta
    return out


def add_into(total: dict[Any, Counts], rows: Mapping[Any, Counts]) -> None:
    for key, counts in rows.items():
        row = total.get(key)
        if row is None:
            total[key] = dict(counts)
        else:
            for name, value in counts.items():
                row[name] = row.get(name, 0) + value


# --- writing ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    model: type[models.Model]
    keys: tuple[str, ...]  # the unique key, in the order of the row tuples
    counters: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.model._meta.db_table

    @property
    def columns(self) -> tuple[str, ...]:
        return (*self.keys, *self.counters)

    @property
    def conflict(self) -> tuple[str, ...]:
        return tuple(k for k in self.keys if k != "depth")


DAILY = Table(DailyRollup, ("region_code", "depth", "slice", "day", "key"), DAILY_COUNTERS)
CURRENT = Table(CurrentRollup, ("region_code", "depth", "slice", "key"), CURRENT_COUNTERS)


def _quoted(names: Iterable[str]) -> str:
    return ", ".join(f'"{n}"' for n in names)


def _upsert_sql(table: Table, counters: Iterable[str], rows: int) -> str:
    one = "(" + ", ".join(["%s"] * len(table.columns)) + ")"
    assignments = ", ".join(f'"{c}" = "{table.name}"."{c}" + excluded."{c}"' for c in counters)
    return (
        f'INSERT INTO "{table.name}" ({_quoted(table.columns)}) VALUES {", ".join([one] * rows)} '  # noqa: S608
        f"ON CONFLICT ({_quoted(table.conflict)}) DO UPDATE SET {assignments}"
    )


def _params(table: Table, key: tuple[Any, ...], counts: Counts) -> list[Any]:
    values: list[Any] = list(key)
    if "day" in table.keys:
        at = table.keys.index("day")
        values[at] = connection.ops.adapt_datefield_value(values[at])
    return values + [counts.get(c, 0) for c in table.counters]


@cache
def _unnest_upsert_sql(table: Table) -> str:
    """PostgreSQL: the rows as one array per column, so the statement's text is the same whatever the
    number of rows (psycopg parses a long ``VALUES`` list of placeholders anew every time)."""
    arrays = ", ".join(f"%s::{table.model._meta.get_field(c).db_type(connection)}[]" for c in table.columns)
    assignments = ", ".join(f'"{c}" = "{table.name}"."{c}" + excluded."{c}"' for c in table.counters)
    return (
        f'INSERT INTO "{table.name}" ({_quoted(table.columns)}) SELECT * FROM unnest({arrays}) '  # noqa: S608
        f"ON CONFLICT ({_quoted(table.conflict)}) DO UPDATE SET {assignments}"
    )


def add_rows(table: Table, rows: Mapping[Any, Counts]) -> None:
    """Add ``rows`` to the table, creating missing rows: one statement, rows in key order (so that two
    transactions lock shared rows in the same order)."""
    if not rows:
        return
    keys = sorted(rows)
    if connection.vendor == "postgresql":
        columns: list[list[Any]] = [list(values) for values in zip(*keys, strict=True)]
        columns += [[rows[key].get(c, 0) for key in keys] for c in table.counters]
        with connection.cursor() as cursor:
            cursor.execute(_unnest_upsert_sql(table), columns)
        return
    changed = sorted({name for counts in rows.values() for name in counts})
    params: list[Any] = []
    for key in keys:
        params += _params(table, key, rows[key])
    with connection.cursor() as cursor:
        cursor.execute(_upsert_sql(table, changed, len(keys)), params)


def apply(daily: Mapping[DailyKey, Counts], current: Mapping[CurrentKey, Counts]) -> None:
    add_rows(DAILY, daily)
    add_rows(CURRENT, current)


# --- the hooks ----------------------------------------------------------------------------------------------


def event_reported(event: Event) -> None:
    """A new event (already saved, in its state after intake): add what it contributes."""
    after = facts_of(event)
    if batching.deferred():
        _journal(None, after)
        return
    daily, current = contribution(after)
    apply(daily, current)


def event_changed(event: Event, changes: Mapping[str, Any]) -> None:
    """``event`` as it was read, ``changes`` as written by the compare-and-set: move the difference."""
    before = facts_of(event)
    after = facts_of(event, changes)
    if before == after:
        return
    _move(before, after)


def warning_changed(event_id: int, old: str, new: str) -> None:
    """The deadline check changed the event's warning from ``old`` to ``new`` (already written)."""
    row = Event.objects.filter(pk=event_id).values(*FACT_FIELDS).first()
    if row is None:
        return
    after = Facts(**row)
    before = replace(after, warning=old)
    after = replace(after, warning=new)
    if before != after:
        _move(before, after)


def _move(before: Facts, after: Facts) -> None:
    if batching.deferred():
        _journal(before, after)
        return
    daily_before, current_before = contribution(before)
    daily_after, current_after = contribution(after)
    apply(difference(daily_before, daily_after), difference(current_before, current_after))


# --- deferred: a journal of changes, folded in batches ---------------------------------------------------

_DATETIME_FACTS = tuple(f.name for f in fields(Facts) if "datetime" in str(f.type))


def _dumped(f: Facts | None) -> dict[str, Any] | None:
    if f is None:
        return None
    values = {name: getattr(f, name) for name in FACT_FIELDS}
    for name in _DATETIME_FACTS:
        if values[name] is not None:
            values[name] = values[name].isoformat()
    return values


def _loaded(values: dict[str, Any] | None) -> Facts | None:
    if values is None:
        return None
    for name in _DATETIME_FACTS:
        if values[name] is not None:
            values[name] = datetime.fromisoformat(values[name])
    return Facts(**values)


def _journal(before: Facts | None, after: Facts | None) -> None:
    from jiceng.analytics import tasks

    inserts.add(RollupChange(before=_dumped(before), after=_dumped(after)))
    batching.kick(tasks.fold_rollups)


FOLD_BATCH = 2000
ROWS_PER_STATEMENT = 500


def _apply_in_chunks(table: Table, rows: Mapping[Any, Counts]) -> None:
    items = sorted((key, counts) for key, counts in rows.items() if any(counts.values()))
    for start in range(0, len(items), ROWS_PER_STATEMENT):
        add_rows(table, dict(items[start : start + ROWS_PER_STATEMENT]))


def fold(limit: int = FOLD_BATCH) -> int:
    """Add the journalled changes to the rollups and remove them, ``limit`` at a time; returns how many.

    Each batch is one transaction that locks its journal rows (SKIP LOCKED), so two workers folding at
    once take different rows and no change is counted twice.
    """
    folded = 0
    while True:
        with transaction.atomic():
            rows = list(
                RollupChange.objects.select_for_update(skip_locked=True)
                .order_by("pk")
                .values_list("pk", "before", "after")[:limit]
            )
            if not rows:
                return folded
            daily: dict[DailyKey, Counts] = {}
            current: dict[CurrentKey, Counts] = {}
            for _pk, before, after in rows:
                old, new = _loaded(before), _loaded(after)
                daily_before, current_before = contribution(old) if old else ({}, {})
                daily_after, current_after = contribution(new) if new else ({}, {})
                add_into(daily, difference(daily_before, daily_after))
                add_into(current, difference(current_before, current_after))
            _apply_in_chunks(DAILY, daily)
            _apply_in_chunks(CURRENT, current)
            RollupChange.objects.filter(pk__in=[row[0] for row in rows]).delete()
        folded += len(rows)
        if len(rows) < limit:
            return folded


# --- rebuilding ---------------------------------------------------------------------------------------------

REBUILD_CHUNK = 20_000


def computed(events: Iterable[Facts]) -> tuple[dict[DailyKey, Counts], dict[CurrentKey, Counts]]:
    """The rollups of ``events`` from scratch (for tests and small data: everything in memory)."""
    daily: dict[DailyKey, Counts] = {}
    current: dict[CurrentKey, Counts] = {}
    for f in events:
        d, c = contribution(f)
        add_into(daily, d)
        add_into(current, c)
    return daily, current


def all_facts(chunk: int = REBUILD_CHUNK) -> Iterator[list[Facts]]:
    """Every event's facts, ``chunk`` events at a time in id order."""
    last = 0
    while True:
        rows = list(Event.objects.filter(pk__gt=last).order_by("pk").values_list("pk", *FACT_FIELDS)[:chunk])
        if not rows:
            return
        last = rows[-1][0]
        yield [Facts(*row[1:]) for row in rows]


def stored(table: Table) -> dict[Any, Counts]:
    """The table's rows as {key: non-zero counters}, rows without any left out."""
    out: dict[Any, Counts] = {}
    for row in table.model._default_manager.values_list(*table.columns).iterator(chunk_size=5000):
        counts = {
            name: value for name, value in zip(table.counters, row[len(table.keys) :], strict=True) if value
        }
        if counts:
            out[tuple(row[: len(table.keys)])] = counts
    return out


def _merge_python(batch: list[Facts], current: dict[CurrentKey, Counts]) -> None:
    """Add a batch's rollups, spread in Python (SQLite, small data): a statement per 200 rows."""
    daily: dict[DailyKey, Counts] = {}
    for f in batch:
        d, c = contribution(f)
        add_into(daily, d)
        add_into(current, c)
    items = sorted(daily.items())
    for start in range(0, len(items), 200):
        add_rows(DAILY, dict(items[start : start + 200]))


# PostgreSQL: each event's parts (its counters, from the same functions as the hooks) go to a temporary
# table with COPY; the database spreads them over regions and slices and sums them (GROUP BY), so Python
# does per event only what defines the counters.
COHORT_COLUMNS = tuple(c for c in DAILY_COUNTERS if c != "closed_on_day")
FACTS_TABLE = "tmp_rollup_facts"
LEVELS_TABLE = "tmp_rollup_levels"


def _facts_line(f: Facts) -> str:
    p = parts(f)
    cohort, now = p.cohort, p.current
    values = [
        f.region_code,
        p.day.isoformat(),
        str(f.category_id),
        f.source,
        str(f.lead_unit_id) if f.lead_unit_id else "",
        p.closed_day.isoformat() if p.closed_day is not None else r"\N",
        *(str(cohort.get(c, 0)) for c in COHORT_COLUMNS),
        *(str(now.get(c, 0)) for c in CURRENT_COUNTERS),
    ]
    return "\t".join(values) + "\n"


def _create_temp_tables(cursor: Any) -> None:
    # Integers sum as bigint (bigints would sum as numeric, several times slower).
    cohort = ", ".join(f"d_{c} {'bigint' if c == 'close_seconds' else 'integer'}" for c in COHORT_COLUMNS)
    now = ", ".join(f"c_{c} integer" for c in CURRENT_COUNTERS)
    cursor.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {FACTS_TABLE} (leaf text, day date, category text, source text, "
        f"unit text, closed_day date, {cohort}, {now}) ON COMMIT DROP"
    )
    cursor.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {LEVELS_TABLE} (leaf text, code text, depth smallint) "
        "ON COMMIT DROP"
    )
    cursor.execute(f"TRUNCATE {LEVELS_TABLE}")  # a caller's transaction may have made it already
    cursor.execute("SET LOCAL work_mem = '256MB'")


def _spread_sql() -> list[str]:
    """The three statements that add a batch of facts to the rollups."""
    daily, current = DAILY.name, CURRENT.name
    add = ", ".join(f'"{c}" = "{daily}"."{c}" + excluded."{c}"' for c in COHORT_COLUMNS)
    add_now = ", ".join(f'"{c}" = "{current}"."{c}" + excluded."{c}"' for c in CURRENT_COUNTERS)
    slices = (
        f"CROSS JOIN LATERAL (VALUES ('{TOTAL}', ''), ('{CATEGORY}', f.category), ('{SOURCE}', f.source), "
        f"('{UNIT}', f.unit)) AS s(slice, key) "
    )
    join = f"FROM {FACTS_TABLE} f JOIN {LEVELS_TABLE} l ON l.leaf = f.leaf "
    columns = f"region_code, depth, slice, day, key, {_quoted(COHORT_COLUMNS)}, closed_on_day"
    insert_daily = f'INSERT INTO "{daily}" ({columns}) '
    return [
        insert_daily
        + "SELECT l.code, l.depth, s.slice, f.day, s.key, "
        + ", ".join(f"sum(f.d_{c})" for c in COHORT_COLUMNS)
        + ", 0 "
        + join
        + slices
        + f"WHERE s.slice <> '{UNIT}' OR f.unit <> '' GROUP BY 1, 2, 3, 4, 5 "
        f"ON CONFLICT (region_code, slice, day, key) DO UPDATE SET {add}",
        insert_daily
        + f"SELECT l.code, l.depth, '{TOTAL}', f.closed_day, '', "
        + ", ".join("0" for _c in COHORT_COLUMNS)
        + ", count(*) "
        + join
        + "WHERE f.closed_day IS NOT NULL GROUP BY 1, 2, 4 "
        f'ON CONFLICT (region_code, slice, day, key) DO UPDATE SET "closed_on_day" = '
        f'"{daily}"."closed_on_day" + excluded."closed_on_day"',
        f'INSERT INTO "{current}" (region_code, depth, slice, key, {_quoted(CURRENT_COUNTERS)}) '
        f"SELECT l.code, l.depth, s.slice, s.key, "
        + ", ".join(f"sum(f.c_{c})" for c in CURRENT_COUNTERS)
        + " "
        + join
        + f"CROSS JOIN LATERAL (VALUES ('{TOTAL}', ''), ('{UNIT}', f.unit)) AS s(slice, key) "
        f"WHERE f.c_open > 0 AND (s.slice <> '{UNIT}' OR f.unit <> '') GROUP BY 1, 2, 3, 4 "
        f"ON CONFLICT (region_code, slice, key) DO UPDATE SET {add_now}",
    ]


def _merge_postgresql(cursor: Any, batch: list[Facts], leaves: set[str]) -> None:
    cursor.execute(f"TRUNCATE {FACTS_TABLE}")
    with cursor.cursor.copy(f"COPY {FACTS_TABLE} FROM STDIN".encode()) as copy:
        copy.write("".join(_facts_line(f) for f in batch))
    new = {f.region_code for f in batch} - leaves
    if new:
        with cursor.cursor.copy(f"COPY {LEVELS_TABLE} FROM STDIN".encode()) as copy:
            copy.write(
                "".join(f"{leaf}\t{code}\t{depth}\n" for leaf in new for code, depth in ancestors(leaf))
            )
        leaves |= new
        cursor.execute(f"ANALYZE {LEVELS_TABLE}")
    for sql in _spread_sql():
        cursor.execute(sql)


def rebuild(progress: Callable[[str], None] | None = None, chunk: int = REBUILD_CHUNK) -> dict[str, int]:
    """Recompute every rollup from the events, in one transaction.

    On PostgreSQL the rollup tables are locked first (EXCLUSIVE: dashboards still read the old figures;
    event changes wait for the rebuild to commit and then apply their own difference on top of it), so
    the result is exact even while people work.
    """
    say = progress or (lambda message: None)
    events = 0
    postgresql = connection.vendor == "postgresql"
    chunk = chunk * 5 if postgresql else chunk
    current: dict[CurrentKey, Counts] = {}
    leaves: set[str] = set()
    with transaction.atomic(), connection.cursor() as cursor:
        journal = RollupChange._meta.db_table
        if postgresql:
            cursor.execute(f'LOCK TABLE "{DAILY.name}", "{CURRENT.name}", "{journal}" IN EXCLUSIVE MODE')
            _create_temp_tables(cursor)
        # What the journal holds is in the events read below: folding it later would count it twice.
        cursor.execute(f'DELETE FROM "{journal}"')  # noqa: S608
        cursor.execute(f'DELETE FROM "{DAILY.name}"')  # noqa: S608
        cursor.execute(f'DELETE FROM "{CURRENT.name}"')  # noqa: S608
        for batch in all_facts(chunk):
            if postgresql:
                _merge_postgresql(cursor, batch, leaves)
            else:
                _merge_python(batch, current)
            events += len(batch)
            say(f"{events:,} events")
        items = sorted(current.items())
        for start in range(0, len(items), 200):
            add_rows(CURRENT, dict(items[start : start + 200]))
        if postgresql:
            # Rows of one region and slice side by side: a dashboard reads a few pages, not one a row.
            cursor.execute(f'CLUSTER "{DAILY.name}" USING daily_rollup_key')
            cursor.execute(f'ANALYZE "{DAILY.name}"')
    counts = {
        "events": events,
        "daily_rows": DailyRollup.objects.count(),
        "current_rows": CurrentRollup.objects.count(),
    }
    logger.info("rollups rebuilt: %(events)s events, %(daily_rows)s daily rows", counts)
    return counts


def verify() -> dict[str, int]:
    """Compare the stored rollups (journalled changes folded first) with a computation from scratch;
    returns the rows that differ per table."""
    fold()
    daily: dict[DailyKey, Counts] = {}
    current: dict[CurrentKey, Counts] = {}
    for batch in all_facts():
        d, c = computed(batch)
        add_into(daily, d)
        add_into(current, c)
    return {
        "daily": _mismatches(DAILY, daily),
        "current": _mismatches(CURRENT, current),
    }


def _mismatches(table: Table, expected: Mapping[Any, Counts]) -> int:
    want = {k: {n: v for n, v in c.items() if v} for k, c in expected.items()}
    want = {k: c for k, c in want.items() if c}
    have = stored(table)
    return sum(1 for key in want.keys() | have.keys() if want.get(key) != have.get(key))
