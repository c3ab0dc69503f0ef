"""Open311 writes: issuing API keys to third-party apps, and taking in a service request as an event
through the events module's own ``report_event``."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.accounts.models import User, UserRole
from jiceng.accounts.permissions import require_role
from jiceng.accounts.roles import Role
from jiceng.audit.actions import record
from jiceng.core.errors import InvalidInput, PermissionDenied, field_error
from jiceng.core.scope import get_in_scope
from jiceng.events.actions import report_event
from jiceng.events.models import Event, EventCategory, Source
from jiceng.org.models import Region, RegionLevel
from jiceng.portal.models import ApiClient, ServiceRequest
from jiceng.portal.open311 import queries as open311_queries

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

KEY_PREFIX = "o311_"
# Sources a client may report through: its service account holds the matching role.
CLIENT_SOURCES: dict[str, str] = {Source.RESIDENT: Role.RESIDENT}
ATTRIBUTE_RE = re.compile(r"^attribute\[([A-Za-z_][A-Za-z0-9_]{0,39})\](\[\])?$")


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def issue_client(
    actor: User | AnonymousUser | None,
    *,
    name: str,
    jurisdiction_code: str,
    contact: str = "",
    source: str = Source.RESIDENT,
) -> tuple[ApiClient, str]:
    """Register a third-party app and issue its API key. The raw key is returned once, never stored."""
    admin = require_role(actor, Role.ADMIN)
    name = name.strip()
    if not name:
        raise field_error("name", _("A name is required."), "required")
    region = get_in_scope(Region, admin, code=jurisdiction_code)
    if region.level != RegionLevel.COUNTY:
        raise field_error("jurisdiction", _("An API key serves one county."), "invalid_jurisdiction")
    if source not in CLIENT_SOURCES:
        raise field_error("source", _("Unknown source."), "invalid_source")
    raw = KEY_PREFIX + secrets.token_urlsafe(24)
    account = User(username=f"open311_{secrets.token_hex(5)}", full_name=name[:60])
    account.set_unusable_password()
    account.save()
    UserRole.objects.create(user=account, role=CLIENT_SOURCES[source])
    client = ApiClient.objects.create(
        name=name[:100],
        contact=contact.strip()[:200],
        key_prefix=raw[:11],
        key_hash=hash_key(raw),
        jurisdiction=region,
        jurisdiction_code=region.code,
        source=source,
        user=account,
        created_by=admin,
    )
    record(
        "open311.client.issue",
        actor=admin,
        obj=client,
        changes={"name": client.name, "jurisdiction": region.code, "source": source},
    )
    return client, raw


@transaction.atomic
def revoke_client(actor: User | AnonymousUser | None, client_id: int) -> ApiClient:
    admin = require_role(actor, Role.ADMIN)
    client = get_in_scope(ApiClient.objects.select_for_update(), admin, pk=client_id)
    if client.revoked_at is None:
        client.revoked_at = timezone.now()
        client.save(update_fields=["revoked_at"])
        User.objects.filter(pk=client.user_id).update(is_active=False)
        record("open311.client.revoke", actor=admin, obj=client)
    return client


def authenticate(raw_key: str) -> ApiClient | None:
    """The active client holding ``raw_key``, if any."""
    if not raw_key or not raw_key.startswith(KEY_PREFIX):
        return None
    return (
        ApiClient.objects.select_related("user", "jurisdiction")
        .filter(key_hash=hash_key(raw_key), revoked_at__isnull=True, user__is_active=True)
        .first()
    )


@dataclass
class RequestInput:
    """The fields of an Open311 POST, as strings (form-encoded)."""

    service_code: str
    lat: str = ""
    long: str = ""
    address_string: str = ""
    address_id: str = ""
    email: str = ""
    device_id: str = ""
    account_id: str = ""
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    description: str = ""
    media_url: str = ""
    attributes: dict[str, list[str]] = field(default_factory=dict)


def attributes_from(data: Any) -> dict[str, list[str]]:
    """``attribute[code]`` (and ``attribute[code][]`` for lists) from a QueryDict."""
    found: dict[str, list[str]] = {}
    for key in data:
        match = ATTRIBUTE_RE.match(key)
        if match:
            found.setdefault(match.group(1), []).extend(v for v in data.getlist(key) if v != "")
    return found


def _attribute_error(code: str, message: str) -> InvalidInput:
    return InvalidInput(
        _("Attribute %(code)s: %(msg)s") % {"code": code, "msg": message},
        code="invalid_attribute",
        details={f"attribute[{code}]": [message]},
    )


def _coerce(code: str, schema: dict[str, Any], values: list[str]) -> Any:
    kind = schema.get("type")
    if kind == "array":
        return values
    value = values[-1]
    try:
        if kind == "integer":
            return int(value)
        if kind == "number":
            return float(value)
    except ValueError as exc:
        raise _attribute_error(code, _("Must be a number.")) from exc
    if kind == "boolean":
        if value.lower() not in ("true", "false", "1", "0"):
            raise _attribute_error(code, _("Must be true or false."))
        return value.lower() in ("true", "1")
    return value


def form_data_for(category: EventCategory, attributes: dict[str, list[str]]) -> dict[str, Any]:
    """The event's extra fields from Open311 attributes, typed by the category's JSON Schema (which
    ``report_event`` then checks, so a missing required attribute is refused there)."""
    properties: dict[str, Any] = (category.form_schema or {}).get("properties", {})
    data: dict[str, Any] = {}
    for code, values in attributes.items():
        schema = properties.get(code)
        if schema is None:
            raise _attribute_error(code, _("Unknown attribute."))
        if values:
            data[code] = _coerce(code, schema, values)
    return data


@contextmanager
def _as_attribute_errors() -> Iterator[None]:
    """The extra fields' errors of ``report_event`` as Open311 attribute errors (named by attribute code)."""
    try:
        yield
    except InvalidInput as exc:
        if exc.code != "invalid_form_data" or not exc.details:
            raise
        name, messages = next(iter(exc.details.items()))
        raise _attribute_error(name.removeprefix("form_data."), str(messages[0])) from exc


def _location(data: RequestInput) -> tuple[float | None, float | None]:
    if data.lat or data.long:
        try:
            lat, lng = float(data.lat), float(data.long)
        except ValueError as exc:
            raise field_error("lat", _("lat and long must be numbers (WGS-84)."), "invalid_location") from exc
        return lng, lat
    if not (data.address_string.strip() or data.address_id.strip()):
        raise field_error("lat", _("Give a location: lat and long, or address_string."), "location_required")
    return None, None


def _title(category: EventCategory, description: str) -> str:
    first = description.strip().splitlines()[0].strip() if description.strip() else ""
    return first[:40] or category.name


def submit_request(client: ApiClient, data: RequestInput) -> ServiceRequest:
    """One Open311 POST: the event (source as the client is registered for) and what Open311 adds."""
    if client.revoked_at is not None:
        raise PermissionDenied(_("The api_key is not valid."))
    if not data.service_code:
        raise field_error("service_code", _("service_code was not provided."), "required")
    category = open311_queries.service(data.service_code)
    lng, lat = _location(data)
    if data.media_url:
        try:
            URLValidator(schemes=["http", "https"])(data.media_url)
        except ValidationError as exc:
            raise field_error("media_url", _("media_url is not a valid URL."), "invalid_media_url") from exc
    form_data = form_data_for(category, data.attributes)
    token = secrets.token_hex(16)
    address = data.address_string.strip() or data.address_id.strip()
    name = f"{data.last_name.strip()}{data.first_name.strip()}"
    with transaction.atomic(), _as_attribute_errors():
        event, _created = report_event(
            client.user,
            category=category.code,
            title=_title(category, data.description),
            description=data.description.strip()[:5000],
            source=client.source,
            source_ref=f"open311:{token}",
            lng=lng,
            lat=lat,
            address=address,
            region_code=client.jurisdiction_code if lng is None else None,
            reporter_name=name or client.name,
            reporter_phone=data.phone.strip(),
            form_data=form_data,
        )
        if not event.region_code.startswith(client.jurisdiction.scope_prefix):
            raise field_error(
                "lat", _("The location is outside this jurisdiction."), "location_outside_jurisdiction"
            )
        service_request = ServiceRequest.objects.create(
            event=event,
            client=client,
            token=token,
            media_url=data.media_url[:500],
            account_id=data.account_id.strip()[:64],
            device_id=data.device_id.strip()[:64],
            region_code=event.region_code,
        )
        record(
            "open311.request",
            actor=client.user,
            obj=event,
            changes={"client": client.pk, "service_code": category.code},
        )
    return service_request


def event_for_token(token: str) -> Event | None:
    found = ServiceRequest.objects.select_related("event").filter(token=token).first()
    return found.event if found else None
