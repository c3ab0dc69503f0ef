"""A boundary drawn as inline SVG: a quick look at a region's shape without the map module."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


def _rings(geometry: dict[str, Any]) -> list[list[list[float]]]:
    if geometry.get("type") == "Polygon":
        return list(geometry["coordinates"])
    if geometry.get("type") == "MultiPolygon":
        return [ring for polygon in geometry["coordinates"] for ring in polygon]
    return []


@register.simple_tag
def boundary_svg(geometry: dict[str, Any] | None) -> SafeString:
    rings = _rings(geometry or {})
    points = [p for ring in rings for p in ring]
    if not points:
        return mark_safe("")
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    min_x, max_y = min(xs), max(ys)
    width, height = (max(xs) - min_x) or 1e-6, (max_y - min(ys)) or 1e-6
    scale = 400 / max(width, height)
    path = " ".join(
        "M" + " L".join(f"{(x - min_x) * scale:.1f},{(max_y - y) * scale:.1f}" for x, y, *_ in ring) + " Z"
        for ring in rings
    )
    return format_html(
        '<svg class="boundary-preview" viewBox="-4 -4 {} {}" role="img">'
        '<path d="{}" fill-rule="evenodd"/></svg>',
        f"{width * scale + 8:.1f}",
        f"{height * scale + 8:.1f}",
        path,
    )
