"""Each registry kind's fields, declared once: how each is parsed and validated, its Chinese column header
for imports and exports, and whether it holds personal data. API, pages and imports all clean through
``clean()``, so a value is accepted or refused the same way everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

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
    help: str = ""


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

L = gettext_lazy
PLACE = [
    Field("region", L("grid or village code"), region_code, help="15-digit grid or 12-digit village code"),
    Field("address", L("address"), text(200)),
    Field("lng", L("longitude"), coordinate(73, 136)),
    Field("lat", L("latitude"), coordinate(3, 54)),
]

FIELDS: dict[str, list[Field]] = {
    "person": [
        Field("name", L("name"), text(50), required=True),
        Field("id_number", L("ID number"), id_number, personal=True),
        Field("ethnicity", L("ethnicity"), choice(codes.ETHNICITIES)),
        Field("phone", L("phone"), phone, personal=True),
        Field("hukou_address", L("household registration place"), text(200)),
        Field("population_type", L("population type"), choice(PopulationType.choices)),
        Field("inflow_reason", L("reason for moving in"), choice(codes.choices("InflowCause"))),
        Field("education", L("education"), choice(codes.EDUCATION)),
        Field("occupation", L("occupation"), text(60)),
        Field("house", L("house code"), record_code),
        Field("household", L("household number"), record_code),
        Field("relation_to_head", L("relation to the head"), choice(codes.RELATIONS)),
        Field("care_groups", L("care groups"), multi_choice(codes.CARE_GROUPS)),
        *PLACE,
    ],
    "household": [
        Field("number", L("household number"), record_code, required=True),
        Field("house", L("house code"), record_code),
        *PLACE,
    ],
    "house": [
        Field("code", L("house code"), record_code, required=True),
        Field("building", L("building"), text(20)),
        Field("unit_no", L("entrance"), text(10)),
        Field("room", L("room"), text(10)),
        Field("use", L("use"), choice(codes.choices("ArchitecturalUse"))),
        Field("owner_name", L("owner name"), text(100)),
        Field("floors", L("floors"), integer(1, 200)),
        Field("area_m2", L("floor area (m²)"), decimal()),
        Field("rental_use", L("rented out for"), choice(codes.choices("RentingUse"))),
        Field("rental_start", L("rented from"), parse_date),
        Field("rental_end", L("rented until"), parse_date),
        *PLACE,
    ],
    "organization": [
        Field("credit_code", L("unified social credit code"), credit_code, required=True),
        Field("name", L("name"), text(120), required=True),
        Field("org_kind", L("kind"), choice(OrganizationKind.choices), required=True),
        Field("enterprise_category", L("enterprise category"), choice(codes.choices("EnterpriseCategory"))),
        Field(
            "social_org_type",
            L("social organization type"),
            choice(codes.choices("SocialOrganizationsTypes")),
        ),
        Field("registration_type", L("registration type"), choice(codes.choices("RegistrationTypes"))),
        Field("legal_representative", L("legal representative"), text(50)),
        Field("contact_phone", L("contact phone"), phone, personal=True),
        Field("industry", L("industry"), choice(codes.INDUSTRIES)),
        Field("employees", L("employees"), integer(0, 10**7)),
        Field("risk_level", L("risk level"), choice(RiskLevel.choices)),
        *PLACE,
    ],
    "place": [
        Field("code", L("place code"), record_code, required=True),
        Field("name", L("name"), text(120), required=True),
        Field("place_type", L("type"), choice(PlaceType.choices), required=True),
        Field("organization", L("unified social credit code"), credit_code),
        Field("responsible_name", L("responsible person"), text(50)),
        Field("responsible_phone", L("responsible person's phone"), phone, personal=True),
        Field("area_m2", L("area (m²)"), decimal()),
        Field("capacity", L("capacity (people)"), integer(0, 10**6)),
        Field("fire_extinguishers", L("fire extinguishers"), integer(0, 10000)),
        Field("emergency_exits", L("emergency exits"), integer(0, 1000)),
        Field("has_sprinklers", L("sprinklers"), boolean),
        Field("hazards", L("main hazard"), choice(codes.choices("SafetyHazardType"))),
        Field("risk_level", L("risk level"), choice(RiskLevel.choices)),
        Field("inspection_cycle_days", L("inspection cycle (days)"), integer(1, 3650)),
        Field("last_inspected_on", L("last inspected on"), parse_date),
        *PLACE,
    ],
    "component": [
        Field("code", L("component code"), component_code, required=True),
        Field("name", L("name"), text(60)),
        Field("state", L("state"), choice(ComponentState.choices)),
        Field("owner_department", L("owning department"), text(100)),
        Field("maintainer", L("maintaining department"), text(100)),
        *PLACE,
    ],
    "credit": [
        Field("subject_id_number", L("subject ID number"), id_number, personal=True),
        Field("subject_credit_code", L("subject credit code"), credit_code),
        Field("credit_kind", L("kind"), choice(CreditKind.choices), required=True),
        Field("title", L("title"), text(200), required=True),
        Field("document_number", L("decision number"), text(60)),
        Field("source", L("source"), text(100), required=True),
        Field("decided_on", L("decided on"), parse_date, required=True),
        Field("valid_from", L("valid from"), parse_date),
        Field("valid_until", L("valid until"), parse_date),
        Field("description", L("description"), text(2000)),
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


def clean(kind: str, data: Mapping[str, Any], *, partial: bool = False) -> Cleaned:
    """Parse the submitted values of one record. Unknown keys are ignored; in ``partial`` mode (an edit)
    only the keys present are cleaned, and an empty value clears an optional field."""
    values: dict[str, Any] = {}
    errors: dict[str, list[tuple[str, str]]] = {}
    for spec in FIELDS[kind]:
        if partial and spec.name not in data:
            continue
        raw = data.get(spec.name)
        if _empty(raw):
            if spec.required:
                errors.setdefault(spec.name, []).append(("required", _("This field is required.")))
            else:
                values[spec.name] = None
            continue
        try:
            values[spec.name] = spec.parse(
                str(raw).strip() if not isinstance(raw, bool | int | float) else str(raw)
            )
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
