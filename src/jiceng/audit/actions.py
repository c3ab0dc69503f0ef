"""Writing the audit log: the only code that appends entries."""

from __future__ import annotations

import json
from functools import cache
from typing import TYPE_CHECKING, Any

from django.db import connection, models
from django.utils import timezone

from jiceng.audit.models import GENESIS_HASH, AuditChainHead, AuditEntry, AuditResult
from jiceng.core import inserts
from jiceng.core.logging import request_context_var

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from jiceng.accounts.models import User


def _normalized(changes: dict[str, Any] | None) -> dict[str, Any]:
    return json.loads(json.dumps(changes or {}, ensure_ascii=False, default=str))


def _sha256_hex(entry_id: str, prev_hash: str) -> str:
    """SQL for ``AuditEntry.compute_hash`` of the entry ``entry_id`` after ``prev_hash``; the middle
    (``hashed_middle``) is a parameter."""
    canonical = f"'[' || {entry_id} || ',' || %s || ',\"' || {prev_hash} || '\"]'"
    return f"encode(sha256(convert_to({canonical}, 'UTF8')), 'hex')"


_HEAD = AuditChainHead._meta.db_table
_GENESIS = f"'{GENESIS_HASH}'"
# Moves the tip and returns the new entry's id, hash and previous hash: the row lock is held only from here
# to the commit, and no round trip waits on it.
_MOVE_HEAD_SQL = (
    f'INSERT INTO "{_HEAD}" AS h (id, last_id, prev_hash, last_hash, count) '  # noqa: S608
    f"VALUES (1, 1, {_GENESIS}, {_sha256_hex('1', _GENESIS)}, 1) "
    "ON CONFLICT (id) DO UPDATE SET last_id = h.last_id + 1, prev_hash = h.last_hash, "
    f"last_hash = {_sha256_hex('(h.last_id + 1)', 'h.last_hash')}, count = h.count + 1 "
    "RETURNING last_id, prev_hash, last_hash"
)


_READ_HEAD_SQL = f'SELECT last_id, last_hash FROM "{_HEAD}" WHERE id = 1'  # noqa: S608
_SET_HEAD_SQL = (
    f'INSERT INTO "{_HEAD}" AS h (id, last_id, prev_hash, last_hash, count) '  # noqa: S608
    "VALUES (1, %s, %s, %s, 1) ON CONFLICT (id) DO UPDATE SET last_id = excluded.last_id, "
    "prev_hash = excluded.prev_hash, last_hash = excluded.last_hash, count = h.count + 1"
)


@cache
def _insert_entry_sql() -> str:
    table = AuditEntry._meta.db_table
    from_head = {"id": "h.last_id", "prev_hash": "h.prev_hash", "entry_hash": "h.last_hash"}
    columns = [str(f.column) for f in AuditEntry._meta.concrete_fields]
    return (
        f'INSERT INTO "{table}" ({", ".join(columns)}) '  # noqa: S608
        f"SELECT {', '.join(from_head.get(c, f'r.{c}') for c in columns)} "
        f'FROM {{audit_head}} h, jsonb_populate_record(NULL::"{table}", %s::jsonb) r '
        "RETURNING id, prev_hash, entry_hash"
    )


def _append(entry: AuditEntry) -> None:
    """Give the entry the next id, link it to the tip and insert it. On PostgreSQL the database does it in
    the caller's gathered statement (core/inserts.py), computing the hash; on SQLite the caller's transaction
    holds the database's write lock."""
    if connection.vendor != "postgresql":
        # SQLite: the transaction (IMMEDIATE) already holds the database's write lock.
        with connection.cursor() as cursor:
            cursor.execute(_READ_HEAD_SQL)
            last_id, last_hash = cursor.fetchone() or (0, GENESIS_HASH)
            entry.id, entry.prev_hash = last_id + 1, last_hash
            entry.entry_hash = entry.compute_hash()
            entry.save(force_insert=True)
            cursor.execute(_SET_HEAD_SQL, [entry.id, entry.prev_hash, entry.entry_hash])
        return

    def inserted(row: dict[str, Any]) -> None:
        entry.id, entry.prev_hash, entry.entry_hash = row["id"], row["prev_hash"], row["entry_hash"]
        entry._state.adding = False

    middle = entry.hashed_middle()
    with inserts.together():
        inserts.execute(_MOVE_HEAD_SQL, [middle, middle], name="audit_head")
        inserts.execute(_insert_entry_sql(), [inserts.row(entry)], on_result=inserted)


def record(
    action: str,
    *,
    actor: User | AnonymousUser | None,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    changes: dict[str, Any] | None = None,
    result: str = AuditResult.OK,
    username: str = "",
) -> AuditEntry:
    """Append one entry. Joins the caller's transaction, so a rolled-back write leaves no entry."""
    context = request_context_var.get()
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk or ""
    user = actor if actor is not None and actor.is_authenticated else None
    # Inside the caller's transaction no savepoint is needed: a failure here fails the whole write. Alone
    # (a full view of personal data in a GET) the entry is one statement, without BEGIN and COMMIT.
    with inserts.atomic(savepoint=False):
        entry = AuditEntry(
            at=timezone.now(),
            user_id=user.pk if user else None,
            username=user.get_username() if user else username[:150],
            unit_code=(user.unit.code if user and user.unit_id else ""),  # type: ignore[union-attr]
            ip=context.ip,
            user_agent=context.user_agent,
            request_id=context.request_id,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            changes=_normalized(changes),
            result=result,
        )
        _append(entry)
    return entry


def record_sensitive_view(
    actor: User | AnonymousUser,
    obj: models.Model,
    fields: list[str],
    *,
    purpose: str = "",
    action: str = "personal_data.view",
) -> AuditEntry:
    """Every full view of sensitive personal data (ID numbers, phones, special-group tags) calls this."""
    return record(action, actor=actor, obj=obj, changes={"fields": sorted(fields), "purpose": purpose})


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Before/after of the fields that changed, in the shape audit entries keep."""
    return {
        name: {"before": before.get(name), "after": after.get(name)}
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    }
