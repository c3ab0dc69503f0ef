"""Open311 GeoReport v2 at /open311/v2/: thin views that parse, call actions/queries and answer in
the requested format. Errors follow the spec: a list of {code, description} with status 400, 403 or 404."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from jiceng.core.errors import DomainError, InvalidInput, NotAuthenticated, NotFound, PermissionDenied
from jiceng.portal import ratelimit
from jiceng.portal.open311 import actions, formats, queries

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = datetime(2026, 11, 26, tzinfo=timezone.get_fixed_timezone(480))
READS_PER_MINUTE = 300  # per IP
POSTS_PER_MINUTE = 20  # per IP
POSTS_PER_HOUR = 600  # per API client

View = Callable[..., HttpResponse]


def _status(exc: DomainError) -> int:
    if isinstance(exc, PermissionDenied | NotAuthenticated):
        return 403
    if isinstance(exc, InvalidInput) or exc.status in (400, 409, 413, 422):
        return 400
    return exc.status


def open311_view(view: View) -> View:
    """Turn domain errors into the spec's error list, in the format the URL asked for."""

    def wrapped(request: HttpRequest, *args: Any, fmt: str, **kwargs: Any) -> HttpResponse:
        try:
            ratelimit.hit(f"open311:ip:{ratelimit.client_ip(request)}", READS_PER_MINUTE, 60)
            return view(request, *args, fmt=fmt, **kwargs)
        except DomainError as exc:
            return formats.error(fmt, _status(exc), str(exc.message))

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


@require_GET
@open311_view
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    changeset = CHANGESET.isoformat(timespec="seconds")
    url = request.build_absolute_uri(reverse("open311:root"))
    return formats.respond(
        fmt,
        "discovery",
        {
            "changeset": changeset,
            "contact": _("Contact the county command center of this platform."),
            "key_service": _(
                "API keys are issued to registered third-party apps by the platform administrator."
            ),
            "endpoints": [
                {
                    "specification": SPECIFICATION,
                    "url": url,
                    "changeset": changeset,
                    "type": "production",
                    "formats": ["text/xml", "application/json"],
                }
            ],
        },
    )


@require_GET
@open311_view
def services(request: HttpRequest, fmt: str) -> HttpResponse:
    queries.jurisdiction(request.GET.get("jurisdiction_id"))
    rows = [
        {
            "service_code": c.code,
            "service_name": c.name,
            "description": c.parent.name if c.parent else c.name,
            "metadata": bool((c.form_schema or {}).get("properties")),
            "type": "realtime",
            "keywords": c.standard,
            "group": c.parent.name if c.parent else "",
        }
        for c in queries.services()
    ]
    return formats.respond(fmt, "services", rows)


@require_GET
@open311_view
def service_definition(request: HttpRequest, service_code: str, fmt: str) -> HttpResponse:
    queries.jurisdiction(request.GET.get("jurisdiction_id"))
    category = queries.service(service_code)
    return formats.respond(
        fmt,
        "service_definition",
        {"service_code": category.code, "attributes": queries.attributes(category)},
    )


def _post_request(request: HttpRequest, fmt: str) -> HttpResponse:
    ratelimit.hit(f"open311:post:{ratelimit.client_ip(request)}", POSTS_PER_MINUTE, 60)
    data = request.POST
    client = actions.authenticate(data.get("api_key", "") or request.GET.get("api_key", ""))
    if client is None:
        raise PermissionDenied(_("api_key was not provided or is not valid."))
    ratelimit.hit(f"open311:client:{client.pk}", POSTS_PER_HOUR, 3600)
    region = queries.jurisdiction(data.get("jurisdiction_id") or request.GET.get("jurisdiction_id"))
    if region.pk != client.jurisdiction_id:
        raise PermissionDenied(_("The api_key is not valid for this jurisdiction."))
    fields = {
        name: data.get(name, "")
        for name in (
            "service_code",
            "lat",
            "long",
            "address_string",
            "address_id",
            "email",
            "device_id",
            "account_id",
            "first_name",
            "last_name",
            "phone",
            "description",
            "media_url",
        )
    }
    created = actions.submit_request(
        client, actions.RequestInput(**fields, attributes=actions.attributes_from(data))
    )
    row = {
        "service_request_id": created.event.ref,
        "token": created.token,
        "service_notice": _("Thank you. The report goes to the township command room."),
        "account_id": created.account_id,
    }
    return formats.respond(fmt, "service_requests", [row], status=201)


@csrf_exempt
@require_http_methods(["GET", "POST"])
@open311_view
def requests(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _post_request(request, fmt)
    region = queries.jurisdiction(request.GET.get("jurisdiction_id"))
    found = queries.search(
        region,
        queries.RequestFilter(
            **{
                name: request.GET.get(name, "")
                for name in ("service_request_id", "service_code", "start_date", "end_date", "status")
            }
        ),
    )
    return formats.respond(fmt, "service_requests", [queries.request_row(e) for e in found])


@require_GET
@open311_view
def request_detail(request: HttpRequest, request_id: str, fmt: str) -> HttpResponse:
    region = queries.jurisdiction(request.GET.get("jurisdiction_id"))
    return formats.respond(fmt, "service_requests", [queries.request_row(queries.by_ref(region, request_id))])


@require_GET
@open311_view
def token(request: HttpRequest, token: str, fmt: str) -> HttpResponse:
    region = queries.jurisdiction(request.GET.get("jurisdiction_id"))
    event = actions.event_for_token(token)
    if event is None or not event.region_code.startswith(region.scope_prefix):
        raise NotFound(_("The token was not found."))
    return formats.respond(fmt, "service_requests", [{"service_request_id": event.ref, "token": token}])
