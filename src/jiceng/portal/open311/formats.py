"""Open311 output in both formats: JSON, and XML with the spec's element names."""

from __future__ import annotations

import json
from typing import Any
from xml.sax.saxutils import escape

from django.http import HttpResponse

CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
# The element name of one item in each list.
ITEM_NAMES = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return escape(str(value))


def _element(tag: str, value: Any) -> str:
    if isinstance(value, dict):
        inner = "".join(_element(k, v) for k, v in value.items())
    elif isinstance(value, list):
        item = ITEM_NAMES[tag]
        inner = "".join(_element(item, v) for v in value)
    else:
        inner = _text(value)
    return f"<{tag}>{inner}</{tag}>" if inner != "" else f"<{tag}/>"


def to_xml(root: str, value: Any) -> str:
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + _element(root, value)


def respond(fmt: str, root: str, value: Any, status: int = 200) -> HttpResponse:
    """``value`` as JSON, or as XML under ``root`` (a list's items named by ITEM_NAMES)."""
    body = to_xml(root, value) if fmt == "xml" else json.dumps(value, ensure_ascii=False)
    response = HttpResponse(body.encode("utf-8"), status=status, content_type=CONTENT_TYPES[fmt])
    response["Access-Control-Allow-Origin"] = "*"
    return response


def error(fmt: str, status: int, description: str) -> HttpResponse:
    """The spec's error shape: a list of {code, description}."""
    return respond(fmt, "errors", [{"code": status, "description": description}], status=status)
