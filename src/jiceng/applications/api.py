from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Header, Query, Router, Schema, Status
from pydantic import Field

from jiceng.applications import actions, catalog, queries, ratelimit
from jiceng.applications.models import (
    Application,
    ApplicationFlow,
    ApplicationState,
    Channel,
    Delivery,
    RatingLevel,
    ServiceItem,
)
from jiceng.applications.workflow import available_actions
from jiceng.core.api import ErrorOut, responses
from jiceng.core.errors import NotFound

router = Router(tags=["applications"])


class MaterialOut(Schema):
    id: int
    name: str
    required: bool
    original: bool
    copies: int
    note: str
    template_url: str | None
    sample_url: str | None

    @staticmethod
    def resolve_template_url(obj: Any) -> str | None:
        return obj.template_url or None

    @staticmethod
    def resolve_sample_url(obj: Any) -> str | None:
        return obj.sample_url or None


class StepOut(Schema):
    seq: int
    name: str
    scope: str
    unit_kind: str
    unit_keyword: str
    role: str


class ItemOut(Schema):
    code: str
    name: str
    department_name: str
    level: str
    legal_days: int
    promised_days: int
    immediate: bool
    fee_cents: int
    deliveries: list[str]
    accept_levels: list[str]
    online: bool

    @staticmethod
    def resolve_immediate(obj: ServiceItem) -> bool:
        return obj.is_immediate


class ItemDetailOut(ItemOut):
    description: str
    fee_basis: str
    form_schema: dict[str, Any]
    materials: list[MaterialOut]
    steps: list[StepOut]

    @staticmethod
    def resolve_materials(obj: ServiceItem) -> list[Any]:
        return list(obj.materials.all())

    @staticmethod
    def resolve_steps(obj: ServiceItem) -> list[Any]:
        return list(obj.steps.all())


class ApplicationIn(Schema):
    item: str = Field(..., max_length=32, description="Service item code")
    channel: Channel | None = Field(
        None, description="Defaults from the caller: window, village agency or online"
    )
    person: int | None = Field(None, description="The applicant in the population registry (window, agency)")
    applicant_name: str = Field("", max_length=60, description="Online: defaults to the caller's name")
    applicant_id_number: str = Field("", max_length=18)
    applicant_phone: str = Field("", max_length=20)
    region_code: str | None = Field(None, max_length=18, description="Online: where the applicant lives")
    form_data: dict[str, Any] = {}
    provided: list[int] = Field([], description="Ids of the item's materials handed in")
    delivery: Delivery = Delivery.WINDOW
    delivery_address: str = Field("", max_length=200)


class UnitRef(Schema):
    code: str
    name: str


class ApplicationOut(Schema):
    id: int
    ref: str
    item: str
    item_name: str
    channel: Channel
    state: ApplicationState
    outcome: str
    region_code: str
    applicant_name: str
    applicant_phone: str
    applicant_id_number: str
    window: str | None
    current_unit: UnitRef | None
    submitted_at: datetime
    accepted_at: datetime | None
    concluded_at: datetime | None
    due_at: datetime | None
    warning: str
    fee_cents: int
    version: int

    @staticmethod
    def resolve_item(obj: Application) -> str:
        return obj.item.code

    @staticmethod
    def resolve_item_name(obj: Application) -> str:
        return obj.item.name

    @staticmethod
    def resolve_applicant_phone(obj: Application) -> str:
        return obj.applicant_phone_masked

    @staticmethod
    def resolve_applicant_id_number(obj: Application) -> str:
        return obj.applicant_id_number_masked

    @staticmethod
    def resolve_window(obj: Application) -> str | None:
        return obj.window.name if obj.window else None

    @staticmethod
    def resolve_current_unit(obj: Application) -> dict[str, str] | None:
        unit = obj.current_unit
        return {"code": unit.code, "name": unit.name} if unit else None


class FlowOut(Schema):
    at: datetime
    action: str
    from_state: str
    to_state: str
    step_name: str
    actor: str
    unit: str | None
    comment: str
    data: dict[str, Any]

    @staticmethod
    def resolve_actor(obj: ApplicationFlow) -> str:
        return obj.actor_name

    @staticmethod
    def resolve_unit(obj: ApplicationFlow) -> str | None:
        return obj.unit.name if obj.unit else None


class ActionRef(Schema):
    action: str
    label: str
    required: list[str]


class AppMaterialOut(Schema):
    id: int
    name: str
    required: bool
    provided: bool


class ApplicationDetailOut(ApplicationOut):
    form_data: dict[str, Any]
    delivery: str
    supplement_items: list[str]
    workdays_used: float | None
    materials: list[AppMaterialOut]
    available_actions: list[ActionRef]
    timeline: list[FlowOut]

    @staticmethod
    def resolve_workdays_used(obj: Application) -> float | None:
        return queries.workdays_used(obj)

    @staticmethod
    def resolve_materials(obj: Application) -> list[Any]:
        return queries.materials(obj)

    @staticmethod
    def resolve_available_actions(obj: Application, context: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            {"action": t.action, "label": str(t.label), "required": list(t.required)}
            for t in available_actions(context["request"].user, obj)
        ]

    @staticmethod
    def resolve_timeline(obj: Application) -> list[ApplicationFlow]:
        return list(queries.timeline(obj))


class ApplicationPage(Schema):
    items: list[ApplicationOut]
    next_after: int | None = Field(None, description="Pass as `after` for the next page")


class ApplicationFilterIn(Schema):
    state: str = Field("", description="One state or several, comma-separated")
    item: str = ""
    channel: Channel | None = None
    region: str = Field("", description="Region code prefix")
    q: str = Field("", max_length=50)
    overdue: bool | None = None
    worklist: str = Field("", description=", ".join(queries.WORKLISTS))
    after: int | None = None
    limit: int = Field(50, ge=1, le=200)


class ActionIn(Schema):
    version: int | None = Field(None, description="The version you read; a newer one answers 409")
    comment: str = Field("", max_length=2000, description="Opinion, reason, reply or visit record")
    materials: list[int] | None = Field(None, description="request_supplement: materials to supplement")
    other: list[str] | None = Field(None, description="request_supplement: further materials, by name")
    provided: list[int] | None = Field(None, description="supplement: materials handed in")
    rating: RatingLevel | None = None
    tags: list[str] | None = None
    satisfied: bool | None = Field(None, description="follow_up: satisfied after the rectification")
    tracking_no: str | None = Field(None, max_length=40, description="deliver by mail: the tracking number")


class ApplicantOut(Schema):
    applicant_name: str
    applicant_id_number: str
    applicant_phone: str


class ProgressStepOut(Schema):
    at: datetime
    action: str
    state: str
    unit: str
    missing: list[str]
    reason: str


class ProgressOut(Schema):
    ref: str
    item_name: str
    state: ApplicationState
    state_label: str
    submitted_at: datetime
    accepted_at: datetime | None
    concluded_at: datetime | None
    due_at: datetime | None
    supplement_items: list[str]
    steps: list[ProgressStepOut]


class RatingStatOut(Schema):
    name: str
    total: int
    levels: dict[str, int]
    bad: int
    good_rate: float
    mean: float


@router.get("/service-items", response=responses(list[ItemOut]), summary="The service item catalog")
def list_items(request: HttpRequest) -> Any:
    return list(queries.items())


@router.get(
    "/service-items/{code}",
    response=responses(ItemDetailOut),
    summary="One item with materials, form and steps",
)
def get_item(request: HttpRequest, code: str) -> Any:
    return queries.item(code)


class ItemPatchIn(Schema):
    version: int | None = Field(None, description="The version you read; a newer one answers 409")
    name: str | None = Field(None, max_length=100)
    department_name: str | None = Field(None, max_length=100)
    legal_days: int | None = Field(None, ge=0, le=365)
    promised_days: int | None = Field(None, ge=0, le=365)
    fee_cents: int | None = Field(None, ge=0)
    fee_basis: str | None = Field(None, max_length=200)
    form_schema: dict[str, Any] | None = None
    deliveries: list[Delivery] | None = None
    accept_levels: list[str] | None = None
    online: bool | None = None
    description: str | None = Field(None, max_length=5000)
    is_active: bool | None = None


@router.patch(
    "/service-items/{code}",
    response=responses(ItemDetailOut),
    summary="Change a catalog item (county administrators)",
)
def patch_item(request: HttpRequest, code: str, payload: ItemPatchIn) -> Any:
    values = payload.dict(exclude_unset=True)
    version = values.pop("version", None)
    catalog.update_item(request.user, code, values, version=version)
    return queries.item(code)


@router.post(
    "/applications",
    response=responses(ApplicationDetailOut, 201) | {200: ApplicationDetailOut},
    summary="Submit an application (honours Idempotency-Key)",
)
def create_application(
    request: HttpRequest,
    payload: ApplicationIn,
    idempotency_key: str = Header("", alias="Idempotency-Key", max_length=64),
) -> Any:
    application, created = actions.submit_application(
        request.user, idempotency_key=idempotency_key, **payload.dict()
    )
    found = queries.application(request.user, application.pk)
    return Status(201 if created else 200, found)


@router.get(
    "/applications/progress",
    auth=None,
    response={**responses(ProgressOut), 429: ErrorOut},
    summary="Progress of an application by its number and the applicant's phone (no login)",
)
def progress(
    request: HttpRequest,
    number: str = Query(..., max_length=20),
    phone: str = Query(..., max_length=20),
) -> Any:
    ratelimit.check("application_progress", request)
    found = queries.progress(number, phone)
    if found is None:
        raise NotFound()
    return {
        "ref": found.ref,
        "item_name": found.item.name,
        "state": found.state,
        "state_label": str(found.get_state_display()),
        "submitted_at": found.submitted_at,
        "accepted_at": found.accepted_at,
        "concluded_at": found.concluded_at,
        "due_at": found.due_at,
        "supplement_items": found.supplement_items,
        "steps": queries.public_timeline(found),
    }


@router.get(
    "/applications/rating-stats",
    response=responses(list[RatingStatOut]),
    summary="好差评 statistics by item, department or window, in your jurisdiction",
)
def rating_stats(
    request: HttpRequest,
    by: str = Query("item", pattern="^(item|department|window)$"),
    since: datetime | None = None,
    until: datetime | None = None,
) -> Any:
    return queries.rating_stats(request.user, by, since, until)


@router.get(
    "/applications/counts", response=responses(dict[str, Any]), summary="Headline counts in your jurisdiction"
)
def counts(request: HttpRequest, since: datetime | None = None) -> Any:
    return queries.counts(request.user, since)


@router.get(
    "/applications", response=responses(ApplicationPage), summary="Search applications in your jurisdiction"
)
def list_applications(request: HttpRequest, filters: Query[ApplicationFilterIn]) -> Any:
    if filters.worklist:
        qs = queries.worklist(request.user, filters.worklist).order_by("-id")  # type: ignore[arg-type]
    else:
        qs = queries.search(
            request.user,
            queries.ApplicationFilter(
                state=filters.state,
                item=filters.item,
                channel=filters.channel or "",
                region=filters.region,
                q=filters.q,
                overdue=filters.overdue,
            ),
        ).order_by("-id")
    if filters.after is not None:
        qs = qs.filter(pk__lt=filters.after)
    items = list(qs[: filters.limit + 1])
    more = len(items) > filters.limit
    items = items[: filters.limit]
    return {"items": items, "next_after": items[-1].pk if more else None}


@router.get(
    "/applications/{application_id}",
    response=responses(ApplicationDetailOut),
    summary="One application with its materials, timeline and the actions open to you",
)
def get_application(request: HttpRequest, application_id: int) -> Any:
    return queries.application(request.user, application_id)


@router.post(
    "/applications/{application_id}/actions/{action}",
    response=responses(ApplicationDetailOut),
    summary="Take a workflow action",
)
def take_action(request: HttpRequest, application_id: int, action: str, payload: ActionIn) -> Any:
    data = {k: v for k, v in payload.dict().items() if v is not None and k not in ("version", "comment")}
    application = actions.perform(
        request.user, application_id, action, version=payload.version, comment=payload.comment, **data
    )
    return queries.application(request.user, application.pk)


@router.post(
    "/applications/{application_id}/applicant",
    response=responses(ApplicantOut),
    summary="The applicant's ID number and phone in full (audited)",
)
def reveal_applicant(request: HttpRequest, application_id: int) -> Any:
    return actions.reveal_applicant(request.user, application_id)
