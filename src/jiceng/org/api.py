from typing import Any

from django.http import HttpRequest
from ninja import File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import LimitOffsetPagination, paginate
from pydantic import Field

from jiceng.core.api import ErrorOut, responses
from jiceng.org import actions, queries
from jiceng.org.models import Region, RegionLevel, Unit, UnitKind

router = Router(tags=["org"])


class RegionOut(Schema):
    code: str
    name: str
    level: RegionLevel
    parent_code: str | None
    is_active: bool
    center: list[float] | None
    version: int
    boundary: dict[str, Any] | None = None

    @staticmethod
    def resolve_parent_code(obj: Region) -> str | None:
        return obj.parent.code if obj.parent_id else None  # type: ignore[union-attr]

    @staticmethod
    def resolve_center(obj: Region) -> list[float] | None:
        return [obj.center_lng, obj.center_lat] if obj.center_lng is not None else None  # type: ignore[list-item]

    @staticmethod
    def resolve_boundary(obj: Region) -> dict[str, Any] | None:
        return (getattr(obj, "_with_boundary", False) and obj.boundary) or None


class RegionFilter(Schema):
    level: RegionLevel | None = None
    parent: str = Field("", description="Parent region code")
    q: str = Field("", description="Name contains or code begins with", max_length=50)
    geometry: bool = Field(False, description="Include the GeoJSON boundary")


class RegionIn(Schema):
    code: str = Field(..., max_length=18, examples=["330106001001"])
    name: str = Field(..., max_length=100)
    level: RegionLevel
    parent_code: str | None = Field(None, max_length=18)
    boundary: dict[str, Any] | None = Field(None, description="GeoJSON Polygon or MultiPolygon, WGS-84")


class RegionPatch(Schema):
    version: int | None = Field(None, description="The version you read; a newer one answers 409")
    name: str | None = Field(None, max_length=100)
    boundary: dict[str, Any] | None = None
    clear_boundary: bool = False
    is_active: bool | None = None


class ImportErrorRow(Schema):
    line: int
    code: str
    message: str
    details: dict[str, list[str]] = {}


class ImportOut(Schema):
    ok: bool
    created: int
    updated: int
    errors: list[ImportErrorRow]


def _with_boundary(region: Region, include: bool) -> Region:
    region._with_boundary = include  # type: ignore[attr-defined]
    return region


@router.get("/regions", response=responses(list[RegionOut]), summary="List regions in your jurisdiction")
@paginate(LimitOffsetPagination)
def list_regions(request: HttpRequest, filters: Query[RegionFilter]) -> Any:
    qs = queries.regions(request.user, level=filters.level or "", parent=filters.parent, q=filters.q)
    if filters.geometry:
        return [_with_boundary(r, True) for r in qs.defer(None)]
    return qs


@router.post(
    "/regions/import",
    response={200: ImportOut, 422: ImportOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 413: ErrorOut},
    summary="Import a region tree from CSV (admin)",
)
def import_regions(request: HttpRequest, file: File[UploadedFile]) -> Any:
    report = actions.import_regions(request.user, file.read())
    body = {"ok": report.ok, "created": report.created, "updated": report.updated, "errors": report.errors}
    return Status(200 if report.ok else 422, body)


@router.get("/regions/{code}", response=responses(RegionOut), summary="One region")
def get_region(request: HttpRequest, code: str, geometry: bool = False) -> Any:
    return _with_boundary(queries.region(request.user, code), geometry)


@router.post("/regions", response=responses(RegionOut, 201), summary="Create a region (admin)")
def create_region(request: HttpRequest, payload: RegionIn) -> Any:
    region = actions.create_region(request.user, **payload.dict())
    return Status(201, _with_boundary(region, True))


@router.patch("/regions/{code}", response=responses(RegionOut), summary="Change a region (admin)")
def update_region(request: HttpRequest, code: str, payload: RegionPatch) -> Any:
    region = queries.region(request.user, code)
    data = payload.dict()
    region = actions.update_region(request.user, region, expected_version=data.pop("version"), **data)
    return _with_boundary(region, True)


class UnitOut(Schema):
    code: str
    name: str
    kind: UnitKind
    region_code: str
    region_name: str
    credit_code: str
    phone: str
    is_active: bool
    version: int

    @staticmethod
    def resolve_region_code(obj: Unit) -> str:
        return obj.region.code

    @staticmethod
    def resolve_region_name(obj: Unit) -> str:
        return obj.region.name


class UnitFilter(Schema):
    region: str = Field("", description="Region code the unit is attached to")
    kind: UnitKind | None = None
    q: str = Field("", max_length=50)


class UnitIn(Schema):
    code: str = Field(..., max_length=40)
    name: str = Field(..., max_length=100)
    kind: UnitKind
    region_code: str = Field(..., max_length=18)
    credit_code: str = Field("", max_length=18, description="GB 32100 unified social credit code")
    phone: str = Field("", max_length=32)


class UnitPatch(Schema):
    version: int | None = None
    name: str | None = Field(None, max_length=100)
    kind: UnitKind | None = None
    region_code: str | None = Field(None, max_length=18)
    credit_code: str | None = Field(None, max_length=18)
    phone: str | None = Field(None, max_length=32)
    is_active: bool | None = None


@router.get("/units", response=responses(list[UnitOut]), summary="List units in your jurisdiction")
@paginate(LimitOffsetPagination)
def list_units(request: HttpRequest, filters: Query[UnitFilter]) -> Any:
    return queries.units(request.user, region=filters.region, kind=filters.kind or "", q=filters.q)


@router.get("/units/{code}", response=responses(UnitOut), summary="One unit")
def get_unit(request: HttpRequest, code: str) -> Any:
    return queries.unit(request.user, code)


@router.post("/units", response=responses(UnitOut, 201), summary="Create a unit (admin)")
def create_unit(request: HttpRequest, payload: UnitIn) -> Any:
    return Status(201, actions.create_unit(request.user, **payload.dict()))


@router.patch("/units/{code}", response=responses(UnitOut), summary="Change a unit (admin)")
def update_unit(request: HttpRequest, code: str, payload: UnitPatch) -> Any:
    unit = queries.unit(request.user, code)
    data = payload.dict()
    return actions.update_unit(request.user, unit, expected_version=data.pop("version"), **data)
