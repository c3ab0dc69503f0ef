"""The map page: MapLibre GL served by the platform, our own layers from /api/v1/gis/ (no base map
needed). Thin: the page carries its configuration as JSON (json_script: data, not script); map.js does
the rest."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from jiceng.events.models import EventState
from jiceng.events.queries import categories
from jiceng.gis import maplibre, queries
from jiceng.gis.queries import Layer
from jiceng.org.models import RegionLevel

# Event colours by state: waiting (warm), moving (blue), done (green), out of the loop (grey).
STATE_COLOURS = {
    EventState.REPORTED: "#e6792b",
    EventState.PENDING_DISPATCH: "#e6a23c",
    EventState.DISPATCHED: "#3a7bd5",
    EventState.HANDLING: "#1f4fa8",
    EventState.EXTENSION_PENDING: "#8e44ad",
    EventState.SUSPENDED: "#7f8c8d",
    EventState.HANDLED: "#13a89e",
    EventState.CLOSED: "#4caf50",
    EventState.REJECTED: "#b0b7bf",
    EventState.MERGED: "#c9ced4",
}


def map_config(user: Any) -> dict[str, Any]:
    config = maplibre.base_config()
    return {
        **config,
        "bounds": queries.home_bounds(user, config["crs"]),
        "api": {
            "boundaries": reverse("api:boundaries"),
            **{layer.value: reverse("api:map_layer", kwargs={"layer": layer.value}) for layer in Layer},
        },
        "states": [{"code": s.value, "label": str(s.label), "colour": STATE_COLOURS[s]} for s in EventState],
        "levels": {level.value: str(level.label) for level in RegionLevel},
        "floor_height": queries.FLOOR_HEIGHT_M,
        "text": {
            "open": _("Open the record"),
            "reported_at": _("Reported at"),
            "floors": _("Floors"),
            "truncated": _("Only the first %(n)s features of this layer are shown: zoom in or filter.")
            % {"n": "{n}"},
            "failed": _("The map data could not be loaded."),
            "events": _("events"),
            "patrol": _("Patrol started"),
        },
    }


@login_required
def map_page(request: HttpRequest) -> HttpResponse:
    cats = list(categories().order_by("sort", "code"))
    majors = [c for c in cats if c.parent_id is None]
    children: dict[int, list[Any]] = {}
    for c in cats:
        if c.parent_id is not None:
            children.setdefault(c.parent_id, []).append(c)
    context = {
        "config": map_config(request.user),
        "states": [(s.value, s.label, STATE_COLOURS[s]) for s in EventState],
        "category_groups": [(m, children.get(m.pk, [])) for m in majors],
        "has_tiles": bool(settings.MAP_TILES),
    }
    return render(request, "gis/map.html", context)
