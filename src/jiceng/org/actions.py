"""Every write to the region tree and the units."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _

from jiceng.accounts.permissions import require_role
from jiceng.accounts.roles import Role
from jiceng.audit.actions import diff, record
from jiceng.core.concurrency import update_versioned
from jiceng.core.errors import InvalidInput, NotFound, field_error
from jiceng.core.scope import ensure_in_scope, get_in_scope
from jiceng.core.validators import InvalidValue, parse_credit_code, parse_phone
from jiceng.org import locate
from jiceng.org.geo import (
    OUTSIDE_PARENT_TOLERANCE,
    GeometryError,
    centroid,
    clean_geometry,
    share_outside,
)
from jiceng.org.geo import summary as boundary_summary
from jiceng.org.models import (
    CODE_LENGTH,
    PARENT_LEVEL,
    Region,
    RegionLevel,
    Unit,
    UnitKind,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from jiceng.accounts.models import User

# Levels whose boundary, once drawn, may be redrawn but not removed: point-in-polygon assignment of events,
# people and houses needs them (a township or village without one still works through its grids).
BOUNDARY_REQUIRED = frozenset({RegionLevel.GRID, RegionLevel.MICROGRID})

CODE_SHARED_WITH_PARENT = {
    RegionLevel.CITY: 2,
    RegionLevel.COUNTY: 4,
    RegionLevel.TOWNSHIP: 6,
    RegionLevel.VILLAGE: 9,
    RegionLevel.GRID: 12,
    RegionLevel.MICROGRID: 15,
}


def check_region_code(code: str, level: str, parent: Region | None) -> None:
    """GB/T 2260 and the statistical code rules: length by level, digits, shared prefix with the parent."""
    lvl = RegionLevel(level)
    if not code.isdigit() or len(code) != CODE_LENGTH[lvl]:
        raise field_error(
            "code",
            _("A %(level)s code has %(n)d digits.") % {"level": lvl.label, "n": CODE_LENGTH[lvl]},
            "invalid_region_code",
        )
    if lvl == RegionLevel.PROVINCE and not code.endswith("0000"):
        raise field_error("code", _("A province code ends with 0000."), "invalid_region_code")
    if lvl == RegionLevel.CITY and (not code.endswith("00") or code.endswith("0000")):
        raise field_error("code", _("A city code ends with 00 but not 0000."), "invalid_region_code")
    if lvl == RegionLevel.TOWNSHIP and (not code.endswith("000") or code[6:9] == "000"):
        raise field_error(
            "code", _("A township code is the county code, 3 digits, then 000."), "invalid_region_code"
        )
    if lvl in (RegionLevel.VILLAGE, RegionLevel.GRID, RegionLevel.MICROGRID) and code.endswith("000"):
        raise field_error("code", _("The last 3 digits of this code cannot be 000."), "invalid_region_code")
    if parent is None:
        if lvl not in (RegionLevel.PROVINCE, RegionLevel.CITY, RegionLevel.COUNTY):
            raise field_error("parent", _("This level needs a parent region."), "parent_required")
        return
    expected = PARENT_LEVEL.get(lvl)
    # A county may hang directly under a province (municipalities, or a hub without cities).
    allowed = {expected} | ({RegionLevel.PROVINCE} if lvl == RegionLevel.COUNTY else set())
    if parent.level not in allowed:
        raise field_error(
            "parent",
            _("The parent of a %(level)s must be a %(parent)s.")
            % {"level": lvl.label, "parent": RegionLevel(expected).label if expected else ""},
            "invalid_parent",
        )
    shared = CODE_SHARED_WITH_PARENT[lvl]
    if parent.level == RegionLevel.PROVINCE and lvl == RegionLevel.COUNTY:
        shared = 2
    if code[:shared] != parent.code[:shared]:
        raise field_error(
            "code",
            _("The code must begin with the parent's code %(prefix)s.") % {"prefix": parent.code[:shared]},
            "invalid_region_code",
        )


def _parse_boundary(
    boundary: Any, parent: Region | None
) -> tuple[dict[str, Any] | None, float | None, float | None]:
    """A cleaned boundary and its centre. It must lie within the parent's boundary, when the parent has one,
    but for a sliver (``OUTSIDE_PARENT_TOLERANCE``) of digitising slop along the shared border."""
    if boundary in (None, "", {}):
        return None, None, None
    try:
        geometry = clean_geometry(boundary)
    except GeometryError as exc:
        raise field_error("boundary", str(exc), "invalid_geometry") from exc
    if parent is not None and parent.boundary:
        outside = share_outside(geometry, parent.boundary)
        if outside > OUTSIDE_PARENT_TOLERANCE:
            raise field_error(
                "boundary",
                _(
                    "The boundary must lie within the parent region %(parent)s: %(share)s %% of its area is "
                    "outside it (at most %(tolerance)s %% is allowed)."
                )
                % {
                    "parent": parent.name,
                    "share": f"{outside * 100:.1f}",
                    "tolerance": f"{OUTSIDE_PARENT_TOLERANCE * 100:g}",
                },
                "outside_parent",
            )
    lng, lat = centroid(geometry)
    return geometry, lng, lat


def _region_snapshot(region: Region) -> dict[str, Any]:
    return {
        "code": region.code,
        "name": region.name,
        "level": region.level,
        "parent": region.parent.code if region.parent_id else None,  # type: ignore[union-attr]
        "is_active": region.is_active,
        "boundary": boundary_summary(region.boundary),
    }


def _require_parent_in_scope(admin: User, parent_code: str | None) -> Region | None:
    if not parent_code:
        if not admin.is_superuser:
            raise field_error(
                "parent", _("Only a superuser can create a top-level region."), "permission_denied"
            )
        return None
    return get_in_scope(Region, admin, code=parent_code)


@transaction.atomic
def create_region(
    actor: User | AnonymousUser,
    *,
    code: str,
    name: str,
    level: str,
    parent_code: str | None = None,
    boundary: Any = None,
) -> Region:
    admin = require_role(actor, Role.ADMIN)
    code, name = code.strip(), name.strip()
    if level not in RegionLevel.values:
        raise field_error("level", _("Unknown level."), "invalid_level")
    if not name:
        raise field_error("name", _("A name is required."), "required")
    parent = _require_parent_in_scope(admin, parent_code)
    check_region_code(code, level, parent)
    if Region.objects.filter(code=code).exists():
        raise field_error("code", _("A region with this code exists already."), "duplicate_code")
    geometry, lng, lat = _parse_boundary(boundary, parent)
    region = Region.objects.create(
        code=code, name=name, level=level, parent=parent, boundary=geometry, center_lng=lng, center_lat=lat
    )
    ensure_in_scope(region, admin)
    transaction.on_commit(locate.reset)
    record(
        "region.create",
        actor=admin,
        obj=region,
        object_id=region.code,
        changes=diff({}, _region_snapshot(region)),
    )
    return region


@transaction.atomic
def update_region(
    actor: User | AnonymousUser,
    region: Region,
    *,
    expected_version: int | None = None,
    name: str | None = None,
    boundary: Any = None,
    clear_boundary: bool = False,
    is_active: bool | None = None,
) -> Region:
    """Codes, levels and parents are fixed once created: other records refer to them."""
    admin = require_role(actor, Role.ADMIN)
    region = get_in_scope(Region, admin, pk=region.pk)
    before = _region_snapshot(region)
    changes: dict[str, Any] = {}
    if name is not None:
        if not name.strip():
            raise field_error("name", _("A name is required."), "required")
        changes["name"] = name.strip()
    if boundary is not None or clear_boundary:
        geometry, lng, lat = _parse_boundary(None if clear_boundary else boundary, region.parent)
        if geometry is None and region.boundary and region.level in BOUNDARY_REQUIRED:
            raise field_error(
                "boundary",
                _(
                    "A grid's boundary cannot be removed: events, people and houses are placed in grids by "
                    "their coordinates. Draw a corrected boundary instead."
                ),
                "boundary_required",
            )
        changes.update(boundary=geometry, center_lng=lng, center_lat=lat)
    if is_active is not None:
        changes["is_active"] = is_active
    update_versioned(region, expected_version, changes)
    transaction.on_commit(locate.reset)
    record(
        "region.update",
        actor=admin,
        obj=region,
        object_id=region.code,
        changes=diff(before, _region_snapshot(region)),
    )
    return region


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


IMPORT_COLUMNS = ("code", "name", "parent_code", "level", "boundary")


def import_regions(actor: User | AnonymousUser, data: str | bytes) -> ImportReport:
    """Import a region tree from CSV (code, name, parent_code, level[, boundary as GeoJSON]).

    All or nothing: any row error rolls back the whole file, and the report lists every bad row.
    Rows may come in any order; parents are resolved from the file or the database.
    """
    admin = require_role(actor, Role.ADMIN)
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data.lstrip("\ufeff")
    reader = csv.DictReader(io.StringIO(text))
    report = ImportReport()
    missing = [c for c in IMPORT_COLUMNS[:4] if c not in (reader.fieldnames or [])]
    if missing:
        raise InvalidInput(
            _("The file lacks the columns: %(cols)s") % {"cols": ", ".join(missing)}, code="invalid_file"
        )
    rows = [(n, {k: (v or "").strip() for k, v in row.items() if k}) for n, row in enumerate(reader, start=2)]
    level_rank = {lvl: i for i, lvl in enumerate(RegionLevel.values)}
    rows.sort(key=lambda item: level_rank.get(item[1].get("level", ""), 99))
    with transaction.atomic():
        for line, row in rows:
            try:
                with transaction.atomic():
                    _import_row(admin, row, report)
            except (InvalidInput, NotFound) as exc:
                details = getattr(exc, "details", {}) or {}
                report.errors.append(
                    {
                        "line": line,
                        "code": row.get("code", ""),
                        "message": str(exc.message),
                        "details": details,
                    }
                )
        if report.errors:
            transaction.set_rollback(True)
            report.created = report.updated = 0
        else:
            record(
                "region.import",
                actor=admin,
                object_type="org.region",
                changes={"created": report.created, "updated": report.updated},
            )
    return report


def _import_row(admin: User, row: dict[str, str], report: ImportReport) -> None:
    boundary: Any = None
    if row.get("boundary"):
        try:
            boundary = json.loads(row["boundary"])
        except json.JSONDecodeError as exc:
            raise field_error(
                "boundary", _("The boundary is not valid GeoJSON."), "invalid_geometry"
            ) from exc
    existing = Region.objects.filter(code=row.get("code", "")).first()
    if existing is not None:
        parent_code = existing.parent.code if existing.parent is not None else ""
        if existing.level != row.get("level") or parent_code != row.get("parent_code", ""):
            raise field_error("code", _("This code exists with another level or parent."), "duplicate_code")
        update_region(admin, existing, name=row.get("name"), boundary=boundary)
        report.updated += 1
    else:
        create_region(
            admin,
            code=row.get("code", ""),
            name=row.get("name", ""),
            level=row.get("level", ""),
            parent_code=row.get("parent_code") or None,
            boundary=boundary,
        )
        report.created += 1


# --- units -----------------------------------------------------------------------------------------


def _unit_snapshot(unit: Unit) -> dict[str, Any]:
    return {
        "code": unit.code,
        "name": unit.name,
        "kind": unit.kind,
        "region": unit.region.code,
        "credit_code": unit.credit_code,
        "phone": unit.phone,
        "is_active": unit.is_active,
    }


def _clean_unit_fields(admin: User, values: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    if "name" in values:
        if not (values["name"] or "").strip():
            raise field_error("name", _("A name is required."), "required")
        clean["name"] = values["name"].strip()
    if "kind" in values:
        if values["kind"] not in UnitKind.values:
            raise field_error("kind", _("Unknown unit kind."), "invalid_kind")
        clean["kind"] = values["kind"]
    if "region_code" in values:
        clean["region"] = get_in_scope(Region, admin, code=values["region_code"])
    if values.get("credit_code"):
        try:
            clean["credit_code"] = parse_credit_code(values["credit_code"])
        except InvalidValue as exc:
            raise field_error("credit_code", exc.message, exc.code) from exc
    elif "credit_code" in values:
        clean["credit_code"] = ""
    if values.get("phone"):
        try:
            clean["phone"] = parse_phone(values["phone"])
        except InvalidValue as exc:
            raise field_error("phone", exc.message, exc.code) from exc
    elif "phone" in values:
        clean["phone"] = ""
    if "is_active" in values and values["is_active"] is not None:
        clean["is_active"] = bool(values["is_active"])
    return clean


@transaction.atomic
def create_unit(
    actor: User | AnonymousUser,
    *,
    code: str,
    name: str,
    kind: str,
    region_code: str,
    credit_code: str = "",
    phone: str = "",
) -> Unit:
    admin = require_role(actor, Role.ADMIN)
    code = code.strip()
    if not code or len(code) > 40 or not all(c.isalnum() or c in "-_" for c in code):
        raise field_error("code", _("A unit code has up to 40 letters, digits, - or _."), "invalid_unit_code")
    if Unit.objects.filter(code=code).exists():
        raise field_error("code", _("A unit with this code exists already."), "duplicate_code")
    fields = _clean_unit_fields(
        admin,
        {"name": name, "kind": kind, "region_code": region_code, "credit_code": credit_code, "phone": phone},
    )
    unit = Unit.objects.create(code=code, **fields)
    ensure_in_scope(unit, admin)
    record("unit.create", actor=admin, obj=unit, object_id=unit.code, changes=diff({}, _unit_snapshot(unit)))
    return unit


@transaction.atomic
def update_unit(
    actor: User | AnonymousUser, unit: Unit, *, expected_version: int | None = None, **values: Any
) -> Unit:
    admin = require_role(actor, Role.ADMIN)
    unit = get_in_scope(Unit.objects.select_related("region"), admin, pk=unit.pk)
    before = _unit_snapshot(unit)
    allowed = {"name", "kind", "region_code", "credit_code", "phone", "is_active"}
    changes = _clean_unit_fields(admin, {k: v for k, v in values.items() if k in allowed and v is not None})
    update_versioned(unit, expected_version, changes)
    ensure_in_scope(unit, admin)
    record(
        "unit.update", actor=admin, obj=unit, object_id=unit.code, changes=diff(before, _unit_snapshot(unit))
    )
    return unit
