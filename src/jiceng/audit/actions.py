"""Writing the audit log: the only code that appends entries."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.db import models, transaction
from django.utils import timezone

from jiceng.audit.models import AuditChainHead, AuditEntry, AuditResult
from jiceng.core.logging import request_context_var

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from jiceng.accounts.models import User


def _normalized(changes: dict[str, Any] | None) -> dict[str, Any]:
    return json.loads(json.dumps(changes or {}, ensure_ascii=False, default=str))


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
        head, _created = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
        entry = AuditEntry(
            id=head.last_id + 1,
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
            prev_hash=head.last_hash,
        )
        entry.entry_hash = entry.compute_hash()
        entry.save(force_insert=True)
        AuditChainHead.objects.filter(pk=1).update(
            last_id=entry.id, last_hash=entry.entry_hash, count=models.F("count") + 1
        )
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
