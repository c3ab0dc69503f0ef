"""``{{ url|qr_svg }}``: a QR code as inline SVG (segno), for links a phone should open: no image request,
nothing from outside."""

from __future__ import annotations

import io

import segno
from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.filter
def qr_svg(text: str, scale: int = 4) -> SafeString:
    out = io.BytesIO()
    segno.make(str(text), error="m").save(
        out, kind="svg", scale=int(scale), xmldecl=False, svgns=True, svgclass="qr", title=str(text)
    )
    return mark_safe(out.getvalue().decode())  # noqa: S308 - segno's SVG; the text is escaped in its title
