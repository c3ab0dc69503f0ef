"""Re-encrypt personal data under the current key and recompute the blind indexes (key rotation).

Every model with ``EncryptedTextField`` columns is covered; a model names the blind index each encrypted
field feeds in ``blind_indexes`` (and an optional value prefix in ``blind_index_prefixes``). Runs in batches,
one transaction each, and is idempotent: values already under the current key are skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.db import models, transaction

from jiceng.core.crypto import blind_index, is_current
from jiceng.core.fields import EncryptedTextField


@dataclass
class RotationReport:
    model: str
    rows: int = 0
    rewritten: int = 0


def encrypted_models() -> list[tuple[type[models.Model], list[str]]]:
    found = []
    for model in apps.get_models():
        names = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if names:
            found.append((model, names))
    return found


def _raw_values(model: type[models.Model], names: list[str], pks: list[int]) -> dict[int, dict[str, str]]:
    """The stored ciphertexts, bypassing from_db_value."""
    table = model._meta.db_table
    columns = [model._meta.get_field(n).column for n in names]  # type: ignore[union-attr]
    from django.db import connection

    quoted = ", ".join(connection.ops.quote_name(str(c)) for c in columns)
    placeholders = ", ".join(["%s"] * len(pks))
    sql = f"SELECT id, {quoted} FROM {connection.ops.quote_name(table)} WHERE id IN ({placeholders})"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, pks)
        return {row[0]: dict(zip(names, row[1:], strict=True)) for row in cursor.fetchall()}


def rotate_model(
    model: type[models.Model],
    names: list[str],
    *,
    batch: int = 1000,
    progress: Callable[[int], None] | None = None,
) -> RotationReport:
    report = RotationReport(model._meta.label)
    indexes: dict[str, str] = getattr(model, "blind_indexes", {})
    prefixes: dict[str, str] = getattr(model, "blind_index_prefixes", {})
    manager = model._base_manager
    last = 0
    while True:
        pks = list(manager.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:batch])
        if not pks:
            return report
        last = pks[-1]
        raw = _raw_values(model, names, pks)
        stale = [pk for pk in pks if any(v and not is_current(v) for v in raw[pk].values())]
        report.rows += len(pks)
        if stale:
            with transaction.atomic():
                objs = list(manager.filter(pk__in=stale).only("pk", *names))
                for obj in objs:
                    for name in names:
                        value = getattr(obj, name)
                        if name in indexes:
                            setattr(
                                obj,
                                indexes[name],
                                blind_index(prefixes.get(name, "") + value) if value else "",
                            )
                fields = [*names, *(indexes[n] for n in names if n in indexes)]
                manager.bulk_update(objs, fields)
            report.rewritten += len(stale)
        if progress:
            progress(report.rows)


def rotate_all(progress: Callable[[str, int], None] | None = None) -> list[RotationReport]:
    reports = []
    for model, names in encrypted_models():
        label = model._meta.label

        def report_progress(n: int, label: str = label) -> None:
            if progress:
                progress(label, n)

        reports.append(rotate_model(model, names, progress=report_progress))
    return reports
