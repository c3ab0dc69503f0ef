"""Recompute the derived search columns (``search_text``, name pinyin and initials) of existing records.

Needed after a change of what ``registry.search`` indexes (e.g. names' surnames and character pairs): new and
edited records get the new tokens at once, the others keep the old ones until rebuilt. Batched by primary key,
one short transaction a batch, only rows whose columns differ are written; safe to interrupt and run again,
and search keeps working meanwhile (on the old tokens for rows not yet rebuilt). Not a record change: no new
version, no audit entry per row.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction

from jiceng.registry import actions, schema

# What derived() reads besides the columns it writes (people's ID numbers and phones for their 尾号 tokens).
READS: dict[str, tuple[str, ...]] = {
    "person": ("name", "address", "hukou_address", "occupation", "id_number", "phone"),  # 尾号 (decrypted)
    "household": ("number", "address"),
    "house": ("owner_name", "code", "address"),
    "organization": ("name", "legal_representative", "address"),
    "place": ("name", "responsible_name", "code", "address"),
    "component": ("name", "code", "minor", "address"),  # minor: its class_name
    "credit": ("title", "source", "document_number", "description"),
}


def rebuild(
    kind: str, *, batch: int = 2000, progress: Callable[[int, int], None] | None = None
) -> tuple[int, int]:
    """(rows checked, rows rewritten) of ``kind``, deleted records included."""
    model: Any = schema.MODELS[kind]
    derived_fields = ["search_text"] + (
        ["name_pinyin", "name_initials"] if hasattr(model, "name_pinyin") else []
    )
    manager = model._base_manager
    last, checked, rewritten = 0, 0, 0
    while True:
        objs = list(
            manager.filter(pk__gt=last).order_by("pk").only("pk", *READS[kind], *derived_fields)[:batch]
        )
        if not objs:
            return checked, rewritten
        last = objs[-1].pk
        checked += len(objs)
        stale = []
        for obj in objs:
            values = actions.derived(obj)
            if any(getattr(obj, name) != value for name, value in values.items()):
                for name, value in values.items():
                    setattr(obj, name, value)
                stale.append(obj)
        if stale:
            with transaction.atomic():
                manager.bulk_update(stale, derived_fields, batch_size=500)
            rewritten += len(stale)
        if progress:
            progress(checked, rewritten)
