"""Compare-and-set updates: two people saving the same record get one success and one Conflict."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models
from django.db.models import F
from django.utils import timezone

from jiceng.core.errors import Conflict

M = TypeVar("M", bound=models.Model)


def update_versioned(obj: M, expected_version: int | None, changes: dict[str, Any]) -> M:
    """Write ``changes`` only if the row still has ``expected_version``; bump the version."""
    model = type(obj)
    version = obj.version if expected_version is None else expected_version  # type: ignore[attr-defined]
    values = dict(changes)
    if any(f.name == "updated_at" for f in model._meta.concrete_fields):
        values["updated_at"] = timezone.now()
    updated = model._default_manager.filter(pk=obj.pk, version=version).update(
        version=F("version") + 1, **values
    )
    if updated != 1:
        raise Conflict()
    for name, value in values.items():
        setattr(obj, name, value)
    obj.version = version + 1  # type: ignore[attr-defined]
    return obj
