"""The base data (基础数据) over HTTP, under /api/v1/registry/.

The seven kinds share one set of routes, generated from ``registry.schema.FIELDS``: list (searched, filtered,
keyset-paged like events), detail, create, update (compare-and-set on ``version``), soft delete, change
history and, for the kinds that hold personal data, reveal. People add special groups and a 360° overview,
houses their tenants and an overview, organizations an overview. Records are addressed by their natural key
(household number, house code, credit code, place code, component code), people and credit records by id.

Personal data (``Field.personal``: ID numbers, phones) is always masked in what these routes return, as
``<field>_masked``; the full values come only from ``POST …/{key}/reveal``, which is audited. Special-group
records are shown only to the roles that work with them (``queries.SPECIAL_GROUP_ROLES``) and every view of
them is audited; to everyone else they do not exist, not even in a record's history.
"""

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from functools import cache
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field, create_model

from jiceng.accounts import queries as account_queries
from jiceng.accounts.models import User
from jiceng.accounts.permissions import has_role
from jiceng.accounts.roles import Role
from jiceng.audit.actions import record, record_sensitive_view
from jiceng.core.api import responses
from jiceng.core.errors import NotFound, PermissionDenied, field_error
from jiceng.core.scope import covers, get_in_scope
from jiceng.core.validators import mask_id_number, mask_phone
from jiceng.registry import actions, codes, queries, schema
from jiceng.registry.models import (
    CityComponent,
    ComponentState,
    CreditKind,
    CreditRecord,
    House,
    Household,
    Organization,
    OrganizationKind,
    Person,
    PlaceType,
    PopulationType,
    Record,
    RiskLevel,
    Sex,
    SpecialGroup,
    SpecialGroupRecord,
    Tenancy,
)

router = Router(tags=["registry"])

SEGMENTS = {
    "person": "people",
    "household": "households",
    "house": "houses",
    "organization": "organizations",
    "place": "places",
    "component": "components",
    "credit": "credit-records",
}
SCHEMA_NAMES = {
    "person": "Person",
    "household": "Household",
    "house": "House",
    "organization": "Organization",
    "place": "Place",
    "component": "Component",
    "credit": "CreditRecord",
}
NOUNS = {
    "person": ("person", "people"),
    "household": ("household", "households"),
    "house": ("house", "houses"),
    "organization": ("organization", "organizations"),
    "place": ("key place", "key places"),
    "component": ("city component", "city components"),
    "credit": ("credit record", "credit records"),
}
# Fields every record has: shown in RecordOut itself, not per kind.
LOCATION = ("region", "address", "lng", "lat")
# Lists show each record with its references: load them with the page.
RELATED: dict[str, tuple[str, ...]] = {
    "person": ("house", "household"),
    "household": ("house", "head"),
    "place": ("organization",),
    "credit": ("subject_person", "subject_organization"),
}
# Audit actions of special-group views; like the records themselves, never shown in a record's history.
SPECIAL_GROUP_VIEW = "registry.special_group.view"
SPECIAL_GROUP_LIST = "registry.special_group.list"
CareGroup = StrEnum("CareGroup", {code: code for code, _label in codes.CARE_GROUPS})  # type: ignore[misc]


def key_of(obj: Record) -> str:
    """What URLs address a record by: its natural key, or the id for people and credit records."""
    if obj.natural_key == "pk" or isinstance(obj, Person):
        return str(obj.pk)
    return str(getattr(obj, obj.natural_key))


# Types of schemas made at run time (``create_model``), which type checkers cannot follow.
def _list_of(item: Any) -> Any:
    return list[item]


def _optional(item: Any) -> Any:
    return item | None


def _schema(name: str, **fields: Any) -> Any:
    return create_model(name, __base__=Schema, **fields)


def _query(model: Any) -> Any:
    return Query[model]  # type: ignore[misc]


# --- output -------------------------------------------------------------------------------------------------


class RecordOut(Schema):
    id: int
    key: str = Field(..., description="What the URLs address the record by")
    region_code: str
    region_name: str
    address: str
    lng: float | None
    lat: float | None
    version: int = Field(..., description="Send it back when you change the record")
    created_at: datetime
    updated_at: datetime
    labels: dict[str, str] = Field({}, description="Display names of the coded values")


def _model_field(model: type[Record], name: str) -> "models.Field[Any, Any] | None":
    try:
        found = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return found if isinstance(found, models.Field) else None


def _out_type(model: type[Record], name: str) -> Any:
    field = _model_field(model, name)
    if field is None or field.is_relation:
        return str | None  # a reference, by the referenced record's key
    if isinstance(field, models.BooleanField):
        return bool
    if isinstance(field, models.IntegerField):
        return int | None
    if isinstance(field, models.DecimalField | models.FloatField):
        return float | None
    if isinstance(field, models.DateField):
        return date | None
    if isinstance(field, models.JSONField):
        return list[str]
    return str


PERSONAL_NOTE = "Masked; the full value needs POST …/{key}/reveal (audited)"
EXTRA_OUT: dict[str, dict[str, Any]] = {
    "person": {
        "birth_date": (date | None, Field(None, description="From the ID number")),
        "sex": (Sex, Field(..., description="GB/T 2261.1; from the ID number")),
        "age": (int | None, None),
    },
    "household": {"head": (int | None, None), "head_name": (str, "")},
    "house": {"is_rental": (bool, False)},
    "component": {"major": (str, ...), "minor": (str, ...), "class_name": (str, "")},
    "credit": {
        "subject_person": (int | None, Field(None, description="The person's id")),
        "subject_name": (str, ""),
    },
}


def _out_model(kind: str) -> type[RecordOut]:
    model = schema.MODELS[kind]
    fields: dict[str, Any] = {}
    for spec in schema.FIELDS[kind]:
        if spec.name in LOCATION:
            continue
        if spec.personal:
            fields[f"{spec.name}_masked"] = (str, Field(..., description=PERSONAL_NOTE))
        else:
            fields[spec.name] = (_out_type(model, spec.name), ...)
    fields.update(EXTRA_OUT.get(kind, {}))
    return create_model(f"{SCHEMA_NAMES[kind]}Out", __base__=RecordOut, **fields)


OUT: dict[str, Any] = {kind: _out_model(kind) for kind in schema.KINDS}


@cache
def _choice_names(model: type[Record], name: str) -> dict[str, str]:
    field = _model_field(model, name)
    if name == "care_groups":
        return dict(codes.CARE_GROUPS)
    return {str(code): str(label) for code, label in field.flatchoices} if field and field.choices else {}


def _masked(name: str, value: str) -> str:
    if not value:
        return ""
    return mask_id_number(value) if name.endswith("id_number") else mask_phone(value)


def _raw(obj: Record, name: str) -> Any:
    if isinstance(obj, CreditRecord) and name == "subject_id_number":
        return obj.subject_person.id_number if obj.subject_person else ""
    if isinstance(obj, CreditRecord) and name == "subject_credit_code":
        return obj.subject_organization.credit_code if obj.subject_organization else None
    return getattr(obj, name, None)


def _plain(value: Any) -> Any:
    if isinstance(value, Record):
        return key_of(value)
    if isinstance(value, Decimal):
        return float(value)
    return value


def _age(birth_date: date | None) -> int | None:
    if birth_date is None:
        return None
    today = timezone.localdate()
    return today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))


def _extras(obj: Record) -> dict[str, Any]:
    if isinstance(obj, Person):
        return {"birth_date": obj.birth_date, "sex": obj.sex, "age": _age(obj.birth_date)}
    if isinstance(obj, Household):
        return {"head": obj.head_id, "head_name": obj.head.name if obj.head else ""}
    if isinstance(obj, House):
        return {"is_rental": obj.is_rental}
    if isinstance(obj, CityComponent):
        return {"major": obj.major, "minor": obj.minor, "class_name": obj.class_name}
    if isinstance(obj, CreditRecord):
        subject = obj.subject_person or obj.subject_organization
        return {"subject_person": obj.subject_person_id, "subject_name": subject.name if subject else ""}
    return {}


def out(obj: Record) -> dict[str, Any]:
    """The record as the API shows it: declared fields with personal data masked, references by key."""
    model = type(obj)
    data: dict[str, Any] = {
        "id": obj.pk,
        "key": key_of(obj),
        "region_code": obj.region_code,
        "region_name": obj.region.name,
        "address": obj.address,
        "lng": obj.lng,
        "lat": obj.lat,
        "version": obj.version,
        "created_at": obj.created_at,
        "updated_at": obj.updated_at,
    }
    labels: dict[str, str] = {}
    for spec in schema.FIELDS[obj.kind]:
        if spec.name in LOCATION:
            continue
        value = _raw(obj, spec.name)
        if spec.personal:
            data[f"{spec.name}_masked"] = _masked(spec.name, value or "")
            continue
        data[spec.name] = _plain(value)
        names = _choice_names(model, spec.name)
        if names and value:
            values = value if isinstance(value, list) else [value]
            labels[spec.name] = "、".join(names.get(str(v), str(v)) for v in values)
    extras = _extras(obj)
    data.update(extras)
    if isinstance(obj, Person):
        labels["sex"] = str(Sex(obj.sex).label) if obj.sex in Sex.values else obj.sex
    if isinstance(obj, CityComponent) and obj.major:
        labels["major"] = _choice_names(model, "major").get(obj.major, obj.major)
    data["labels"] = labels
    return data


# --- input --------------------------------------------------------------------------------------------------


class RecordIn(Schema):
    model_config = ConfigDict(extra="forbid")


def _in_type(model: type[Record], name: str, required: bool) -> Any:
    field = _model_field(model, name)
    if isinstance(field, models.JSONField):
        kind: Any = list[str] | str
    elif isinstance(field, models.BooleanField):
        kind = bool | str
    elif isinstance(field, models.IntegerField | models.DecimalField | models.FloatField):
        kind = int | float | str
    else:
        kind = str
    return kind if required else kind | None


def _describe(spec: schema.Field) -> str:
    notes = [str(spec.help)] if spec.help else []
    if spec.personal:
        notes.append("personal data: shown masked afterwards")
    if spec.name == "care_groups":
        notes.append("a list of codes, or one string separated by commas")
    return "; ".join(notes)


def _input_model(kind: str, *, partial: bool) -> type[RecordIn]:
    """Values as strings or numbers, named as in ``schema.FIELDS``; ``schema.clean`` parses and checks them.

    A new record needs the required fields; a change (``partial``) sends only the fields it changes, null
    or "" clearing an optional one."""
    model = schema.MODELS[kind]
    fields: dict[str, Any] = {}
    if partial:
        fields["version"] = (
            int | None,
            Field(None, description="The version you read; a newer one answers 409"),
        )
    for spec in schema.FIELDS[kind]:
        required = spec.required and not partial
        default = Field(... if required else None, description=_describe(spec) or None)
        fields[spec.name] = (_in_type(model, spec.name, required), default)
    suffix = "Patch" if partial else "In"
    return create_model(f"{SCHEMA_NAMES[kind]}{suffix}", __base__=RecordIn, **fields)


IN = {kind: _input_model(kind, partial=False) for kind in schema.KINDS}
PATCH = {kind: _input_model(kind, partial=True) for kind in schema.KINDS}


def _submitted(values: dict[str, Any]) -> dict[str, Any]:
    """Payload → what ``schema.clean`` reads: lists become comma-separated text."""
    return {
        k: ",".join(str(v) for v in value) if isinstance(value, list) else value
        for k, value in values.items()
    }


class DeleteIn(Schema):
    reason: str = Field(..., max_length=200, description="Why the record is deleted")
    version: int | None = Field(None, description="The version you read; a newer one answers 409")


class DeletedOut(Schema):
    ok: bool = True


class RevealIn(Schema):
    purpose: str = Field("", max_length=200, description="Why you need the full values (required, audited)")


# --- listing ------------------------------------------------------------------------------------------------


class RecordFilter(Schema):
    q: str = Field(
        "", max_length=50, description="Name, its pinyin or initials, ID number, phone, code, or words"
    )
    region: str = Field("", max_length=18, description="Region code prefix")
    after: int | None = Field(None, description="Keyset: records with a smaller id than this")
    limit: int = Field(50, ge=1, le=1000)


# Filters beyond q/region: what ``queries.records`` applies (field lookups, "group", "care_group", "rental").
FILTERS: dict[str, dict[str, Any]] = {
    "person": {
        "population_type": (PopulationType | None, None),
        "care_group": (CareGroup | None, None),
        "group": (
            SpecialGroup | None,
            Field(None, description="Special group: only for the roles that work with them"),
        ),
        "sex": (Sex | None, None),
    },
    "household": {},
    "house": {
        "use": (str, Field("", max_length=2, description="ArchitecturalUse code")),
        "rental": (bool | None, Field(None, description="Rented out (or not)")),
    },
    "organization": {
        "org_kind": (OrganizationKind | None, None),
        "risk_level": (RiskLevel | None, None),
        "industry": (str, Field("", max_length=1, description="GB/T 4754 section letter")),
    },
    "place": {"place_type": (PlaceType | None, None), "risk_level": (RiskLevel | None, None)},
    "component": {
        "state": (ComponentState | None, None),
        "major": (str, Field("", max_length=2, description="Major class code, e.g. 01")),
    },
    "credit": {"credit_kind": (CreditKind | None, None)},
}
FILTER_MODELS: dict[str, Any] = {
    kind: create_model(f"{SCHEMA_NAMES[kind]}Filter", __base__=RecordFilter, **FILTERS[kind])
    for kind in schema.KINDS
}


def _filtered(user: Any, kind: str, wanted: dict[str, Any]) -> QuerySet[Any]:
    return queries.records(user, kind, **wanted).select_related(*RELATED.get(kind, ()))


def keyset_page(qs: QuerySet[Any], after: int | None, limit: int) -> tuple[list[Any], int | None]:
    """Newest first, ``limit`` at a time; the next page starts below the last id (as events do)."""
    qs = qs.order_by("-id")
    if after is not None:
        qs = qs.filter(pk__lt=after)
    items = list(qs[: limit + 1])
    more = len(items) > limit
    items = items[:limit]
    return items, (items[-1].pk if more else None)


def _page_model(name: str, item: Any) -> Any:
    return _schema(
        name,
        items=(_list_of(item), ...),
        next_after=(int | None, Field(None, description="Pass as `after` for the next page")),
    )


PAGES = {kind: _page_model(f"{SCHEMA_NAMES[kind]}Page", OUT[kind]) for kind in schema.KINDS}


# --- history ------------------------------------------------------------------------------------------------


class HistoryEntryOut(Schema):
    id: int
    at: datetime
    action: str
    username: str
    unit_code: str
    result: str
    changes: dict[str, Any] = Field(..., description="Field → {before, after}; personal data masked")


HistoryPage = _page_model("HistoryPage", HistoryEntryOut)


class HistoryFilter(Schema):
    after: int | None = Field(None, description="Keyset: entries with a smaller id than this")
    limit: int = Field(50, ge=1, le=200)


def _history(user: Any, obj: Record) -> QuerySet[Any]:
    """Changes to the record. Who viewed its personal data in full: for admins only (as
    ``queries.viewers``); special-group views: for nobody here (even that would say too much)."""
    entries = queries.history(user, obj).exclude(action__startswith="registry.special_group.")
    if not has_role(user, Role.ADMIN):
        entries = entries.exclude(action__endswith=".reveal")
    return entries


# --- the generic routes -------------------------------------------------------------------------------------


def _route(
    method: str, path: str, op: str, summary: str, response: dict[int, Any], **annotations: Any
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``view`` for one kind: its parameter types are that kind's generated schemas."""

    def register(view: Callable[..., Any]) -> Callable[..., Any]:
        view.__annotations__.update(annotations)
        view.__name__ = view.__qualname__ = op
        router.api_operation(
            [method.upper()], path, response=response, summary=summary, operation_id=f"registry_{op}"
        )(view)
        return view

    return register


def _register(kind: str) -> None:
    base = f"/{SEGMENTS[kind]}"
    one, many = NOUNS[kind]
    record_out = OUT[kind]

    @_route(
        "get",
        base,
        f"{kind}_list",
        f"Search {many} in your jurisdiction",
        responses(PAGES[kind]),
        filters=_query(FILTER_MODELS[kind]),
    )
    def list_records(request: HttpRequest, filters: Any) -> Any:
        wanted = filters.dict()
        after, limit = wanted.pop("after"), wanted.pop("limit")
        items, next_after = keyset_page(_filtered(request.user, kind, dict(wanted)), after, limit)
        if wanted.get("group") and has_role(request.user, *queries.SPECIAL_GROUP_ROLES):
            # Who is in a group is sensitive: the log names the people shown, never the group.
            record(
                SPECIAL_GROUP_LIST,
                actor=request.user,
                object_type=SpecialGroupRecord._meta.label_lower,
                changes={"people": [p.pk for p in items]},
            )
        return {"items": [out(obj) for obj in items], "next_after": next_after}

    @_route("get", f"{base}/{{key}}", f"{kind}_get", f"One {one}", responses(record_out))
    def get_record(request: HttpRequest, key: str) -> Any:
        return out(queries.get(request.user, kind, key))

    @_route(
        "post",
        base,
        f"{kind}_create",
        f"Create a {one} (grid workers, village cadres, admins)",
        responses(record_out, 201),
        payload=IN[kind],
    )
    def create_record(request: HttpRequest, payload: Any) -> Any:
        obj = actions.create(request.user, kind, _submitted(payload.dict()))
        return Status(201, out(obj))

    @_route(
        "patch",
        f"{base}/{{key}}",
        f"{kind}_update",
        f"Change a {one} (send only the fields you change)",
        responses(record_out),
        payload=PATCH[kind],
    )
    def update_record(request: HttpRequest, key: str, payload: Any) -> Any:
        obj = queries.get(request.user, kind, key)
        data = payload.dict(exclude_unset=True)
        version = data.pop("version", None)
        obj = actions.update(request.user, obj, _submitted(data), expected_version=version)
        return out(obj)

    @_route(
        "post",
        f"{base}/{{key}}/delete",
        f"{kind}_delete",
        f"Delete a {one} (with a reason)",
        responses(DeletedOut),
    )
    def delete_record(request: HttpRequest, key: str, payload: DeleteIn) -> Any:
        obj = queries.get(request.user, kind, key)
        actions.delete(request.user, obj, payload.reason, expected_version=payload.version)
        return {"ok": True}

    @_route(
        "get",
        f"{base}/{{key}}/history",
        f"{kind}_history",
        f"Change history of a {one}",
        responses(HistoryPage),
    )
    def record_history(request: HttpRequest, key: str, filters: Query[HistoryFilter]) -> Any:
        obj = queries.get(request.user, kind, key)
        items, next_after = keyset_page(_history(request.user, obj), filters.after, filters.limit)
        return {"items": items, "next_after": next_after}

    if any(spec.personal for spec in schema.FIELDS[kind]):

        @_route(
            "post",
            f"{base}/{{key}}/reveal",
            f"{kind}_reveal",
            f"Personal data of a {one} in full (audited)",
            responses(dict[str, str]),
        )
        def reveal(request: HttpRequest, key: str, payload: RevealIn) -> Any:
            return actions.reveal(request.user, queries.get(request.user, kind, key), purpose=payload.purpose)


for _kind in schema.KINDS:
    _register(_kind)


# --- people: special groups ---------------------------------------------------------------------------------


class CodeName(Schema):
    code: str
    name: str


class SpecialGroupOut(Schema):
    id: int
    group: SpecialGroup
    group_label: str
    details: dict[str, CodeName] = Field(..., description="Field → coded value (GB/T 31000 tables)")
    started_on: date | None
    ended_on: date | None
    responsible: str | None = Field(None, description="Username of the responsible grid worker")
    responsible_name: str = ""
    version: int


class SpecialGroupIn(Schema):
    group: SpecialGroup
    details: dict[str, str] = Field({}, description="Field → code or name, per group (GB/T 31000)")
    started_on: date | None = None
    responsible: str | None = Field(None, max_length=150, description="Username of a grid worker there")


class SpecialGroupEndIn(Schema):
    ended_on: date | None = Field(None, description="Defaults to today")
    version: int | None = Field(None, description="The version you read; a newer one answers 409")


def _special_group_out(view: queries.SpecialGroupView) -> dict[str, Any]:
    responsible = view.responsible
    return {
        "id": view.id,
        "group": view.group,
        "group_label": view.group_label,
        "details": {k: {"code": c, "name": n} for k, (c, n) in view.details.items()},
        "started_on": view.started_on,
        "ended_on": view.ended_on,
        "responsible": responsible.username if responsible else None,
        "responsible_name": responsible.full_name if responsible else "",
        "version": view.version,
    }


def _special_groups(user: Any, person: Person, purpose: str) -> list[dict[str, Any]] | None:
    """The person's special-group records for those who may see them (the view audited), else None."""
    views = queries.special_groups(user, person)
    if views is None:
        return None
    record_sensitive_view(user, person, ["special_groups"], purpose=purpose, action=SPECIAL_GROUP_VIEW)
    return [_special_group_out(v) for v in views]


def _person_for_special_groups(user: Any, key: str) -> Person:
    """The person, if the user may work with their special groups. Everyone else gets the same 403 for
    every person, whether or not the person is in a group."""
    person = queries.get(user, "person", key)
    assert isinstance(person, Person)
    if not queries.may_see_special_groups(user, person):
        raise PermissionDenied()
    return person


def _responsible(user: Any, username: str | None) -> User | None:
    if not username:
        return None
    try:
        return account_queries.user(user, username)
    except NotFound:
        raise field_error("responsible", _("No such user in your jurisdiction."), "unknown_user") from None


@router.get(
    "/people/{key}/special-groups",
    response=responses(list[SpecialGroupOut]),
    summary="A person's special-group records (safety officers and grid workers; audited)",
    operation_id="registry_person_special_groups",
)
def person_special_groups(request: HttpRequest, key: str, purpose: str = Query("", max_length=200)) -> Any:
    person = _person_for_special_groups(request.user, key)
    return _special_groups(request.user, person, purpose)


@router.post(
    "/people/{key}/special-groups",
    response=responses(SpecialGroupOut, 201),
    summary="Put a person in a special group",
    operation_id="registry_person_add_special_group",
)
def add_special_group(request: HttpRequest, key: str, payload: SpecialGroupIn) -> Any:
    person = _person_for_special_groups(request.user, key)
    entry = actions.add_special_group(
        request.user,
        person,
        payload.group,
        payload.details,
        started_on=payload.started_on,
        responsible=_responsible(request.user, payload.responsible),
    )
    views = queries.special_groups(request.user, person) or []
    return Status(201, _special_group_out(next(v for v in views if v.id == entry.pk)))


@router.post(
    "/people/{key}/special-groups/{entry_id}/end",
    response=responses(SpecialGroupOut),
    summary="End a person's special-group record",
    operation_id="registry_person_end_special_group",
)
def end_special_group(request: HttpRequest, key: str, entry_id: int, payload: SpecialGroupEndIn) -> Any:
    person = _person_for_special_groups(request.user, key)
    entry = get_in_scope(SpecialGroupRecord.objects.filter(person=person), request.user, pk=entry_id)
    actions.end_special_group(
        request.user, entry, payload.ended_on or timezone.localdate(), expected_version=payload.version
    )
    views = queries.special_groups(request.user, person) or []
    return _special_group_out(next(v for v in views if v.id == entry.pk))


# --- 360° overviews and tenants -----------------------------------------------------------------------------


class EventRef(Schema):
    id: int
    ref: str
    title: str
    state: str
    category_name: str
    address: str
    reported_at: datetime


class TenancyOut(Schema):
    id: int
    house: str = Field(..., description="House code")
    house_address: str
    person: int
    person_name: str
    start_date: date | None
    end_date: date | None


class TenantIn(Schema):
    person: int = Field(..., description="The tenant's id")
    start_date: date | None = None
    end_date: date | None = None


def _event_ref(event: Any) -> dict[str, Any]:
    return {
        "id": event.pk,
        "ref": event.ref,
        "title": event.title,
        "state": event.state,
        "category_name": event.category.name,
        "address": event.address,
        "reported_at": event.reported_at,
    }


def _tenancy_out(tenancy: Tenancy) -> dict[str, Any]:
    return {
        "id": tenancy.pk,
        "house": tenancy.house.code,
        "house_address": tenancy.house.address,
        "person": tenancy.person_id,
        "person_name": tenancy.person.name,
        "start_date": tenancy.start_date,
        "end_date": tenancy.end_date,
    }


def _visible(user: Any, obj: Record | None) -> bool:
    """A referenced record is shown only if it is alive and inside the user's jurisdiction."""
    return obj is not None and not obj.is_deleted and covers(user, obj.region_code)


def _outs(user: Any, objs: Any) -> list[dict[str, Any]]:
    return [out(obj) for obj in objs if _visible(user, obj)]


PersonOverviewOut = _schema(
    "PersonOverviewOut",
    person=(OUT["person"], ...),
    household=(_optional(OUT["household"]), None),
    household_members=(_list_of(OUT["person"]), []),
    house=(_optional(OUT["house"]), None),
    tenancies=(list[TenancyOut], []),
    owned_houses=(_list_of(OUT["house"]), []),
    credit_records=(_list_of(OUT["credit"]), []),
    special_groups=(
        list[SpecialGroupOut] | None,
        Field(None, description="null unless you work with special groups (the view is audited)"),
    ),
    events=(list[EventRef], []),
)
HouseOverviewOut = _schema(
    "HouseOverviewOut",
    house=(OUT["house"], ...),
    residents=(_list_of(OUT["person"]), []),
    tenancies=(list[TenancyOut], []),
    households=(_list_of(OUT["household"]), []),
    events=(list[EventRef], []),
)
OrganizationOverviewOut = _schema(
    "OrganizationOverviewOut",
    organization=(OUT["organization"], ...),
    credit_records=(_list_of(OUT["credit"]), []),
    places=(_list_of(OUT["place"]), []),
    events=(list[EventRef], []),
)


@router.get(
    "/people/{key}/overview",
    response=responses(PersonOverviewOut),
    summary="A person at a glance: household, house, credit, special groups, events",
    operation_id="registry_person_overview",
)
def person_overview(request: HttpRequest, key: str) -> Any:
    user = request.user
    person = queries.get(user, "person", key)
    assert isinstance(person, Person)
    found = queries.person_360(user, person)
    household, house = found["household"], found["house"]
    return {
        "person": out(person),
        "household": out(household) if _visible(user, household) else None,
        "household_members": _outs(
            user, found["household_members"].select_related("region", *RELATED["person"])
        ),
        "house": out(house) if _visible(user, house) else None,
        "tenancies": [_tenancy_out(t) for t in found["tenancies"] if _visible(user, t.house)],
        "owned_houses": _outs(user, found["owned_houses"].select_related("region")),
        "credit_records": _outs(user, found["credit_records"].select_related("region", *RELATED["credit"])),
        "special_groups": _special_groups(user, person, "overview"),
        "events": [_event_ref(e) for e in found["events"].select_related("category")],
    }


@router.get(
    "/houses/{key}/overview",
    response=responses(HouseOverviewOut),
    summary="A house at a glance: residents, tenants, households, events",
    operation_id="registry_house_overview",
)
def house_overview(request: HttpRequest, key: str) -> Any:
    user = request.user
    house = queries.get(user, "house", key)
    assert isinstance(house, House)
    found = queries.house_360(user, house)
    return {
        "house": out(house),
        "residents": _outs(user, found["residents"].select_related("region", *RELATED["person"])),
        "tenancies": [_tenancy_out(t) for t in found["tenancies"] if _visible(user, t.person)],
        "households": _outs(user, found["households"].select_related("region", *RELATED["household"])),
        "events": [_event_ref(e) for e in found["events"].select_related("category")],
    }


@router.post(
    "/houses/{key}/tenants",
    response=responses(TenancyOut, 201),
    summary="Register a tenant of a rented house",
    operation_id="registry_house_add_tenant",
)
def add_tenant(request: HttpRequest, key: str, payload: TenantIn) -> Any:
    user = request.user
    house = queries.get(user, "house", key)
    assert isinstance(house, House)
    if not has_role(user, *actions.EDITOR_ROLES):
        raise PermissionDenied()
    person = Person.objects.alive().restrict(user).filter(pk=payload.person).first()
    if person is None:
        raise field_error(
            "person", _("No such person or organization in your jurisdiction."), "unknown_person"
        )
    tenancy = actions.add_tenant(user, house, person, payload.start_date, payload.end_date)
    return Status(201, _tenancy_out(tenancy))


@router.get(
    "/organizations/{key}/overview",
    response=responses(OrganizationOverviewOut),
    summary="An organization at a glance: credit records, key places, events",
    operation_id="registry_organization_overview",
)
def organization_overview(request: HttpRequest, key: str) -> Any:
    user = request.user
    organization = queries.get(user, "organization", key)
    assert isinstance(organization, Organization)
    found = queries.organization_360(user, organization)
    return {
        "organization": out(organization),
        "credit_records": _outs(user, found["credit_records"].select_related("region", *RELATED["credit"])),
        "places": _outs(user, found["places"].select_related("region", *RELATED["place"])),
        "events": [_event_ref(e) for e in found["events"].select_related("category")],
    }
