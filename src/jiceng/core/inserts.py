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
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, time
from decimal import Decimal
from functools import cache
from typing import Any
from uuid import UUID

from django.db import connection, models
from django.db.models import signals
from psycopg.types.json import Jsonb

_pending: ContextVar[list[models.Model | tuple[str, list[Any]]] | None] = ContextVar(
    "jiceng_inserts", default=None
)


def active() -> bool:
    """Whether rows are being gathered (inside ``together()`` on PostgreSQL)."""
    return _pending.get() is not None


@contextmanager
def together() -> Iterator[None]:
    """Write what ``add``/``execute`` are given inside the block at its end (joins an outer block)."""
    if active() or connection.vendor != "postgresql":
        yield
        return
    token = _pending.set([])
    try:
        yield
        _flush(_pending.get() or [])
    finally:
        _pending.reset(token)


def add(obj: models.Model, *, reserve_pk: bool = False) -> models.Model:
    """Insert ``obj`` (a new instance): at the end of the block, or now outside one."""
    pending = _pending.get()
    if pending is None:
        obj.save(force_insert=True)
        return obj
    if reserve_pk and obj.pk is None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(%s)", [_sequence(type(obj))])
            obj.pk = cursor.fetchone()[0]
    pending.append(obj)
    return obj


def execute(sql: str, params: list[Any]) -> None:
    """Run a statement (no result): at the end of the block, or now outside one."""
    pending = _pending.get()
    if pending is None:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
        return
    pending.append((sql, params))


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


def _jsonable(value: Any) -> Any:
    if isinstance(value, Jsonb):
        return value.obj
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} cannot go into a gathered insert")


def _flush(pending: list[models.Model | tuple[str, list[Any]]]) -> None:
    if not pending:
        return
    parts: list[str] = []
    params: list[Any] = []
    returning: list[tuple[int, models.Model]] = []
    for n, item in enumerate(pending):
        if isinstance(item, tuple):
            sql, values = item
        else:
            model = type(item)
            if signals.pre_save.has_listeners(model):
                signals.pre_save.send(
                    sender=model, instance=item, raw=False, using="default", update_fields=None
                )
            item._prepare_related_fields_for_save(operation_name="save")  # type: ignore[attr-defined]
            sql, fields = _insert_sql(model, item.pk is not None)
            values = [json.dumps(_row(item, fields), ensure_ascii=False, default=_jsonable)]
            returning.append((n, item))
        parts.append(f"q{n} AS ({sql})")
        params += values
    selected = ", ".join(f"(SELECT * FROM q{n})" for n, _obj in returning) or "1"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {', '.join(parts)} SELECT {selected}", params)
        pks = cursor.fetchone()
    for (_n, obj), pk in zip(returning, pks if returning else (), strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias
        if signals.post_save.has_listeners(type(obj)):
            signals.post_save.send(
                sender=type(obj),
                instance=obj,
                created=True,
                raw=False,
                using=connection.alias,
                update_fields=None,
            )
