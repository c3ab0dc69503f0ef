from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from jiceng.web.navigation import items_for


def navigation(request: HttpRequest) -> dict[str, Any]:
    current = request.path
    nav = []
    for item in items_for(getattr(request, "user", None)):
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        active = current == url if url == "/" else current.startswith(url)
        nav.append({"label": item.label, "url": url, "icon": item.icon, "active": active})
    return {"nav_items": nav}
