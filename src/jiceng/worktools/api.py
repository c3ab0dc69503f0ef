"""The work-tools API: patrols and tracks, check-ins, duties, dispatch tasks, visits, work logs, leader
assignments, the address book, messages and the file library. Thin: parse, call actions/queries."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import File, Form, Header, Query, Router, Schema, Status, UploadedFile
from pydantic import Field

from jiceng.core.api import responses
from jiceng.core.coords import CoordSystem
from jiceng.events.api import EventDetailOut
from jiceng.events.models import Urgency
from jiceng.worktools import (
    assignment_actions,
    assignment_queries,
    contacts,
    file_actions,
    file_queries,
    message_actions,
    message_queries,
    patrol_actions,
    patrol_queries,
    serve,
    visit_actions,
    visit_queries,
)
from jiceng.worktools.models import (
    CheckIn,
    Conversation,
    DocumentVersion,
    DutyKind,
    LeaderAssignment,
    Message,
    Patrol,
    Visit,
)

router = Router(tags=["worktools"])

# --- patrols -----------------------------------------------------------------------------------------------


class PatrolOut(Schema):
    id: int
    worker: str
    worker_name: str
    unit: str
    state: str
    started_at: datetime
    ended_at: datetime | None
    duration_s: int
    distance_m: float
    point_count: int
    last_lng: float | None
    last_lat: float | None
    last_at: datetime | None
    version: int

    @staticmethod
    def resolve_worker(obj: Patrol) -> str:
        return obj.worker.username

    @staticmethod
    def resolve_worker_name(obj: Patrol) -> str:
        return obj.worker.full_name

    @staticmethod
    def resolve_unit(obj: Patrol) -> str:
        return obj.unit.name


class PatrolDetailOut(PatrolOut):
    track: list[list[float]] = Field(..., description="[seq, lng, lat] in sequence order")
    event_ids: list[int]

    @staticmethod
    def resolve_track(obj: Patrol) -> list[list[float]]:
        return [[seq, lng, lat] for seq, lng, lat in patrol_queries.track(obj)]

    @staticmethod
    def resolve_event_ids(obj: Patrol) -> list[int]:
        return [e.pk for e in patrol_queries.linked_events(obj)]


class PointSchema(Schema):
    seq: int = Field(..., ge=0, description="Numbered by the phone from 0; a resent point is stored once")
    lng: float
    lat: float
    accuracy: float | None = Field(None, ge=0)
    at: datetime = Field(..., description="When the phone took the position")


class PointBatchIn(Schema):
    points: list[PointSchema] = Field(..., max_length=patrol_actions.MAX_BATCH)
    coord_system: CoordSystem = CoordSystem.WGS84


class PointBatchOut(Schema):
    patrol_id: int
    stored: int
    duplicates: int
    point_count: int
    distance_m: float


class StopIn(Schema):
    version: int | None = None
    note: str = Field("", max_length=500)


class PatrolEventIn(Schema):
    category: str = Field(..., max_length=20)
    title: str = Field(..., min_length=1, max_length=200)
    description: str = Field("", max_length=5000)
    urgency: Urgency = Urgency.NORMAL
    lng: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    coord_system: CoordSystem = CoordSystem.WGS84
    address: str = Field("", max_length=200)


class PatrolFilter(Schema):
    active: bool = Field(False, description="Only those on patrol now")
    worker: str = Field("", max_length=150)
    limit: int = Field(50, ge=1, le=200)


@router.post(
    "/worktools/patrols",
    response=responses(PatrolOut, 201) | {200: PatrolOut},
    summary="Start a patrol (one already running is returned)",
)
def start_patrol(request: HttpRequest) -> Any:
    patrol, created = patrol_actions.start_patrol(request.user)
    return Status(201 if created else 200, patrol)


@router.get("/worktools/patrols", response=responses(list[PatrolOut]), summary="Patrols in your jurisdiction")
def list_patrols(request: HttpRequest, filters: Query[PatrolFilter]) -> Any:
    qs = patrol_queries.on_patrol(request.user) if filters.active else patrol_queries.patrols(request.user)
    if filters.worker:
        qs = qs.filter(worker__username=filters.worker)
    return list(qs[: filters.limit])


class GeoFilter(Schema):
    tracks: bool = Field(False, description="Add each active patrol's track as a LineString")


@router.get(
    "/worktools/patrols/geojson",
    response=responses(dict[str, Any]),
    summary="Workers on patrol now: last positions (and tracks) as GeoJSON",
)
def patrols_geojson(request: HttpRequest, filters: Query[GeoFilter]) -> Any:
    return patrol_queries.geojson(request.user, tracks=filters.tracks)


class NearestIn(Schema):
    lng: float = Field(..., ge=-180, le=180)
    lat: float = Field(..., ge=-90, le=90)


class NearestOut(Schema):
    patrol: PatrolOut
    distance_m: float


@router.get(
    "/worktools/patrols/nearest",
    response=responses(list[NearestOut]),
    summary="Workers on patrol nearest to a point",
)
def nearest(request: HttpRequest, where: Query[NearestIn]) -> Any:
    return [
        {"patrol": p, "distance_m": round(d, 1)}
        for p, d in patrol_queries.nearest(request.user, where.lng, where.lat)
    ]


@router.get(
    "/worktools/patrols/{patrol_id}", response=responses(PatrolDetailOut), summary="One patrol with its track"
)
def get_patrol(request: HttpRequest, patrol_id: int) -> Any:
    return patrol_queries.patrol(request.user, patrol_id)


@router.post(
    "/worktools/patrols/{patrol_id}/points",
    response=responses(PointBatchOut),
    summary="Send a batch of track points (idempotent by seq)",
)
def add_points(request: HttpRequest, patrol_id: int, payload: PointBatchIn) -> Any:
    points = [
        patrol_actions.PointIn(seq=p.seq, lng=p.lng, lat=p.lat, recorded_at=p.at, accuracy_m=p.accuracy)
        for p in payload.points
    ]
    return patrol_actions.add_points(request.user, patrol_id, points, coord_system=payload.coord_system)


@router.post("/worktools/patrols/{patrol_id}/stop", response=responses(PatrolOut), summary="End a patrol")
def stop_patrol(request: HttpRequest, patrol_id: int, payload: StopIn) -> Any:
    return patrol_actions.stop_patrol(request.user, patrol_id, version=payload.version, note=payload.note)


@router.post(
    "/worktools/patrols/{patrol_id}/events",
    response=responses(EventDetailOut, 201) | {200: EventDetailOut},
    summary="Report an event during the patrol (linked to it; honours Idempotency-Key)",
)
def report_on_patrol(
    request: HttpRequest,
    patrol_id: int,
    payload: PatrolEventIn,
    idempotency_key: str = Header("", alias="Idempotency-Key", max_length=64),
) -> Any:
    event, created = patrol_actions.report_on_patrol(
        request.user, patrol_id, idempotency_key=idempotency_key, **payload.dict()
    )
    return Status(201 if created else 200, event)


# --- check-ins, duties, dispatch tasks ---------------------------------------------------------------------


class CheckInOut(Schema):
    id: int
    worker: str
    at: datetime
    place_code: str | None
    house_code: str | None
    target: str
    lng: float
    lat: float
    distance_m: float | None
    far: bool
    patrol_id: int | None
    has_photo: bool
    note: str

    @staticmethod
    def resolve_worker(obj: CheckIn) -> str:
        return obj.worker.username

    @staticmethod
    def resolve_place_code(obj: CheckIn) -> str | None:
        return obj.place.code if obj.place else None

    @staticmethod
    def resolve_house_code(obj: CheckIn) -> str | None:
        return obj.house.code if obj.house else None

    @staticmethod
    def resolve_target(obj: CheckIn) -> str:
        return obj.target_name

    @staticmethod
    def resolve_has_photo(obj: CheckIn) -> bool:
        return bool(obj.photo)


class CheckInIn(Schema):
    lng: float
    lat: float
    place_code: str = Field("", max_length=24)
    house_code: str = Field("", max_length=24)
    coord_system: CoordSystem = CoordSystem.WGS84
    note: str = Field("", max_length=500)
    client_id: str = Field("", max_length=64, description="Makes a resend harmless")


@router.post(
    "/worktools/checkins",
    response=responses(CheckInOut, 201) | {200: CheckInOut},
    summary="Check in at a key place or a house (multipart, optional photo)",
)
def create_checkin(
    request: HttpRequest, payload: Form[CheckInIn], photo: File[UploadedFile | None] = None
) -> Any:
    item, created = patrol_actions.check_in(request.user, photo=photo, **payload.dict())
    return Status(201 if created else 200, item)


class CheckInFilter(Schema):
    far: bool | None = None
    worker: str = Field("", max_length=150)
    limit: int = Field(50, ge=1, le=200)


@router.get(
    "/worktools/checkins", response=responses(list[CheckInOut]), summary="Check-ins in your jurisdiction"
)
def list_checkins(request: HttpRequest, filters: Query[CheckInFilter]) -> Any:
    qs = patrol_queries.checkins(request.user)
    if filters.far is not None:
        qs = qs.filter(far=filters.far)
    if filters.worker:
        qs = qs.filter(worker__username=filters.worker)
    return list(qs[: filters.limit])


class DutyIn(Schema):
    kind: DutyKind
    region_code: str = Field(..., max_length=18)
    every_days: int | None = Field(None, ge=1, le=365)


class DutyOut(Schema):
    id: int
    kind: str
    region_code: str
    every_days: int | None


class DutyItemOut(Schema):
    duty_id: int
    kind: str
    code: str
    name: str
    last_done: date | None
    every_days: int
    status: str = Field(..., description="done, due or missed")


class DutyStatusOut(Schema):
    counts: dict[str, int]
    items: list[DutyItemOut]


@router.post("/worktools/duties", response=responses(DutyOut, 201), summary="Configure a patrol duty")
def create_duty(request: HttpRequest, payload: DutyIn) -> Any:
    return Status(201, patrol_actions.add_duty(request.user, **payload.dict()))


@router.get(
    "/worktools/duties/status", response=responses(DutyStatusOut), summary="What is due and what was missed"
)
def duty_status(request: HttpRequest) -> Any:
    items = patrol_queries.duty_items(request.user)
    return {
        "counts": patrol_queries.duty_counts(items),
        "items": [
            {
                "duty_id": i.duty.pk,
                "kind": i.duty.kind,
                "code": i.code,
                "name": i.name,
                "last_done": i.last_done,
                "every_days": i.every_days,
                "status": i.status,
            }
            for i in items
        ],
    }


class TaskIn(Schema):
    worker: str = Field(..., max_length=150)
    message: str = Field(..., min_length=1, max_length=500)
    event_id: int | None = None
    lng: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)


class TaskOut(Schema):
    id: int
    worker: str
    message: str
    event_id: int | None
    distance_m: float | None

    @staticmethod
    def resolve_worker(obj: Any) -> str:
        return str(obj.worker.username)


@router.post("/worktools/tasks", response=responses(TaskOut, 201), summary="Send a task to a worker (调度)")
def send_task(request: HttpRequest, payload: TaskIn) -> Any:
    return Status(201, patrol_actions.send_task(request.user, **payload.dict()))


# --- visits, logs --------------------------------------------------------------------------------


class VisitIn(Schema):
    subject_kind: str = Field(..., description="person, household, house or organization")
    subject_key: str = Field(..., max_length=40, description="The record's key as in the registry API")
    findings: str = Field(..., min_length=1, max_length=5000)
    purpose: str = Field("", max_length=200)
    follow_up: str = Field("", max_length=500)
    follow_up_due: date | None = None
    visited_at: datetime | None = None


class VisitOut(Schema):
    id: int
    visitor: str
    visited_at: datetime
    subject_name: str
    purpose: str
    findings: str
    follow_up: str
    follow_up_due: date | None

    @staticmethod
    def resolve_visitor(obj: Visit) -> str:
        return obj.visitor.username


class VisitFilter(Schema):
    since: date | None = None
    until: date | None = None
    q: str = Field("", max_length=50)
    limit: int = Field(50, ge=1, le=200)


@router.post("/worktools/visits", response=responses(VisitOut, 201), summary="Record a visit (走访)")
def create_visit(request: HttpRequest, payload: VisitIn) -> Any:
    return Status(201, visit_actions.record_visit(request.user, **payload.dict()))


@router.get("/worktools/visits", response=responses(list[VisitOut]), summary="Visits in your jurisdiction")
def list_visits(request: HttpRequest, filters: Query[VisitFilter]) -> Any:
    f = visit_queries.LedgerFilter(since=filters.since, until=filters.until, q=filters.q)
    return list(visit_queries.ledger(request.user, "visits", f).reverse()[: filters.limit])


class WorkLogIn(Schema):
    content: str = Field(..., min_length=1, max_length=10000)
    issues: str = Field("", max_length=5000)
    version: int | None = None


class WorkLogOut(Schema):
    id: int
    author: str
    day: date
    content: str
    issues: str
    version: int

    @staticmethod
    def resolve_author(obj: Any) -> str:
        return str(obj.author.username)


@router.put(
    "/worktools/logs/{day}",
    response=responses(WorkLogOut),
    summary="Write one's work log of a day (民情日志)",
)
def save_log(request: HttpRequest, day: date, payload: WorkLogIn) -> Any:
    return visit_actions.save_work_log(request.user, day=day, **payload.dict())


@router.get(
    "/worktools/logs",
    response=responses(list[WorkLogOut]),
    summary="Work logs: one's own and one's jurisdiction's",
)
def list_logs(request: HttpRequest, filters: Query[VisitFilter]) -> Any:
    f = visit_queries.LedgerFilter(since=filters.since, until=filters.until, q=filters.q)
    return list(visit_queries.ledger(request.user, "logs", f).reverse()[: filters.limit])


# --- leader assignments ------------------------------------------------------------------------------------


class AssignmentIn(Schema):
    unit_code: str = Field(..., max_length=40)
    assignee: str = Field("", max_length=150)
    category: str = Field(..., max_length=20)
    title: str = Field(..., min_length=1, max_length=200)
    description: str = Field("", max_length=5000)
    deadline: date
    urgency: Urgency = Urgency.NORMAL


class AssignmentOut(Schema):
    id: int
    event_id: int
    event_ref: str
    title: str
    state: str
    unit: str
    assignee: str | None
    leader: str
    deadline: date
    overdue: bool

    @staticmethod
    def resolve_event_ref(obj: LeaderAssignment) -> str:
        return obj.event.ref

    @staticmethod
    def resolve_title(obj: LeaderAssignment) -> str:
        return obj.event.title

    @staticmethod
    def resolve_state(obj: LeaderAssignment) -> str:
        return obj.event.state

    @staticmethod
    def resolve_unit(obj: LeaderAssignment) -> str:
        return obj.unit.code

    @staticmethod
    def resolve_assignee(obj: LeaderAssignment) -> str | None:
        return obj.assignee.username if obj.assignee else None

    @staticmethod
    def resolve_leader(obj: LeaderAssignment) -> str:
        return obj.leader.username

    @staticmethod
    def resolve_overdue(obj: LeaderAssignment) -> bool:
        return assignment_queries.is_overdue(obj)


class AssignmentFilter(Schema):
    view: str = Field(
        "queue", pattern="^(queue|given)$", description="queue: to handle; given: the leader's own"
    )


@router.post(
    "/worktools/assignments", response=responses(AssignmentOut, 201), summary="Assign a task (领导交办)"
)
def create_assignment(request: HttpRequest, payload: AssignmentIn) -> Any:
    item = assignment_actions.assign(request.user, **payload.dict())
    return Status(201, assignment_queries.given_by(request.user).get(pk=item.pk))


@router.get("/worktools/assignments", response=responses(list[AssignmentOut]), summary="Leader assignments")
def list_assignments(request: HttpRequest, filters: Query[AssignmentFilter]) -> Any:
    if filters.view == "given":
        return list(assignment_queries.given_by(request.user))
    return list(assignment_queries.queue(request.user))


# --- address book -----------------------------------------------------------------------------------------


class ContactOut(Schema):
    username: str
    full_name: str
    unit_code: str
    unit_name: str
    roles: list[str]
    phone_masked: str

    @staticmethod
    def resolve_unit_code(obj: Any) -> str:
        return str(obj.unit.code)

    @staticmethod
    def resolve_unit_name(obj: Any) -> str:
        return str(obj.unit.name)

    @staticmethod
    def resolve_roles(obj: Any) -> list[str]:
        return sorted(r.role for r in obj.roles.all())


class ContactFilter(Schema):
    q: str = Field("", max_length=50)
    unit: str = Field("", max_length=40)
    limit: int = Field(100, ge=1, le=500)


class CallOut(Schema):
    phone: str
    tel: str


@router.get("/worktools/contacts", response=responses(list[ContactOut]), summary="The address book (通讯录)")
def list_contacts(request: HttpRequest, filters: Query[ContactFilter]) -> Any:
    return list(contacts.people(request.user, q=filters.q, unit=filters.unit)[: filters.limit])


@router.post(
    "/worktools/contacts/{username}/call",
    response=responses(CallOut),
    summary="A colleague's full number to dial (audited)",
)
def call_contact(request: HttpRequest, username: str) -> Any:
    phone = contacts.call(request.user, username)
    return {"phone": phone, "tel": f"tel:{phone}"}


# --- messages -----------------------------------------------------------------------------------------------


class ConversationOut(Schema):
    id: int
    kind: str
    title: str
    unread: int
    last_message_at: datetime | None

    @staticmethod
    def resolve_title(obj: Conversation, context: dict[str, Any]) -> str:
        return message_queries.display_title(obj, context["request"].user)


class ConversationIn(Schema):
    kind: str = Field(..., pattern="^(direct|group|unit|event)$")
    username: str = Field("", max_length=150, description="direct: the colleague")
    event_id: int | None = Field(None, description="event: the event")
    title: str = Field("", max_length=100, description="group: its title")
    usernames: list[str] = Field([], description="group: the members")


class MessageOut(Schema):
    id: int
    sender: str
    sender_name: str
    body: str
    created_at: datetime

    @staticmethod
    def resolve_sender(obj: Message) -> str:
        return obj.sender.username

    @staticmethod
    def resolve_sender_name(obj: Message) -> str:
        return obj.sender.full_name or obj.sender.username


class MessageIn(Schema):
    body: str = Field(..., min_length=1, max_length=message_actions.MAX_BODY)
    client_id: str = Field("", max_length=64)


class MessageFilter(Schema):
    after: int = Field(0, ge=0, description="Only messages after this id")


class ReadIn(Schema):
    up_to: int | None = None


class UnreadOut(Schema):
    unread: int


@router.get(
    "/worktools/conversations", response=responses(list[ConversationOut]), summary="Your conversations"
)
def list_conversations(request: HttpRequest) -> Any:
    return list(message_queries.conversations(request.user)[:100])


@router.get(
    "/worktools/conversations/unread", response=responses(UnreadOut), summary="Unread messages in all"
)
def unread(request: HttpRequest) -> Any:
    return {"unread": message_queries.unread_total(request.user)}


@router.post(
    "/worktools/conversations",
    response=responses(ConversationOut),
    summary="Open a one-to-one, unit or event conversation, or create a group",
)
def open_conversation(request: HttpRequest, payload: ConversationIn) -> Any:
    if payload.kind == "direct":
        conversation = message_actions.open_direct(request.user, payload.username)
    elif payload.kind == "unit":
        conversation = message_actions.open_unit(request.user)
    elif payload.kind == "event":
        conversation = message_actions.open_event(request.user, payload.event_id or 0)
    else:
        conversation = message_actions.create_group(
            request.user, title=payload.title, usernames=payload.usernames
        )
    return message_queries.conversation(request.user, conversation.pk)


@router.get(
    "/worktools/conversations/{conversation_id}/messages",
    response=responses(list[MessageOut]),
    summary="Messages of one of your conversations",
)
def list_messages(request: HttpRequest, conversation_id: int, filters: Query[MessageFilter]) -> Any:
    return message_queries.messages(request.user, conversation_id, after=filters.after)


@router.post(
    "/worktools/conversations/{conversation_id}/messages",
    response=responses(MessageOut, 201) | {200: MessageOut},
    summary="Send a message (client_id makes a resend harmless)",
)
def send_message(request: HttpRequest, conversation_id: int, payload: MessageIn) -> Any:
    message, created = message_actions.send(
        request.user, conversation_id, payload.body, client_id=payload.client_id
    )
    return Status(201 if created else 200, message)


@router.post(
    "/worktools/conversations/{conversation_id}/read",
    response=responses(dict[str, int]),
    summary="Mark read up to a message (default: all)",
)
def mark_read(request: HttpRequest, conversation_id: int, payload: ReadIn) -> Any:
    return {"last_read_id": message_actions.mark_read(request.user, conversation_id, payload.up_to)}


# --- file library -------------------------------------------------------------------------------------------


class FolderIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    read_roles: list[str] = []


class FolderOut(Schema):
    id: int
    name: str
    unit_code: str
    unit_name: str
    read_roles: list[str]

    @staticmethod
    def resolve_unit_code(obj: Any) -> str:
        return str(obj.unit.code)

    @staticmethod
    def resolve_unit_name(obj: Any) -> str:
        return str(obj.unit.name)


class DocumentOut(Schema):
    id: int
    folder_id: int
    name: str
    current_version: int
    updated_at: datetime


class VersionOut(Schema):
    document_id: int
    number: int
    size: int
    content_type: str
    sha256: str
    uploaded_at: datetime

    @staticmethod
    def resolve_document_id(obj: DocumentVersion) -> int:
        return obj.document_id


class DocumentFilter(Schema):
    q: str = Field("", max_length=100, description="Part of the name")
    folder: int | None = None


class DownloadIn(Schema):
    version: int | None = Field(None, ge=1, description="Default: the current version")
    preview: bool = Field(False, description="Inline, for PDF and images")


@router.get("/worktools/folders", response=responses(list[FolderOut]), summary="Folders you may read")
def list_folders(request: HttpRequest) -> Any:
    return file_queries.folders(request.user)


@router.post("/worktools/folders", response=responses(FolderOut, 201), summary="Create a folder of your unit")
def create_folder(request: HttpRequest, payload: FolderIn) -> Any:
    return Status(
        201, file_actions.create_folder(request.user, name=payload.name, read_roles=payload.read_roles)
    )


@router.post(
    "/worktools/folders/{folder_id}/documents",
    response=responses(VersionOut, 201),
    summary="Upload a document, or a new version of one of the same name (multipart)",
)
def upload_document(
    request: HttpRequest,
    folder_id: int,
    file: File[UploadedFile | None] = None,
    name: Form[str] = "",
    comment: Form[str] = "",
    version: Form[int | None] = None,
) -> Any:
    item = file_actions.upload(request.user, folder_id, file, name=name, comment=comment, version=version)
    return Status(201, item)


@router.get("/worktools/documents", response=responses(list[DocumentOut]), summary="Search documents by name")
def list_documents(request: HttpRequest, filters: Query[DocumentFilter]) -> Any:
    return list(file_queries.documents(request.user, folder_id=filters.folder, q=filters.q)[:200])


@router.get(
    "/worktools/documents/{document_id}/file",
    response=responses(None),
    summary="Download (or preview) a document's version; audited",
    openapi_extra={
        "responses": {200: {"description": "The file", "content": {"application/octet-stream": {}}}}
    },
)
def download_document(request: HttpRequest, document_id: int, filters: Query[DownloadIn]) -> Any:
    found = file_actions.open_version(request.user, document_id, filters.version, preview=filters.preview)
    item = found["version"]
    return serve.file_response(item.file, item.content_type, found["document"].name, inline=found["inline"])
