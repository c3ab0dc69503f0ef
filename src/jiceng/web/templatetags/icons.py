"""``{% icon "camera" %}``: a Bootstrap Icons SVG, inlined.

The SVG files come from npm (``bootstrap-icons``) through ``scripts/copy_assets.py`` into
``static/vendor/bootstrap-icons/`` (no CDN). Inlined, an icon takes the text colour, costs no request and
needs no emoji font (county PCs and old phones often have none). Size it with CSS (``svg.icon-svg``).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from django import template
from django.contrib.staticfiles import finders
from django.core.exceptions import ImproperlyConfigured
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

NAME = re.compile(r"^[a-z0-9-]{1,40}$")
_SVG = re.compile(r"<svg\b[^>]*\bviewBox=\"(?P<box>[0-9. ]+)\"[^>]*>(?P<body>.*)</svg>", re.S)


@cache
def icon_svg(name: str) -> str:
    """The icon's markup: its paths in our own ``<svg>``, hidden from screen readers (the text says it)."""
    found = finders.find(f"vendor/bootstrap-icons/{name}.svg") if NAME.match(name) else None
    if not found:
        raise ImproperlyConfigured(
            f"Icon {name!r} is missing: list it in ICONS of scripts/copy_assets.py and run `make assets`."
        )
    match = _SVG.search(Path(str(found)).read_text(encoding="utf-8"))
    if match is None:
        raise ImproperlyConfigured(f"Icon {name!r} is not an SVG with a viewBox.")
    body = " ".join(match.group("body").split())
    return (
        f'<svg class="icon-svg" viewBox="{match.group("box")}" width="1em" height="1em" fill="currentColor" '
        f'aria-hidden="true" focusable="false">{body}</svg>'
    )


@register.simple_tag
def icon(name: str) -> SafeString:
    return mark_safe(icon_svg(name))  # noqa: S308 - our own static file, not user input
