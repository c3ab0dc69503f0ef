"""Writes of the map module: re-assigning records to grids after grid boundaries change.

Events and the registry's located records (people, households, houses, organizations, key places, city
components) keep the region their point lies in. When boundaries are redrawn, ``reassign_grids`` walks
every record with coordinates in batches, finds its region again with the bulk assignment (the same rule
as at intake) and moves the ones whose region changed: one transaction per batch, rows locked, the
version bumped so that anyone acting on a record read before the move gets a conflict instead of
overwriting it. A point that now lies in no region at the allowed levels keeps its region. Special-group
records follow their person. One audit entry sums up the run.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from django.db import models, transaction
from django.utils import timezone

from jiceng.audit.actions import record
from jiceng.events.models import OPEN_STATES, Event
from jiceng.gis.assign import EVENT_LEVELS, PLACE_LEVELS, assign
from jiceng.org import locate
from jiceng.org.models import Region
from jiceng.registry.models import (
    CityComponent,
    House,
    Household,
    KeyPlace,
    Organization,
    Person,
    SpecialGroupRecord,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from jiceng.accounts.models import User

# What is re-assigned, and to which levels: events as at intake (down to the township or county when no
# grid holds the point), registry records to a grid or village only (as the registry places them).
TARGETS: tuple[tuple[type[models.Model], Sequence[str]], ...] = (
    (Event, EVENT_LEVELS),
    (Person, PLACE_LEVELS),
    (Household, PLACE_LEVELS),
    (House, PLACE_LEVELS),
    (Organization, PLACE_LEVELS),
    (KeyPlace, PLACE_LEVELS),
    (CityComponent, PLACE_LEVELS),
)
BATCH_SIZE = 2000
# The audit entry keeps this many from → to pairs (the largest); the counts per model are always complete.
AUDIT_PAIRS = 200


@dataclass
class ModelReport:
    model: str  # app_label.model_name
    scanned: int = 0  # records with coordinates
    moved: int = 0
    unplaced: int = 0  # in no region at the allowed levels: left where they were


@dataclass
class ReassignReport:
    dry_run: bool
    models: list[ModelReport] = field(default_factory=list)
    # (model, from region code, to region code) → records moved
    moves: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    special_group_records: int = 0

    @property
    def moved(self) -> int:
        return sum(m.moved for m in self.models)

    def audit_changes(self) -> dict[str, Any]:
        return {
            "models": {
                m.model: {"scanned": m.scanned, "moved": m.moved, "unplaced": m.unplaced} for m in self.models
            },
            "moves": [[model, old, new, n] for (model, old, new), n in self.moves.most_common(AUDIT_PAIRS)],
            "pairs": len(self.moves),
            "special_group_records": self.special_group_records,
        }


def _region_codes() -> dict[int, str]:
    return dict(Region.objects.values_list("id", "code"))


def _reassign_model(
    model: type[models.Model],
    levels: Sequence[str],
    report: ReassignReport,
    codes: dict[int, str],
    *,
    dry_run: bool,
    batch_size: int,
    open_events_only: bool,
    progress: Callable[[str, int], None] | None,
) -> ModelReport:
    label = model._meta.label_lower
    result = ModelReport(label)
    qs = model._base_manager.filter(lng__isnull=False, lat__isnull=False)  # soft-deleted records too
    if model is Event and open_events_only:
        qs = qs.filter(state__in=OPEN_STATES)
    last = 0
    while True:
        # A dry run takes no locks (on SQLite a transaction would hold the write lock).
        with contextlib.nullcontext() if dry_run else transaction.atomic():
            batch = qs.filter(pk__gt=last).order_by("pk")
            if not dry_run:
                batch = batch.select_for_update()
            rows: list[Any] = list(
                batch.only("pk", "lng", "lat", "region_id", "region_code", "version")[:batch_size]
            )
            if not rows:
                break
            last = rows[-1].pk
            found = assign(
                np.fromiter((r.lng for r in rows), np.float64, len(rows)),
                np.fromiter((r.lat for r in rows), np.float64, len(rows)),
                levels,
            )
            now = timezone.now()
            moved: list[Any] = []
            for row, region_id in zip(rows, found.tolist(), strict=True):
                if region_id == 0:
                    result.unplaced += 1
                    continue
                if region_id == row.region_id:
                    continue
                code = codes.get(region_id) or codes.setdefault(
                    region_id, Region.objects.values_list("code", flat=True).get(pk=region_id)
                )
                report.moves[(label, row.region_code, code)] += 1
                row.region_id, row.region_code = region_id, code
                row.version += 1
                row.updated_at = now
                moved.append(row)
            result.scanned += len(rows)
            result.moved += len(moved)
            if moved and not dry_run:
                model._base_manager.bulk_update(moved, ["region", "region_code", "version", "updated_at"])
                if model is Person:
                    report.special_group_records += _follow_people(moved)
        if progress is not None:
            progress(label, result.scanned)
    return result


def _follow_people(people: list[Any]) -> int:
    """Special-group records live where their person lives."""
    by_code: dict[str, list[int]] = {}
    for person in people:
        by_code.setdefault(person.region_code, []).append(person.pk)
    changed = 0
    for code, pks in by_code.items():
        changed += (
            SpecialGroupRecord.objects.filter(person_id__in=pks)
            .exclude(region_code=code)
            .update(region_code=code)
        )
    return changed


def reassign_grids(
    *,
    actor: User | AnonymousUser | None = None,
    dry_run: bool = False,
    batch_size: int = BATCH_SIZE,
    open_events_only: bool = False,
    progress: Callable[[str, int], None] | None = None,
) -> ReassignReport:
    """Put every located event and registry record into the region its point lies in now.

    ``dry_run`` computes and reports the moves without writing anything (and without an audit entry).
    ``open_events_only`` leaves closed, rejected and merged events where they were counted.
    """
    locate.reset()  # boundaries may have been changed behind the index's back (e.g. by an import)
    codes = _region_codes()
    report = ReassignReport(dry_run=dry_run)
    for model, levels in TARGETS:
        report.models.append(
            _reassign_model(
                model,
                levels,
                report,
                codes,
                dry_run=dry_run,
                batch_size=batch_size,
                open_events_only=open_events_only,
                progress=progress,
            )
        )
    if not dry_run:
        record(
            "gis.reassign_grids",
            actor=actor,
            username="" if actor is not None else "system",
            changes=report.audit_changes(),
        )
    return report
