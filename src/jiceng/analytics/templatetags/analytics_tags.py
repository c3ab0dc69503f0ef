from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

register = template.Library()


@register.filter
def pct(value: Any, places: int = 1) -> str:
    """A rate (0.875) as a percentage ("87.5%"); "—" when there is no base."""
    if value is None or value == "":
        return "—"
    return f"{float(value) * 100:.{int(places)}f}%"


@register.filter
def number(value: Any) -> str:
    """A count or figure, "—" when missing."""
    if value is None or value == "":
        return "—"
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    if isinstance(value, Decimal):  # stored with fixed places: 15.0000 reads as 15, 0.9000 as 0.9
        text = f"{value:f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    return str(value)


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    return mapping.get(key, key) if hasattr(mapping, "get") else key
