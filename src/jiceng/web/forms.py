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
