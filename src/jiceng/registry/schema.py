"""Each registry kind's fields, declared once: how each is parsed and validated, its Chinese column header
for imports and exports, and whether it holds personal data. API, pages and imports all clean through
``clean()``, so a value is accepted or refused the same way everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from jiceng.core.validators import InvalidValue, parse_credit_code, parse_id_number, parse_phone
from jiceng.registry import codes
from jiceng.registry.models import (
    CityComponent,
    ComponentState,
    CreditKind,
    CreditRecord,
    House,
    Household,
    KeyPlace,
    Organization,
    OrganizationKind,
    Person,
    PlaceType,
    PopulationType,
    Record,
    RiskLevel,
)


class FieldError(ValueError):
    def __init__(self, message: Any, code: str = "invalid_value") -> None:
        super().__init__(str(message))
        self.message = str(message)
        self.code = code


Parser = Callable[[str], Any]


@dataclass(frozen=True)
class Field:
    name: str  # model field (or a pseudo field such as "region")
    label: Any  # column header and form label (lazy, Chinese first)
    parse: Parser
    required: bool = False
    personal: bool = False  # masked by default, shown in full only on request
    help: Any = ""  # lazy text: a note on the column (import page)


# --- parsers ------------------------------------------------------------------------------------------------


def text(max_length: int) -> Parser:
    def parse(value: str) -> str:
        if len(value) > max_length:
            raise FieldError(_("At most %(n)d characters.") % {"n": max_length}, "too_long")
        return value

    return parse


def choice(options: list[tuple[str, Any]]) -> Parser:
    by_code = {str(code): code for code, _label in options}
    by_label = {str(label): code for code, label in options}

    def parse(value: str) -> str:
        if value in by_code:
            return by_code[value]
        if value in by_label:
            return by_label[value]
        raise FieldError(_("Unknown value “%(value)s”.") % {"value": value[:40]}, "unknown_code")

    return parse


def multi_choice(options: list[tuple[str, Any]]) -> Parser:
    one = choice(options)

    def parse(value: str) -> list[str]:
        parts = [p.strip() for p in re.split(r"[,，;；、\s]+", value) if p.strip()]
        return sorted({one(p) for p in parts})

    return parse


EXCEL_EPOCH = date(1899, 12, 30)


def parse_date(value: str) -> date:
    value = value.strip()
    if re.fullmatch(r"\d{5}(\.0+)?", value):  # an Excel serial day number
        return EXCEL_EPOCH + timedelta(days=int(float(value)))
    value = value.split(" ")[0].split("T")[0]
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d", "%Y年%m月%d日"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise FieldError(_("Not a date (use YYYY-MM-DD)."), "invalid_date")


def past_date(value: str) -> date:
    """A date that has happened (an inspection, a check): not after today."""
    day = parse_date(value)
    if day > timezone.localdate():
        raise FieldError(_("The date is in the future."), "future_date")
    return day


def integer(minimum: int = 0, maximum: int = 10**9) -> Parser:
    def parse(value: str) -> int:
        try:
            number = int(float(value)) if re.fullmatch(r"-?\d+(\.0+)?", value) else int(value)
        except ValueError:
            raise FieldError(_("Not a whole number."), "invalid_number") from None
        if not minimum <= number <= maximum:
            raise FieldError(_("Between %(lo)d and %(hi)d.") % {"lo": minimum, "hi": maximum}, "out_of_range")
        return number

    return parse


def decimal(maximum: int = 10**8) -> Parser:
    def parse(value: str) -> Decimal:
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise FieldError(_("Not a number."), "invalid_number") from None
        if not 0 <= number < maximum:
            raise FieldError(_("Out of range."), "out_of_range")
        return number.quantize(Decimal("0.01"))

    return parse


def coordinate(low: float, high: float) -> Parser:
    def parse(value: str) -> float:
        try:
            number = float(value)
        except ValueError:
            raise FieldError(_("Not a number."), "invalid_number") from None
        if not low <= number <= high:
            raise FieldError(_("Coordinate out of range."), "invalid_coordinate")
        return number

    return parse


def boolean(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"是", "有", "1", "true", "yes", "y"}:
        return True
    if lowered in {"否", "无", "0", "false", "no", "n"}:
        return False
    raise FieldError(_("Answer 是 or 否."), "invalid_boolean")


def _from_validator(parser: Callable[[str], Any]) -> Parser:
    def parse(value: str) -> Any:
        try:
            return parser(value)
        except InvalidValue as exc:
            raise FieldError(exc.message, exc.code) from None

    return parse


id_number = _from_validator(parse_id_number)
phone = _from_validator(parse_phone)
credit_code = _from_validator(parse_credit_code)


def component_code(value: str) -> str:
    code = value.strip()
    if not re.fullmatch(r"\d{16}", code):
        raise FieldError(_("A component code has 16 digits."), "invalid_component_code")
    if code[6:8] not in dict(codes.COMPONENT_MAJOR):
        raise FieldError(
            _("Unknown component major class %(c)s.") % {"c": code[6:8]}, "invalid_component_code"
        )
    if code[6:10] not in codes.COMPONENT_CLASSES:
        raise FieldError(_("Unknown component class %(c)s.") % {"c": code[6:10]}, "invalid_component_code")
    return code


def record_code(value: str) -> str:
    code = value.strip().upper()
    if not re.fullmatch(r"[0-9A-Z\-]{4,24}", code):
        raise FieldError(_("Letters, digits and dashes, 4 to 24 characters."), "invalid_code")
    return code


def region_code(value: str) -> str:
    code = value.strip()
    if not re.fullmatch(r"\d{12}|\d{15}", code):
        raise FieldError(_("A village code has 12 digits, a grid code 15."), "invalid_region_code")
    return code


# --- the kinds ----------------------------------------------------------------------------------------------


PLACE = [
    Field(
        "region",
        gettext_lazy("grid or village code"),
        region_code,
        help=gettext_lazy("15-digit grid or 12-digit village code"),
    ),
    Field("address", gettext_lazy("address"), text(200)),
    Field("lng", gettext_lazy("longitude"), coordinate(73, 136)),
    Field("lat", gettext_lazy("latitude"), coordinate(3, 54)),
]

# A person's name is 姓名; the name of an organization, a place or a thing is 名称.
PERSON_NAME = pgettext_lazy("person", "name")

FIELDS: dict[str, list[Field]] = {
    "person": [
        Field("name", PERSON_NAME, text(50), required=True),
        Field("id_number", gettext_lazy("ID number"), id_number, personal=True),
        Field("ethnicity", gettext_lazy("ethnicity"), choice(codes.ETHNICITIES)),
        Field("phone", gettext_lazy("phone"), phone, personal=True),
        Field("hukou_address", gettext_lazy("household registration place"), text(200)),
        Field("population_type", gettext_lazy("population type"), choice(PopulationType.choices)),
        Field("inflow_reason", gettext_lazy("reason for moving in"), choice(codes.choices("InflowCause"))),
        Field("education", gettext_lazy("education"), choice(codes.EDUCATION)),
        Field("occupation", gettext_lazy("occupation"), text(60)),
        Field("house", gettext_lazy("house code"), record_code),
        Field("household", gettext_lazy("household number"), record_code),
        Field("relation_to_head", gettext_lazy("relation to the head"), choice(codes.RELATIONS)),
        Field("care_groups", gettext_lazy("care groups"), multi_choice(codes.CARE_GROUPS)),
        *PLACE,
    ],
    "household": [
        Field("number", gettext_lazy("household number"), record_code, required=True),
        Field("house", gettext_lazy("house code"), record_code),
        *PLACE,
    ],
    "house": [
        Field("code", gettext_lazy("house code"), record_code, required=True),
        Field("building", gettext_lazy("building"), text(20)),
        Field("unit_no", gettext_lazy("entrance"), text(10)),
        Field("room", gettext_lazy("room"), text(10)),
        Field("use", gettext_lazy("use"), choice(codes.choices("ArchitecturalUse"))),
        Field("owner_name", gettext_lazy("owner name"), text(100)),
        Field("floors", gettext_lazy("floors"), integer(1, 200)),
        Field("area_m2", gettext_lazy("floor area (m²)"), decimal()),
        Field("rental_use", gettext_lazy("rented out for"), choice(codes.choices("RentingUse"))),
        Field("rental_start", gettext_lazy("rented from"), parse_date),
        Field("rental_end", gettext_lazy("rented until"), parse_date),
        *PLACE,
    ],
    "organization": [
        Field("credit_code", gettext_lazy("unified social credit code"), credit_code, required=True),
        Field("name", gettext_lazy("name"), text(120), required=True),
        Field("org_kind", gettext_lazy("kind"), choice(OrganizationKind.choices), required=True),
        Field(
            "enterprise_category",
            gettext_lazy("enterprise category"),
            choice(codes.choices("EnterpriseCategory")),
        ),
        Field(
            "social_org_type",
            gettext_lazy("social organization type"),
            choice(codes.choices("SocialOrganizationsTypes")),
        ),
        Field(
            "registration_type", gettext_lazy("registration type"), choice(codes.choices("RegistrationTypes"))
        ),
        Field("legal_representative", gettext_lazy("legal representative"), text(50)),
        Field("contact_phone", gettext_lazy("contact phone"), phone, personal=True),
        Field("industry", gettext_lazy("industry"), choice(codes.INDUSTRIES)),
        Field("employees", gettext_lazy("employees"), integer(0, 10**7)),
        Field("risk_level", gettext_lazy("risk level"), choice(RiskLevel.choices)),
        *PLACE,
    ],
    "place": [
        Field("code", gettext_lazy("place code"), record_code, required=True),
        Field("name", gettext_lazy("name"), text(120), required=True),
        Field("place_type", gettext_lazy("type"), choice(PlaceType.choices), required=True),
        Field("organization", gettext_lazy("unified social credit code"), credit_code),
        Field("responsible_name", gettext_lazy("responsible person"), text(50)),
        Field("responsible_phone", gettext_lazy("responsible person's phone"), phone, personal=True),
        Field("area_m2", gettext_lazy("area (m²)"), decimal()),
        Field("capacity", gettext_lazy("capacity (people)"), integer(0, 10**6)),
        Field("fire_extinguishers", gettext_lazy("fire extinguishers"), integer(0, 10000)),
        Field("emergency_exits", gettext_lazy("emergency exits"), integer(0, 1000)),
        Field("has_sprinklers", gettext_lazy("sprinklers"), boolean),
        Field("hazards", gettext_lazy("main hazard"), choice(codes.choices("SafetyHazardType"))),
        Field("risk_level", gettext_lazy("risk level"), choice(RiskLevel.choices)),
        Field("inspection_cycle_days", gettext_lazy("inspection cycle (days)"), integer(1, 3650)),
        Field("last_inspected_on", gettext_lazy("last inspected on"), past_date),
        *PLACE,
    ],
    "component": [
        Field("code", gettext_lazy("component code"), component_code, required=True),
        Field("name", gettext_lazy("name"), text(60)),
        Field("state", gettext_lazy("state"), choice(ComponentState.choices)),
        Field("owner_department", gettext_lazy("owning department"), text(100)),
        Field("maintainer", gettext_lazy("maintaining department"), text(100)),
        *PLACE,
    ],
    "credit": [
        Field("subject_id_number", gettext_lazy("subject ID number"), id_number, personal=True),
        Field("subject_credit_code", gettext_lazy("subject credit code"), credit_code),
        Field("credit_kind", gettext_lazy("kind"), choice(CreditKind.choices), required=True),
        Field("title", gettext_lazy("title"), text(200), required=True),
        Field("document_number", gettext_lazy("decision number"), text(60)),
        Field("source", gettext_lazy("source"), text(100), required=True),
        Field("decided_on", gettext_lazy("decided on"), parse_date, required=True),
        Field("valid_from", gettext_lazy("valid from"), parse_date),
        Field("valid_until", gettext_lazy("valid until"), parse_date),
        Field("description", gettext_lazy("description"), text(2000)),
    ],
}
MODELS: dict[str, type[Record]] = {
    "person": Person,
    "household": Household,
    "house": House,
    "organization": Organization,
    "place": KeyPlace,
    "component": CityComponent,
    "credit": CreditRecord,
}
KINDS = tuple(FIELDS)


def field_map(kind: str) -> dict[str, Field]:
    return {f.name: f for f in FIELDS[kind]}


@dataclass
class Cleaned:
    values: dict[str, Any]
    errors: dict[str, list[tuple[str, str]]]  # field → [(code, message)]

    @property
    def ok(self) -> bool:
        return not self.errors

    def messages(self) -> dict[str, list[str]]:
        return {name: [m for _c, m in errs] for name, errs in self.errors.items()}


def _empty(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def clean(
    kind: str, data: Mapping[str, Any], *, partial: bool = False, specs: Sequence[Field] | None = None
) -> Cleaned:
    """Parse the submitted values of one record. Unknown keys are ignored; in ``partial`` mode (an edit)
    only the keys present are cleaned, and an empty value clears an optional field. ``specs``: the kind's
    fields with other (equivalent) parsers, e.g. the import's memoized ones."""
    values: dict[str, Any] = {}
    errors: dict[str, list[tuple[str, str]]] = {}
    for spec in FIELDS[kind] if specs is None else specs:
        if partial and spec.name not in data:
            continue
        raw = data.get(spec.name)
        if raw.__class__ is str:  # files and forms: the common case, checked once
            text = raw.strip()
            empty = not text
        else:
            empty = _empty(raw)
            text = "" if empty else str(raw) if isinstance(raw, bool | int | float) else str(raw).strip()
        if empty:
            if spec.required:
                errors.setdefault(spec.name, []).append(("required", _("This field is required.")))
            else:
                values[spec.name] = None
            continue
        try:
            values[spec.name] = spec.parse(text)
        except FieldError as exc:
            errors.setdefault(spec.name, []).append((exc.code, exc.message))
    if not errors:
        _cross_checks(kind, values, errors, partial)
    return Cleaned(values, errors)


def _cross_checks(
    kind: str, values: dict[str, Any], errors: dict[str, list[tuple[str, str]]], partial: bool
) -> None:
    def add(name: str, code: str, message: str) -> None:
        errors.setdefault(name, []).append((code, message))

    if (values.get("lng") is None) != (values.get("lat") is None) and not partial:
        add("lat", "incomplete_point", _("Give both longitude and latitude, or neither."))
    for start, end in (("rental_start", "rental_end"), ("valid_from", "valid_until")):
        if values.get(start) and values.get(end) and values[end] < values[start]:
            add(end, "invalid_period", _("The end is before the start."))
    no_subject = bool(values.get("subject_id_number")) == bool(values.get("subject_credit_code"))
    if kind == "credit" and not partial and no_subject:
        add(
            "subject_id_number",
            "subject_required",
            _("Give the subject's ID number or its credit code, not both."),
        )
    if (
        kind == "organization"
        and values.get("org_kind") == OrganizationKind.SOCIAL
        and values.get("enterprise_category")
    ):
        add(
            "enterprise_category", "not_an_enterprise", _("A social organization has no enterprise category.")
        )
