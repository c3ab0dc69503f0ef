from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from jiceng.web.navigation import GROUPS, items_for


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The entries of the main navigation: plain links, then the groups (menus) that have any."""
    current = request.path
    plain: list[dict[str, Any]] = []
    grouped: dict[str, list[dict[str, Any]]] = {key: [] for key in GROUPS}
    for item in items_for(getattr(request, "user", None)):
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        active = current == url if url == "/" else current.startswith(url)
        entry = {"label": item.label, "url": url, "icon": item.icon, "active": active}
        (grouped[item.group] if item.group else plain).append(entry)
    menus = [
        {"label": GROUPS[key], "children": children, "active": any(c["active"] for c in children)}
        for key, children in grouped.items()
        if children
    ]
    return {"nav_items": plain + menus}
