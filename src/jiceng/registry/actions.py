"""Every write to the base data: create, edit, soft delete, full views of personal data, special groups.

Values arrive as strings or JSON (API, forms, import rows), are cleaned by ``schema.clean`` and resolved here
into model values: codes become records inside the actor's jurisdiction, an ID number gives birth date and
sex, phones and ID numbers get their blind indexes, coordinates give the grid. Imports use ``Resolver`` and
``model_values`` too, in batches (see ``registry.imports``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.accounts.permissions import require_role
from jiceng.accounts.roles import Role
from jiceng.audit.actions import diff, record, record_sensitive_view
from jiceng.core.concurrency import update_versioned
from jiceng.core.crypto import blind_index, blind_indexer
from jiceng.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied, field_error
from jiceng.core.scope import covers, get_in_scope, jurisdiction_prefix
from jiceng.core.validators import IdNumber, mask_id_number, mask_phone
from jiceng.org import locate
from jiceng.org.models import Region, RegionLevel
from jiceng.registry import codes, queries, schema, search
from jiceng.registry.models import (
    CityComponent,
    CreditRecord,
    House,
    Household,
    KeyPlace,
    Organization,
    Person,
    Record,
    SpecialGroup,
    SpecialGroupRecord,
    Tenancy,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from jiceng.accounts.models import User

EDITOR_ROLES = (Role.GRID_WORKER, Role.VILLAGE_CADRE, Role.ADMIN)
PLACE_LEVELS = {RegionLevel.GRID, RegionLevel.MICROGRID, RegionLevel.VILLAGE}
PHONE_INDEXES = {
    "phone": "phone_index",
    "contact_phone": "contact_phone_index",
    "responsible_phone": "responsible_phone_index",
}


class RowError(InvalidInput):
    """A record that cannot be written; ``details`` maps field → messages, ``errors`` field → (code, message).

    One problem gives its own code (like ``field_error``: "unknown_region", "duplicate", …); several give
    "invalid_input"."""

    def __init__(self, errors: dict[str, list[tuple[str, str]]]) -> None:
        first_field, first = next(iter(errors.items()))
        only = len(errors) == 1 and len(first) == 1
        super().__init__(
            first[0][1],
            code=first[0][0] if only else "invalid_input",
            details={k: [m for _c, m in v] for k, v in errors.items()},
        )
        self.errors = errors
        self.field = first_field


def _error(name: str, code: str, message: str) -> RowError:
    return RowError({name: [(code, message)]})


@dataclass
class Resolver:
    """Looks up referenced records inside one user's jurisdiction, remembering what it found."""

    user: Any
    prefix: str = field(init=False)
    cache: dict[tuple[str, str], Any] = field(default_factory=dict)
    index: Callable[[str], str] = field(init=False, repr=False)  # blind_index, key bound once

    def __post_init__(self) -> None:
        prefix = jurisdiction_prefix(self.user)
        if prefix is None:
            raise PermissionDenied()
        self.prefix = prefix
        self.index = blind_indexer()

    def _get(self, key: tuple[str, str], load: Any) -> Any:
        if key not in self.cache:
            self.cache[key] = load()
        return self.cache[key]

    def region(self, code: str) -> Region | None:
        key = ("region", code)
        if key in self.cache:  # every row of an import asks
            return self.cache[key]

        def load() -> Region | None:
            found = Region.objects.filter(code=code, is_active=True).first()
            return found if found and found.code.startswith(self.prefix) else None

        return self._get(key, load)

    def by_key(self, model: type[Record], key: str) -> Any:
        def load() -> Any:
            return model.objects.alive().restrict(self.user).filter(**{model.natural_key: key}).first()

        return self._get((model.kind, key), load)

    def remember(self, obj: Record) -> None:
        self.cache[(obj.kind, str(getattr(obj, obj.natural_key)))] = obj


def _region_for(values: dict[str, Any], resolver: Resolver, instance: Record | None, fallback: Any) -> Region:
    """The record's grid or village: the code given, else the one its coordinates lie in, else its house's
    or household's. Coordinates beside a code must not contradict it (the form, the API and imports
    alike): not in another jurisdiction's grid, not outside the given region's own boundary. Without
    boundary data (a county that has not drawn its grids yet) a code with coordinates is taken as given."""
    code = values.pop("region", None)
    has_point = values.get("lng") is not None and values.get("lat") is not None
    located = locate.locate(values["lng"], values["lat"]) if has_point else None
    outside = _error("lng", "outside_jurisdiction", _("The point is not inside a grid of your jurisdiction."))
    if located is not None and (
        not located.code.startswith(resolver.prefix) or located.level not in PLACE_LEVELS
    ):
        raise outside
    if code:
        region = resolver.region(code)
        if region is None:
            raise _error("region", "unknown_region", _("No such grid or village in your jurisdiction."))
        if region.level not in PLACE_LEVELS:
            raise _error("region", "not_a_grid", _("Give a grid or a village, not a higher level."))
        if has_point and located is None and region.boundary:
            raise outside
        return region
    if has_point:
        if located is None:
            raise outside
        return located
    if fallback is not None:
        return fallback.region
    if instance is not None:
        return instance.region
    raise _error("region", "region_required", _("Give the grid or village code, or the coordinates."))


def model_values(
    kind: str, values: dict[str, Any], resolver: Resolver, instance: Record | None = None
) -> dict[str, Any]:
    """Cleaned values → model field values, references resolved in the actor's jurisdiction."""
    model = schema.MODELS[kind]
    out = dict(values)
    fallback: Any = None
    if kind == "person":
        parsed: IdNumber | None = out.pop("id_number", None) if "id_number" in out else None
        if "id_number" in values:
            out["id_number"] = parsed.number if parsed else ""
            out["id_number_index"] = resolver.index(parsed.number) if parsed else ""
            if parsed:
                out["birth_date"] = parsed.birth_date
                out["sex"] = "1" if parsed.sex == "M" else "2"
        if out.get("care_groups") is None and "care_groups" in out:
            out["care_groups"] = []
    for ref, ref_model in (("house", House), ("household", Household)):
        if kind in ("person", "household") and ref in out:
            key = out.pop(ref)
            target = resolver.by_key(ref_model, key) if key else None
            if key and target is None:
                raise _error(
                    ref, f"unknown_{ref}", _("No such record in your jurisdiction: %(k)s") % {"k": key}
                )
            out[ref] = target
            fallback = fallback or target
    if kind == "place" and "organization" in out:
        key = out.pop("organization")
        org = resolver.by_key(Organization, key) if key else None
        if key and org is None:
            raise _error(
                "organization", "unknown_organization", _("No such organization in your jurisdiction.")
            )
        out["organization"] = org
    if kind == "credit":
        id_number, credit_code = out.pop("subject_id_number", None), out.pop("subject_credit_code", None)
        if id_number or credit_code:
            subject = (
                resolver.by_key(Person, resolver.index(id_number.number))
                if id_number
                else resolver.by_key(Organization, credit_code)
            )
            if subject is None:
                raise _error(
                    "subject_id_number" if id_number else "subject_credit_code",
                    "unknown_subject",
                    _("No such person or organization in your jurisdiction."),
                )
            out["subject_person"] = subject if id_number else None
            out["subject_organization"] = subject if credit_code else None
            fallback = subject
            out["address"] = subject.address
            out["lng"], out["lat"] = subject.lng, subject.lat
    if kind == "component" and "code" in out:
        out["major"], out["minor"] = out["code"][6:8], out["code"][6:10]
        if not out.get("name"):
            out["name"] = codes.COMPONENT_CLASSES.get(out["minor"], "")
    for name, index in PHONE_INDEXES.items():
        if name in out:
            out[name] = out[name] or ""
            out[index] = resolver.index(out[name]) if out[name] else ""
    if kind == "credit" and fallback is not None:
        out["region"], out["region_code"] = fallback.region, fallback.region_code
    elif instance is None or "region" in values or values.get("lng") is not None or fallback is not None:
        region = _region_for(out, resolver, instance, fallback)
        out["region"], out["region_code"] = region, region.code
    out.pop("region", None) if not isinstance(out.get("region"), Region) else None
    not_null = _not_null(model)
    for name, value in list(out.items()):
        if value is None and name in not_null:
            model_field = not_null[name]
            out[name] = model_field.get_default() if model_field.has_default() else ""
    return out


@cache
def _not_null(model: type[Record]) -> dict[str, Any]:
    return {f.name: f for f in model._meta.fields if not f.null}


def derived(obj: Record) -> dict[str, str]:
    """Columns computed from the others: the search words, and the name's pinyin and initials."""
    values = {"search_text": text_for(obj)}
    if hasattr(obj, "name_pinyin"):
        values["name_pinyin"], values["name_initials"] = search.name_keys(obj.name)  # type: ignore[attr-defined]
    return values


def text_for(obj: Record) -> str:
    """The words search finds the record by (see ``registry.search``)."""
    if isinstance(obj, Person):
        return search.search_text(
            names=[obj.name],
            texts=[obj.address, obj.hukou_address, obj.occupation],
            tails=[obj.id_number, obj.phone],
        )
    if isinstance(obj, Household):
        return search.search_text(texts=[obj.number, obj.address])
    if isinstance(obj, House):
        return search.search_text(names=[obj.owner_name], texts=[obj.code, obj.address])
    if isinstance(obj, Organization):
        return search.search_text(names=[obj.name, obj.legal_representative], texts=[obj.address])
    if isinstance(obj, KeyPlace):
        return search.search_text(names=[obj.name, obj.responsible_name], texts=[obj.code, obj.address])
    if isinstance(obj, CityComponent):
        return search.search_text(names=[obj.name], texts=[obj.code, obj.class_name, obj.address])
    if isinstance(obj, CreditRecord):
        return search.search_text(texts=[obj.title, obj.source, obj.document_number, obj.description])
    return ""


def snapshot(kind: str, obj: Record) -> dict[str, Any]:
    """What the change history shows: every declared field, personal data masked."""
    result: dict[str, Any] = {}
    for spec in schema.FIELDS[kind]:
        if spec.name == "region":
            result["region"] = obj.region_code
            continue
        if spec.name in ("subject_id_number", "subject_credit_code"):
            continue
        value = getattr(obj, spec.name, None)
        if isinstance(value, Record):
            value = str(getattr(value, value.natural_key))
        if spec.name == "id_number":
            value = mask_id_number(value) if value else ""
        elif spec.personal:
            value = mask_phone(value) if value else ""
        result[spec.name] = (
            value if value is None or isinstance(value, str | int | float | bool | list) else str(value)
        )
    return json.loads(json.dumps(result, default=str))


def _editor(actor: User | AnonymousUser | None) -> User:
    return require_role(actor, *EDITOR_ROLES)


def _check_unique(kind: str, values: dict[str, Any], instance: Record | None) -> None:
    model = schema.MODELS[kind]
    key = model.natural_key
    if key == "pk" or not values.get(key):
        return
    clash = model.objects.filter(**{key: values[key]})
    if instance is not None:
        clash = clash.exclude(pk=instance.pk)
    if clash.exists():
        name = "id_number" if kind == "person" else key
        raise _error(
            name,
            "duplicate",
            _("A record with this %(f)s exists already.") % {"f": schema.field_map(kind)[name].label},
        )


def create(actor: User | AnonymousUser | None, kind: str, data: dict[str, Any]) -> Record:
    """A new record of ``kind`` from submitted values, inside the actor's jurisdiction."""
    user = _editor(actor)
    cleaned = schema.clean(kind, data)
    if not cleaned.ok:
        raise RowError(cleaned.errors)
    with transaction.atomic():
        values = model_values(kind, cleaned.values, Resolver(user))
        _check_unique(kind, values, None)
        model = schema.MODELS[kind]
        obj = model(**values, created_by=user, updated_by=user)
        for name, value in derived(obj).items():
            setattr(obj, name, value)
        try:
            with transaction.atomic():
                obj.save(force_insert=True)
        except IntegrityError as exc:
            raise Conflict(_("A record with the same key was saved at the same time.")) from exc
        _after_save(kind, obj)
        record(f"registry.{kind}.create", actor=user, obj=obj, changes=diff({}, snapshot(kind, obj)))
    return obj


def update(
    actor: User | AnonymousUser | None,
    obj: Record,
    data: dict[str, Any],
    *,
    expected_version: int | None = None,
) -> Record:
    """Change the submitted fields of a record (compare-and-set on its version)."""
    user = _editor(actor)
    kind = obj.kind
    obj = get_in_scope(type(obj).objects.alive(), user, pk=obj.pk)
    natural = "id_number" if kind == "person" else obj.natural_key
    if (
        natural in data
        and natural != "pk"
        and kind != "person"
        and str(data[natural]).strip().upper() != str(getattr(obj, natural))
    ):
        raise field_error(natural, _("The code identifies the record and cannot be changed."), "immutable")
    cleaned = schema.clean(kind, data, partial=True)
    if not cleaned.ok:
        raise RowError(cleaned.errors)
    with transaction.atomic():
        before = snapshot(kind, obj)
        values = model_values(kind, cleaned.values, Resolver(user), instance=obj)
        _check_unique(kind, values, obj)
        for name, value in values.items():
            setattr(obj, name, value)
        values.update(derived(obj))
        values["updated_by"] = user
        update_versioned(obj, expected_version, values)
        _after_save(kind, obj)
        record(f"registry.{kind}.update", actor=user, obj=obj, changes=diff(before, snapshot(kind, obj)))
    return obj


def delete(
    actor: User | AnonymousUser | None, obj: Record, reason: str, *, expected_version: int | None = None
) -> Record:
    """Soft delete with a reason: the record leaves lists and searches; its history stays."""
    user = _editor(actor)
    obj = get_in_scope(type(obj).objects.alive(), user, pk=obj.pk)
    reason = (reason or "").strip()
    if not reason:
        raise field_error("reason", _("Say why the record is deleted."), "reason_required")
    with transaction.atomic():
        update_versioned(
            obj,
            expected_version,
            {"deleted_at": timezone.now(), "deleted_reason": reason[:200], "updated_by": user},
        )
        record(f"registry.{obj.kind}.delete", actor=user, obj=obj, changes={"reason": reason[:200]})
    return obj


def _after_save(kind: str, obj: Record) -> None:
    if isinstance(obj, Person) and obj.household_id and obj.relation_to_head == "02":
        Household.objects.filter(pk=obj.household_id).update(head=obj)
    if isinstance(obj, Person):
        SpecialGroupRecord.objects.filter(person=obj).exclude(region_code=obj.region_code).update(
            region_code=obj.region_code
        )


# --- personal data in full --------------------------------------------------------------------------------


def reveal(actor: User | AnonymousUser | None, obj: Record, purpose: str = "") -> dict[str, str]:
    """The record's personal data in full, for roles that may ask; every call is audited."""
    user = require_role(actor, *queries.REVEAL_ROLES)
    obj = get_in_scope(type(obj).objects.all(), user, pk=obj.pk)
    if not purpose.strip():  # as the page asks: every full view says why (个人信息保护法)
        raise field_error("purpose", _("Say why you need the full values."), "purpose_required")
    fields = [s.name for s in schema.FIELDS[obj.kind] if s.personal and hasattr(obj, s.name)]
    values = {name: str(getattr(obj, name) or "") for name in fields}
    record_sensitive_view(
        user, obj, fields, purpose=purpose.strip()[:200], action=f"registry.{obj.kind}.reveal"
    )
    return values


# --- special groups ---------------------------------------------------------------------------------------


def _clean_details(group: str, details: dict[str, Any]) -> dict[str, str]:
    allowed = {**codes.SPECIAL_GROUP_FIELDS[group], **codes.COMMON_SPECIAL_GROUP_FIELDS}
    cleaned: dict[str, str] = {}
    errors: dict[str, list[tuple[str, str]]] = {}
    for name, value in (details or {}).items():
        if name not in allowed:
            errors.setdefault(name, []).append(("unknown_field", _("Not a field of this group.")))
            continue
        if value in (None, ""):
            continue
        table = codes.table(allowed[name])
        value = str(value)
        code = value if value in table else next((c for c, n in table.items() if n == value), None)
        if code is None:
            errors.setdefault(name, []).append(
                ("unknown_code", _("Unknown value “%(value)s”.") % {"value": value[:40]})
            )
        else:
            cleaned[name] = code
    if errors:
        raise RowError(errors)
    return cleaned


def add_special_group(
    actor: User | AnonymousUser | None,
    person: Person,
    group: str,
    details: dict[str, Any] | None = None,
    *,
    started_on: date | None = None,
    responsible: User | None = None,
) -> SpecialGroupRecord:
    """Put a person in a special group with its coded details (GB/T 31000)."""
    user = require_role(actor, *queries.SPECIAL_GROUP_ROLES)
    person = get_in_scope(Person.objects.alive(), user, pk=person.pk)
    if not queries.may_see_special_groups(user, person):
        raise PermissionDenied()
    if group not in SpecialGroup.values:
        raise field_error("group", _("Unknown special group."), "unknown_group")
    clean = _clean_details(group, details or {})
    if responsible is not None and not covers(responsible, person.region_code):
        raise field_error(
            "responsible",
            _("The responsible grid worker must work where the person lives."),
            "invalid_responsible",
        )
    with transaction.atomic():
        if SpecialGroupRecord.objects.filter(
            person=person, group_index=blind_index(f"group:{group}"), ended_on__isnull=True
        ).exists():
            raise field_error("group", _("The person is in this group already."), "duplicate")
        entry = SpecialGroupRecord.objects.create(
            person=person,
            region_code=person.region_code,
            group=group,
            group_index=blind_index(f"group:{group}"),
            details=json.dumps(clean, ensure_ascii=False),
            started_on=started_on,
            responsible=responsible,
        )
        # The audit entry names the record, never the group: the log is read by more people than the tags.
        record("registry.special_group.create", actor=user, obj=entry, changes={"person": person.pk})
    return entry


def end_special_group(
    actor: User | AnonymousUser | None,
    entry: SpecialGroupRecord,
    ended_on: date,
    *,
    expected_version: int | None = None,
) -> SpecialGroupRecord:
    user = require_role(actor, *queries.SPECIAL_GROUP_ROLES)
    entry = get_in_scope(SpecialGroupRecord, user, pk=entry.pk)
    if not queries.may_see_special_groups(user, entry.person):
        raise NotFound()
    with transaction.atomic():
        update_versioned(entry, expected_version, {"ended_on": ended_on})
        record(
            "registry.special_group.end", actor=user, obj=entry, changes={"ended_on": ended_on.isoformat()}
        )
    return entry


def add_tenant(
    actor: User | AnonymousUser | None, house: House, person: Person, start: date | None, end: date | None
) -> Tenancy:
    user = _editor(actor)
    house = get_in_scope(House.objects.alive(), user, pk=house.pk)
    person = get_in_scope(Person.objects.alive(), user, pk=person.pk)
    if not house.rental_use:
        raise field_error("house", _("The house is not registered as rented out."), "not_rented")
    if start and end and end < start:
        raise field_error("end_date", _("The end is before the start."), "invalid_period")
    with transaction.atomic():
        tenancy = Tenancy.objects.create(house=house, person=person, start_date=start, end_date=end)
        record("registry.house.tenant", actor=user, obj=house, changes={"person": person.pk})
    return tenancy
