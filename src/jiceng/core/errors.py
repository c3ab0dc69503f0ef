"""Domain errors: each has a stable English code, a Chinese message and an HTTP status.

Actions raise these; the API turns them into JSON ({code, message, details}) and pages into messages.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    status = 400
    code = "bad_request"
    default_message: Any = _("The request could not be processed.")

    def __init__(
        self, message: Any = None, *, code: str | None = None, details: dict[str, Any] | None = None
    ):
        self.message = message if message is not None else self.default_message
        if code:
            self.code = code
        self.details = details or {}
        super().__init__(str(self.message))


class InvalidInput(DomainError):
    status = 422
    code = "invalid_input"
    default_message = _("Some fields are invalid.")


class NotAuthenticated(DomainError):
    status = 401
    code = "not_authenticated"
    default_message = _("Please log in first.")


class PermissionDenied(DomainError):
    status = 403
    code = "permission_denied"
    default_message = _("You do not have permission to do this.")


class NotFound(DomainError):
    """Also raised for objects outside the user's jurisdiction, so nobody learns what exists there."""

    status = 404
    code = "not_found"
    default_message = _("The record does not exist or is outside your jurisdiction.")


class Conflict(DomainError):
    status = 409
    code = "conflict"
    default_message = _("The record was changed by someone else. Reload and try again.")


class PayloadTooLarge(DomainError):
    status = 413
    code = "payload_too_large"
    default_message = _("The request body is too large.")


def field_error(field: str, message: Any, code: str = "invalid_input") -> InvalidInput:
    """An InvalidInput for one field, with the field's message as the overall message too."""
    return InvalidInput(message, code=code, details={field: [str(message)]})
