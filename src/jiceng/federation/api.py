"""The federation's JSON API for people (operators, county staff, department handlers).

Machine-to-machine messages do not come through here: they go to the signed inbox (``views.inbox``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from jiceng.core.api import responses
from jiceng.federation import county, department, queries, routing, sync, systems
from jiceng.federation.models import SystemKind

router = Router(tags=["federation"])


class SystemIn(Schema):
    code: str = Field(..., max_length=40)
    name: str = Field(..., max_length=100)
    kind: SystemKind
    inbox_url: str = Field(..., max_length=300)
    data_url: str = Field("", max_length=300)
    categories: list[str] = []
    regions: list[str] = []
    priority: int = Field(100, ge=0, le=1000)
    key: str = Field("", max_length=200, description="Leave empty to have one generated")


class SystemOut(Schema):
    code: str
    name: str
    kind: str
    inbox_url: str
    data_url: str
    categories: list[str]
    regions: list[str]
    priority: int
    is_active: bool
    health: str
    last_contact_at: datetime | None
    last_success_at: datetime | None
    failures: int
    rotating: bool

    @staticmethod
    def resolve_rotating(obj: Any) -> bool:
        return bool(obj.previous_key)


class KeyOut(Schema):
    system: SystemOut
    key: str = Field(..., description="Shown once; give it to the system's operators over a safe channel")


class PeerOut(Schema):
    system: SystemOut
    queued: int
    dead: int
    lag_seconds: float
    held: int
    warning: bool


class RetryIn(Schema):
    ids: list[int] | None = Field(None, description="Dead letters to retry; all when empty")


class CountOut(Schema):
    count: int


class EscalateIn(Schema):
    comment: str = Field(..., max_length=2000)
    version: int | None = None


class EscalationOut(Schema):
    event_id: int
    correlation: str
    state: str


class QueryIn(Schema):
    kind: str = Field(..., description="person or organization")
    key: str = Field("", max_length=18, description="ID number or unified social credit code")
    name: str = Field("", max_length=120)
    purpose: str = Field(..., max_length=200)


class QueryResultOut(Schema):
    county: str
    region: str
    name: str
    key: str
    phone: str
    address: str
    own_county: bool


class AssignIn(Schema):
    department: str = Field(..., max_length=40)
    comment: str = Field("", max_length=2000)
    version: int | None = None


class ResolveIn(Schema):
    result: str = Field(..., max_length=2000)
    version: int | None = None


class RouteOut(Schema):
    id: int
    county_ref: str
    title: str
    state: str
    department: str | None
    tried: list[str]
    version: int

    @staticmethod
    def resolve_department(obj: Any) -> str | None:
        return obj.department.code if obj.department_id else None


class TaskIn(Schema):
    comment: str = Field("", max_length=2000)
    version: int | None = None


class TaskOut(Schema):
    id: int
    title: str
    state: str
    answer: str
    version: int


@router.get("/federation/systems", response=responses(list[PeerOut]), summary="Registered systems and health")
def list_systems(request: HttpRequest) -> Any:
    return queries.peer_statuses(request.user)


@router.post("/federation/systems", response=responses(KeyOut, 201), summary="Register a system")
def register(request: HttpRequest, payload: SystemIn) -> Any:
    system, key = systems.register_system(request.user, **payload.dict())
    return Status(201, {"system": system, "key": key})


@router.post(
    "/federation/systems/{code}/rotate-key", response=responses(KeyOut), summary="Start a key rotation"
)
def rotate(request: HttpRequest, code: str) -> Any:
    system, key = systems.rotate_key(request.user, code)
    return {"system": system, "key": key}


@router.post(
    "/federation/systems/{code}/finish-rotation",
    response=responses(SystemOut),
    summary="Stop accepting the previous key",
)
def finish_rotation(request: HttpRequest, code: str) -> Any:
    return systems.finish_rotation(request.user, code)


@router.post("/federation/outbox/retry", response=responses(CountOut), summary="Retry dead letters")
def retry(request: HttpRequest, payload: RetryIn) -> Any:
    return {"count": systems.retry_dead_letters(request.user, payload.ids)}


@router.post(
    "/federation/events/{event_id}/escalate",
    response=responses(EscalationOut),
    summary="Escalate a county event to the collaboration platform",
)
def escalate(request: HttpRequest, event_id: int, payload: EscalateIn) -> Any:
    link = county.escalate_to_hub(request.user, event_id, comment=payload.comment, version=payload.version)
    return {"event_id": link.event_id, "correlation": link.correlation, "state": link.state}


@router.post(
    "/federation/query",
    response=responses(list[QueryResultOut]),
    summary="Ask the hub about a person or organization in other counties (masked, audited)",
)
def query(request: HttpRequest, payload: QueryIn) -> Any:
    return sync.query_hub(request.user, **payload.dict())


@router.post(
    "/federation/routes/{routed_id}/assign",
    response=responses(RouteOut),
    summary="Hub operator: assign a routed event to a department system",
)
def assign(request: HttpRequest, routed_id: int, payload: AssignIn) -> Any:
    return routing.operator_assign(
        request.user, routed_id, payload.department, comment=payload.comment, version=payload.version
    )


@router.post(
    "/federation/routes/{routed_id}/resolve",
    response=responses(RouteOut),
    summary="Hub operator: answer the county directly",
)
def resolve(request: HttpRequest, routed_id: int, payload: ResolveIn) -> Any:
    return routing.operator_resolve(request.user, routed_id, result=payload.result, version=payload.version)


@router.post(
    "/federation/tasks/{task_id}/{action}",
    response=responses(TaskOut),
    summary="Department system: accept, progress, return or resolve an assignment",
)
def answer(request: HttpRequest, task_id: int, action: str, payload: TaskIn) -> Any:
    return department.answer_task(
        request.user, task_id, action, comment=payload.comment, version=payload.version
    )
