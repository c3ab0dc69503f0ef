"""Glue between Django forms and actions: domain errors land on the form's fields.

A page that shows a form again with its errors answers 200, on every page (Django's convention; htmx
swaps only 2xx answers by default). Only the JSON API (``/api/v1/``) answers 4xx for bad input, and an
error page (a domain error no form catches, see ``web.middleware``) keeps its own status."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django import forms

from jiceng.core.errors import Conflict, InvalidInput

T = TypeVar("T")  # whatever the action returns


def run_action(form: forms.Form, action: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
    """Call an action; on invalid input or a conflict, put the messages on the form and return None."""
    try:
        return action(*args, **kwargs)
    except InvalidInput as exc:
        if not exc.details:
            form.add_error(None, str(exc.message))
        for name, messages in exc.details.items():
            form.add_error(name if name in form.fields else None, messages)
        return None
    except Conflict as exc:
        form.add_error(None, str(exc.message))
        return None


class JSONTextField(forms.JSONField):
    """A JSON text box that shows nothing, not ``null``, when there is no value (an optional field)."""

    def prepare_value(self, value: Any) -> Any:
        return "" if value is None else super().prepare_value(value)


class DateInput(forms.DateInput):
    """``<input type="date">``: the browser's date picker. Its value must be ISO ``YYYY-MM-DD`` whatever
    the language — with Chinese active, Django's default ``2026/11/28`` shows as an empty box."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class DateTimeInput(forms.DateTimeInput):
    """``<input type="datetime-local">``, valued ``YYYY-MM-DDTHH:MM`` (local time) in every language."""

    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")
