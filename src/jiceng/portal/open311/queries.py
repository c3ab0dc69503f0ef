"""Open311 reads: jurisdictions, services from the category tree, and the public service requests.

Open311 is public: a request is listed only if it came in through Open311 or was approved for the
community feed, and its text is shown with personal data masked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from jiceng.core.errors import InvalidInput, NotFound, field_error
from jiceng.events.models import OPEN_STATES, Event, EventCategory, EventState
from jiceng.org.models import Region, RegionLevel
from jiceng.portal.text import mask_personal_data

MAX_DAYS = 90
MAX_ROWS = 1000


def jurisdictions() -> QuerySet[Region]:
    return Region.objects.filter(level=RegionLevel.COUNTY, is_active=True).order_by("code")


def jurisdiction(jurisdiction_id: str | None) -> Region:
    """The county a call is about: the one named, or the only one this platform serves."""
    if jurisdiction_id:
        found = jurisdictions().filter(code=jurisdiction_id.strip()).first()
        if found is None:
            raise NotFound(_("jurisdiction_id %(id)s was not found.") % {"id": jurisdiction_id[:20]})
        return found
    counties = list(jurisdictions()[:2])
    if len(counties) != 1:
        raise field_error("jurisdiction_id", _("jurisdiction_id was not provided."), "jurisdiction_required")
    return counties[0]


def services() -> list[EventCategory]:
    """Open311 services: the active leaf categories residents may report."""
    return list(
        EventCategory.objects.select_related("parent")
        .filter(is_active=True, staff_only=False)
        .annotate(active_children=Count("children", filter=Q(children__is_active=True)))
        .filter(active_children=0)
        .order_by("sort", "code")
    )


def service(code: str) -> EventCategory:
    category = EventCategory.objects.filter(code=code, is_active=True, staff_only=False).first()
    if category is None or category.children.filter(is_active=True).exists():
        raise NotFound(_("service_code %(code)s was not found.") % {"code": code[:20]})
    return category


# JSON Schema → Open311 attribute datatype.
def attribute_datatype(schema: dict[str, Any]) -> str:
    kind = schema.get("type")
    if kind == "array":
        return "multivaluelist"
    if kind == "boolean" or "enum" in schema or "oneOf" in schema or "anyOf" in schema:
        return "singlevaluelist"
    if kind in ("integer", "number"):
        return "number"
    if schema.get("format") in ("date", "date-time"):
        return "datetime"
    if (schema.get("maxLength") or 0) > 200:
        return "text"
    return "string"


def _values(schema: dict[str, Any]) -> list[dict[str, str]]:
    if schema.get("type") == "array":
        schema = schema.get("items") or {}
    if schema.get("type") == "boolean":
        return [{"key": "true", "name": _("Yes")}, {"key": "false", "name": _("No")}]
    if "enum" in schema:
        return [{"key": str(v), "name": str(v)} for v in schema["enum"]]
    options = schema.get("oneOf") or schema.get("anyOf") or []
    return [
        {"key": str(o["const"]), "name": str(o.get("title", o["const"]))} for o in options if "const" in o
    ]


def attributes(category: EventCategory) -> list[dict[str, Any]]:
    """The service definition's attributes, derived from the category's extra fields."""
    schema = category.form_schema or {}
    required = set(schema.get("required", []))
    result = []
    for order, (code, prop) in enumerate((schema.get("properties") or {}).items(), start=1):
        datatype = attribute_datatype(prop)
        item: dict[str, Any] = {
            "variable": True,
            "code": code,
            "datatype": datatype,
            "required": code in required and prop.get("type") != "boolean",
            "datatype_description": str(prop.get("description", "")),
            "order": order,
            "description": str(prop.get("title", code)),
        }
        if datatype in ("singlevaluelist", "multivaluelist"):
            item["values"] = _values(prop)
        result.append(item)
    return result


# --- requests -----------------------------------------------------------------------------------------


def public_requests(region: Region) -> QuerySet[Event]:
    """Events of the jurisdiction that Open311 may show."""
    return (
        Event.objects.select_related("category", "lead_unit", "open311", "public_report", "merged_into")
        .filter(region_code__startswith=region.scope_prefix)
        .filter(Q(open311__isnull=False) | Q(public_report__isnull=False, public_report__hidden_at=None))
    )


def by_ref(region: Region, ref: str) -> Event:
    pk = Event.pk_in(ref)
    found = public_requests(region).filter(pk=pk).first() if pk is not None else None
    if found is None or not found.answers_to(ref.strip()):
        raise NotFound(_("service_request_id %(id)s was not found.") % {"id": ref[:30]})
    return found


def _when(value: str, name: str, end_of_day: bool = False) -> datetime:
    parsed = parse_datetime(value)
    if parsed is None:
        day = parse_date(value)
        if day is None:
            raise field_error(
                name, _("%(name)s must be a W3C date and time.") % {"name": name}, "invalid_date"
            )
        parsed = datetime.combine(day, time.max if end_of_day else time.min)
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


@dataclass
class RequestFilter:
    service_request_id: str = ""
    service_code: str = ""
    start_date: str = ""
    end_date: str = ""
    status: str = ""


def search(region: Region, f: RequestFilter, now: datetime | None = None) -> list[Event]:
    """GET requests: by id list (which overrides the rest), or by service codes, status and a date range
    of at most 90 days (the last 90 days by default); at most 1000 rows, newest first."""
    qs = public_requests(region)
    ids = [r.strip() for r in f.service_request_id.split(",") if r.strip()]
    if ids:
        wanted = {pk: ref for ref in ids[:MAX_ROWS] if (pk := Event.pk_in(ref)) is not None}
        return [e for e in qs.filter(pk__in=wanted).order_by("-reported_at") if e.answers_to(wanted[e.pk])]
    now = now or timezone.now()
    start = _when(f.start_date, "start_date") if f.start_date else None
    end = _when(f.end_date, "end_date", end_of_day=True) if f.end_date else None
    if start and end and end - start > timedelta(days=MAX_DAYS):
        raise field_error(
            "end_date", _("The date range may not span more than 90 days."), "date_range_too_long"
        )
    if start and end and end < start:
        raise field_error("end_date", _("end_date is before start_date."), "invalid_date")
    if start is None:
        end = end or now
        start = end - timedelta(days=MAX_DAYS)
    elif end is None:
        end = start + timedelta(days=MAX_DAYS)
    qs = qs.filter(reported_at__gte=start, reported_at__lte=end)
    codes = [c.strip() for c in f.service_code.split(",") if c.strip()]
    if codes:
        qs = qs.filter(category__code__in=codes)
    statuses = {s.strip().lower() for s in f.status.split(",") if s.strip()}
    if statuses - {"open", "closed"}:
        raise InvalidInput(_("status must be open or closed."), code="invalid_status")
    if statuses == {"open"}:
        qs = qs.filter(state__in=OPEN_STATES)
    elif statuses == {"closed"}:
        qs = qs.exclude(state__in=OPEN_STATES)
    return list(qs.order_by("-reported_at", "-id")[:MAX_ROWS])


def _iso(value: datetime | None) -> str:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else ""


def status_notes(event: Event) -> str:
    notes = str(EventState(event.state).label)
    if event.state == EventState.MERGED and event.merged_into is not None:
        notes += " " + _("(merged into %(ref)s)") % {"ref": event.merged_into.ref}
    return notes


def request_row(event: Event) -> dict[str, Any]:
    """One service request as the spec lists it; text with personal data masked."""
    public = getattr(event, "public_report", None)  # a missing one-to-one raises AttributeError
    open311 = getattr(event, "open311", None)
    description = public.description if public is not None and public.hidden_at is None else event.description
    return {
        "service_request_id": event.ref,
        "status": "open" if event.state in OPEN_STATES else "closed",
        "status_notes": status_notes(event),
        "service_name": event.category.name,
        "service_code": event.category.code,
        "description": mask_personal_data(description),
        "agency_responsible": event.lead_unit.name if event.lead_unit else "",
        "service_notice": "",
        "requested_datetime": _iso(event.reported_at),
        "updated_datetime": _iso(event.updated_at),
        "expected_datetime": _iso(event.handle_due_at),
        "address": mask_personal_data(event.address),
        "address_id": "",
        "zipcode": "",
        "lat": event.lat,
        "long": event.lng,
        "media_url": open311.media_url if open311 is not None else "",
    }
