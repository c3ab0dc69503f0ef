"""Writing the audit log: the only code that appends entries."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.db import connection, models, transaction
from django.utils import timezone

from jiceng.audit.models import AuditChainHead, AuditEntry, AuditResult
from jiceng.core import inserts
from jiceng.core.logging import request_context_var

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from jiceng.accounts.models import User


def _normalized(changes: dict[str, Any] | None) -> dict[str, Any]:
    return json.loads(json.dumps(changes or {}, ensure_ascii=False, default=str))


def _locked_head() -> tuple[int, str]:
    """The chain's tip, locked until the caller's transaction ends (appends are serialized)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f'SELECT last_id, last_hash FROM "{AuditChainHead._meta.db_table}" WHERE id = 1 FOR UPDATE'  # noqa: S608
            )
            row = cursor.fetchone()
        if row is not None:
            return row[0], row[1]
    head, _created = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
    return head.last_id, head.last_hash


_MOVE_HEAD_SQL = (
    f'UPDATE "{AuditChainHead._meta.db_table}" SET last_id = %s, last_hash = %s, count = count + 1 '  # noqa: S608
    "WHERE id = 1"
)


def _append(entry: AuditEntry) -> None:
    """Insert the entry and move the tip to it: one statement on PostgreSQL (with the rest of the write
    when the caller gathers its rows, see core/inserts.py), two elsewhere."""
    with inserts.together():
        inserts.add(entry)
        inserts.execute(_MOVE_HEAD_SQL, [entry.id, entry.entry_hash])


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
    # Inside the caller's transaction no savepoint is needed: a failure here fails the whole write.
    with transaction.atomic(savepoint=False):
        last_id, last_hash = _locked_head()
        entry = AuditEntry(
            id=last_id + 1,
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
            prev_hash=last_hash,
        )
        entry.entry_hash = entry.compute_hash()
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
