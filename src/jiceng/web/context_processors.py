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
    entries: list[tuple[str, dict[str, Any]]] = []
    for item in items_for(getattr(request, "user", None)):
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        entries.append((item.group, {"label": item.label, "url": url, "icon": item.icon, "active": False}))
    # The current page is the entry with the longest URL it lies under (/federation/routes/ is not also
    # /federation/), so one entry at most is marked.
    matching = [
        e for _g, e in entries if (current == e["url"] if e["url"] == "/" else current.startswith(e["url"]))
    ]
    if matching:
        max(matching, key=lambda e: len(e["url"]))["active"] = True
    for group, entry in entries:
        (grouped[group] if group else plain).append(entry)
    menus = [
        {"label": GROUPS[key], "children": children, "active": any(c["active"] for c in children)}
        for key, children in grouped.items()
        if children
    ]
    return {"nav_items": plain + menus}
