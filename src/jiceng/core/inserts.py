"""New rows of one write in one round trip.

Inside ``together()``, ``add(obj)`` keeps a new model instance and ``execute(sql, params)`` a statement;
the end of the block writes them. On PostgreSQL that is one statement, a data-modifying CTE per row (the
foreign keys are checked at commit, so their order does not matter) whose pks come back by RETURNING; an
instance that other rows of the block point to gets its pk beforehand (``add(obj, reserve_pk=True)``,
one ``nextval``). Elsewhere, and outside a block, ``add`` saves at once and ``execute`` runs at once.

The block is all or nothing with its transaction: do not catch a failure inside it (a savepoint rolled
back inside the block does not take back the rows already given to ``add``).

Why not the ORM: ``Model.save()`` compiles its INSERT for every call and costs a round trip each; the event
intake writes five rows, and this turns five compilations and round trips into one (bench/README.md).

``atomic()`` is ``transaction.atomic()`` with ``together()`` inside. When it is the outermost block and no
statement has run in it by its end (``add(..., reserve_pk=True)`` takes its ``nextval`` outside the
transaction: sequences are not transactional), the gathered statement runs as its own transaction: one
statement is atomic by itself, so the BEGIN and COMMIT round trips are left out.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from functools import cache
from typing import Any
from uuid import UUID

import orjson
from django.db import connection, models, transaction
from django.db.models import signals
from psycopg.pq import TransactionStatus
from psycopg.types.json import Jsonb


@dataclass
class _Statement:
    sql: str
    params: list[Any]
    name: str | None = None
    on_result: Callable[[dict[str, Any]], None] | None = None


_pending: ContextVar[list[models.Model | _Statement] | None] = ContextVar("jiceng_inserts", default=None)


def active() -> bool:
    """Whether rows are being gathered (inside ``together()`` on PostgreSQL)."""
    return _pending.get() is not None


@contextmanager
def together(*, alone: bool = False) -> Iterator[None]:
    """Write what ``add``/``execute`` are given inside the block at its end (joins an outer block).
    ``alone``: nothing of the transaction follows the block (see ``atomic``)."""
    if active() or connection.vendor != "postgresql":
        yield
        return
    token = _pending.set([])
    try:
        yield
        _flush(_pending.get() or [], alone=alone)
    finally:
        _pending.reset(token)


@contextmanager
def atomic(*, savepoint: bool = True) -> Iterator[None]:
    """``transaction.atomic(savepoint=...)`` whose new rows are gathered; see the module's docstring."""
    with transaction.atomic(savepoint=savepoint), together(alone=len(connection.atomic_blocks) == 1):
        yield


def _begin_not_sent() -> bool:
    """In a transaction not started on the server yet (psycopg sends BEGIN before the first statement)."""
    raw = connection.connection
    return (
        connection.vendor == "postgresql"
        and raw is not None
        and not raw.autocommit
        and raw.info.transaction_status == TransactionStatus.IDLE
    )


@contextmanager
def _own_transaction() -> Iterator[None]:
    """The statements of the block run each as its own transaction (a transaction not yet begun stays so)."""
    raw = connection.connection
    raw.autocommit = True
    try:
        yield
    finally:
        raw.autocommit = False


def add(obj: models.Model, *, reserve_pk: bool = False) -> models.Model:
    """Insert ``obj`` (a new instance): at the end of the block, or now outside one."""
    pending = _pending.get()
    if pending is None:
        obj.save(force_insert=True)
        return obj
    if reserve_pk and obj.pk is None:
        sequence = _sequence(type(obj))
        connection.ensure_connection()
        with _own_transaction() if _begin_not_sent() else nullcontext(), connection.cursor() as cursor:
            cursor.execute("SELECT nextval(%s)", [sequence])
            obj.pk = cursor.fetchone()[0]
    pending.append(obj)
    return obj


def execute(
    sql: str,
    params: list[Any],
    *,
    name: str | None = None,
    on_result: Callable[[dict[str, Any]], None] | None = None,
) -> None:
    """Run a statement: at the end of the block, or now outside one. Inside a block only, a later
    statement reads a ``name``d one's RETURNING rows as ``{name}``, and ``on_result`` gets the
    statement's one RETURNING row as a dict."""
    pending = _pending.get()
    if pending is None:
        if name is not None or on_result is not None:
            raise RuntimeError("a named statement or its result needs a together() block on PostgreSQL")
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
        return
    pending.append(_Statement(sql, params, name, on_result))


def row(obj: models.Model) -> str:
    """``obj``'s columns as the JSON object ``jsonb_populate_record`` reads (every concrete field)."""
    return _row_json(obj, _insert_sql(type(obj), True)[1])


@cache
def _sequence(model: type[models.Model]) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [model._meta.db_table, model._meta.pk.column])
        return cursor.fetchone()[0]


@cache
def _insert_sql(model: type[models.Model], with_pk: bool) -> tuple[str, tuple[models.Field, ...]]:
    """One row as one JSON parameter (jsonb_populate_record): the statement keeps few parameters and
    stays short, so psycopg parses it once (it parses a statement of more than 50 parameters or 4 kB
    anew on every execute, ~0.4 ms for a report's 73 values)."""
    meta = model._meta
    quote = connection.ops.quote_name
    table, pk = quote(meta.db_table), quote(str(meta.pk.column))
    fields = tuple(f for f in meta.concrete_fields if with_pk or f is not meta.pk)
    # Every column, in the table's order: "SELECT *" of the row type; without the pk: the others by name.
    selected = "*" if with_pk else ", ".join(quote(str(f.column)) for f in fields)
    columns = "" if with_pk else f" ({selected})"
    sql = (
        f"INSERT INTO {table}{columns} SELECT {selected} "  # noqa: S608
        f"FROM jsonb_populate_record(NULL::{table}, %s::jsonb) RETURNING {pk}"
    )
    return sql, fields


# Fields whose conversion for the database returns a value of this Python type unchanged. Exact classes:
# a subclass (EncryptedTextField) converts.
_PLAIN: dict[type[models.Field], type] = {
    models.CharField: str,
    models.TextField: str,
    models.BooleanField: bool,
    models.FloatField: float,
    models.ForeignKey: int,
    **dict.fromkeys(
        (
            models.AutoField,
            models.BigAutoField,
            models.IntegerField,
            models.BigIntegerField,
            models.SmallIntegerField,
            models.PositiveIntegerField,
            models.PositiveSmallIntegerField,
            models.PositiveBigIntegerField,
        ),
        int,
    ),
}


def _row(item: models.Model, fields: tuple[models.Field, ...]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for f in fields:
        plain = _PLAIN.get(type(f))
        if plain is not None:
            value = getattr(item, f.attname)
            if value is None or type(value) is plain:
                row[str(f.column)] = value
                continue
        row[str(f.column)] = f.get_db_prep_save(f.pre_save(item, True), connection)
    return row


def _row_json(item: models.Model, fields: tuple[models.Field, ...]) -> str:
    # orjson writes dates, times and UUIDs itself, as isoformat() and str() do.
    return orjson.dumps(_row(item, fields), default=_jsonable, option=orjson.OPT_NON_STR_KEYS).decode()


def _jsonable(value: Any) -> Any:
    if isinstance(value, Jsonb):
        return value.obj
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} cannot go into a gathered insert")


def _flush(pending: list[models.Model | _Statement], *, alone: bool = False) -> None:
    if not pending:
        return
    parts: list[str] = []
    params: list[Any] = []
    names: dict[str, str] = {}
    returning: list[tuple[int, models.Model | _Statement]] = []
    for n, item in enumerate(pending):
        if isinstance(item, _Statement):
            sql, values = item.sql, item.params
            for name, cte in names.items():
                sql = sql.replace(f"{{{name}}}", cte)
            if item.name is not None:
                names[item.name] = f"q{n}"
            if item.on_result is not None:
                returning.append((n, item))
        else:
            model = type(item)
            if signals.pre_save.has_listeners(model):
                signals.pre_save.send(
                    sender=model, instance=item, raw=False, using="default", update_fields=None
                )
            item._prepare_related_fields_for_save(operation_name="save")  # type: ignore[attr-defined]
            sql, fields = _insert_sql(model, item.pk is not None)
            values = [_row_json(item, fields)]
            returning.append((n, item))
        parts.append(f"q{n} AS ({sql})")
        params += values
    # A row's pk, or a statement's RETURNING row as JSON.
    results = [
        f"(SELECT {'to_jsonb(q)' if isinstance(item, _Statement) else '*'} FROM q{n} q)"  # noqa: S608
        for n, item in returning
    ]
    selected = ", ".join(results) or "1"
    statement = f"WITH {', '.join(parts)} SELECT {selected}"
    with _own_transaction() if alone and _begin_not_sent() else nullcontext(), connection.cursor() as cursor:
        cursor.execute(statement, params)
        fetched = cursor.fetchone()
    for (_n, item), result in zip(returning, fetched if returning else (), strict=True):
        if isinstance(item, _Statement):
            assert item.on_result is not None
            item.on_result(json.loads(result))  # Django's connection reads jsonb as text
            continue
        item.pk = result
        item._state.adding = False
        item._state.db = connection.alias
        if signals.post_save.has_listeners(type(item)):
            signals.post_save.send(
                sender=type(item),
                instance=item,
                created=True,
                raw=False,
                using=connection.alias,
                update_fields=None,
            )
