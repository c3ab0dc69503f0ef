"""The event category tree over the API: one category, and changes by county-level administrators.

The list (``GET /event-categories``) lives in ``jiceng.events.api``.
"""

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from jiceng.core.api import responses
from jiceng.events import category_actions, category_queries
from jiceng.events.api import CategoryOut
from jiceng.events.models import EventCategory, Platform, Urgency
from jiceng.events.queries import categories as category_queries_list
from jiceng.org.models import UnitKind

router = Router(tags=["event categories"])

HOURS = "Working hours, 1–72"
DAYS = "Working days, 1–90"


class CategoryRef(Schema):
    code: str
    name: str
    is_active: bool


class CategoryDetailOut(CategoryOut):
    handler_hint: str
    on_spot_needs_confirmation: bool
    staff_only: bool
    is_active: bool
    sort: int
    version: int
    children: list[CategoryRef]

    @staticmethod
    def resolve_children(obj: EventCategory) -> list[EventCategory]:
        return list(category_queries.children(obj))

    @staticmethod
    def resolve_is_leaf(obj: EventCategory) -> bool:
        return not obj.children.exists()


class CategoryIn(Schema):
    code: str = Field(
        ..., max_length=20, description="1–20 letters or digits; fixed once created", examples=["CG0118"]
    )
    name: str = Field(..., max_length=60)
    parent_code: str | None = Field(None, max_length=20, description="A top-level category; none for a 大类")
    platform: Platform
    standard: str = Field("", max_length=40, examples=["GB/T 31000-2015"])
    handler_kind: UnitKind | Literal[""] = Field("", description="The kind of unit that usually handles it")
    handler_hint: str = Field("", max_length=60, examples=["综合执法中队"])
    urgencies: list[Urgency] = Field([], description="Urgency levels allowed; empty: all")
    accept_hours: int = Field(2, description=HOURS)
    dispatch_hours: int = Field(4, description=HOURS)
    sign_hours: int = Field(4, description=HOURS)
    handle_days: int = Field(5, description=DAYS)
    verify_days: int = Field(2, description=DAYS)
    form_schema: dict[str, Any] = Field({}, description='Extra fields: a JSON Schema with "type": "object"')
    on_spot_needs_confirmation: bool = True
    staff_only: bool = Field(False, description="Not offered to residents (portal, Open311)")
    sort: int = 0


class CategoryPatch(Schema):
    version: int | None = Field(None, description="The version you read; a newer one answers 409")
    name: str | None = Field(None, max_length=60)
    parent_code: str | None = Field(None, max_length=20, description='"" makes it a top-level category')
    platform: Platform | None = None
    standard: str | None = Field(None, max_length=40)
    handler_kind: UnitKind | Literal[""] | None = None
    handler_hint: str | None = Field(None, max_length=60)
    urgencies: list[Urgency] | None = None
    accept_hours: int | None = Field(None, description=HOURS)
    dispatch_hours: int | None = Field(None, description=HOURS)
    sign_hours: int | None = Field(None, description=HOURS)
    handle_days: int | None = Field(None, description=DAYS)
    verify_days: int | None = Field(None, description=DAYS)
    form_schema: dict[str, Any] | None = None
    on_spot_needs_confirmation: bool | None = None
    staff_only: bool | None = None
    is_active: bool | None = None
    sort: int | None = None


def _plain(data: dict[str, Any]) -> dict[str, Any]:
    """Enum members as their values, for the actions."""
    if data.get("urgencies") is not None:
        data["urgencies"] = [str(u) for u in data["urgencies"]]
    for name in ("platform", "handler_kind"):
        if data.get(name) is not None:
            data[name] = str(data[name])
    return data


@router.get("/event-categories", response=responses(list[CategoryOut]), summary="The event category tree")
def list_categories(request: HttpRequest) -> Any:
    cats = list(category_queries_list())
    parents = {c.parent_id for c in cats if c.parent_id}
    for c in cats:
        c.has_children = c.pk in parents  # type: ignore[attr-defined]
    return cats


@router.post(
    "/event-categories",
    response=responses(CategoryDetailOut, 201),
    summary="Create an event category (county-level administrator)",
)
def create_category(request: HttpRequest, payload: CategoryIn) -> Any:
    category = category_actions.create_category(request.user, **_plain(payload.dict()))
    return Status(201, category)


@router.get(
    "/event-categories/{code}",
    response=responses(CategoryDetailOut),
    summary="One event category with its sub-categories",
)
def get_category(request: HttpRequest, code: str) -> Any:
    return category_queries.category(code)


@router.patch(
    "/event-categories/{code}",
    response=responses(CategoryDetailOut),
    summary="Change an event category (county-level administrator)",
)
def update_category(request: HttpRequest, code: str, payload: CategoryPatch) -> Any:
    category = category_queries.category(code)
    data = _plain(payload.dict())
    version = data.pop("version")
    return category_actions.update_category(request.user, category, expected_version=version, **data)
