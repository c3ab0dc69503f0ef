"""Small pieces of the event pages: state badges, due times in yellow/red, and the place as inline SVG."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import dateformat, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from jiceng.events.models import Event, EventState, Warning

register = template.Library()

SVG_SIZE = 400


@register.simple_tag
def state_badge(state: str) -> SafeString:
    label = EventState(state).label if state in EventState.values else state
    return format_html('<span class="state state-{}">{}</span>', state, label)


def due_level(event: Event, due: Any = None) -> str:
    """ "red" when overdue, "yellow" when the deadline task flagged it, else ""."""
    due = event.due_at if due is None else due
    if due is None or not event.is_open:
        return ""
    if event.warning == Warning.RED or due <= timezone.now():
        return "red"
    return "yellow" if event.warning == Warning.YELLOW else ""


@register.simple_tag
def due_badge(event: Event, fmt: str = "m-d H:i") -> SafeString:
    """The stage's due time, yellow when 80 % of the time is used and red when overdue (with words too)."""
    if event.due_at is None:
        return mark_safe('<span class="due muted">—</span>')
    level = due_level(event)
    when = dateformat.format(timezone.localtime(event.due_at), fmt)
    if not level:
        return format_html('<span class="due">{}</span>', when)
    word = _("Overdue") if level == "red" else _("Due soon")
    return format_html('<span class="due due-{}">{} <b>{}</b></span>', level, when, word)


def _rings(geometry: dict[str, Any]) -> list[list[list[float]]]:
    if geometry.get("type") == "Polygon":
        return list(geometry["coordinates"])
    if geometry.get("type") == "MultiPolygon":
        return [ring for polygon in geometry["coordinates"] for ring in polygon]
    return []


@register.simple_tag
def place_svg(geometry: dict[str, Any] | None, lng: float | None, lat: float | None) -> SafeString:
    """The grid's boundary with the event's point on it (no map library: a sketch, north up)."""
    rings = _rings(geometry or {})
    points = [(p[0], p[1]) for ring in rings for p in ring]
    has_point = lng is not None and lat is not None
    if has_point:
        points.append((float(lng), float(lat)))  # type: ignore[arg-type]
    if not rings:
        return mark_safe("")
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    min_x, max_y = min(xs), max(ys)
    width, height = (max(xs) - min_x) or 1e-6, (max_y - min(ys)) or 1e-6
    scale = SVG_SIZE / max(width, height)

    def xy(x: float, y: float) -> str:
        return f"{(x - min_x) * scale:.1f},{(max_y - y) * scale:.1f}"

    path = " ".join("M" + " L".join(xy(x, y) for x, y, *_rest in ring) + " Z" for ring in rings)
    point = ""
    if has_point:
        cx, cy = xy(float(lng), float(lat)).split(",")  # type: ignore[arg-type]
        point = format_html(
            '<circle class="halo" cx="{}" cy="{}" r="14"/><circle class="pin" cx="{}" cy="{}" r="6"/>',
            cx,
            cy,
            cx,
            cy,
        )
    return format_html(
        '<svg class="place-map" viewBox="-16 -16 {} {}" role="img" aria-label="{}">'
        '<path class="grid" d="{}" fill-rule="evenodd"/>{}</svg>',
        f"{width * scale + 32:.1f}",
        f"{height * scale + 32:.1f}",
        _("The grid and the event's location"),
        path,
        point,
    )
