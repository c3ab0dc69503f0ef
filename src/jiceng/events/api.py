from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Header, Query, Router, Schema, Status
from pydantic import Field

from jiceng.core.api import responses
from jiceng.core.coords import CoordSystem
from jiceng.core.errors import InvalidInput
from jiceng.events import actions, queries
from jiceng.events.models import (
    Evaluation,
    Event,
    EventCategory,
    EventFlow,
    EventState,
    Level,
    Source,
    Urgency,
)
from jiceng.events.workflow import TRANSITIONS, available_actions

router = Router(tags=["events"])


class CategoryOut(Schema):
    code: str
    name: str
    parent_code: str | None
    platform: str
    standard: str
    handler_kind: str
    urgencies: list[str]
    accept_hours: int
    dispatch_hours: int
    sign_hours: int
    handle_days: int
    verify_days: int
    form_schema: dict[str, Any]
    is_leaf: bool

    @staticmethod
    def resolve_parent_code(obj: EventCategory) -> str | None:
        return obj.parent.code if obj.parent else None

    @staticmethod
    def resolve_is_leaf(obj: EventCategory) -> bool:
        return not getattr(obj, "has_children", False)


class EventIn(Schema):
    category: str = Field(..., max_length=20, description="Leaf category code")
    title: str = Field(..., min_length=1, max_length=200)
    description: str = Field("", max_length=5000)
    urgency: Urgency = Urgency.NORMAL
    source: Source | None = Field(None, description="Defaults from the caller's role")
    source_ref: str = Field("", max_length=64, description="e.g. the 12345 work order number (idempotent)")
    lng: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    coord_system: CoordSystem = CoordSystem.WGS84
    address: str = Field("", max_length=200)
    region_code: str | None = Field(None, max_length=18, description="When there is no location")
    occurred_at: datetime | None = None
    reporter_name: str = Field("", max_length=60)
    reporter_phone: str = Field("", max_length=20)
    anonymous: bool = False
    form_data: dict[str, Any] = {}
    on_spot: bool = Field(False, description="Handled on the spot by the grid worker")
    on_spot_result: str = Field("", max_length=2000)


class UnitRef(Schema):
    code: str
    name: str


class EventOut(Schema):
    id: int
    ref: str
    title: str
    category: str
    category_name: str
    urgency: Urgency
    source: Source
    source_ref: str
    state: EventState
    level: Level
    region_code: str
    region_name: str
    lng: float | None
    lat: float | None
    address: str
    occurred_at: datetime
    reported_at: datetime
    lead_unit: UnitRef | None
    due_at: datetime | None
    handle_due_at: datetime | None
    warning: str
    evaluation: str
    version: int

    @staticmethod
    def resolve_category(obj: Event) -> str:
        return obj.category.code

    @staticmethod
    def resolve_category_name(obj: Event) -> str:
        return obj.category.name

    @staticmethod
    def resolve_region_name(obj: Event) -> str:
        return obj.region.name

    @staticmethod
    def resolve_lead_unit(obj: Event) -> dict[str, str] | None:
        return {"code": obj.lead_unit.code, "name": obj.lead_unit.name} if obj.lead_unit else None


# What EventOut reads, so a page of events loads and converts only those columns.
EVENT_OUT_COLUMNS = (
    *("id", "title", "urgency", "source", "source_ref", "state", "level", "region_code", "lng", "lat"),
    *("address", "occurred_at", "reported_at", "due_at", "handle_due_at", "warning", "evaluation", "version"),
    *("category__code", "category__name", "region__name", "lead_unit__code", "lead_unit__name"),
)


class FlowOut(Schema):
    at: datetime
    action: str
    from_state: str
    to_state: str
    level: str
    actor: str = Field(
        description="Staff by name; a resident as `reporter_name` shows them (masked, 匿名) or 居民; "
        "your own name in full"
    )
    unit: str | None
    comment: str
    data: dict[str, Any]

    @staticmethod
    def resolve_actor(obj: EventFlow) -> str:
        return obj.shown_actor  # type: ignore[attr-defined]  # set by queries.timeline

    @staticmethod
    def resolve_unit(obj: EventFlow) -> str | None:
        return obj.unit.name if obj.unit else None


class ActionRef(Schema):
    action: str
    label: str
    required: list[str]


class EventDetailOut(EventOut):
    description: str
    reporter_name: str = Field(
        description="Masked unless you are the reporter; in full from POST /events/{id}/reporter (audited)"
    )
    anonymous: bool
    form_data: dict[str, Any]
    on_spot: bool
    co_units: list[UnitRef]
    merged_into: int | None
    counts: dict[str, int]
    evaluation_comment: str
    available_actions: list[ActionRef]
    timeline: list[FlowOut]

    @staticmethod
    def resolve_co_units(obj: Event) -> list[dict[str, str]]:
        return [{"code": c.unit.code, "name": c.unit.name} for c in queries.co_handlers(obj)]

    @staticmethod
    def resolve_merged_into(obj: Event) -> int | None:
        return obj.merged_into_id

    @staticmethod
    def resolve_counts(obj: Event) -> dict[str, int]:
        names = ("return", "rework", "extension", "escalation", "reopen", "supervision")
        return {name: getattr(obj, f"{name}_count") for name in names}

    @staticmethod
    def resolve_available_actions(obj: Event, context: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            {"action": t.action, "label": str(t.label), "required": list(t.required)}
            for t in available_actions(context["request"].user, obj)
        ]

    @staticmethod
    def resolve_reporter_name(obj: Event, context: dict[str, Any]) -> str:
        return queries.reporter_name_shown(context["request"].user, obj)

    @staticmethod
    def resolve_timeline(obj: Event, context: dict[str, Any]) -> list[EventFlow]:
        return queries.timeline(context["request"].user, obj)


class ReporterOut(Schema):
    name: str
    phone: str
    anonymous: bool


class EventPage(Schema):
    items: list[EventOut]
    next_after: int | None = Field(None, description="Pass as `after` for the next page")


class EventFilterIn(Schema):
    state: str = Field("", description="One state or several, comma-separated")
    category: str = ""
    source: Source | None = None
    region: str = Field("", description="Region code prefix")
    since: datetime | None = None
    until: datetime | None = None
    overdue: bool | None = None
    q: str = Field("", max_length=50)
    worklist: str = Field(
        "",
        description="to_accept, to_dispatch, returned, escalated, warnings, extensions, "
        "to_verify, to_sign, handling, due_soon, my_reports, grid_to_verify",
    )
    after: int | None = Field(None, description="Keyset: events with a smaller id than this")
    limit: int = Field(50, ge=1, le=200)


class ActionIn(Schema):
    version: int | None = Field(None, description="The version you read; a newer one answers 409")
    comment: str = Field("", max_length=2000)
    lead_unit: str | None = Field(None, max_length=40)
    co_units: list[str] = []
    due_days: int | None = Field(None, ge=1, le=90)
    extra_days: int | None = Field(None, ge=1, le=30)
    evaluation: Evaluation | None = None
    merge_into: int | None = None


@router.post(
    "/events",
    response=responses(EventDetailOut, 201) | {200: EventDetailOut},
    summary="Report an event (honours Idempotency-Key)",
)
def create_event(
    request: HttpRequest,
    payload: EventIn,
    idempotency_key: str = Header("", alias="Idempotency-Key", max_length=64),
) -> Any:
    event, created = actions.report_event(request.user, idempotency_key=idempotency_key, **payload.dict())
    # A new event is answered as created (its creator always sees it); a repeat as it is now.
    return Status(201, event) if created else Status(200, queries.event(request.user, event.pk))


@router.get("/events", response=responses(EventPage), summary="Search events in your jurisdiction")
def list_events(request: HttpRequest, filters: Query[EventFilterIn]) -> Any:
    if filters.worklist:
        qs = queries.worklist(request.user, filters.worklist).order_by("-id")  # type: ignore[arg-type]
    else:
        qs = queries.search(
            request.user,
            queries.EventFilter(
                state=filters.state,
                category=filters.category,
                source=filters.source or "",
                region=filters.region,
                since=filters.since,
                until=filters.until,
                overdue=filters.overdue,
                q=filters.q,
            ),
        ).order_by("-id")
    if filters.after is not None:
        qs = qs.filter(pk__lt=filters.after)
    items = list(qs.only(*EVENT_OUT_COLUMNS)[: filters.limit + 1])
    more = len(items) > filters.limit
    items = items[: filters.limit]
    return {"items": items, "next_after": items[-1].pk if more else None}


@router.get("/events/{event_id}", response=responses(EventDetailOut), summary="One event with its timeline")
def get_event(request: HttpRequest, event_id: int) -> Any:
    return queries.event(request.user, event_id)


@router.post(
    "/events/{event_id}/actions/{action}",
    response=responses(EventDetailOut),
    summary="Take a workflow action",
)
def take_action(request: HttpRequest, event_id: int, action: str, payload: ActionIn) -> Any:
    if action not in TRANSITIONS:
        raise InvalidInput(_("Unknown action."), code="unknown_action")
    data = {k: v for k, v in payload.dict().items() if v is not None and k not in ("version", "comment")}
    event = actions.perform(
        request.user, event_id, action, version=payload.version, comment=payload.comment, **data
    )
    return event


@router.post(
    "/events/{event_id}/reporter",
    response=responses(ReporterOut),
    summary="The reporter's name and phone in full (for whoever triages or leads the event; audited)",
)
def reveal_reporter(request: HttpRequest, event_id: int) -> Any:
    event = actions.reveal_reporter(request.user, event_id)
    return {
        "name": queries.reporter_name_shown(request.user, event, revealed=True),
        "phone": "" if event.anonymous else event.reporter_phone,
        "anonymous": event.anonymous,
    }
