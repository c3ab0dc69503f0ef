"""The JSON API under /api/v1/: one NinjaAPI, error shapes and authentication shared by every module."""

from __future__ import annotations

import logging
from typing import Any

import orjson
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError
from ninja.renderers import BaseRenderer
from ninja.responses import NinjaJSONEncoder
from ninja.security import APIKeyCookie, HttpBearer

from jiceng.audit.actions import record
from jiceng.audit.models import AuditResult
from jiceng.core.errors import DomainError, PermissionDenied

logger = logging.getLogger(__name__)


class ErrorOut(Schema):
    code: str
    message: str
    details: dict[str, list[str]] | None = None


# Every operation may answer with these; routes add them through ``responses``.
ERROR_RESPONSES: dict[int, Any] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    413: ErrorOut,
    422: ErrorOut,
}


def responses(ok: Any, status: int = 200) -> dict[int, Any]:
    return {status: ok, **ERROR_RESPONSES}


class BearerAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        from jiceng.accounts.actions import authenticate_token

        user = authenticate_token(token)
        if user is not None:
            request.user = user
        return user


class SessionAuth(APIKeyCookie):
    """The logged-in browser session; unsafe methods need the CSRF token."""

    param_name = "sessionid"

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return user
        return None


def error_response(
    request: HttpRequest, status: int, code: str, message: Any, details: dict[str, list[str]] | None = None
) -> HttpResponse:
    body: dict[str, Any] = {"code": code, "message": str(message)}
    if details:
        body["details"] = details
    return api.create_response(request, body, status=status)


PYDANTIC_MESSAGES = {
    "missing": gettext_noop("This field is required."),
    "string_too_long": gettext_noop("Too long."),
    "string_too_short": gettext_noop("Too short."),
    "string_type": gettext_noop("Must be text."),
    "int_parsing": gettext_noop("Must be a whole number."),
    "int_type": gettext_noop("Must be a whole number."),
    "float_parsing": gettext_noop("Must be a number."),
    "bool_parsing": gettext_noop("Must be true or false."),
    "bool_type": gettext_noop("Must be true or false."),
    "enum": gettext_noop("Not one of the allowed values."),
    "literal_error": gettext_noop("Not one of the allowed values."),
    "list_type": gettext_noop("Must be a list."),
    "dict_type": gettext_noop("Must be an object."),
    "model_attributes_type": gettext_noop("Must be an object."),
    "datetime_parsing": gettext_noop("Must be a date and time."),
    "datetime_from_date_parsing": gettext_noop("Must be a date and time."),
    "date_parsing": gettext_noop("Must be a date (YYYY-MM-DD)."),
    "date_from_datetime_parsing": gettext_noop("Must be a date (YYYY-MM-DD)."),
    "value_error": gettext_noop("Invalid value."),
    "greater_than_equal": gettext_noop("Too small."),
    "less_than_equal": gettext_noop("Too large."),
    "extra_forbidden": gettext_noop("Unknown field."),
}


def validation_details(errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    details: dict[str, list[str]] = {}
    for error in errors:
        loc = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path", "payload")]
        name = ".".join(loc) or "body"
        ctx_error = (error.get("ctx") or {}).get("error")
        if error.get("type") == "value_error" and ctx_error is not None:
            message = str(getattr(ctx_error, "message", ctx_error))
        else:
            message = _(PYDANTIC_MESSAGES.get(str(error.get("type")), "Invalid value."))
        details.setdefault(name, []).append(message)
    return details


class ORJSONRenderer(BaseRenderer):
    """orjson instead of json with Ninja's encoder: ~10x faster on a page of 25 events (0.37 -> 0.03 ms),
    and Chinese text as UTF-8 instead of \\u escapes (~20 % fewer bytes). Datetimes are RFC 3339
    with microseconds and Z for UTC; what orjson does not know (Decimal, lazy text, models) goes through
    Ninja's encoder as before."""

    media_type = "application/json"
    _fallback = NinjaJSONEncoder().default

    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> bytes:
        return orjson.dumps(data, default=self._fallback, option=orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS)


api = NinjaAPI(
    title="Jiceng API",
    version="1",
    description="Jiceng (基层) grassroots governance platform. Errors are JSON objects with a stable "
    "`code`, a `message` and, for invalid input, `details` per field.",
    urls_namespace="api",
    auth=[BearerAuth(), SessionAuth()],
    renderer=ORJSONRenderer(),
)


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    if isinstance(exc, PermissionDenied):
        record(
            "permission.denied",
            actor=getattr(request, "user", None),
            result=AuditResult.DENIED,
            changes={"path": request.path, "method": request.method},
        )
    return error_response(request, exc.status, exc.code, exc.message, exc.details or None)


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return error_response(
        request, 422, "invalid_input", _("Some fields are invalid."), validation_details(exc.errors)
    )


@api.exception_handler(AuthenticationError)
def on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(request, 401, "not_authenticated", _("Please log in first."))


@api.exception_handler(AuthorizationError)
def on_authorization_error(request: HttpRequest, exc: AuthorizationError) -> HttpResponse:
    return error_response(request, 403, "permission_denied", _("You do not have permission to do this."))


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400 and str(exc).startswith("Cannot parse request body"):
        return error_response(request, 400, "malformed_json", _("The request body is not valid JSON."))
    if exc.status_code == 403:
        return error_response(request, 403, "csrf_failed", _("The CSRF check failed. Reload the page."))
    return error_response(request, exc.status_code, "http_error", str(exc))


@api.exception_handler(RequestDataTooBig)
def on_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return error_response(request, 413, "payload_too_large", _("The request body is too large."))


@api.exception_handler(Http404)
def on_404(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(
        request, 404, "not_found", _("The record does not exist or is outside your jurisdiction.")
    )


@api.exception_handler(Exception)
def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("unhandled API error")
    return error_response(request, 500, "internal_error", _("Internal error. It has been logged."))
