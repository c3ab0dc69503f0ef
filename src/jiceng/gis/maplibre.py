"""What every MapLibre GL map of the platform starts from (the map page, the pickers on report forms):
the worker script, the base map tiles and MapLibre's own control texts in the page's language.

The pages put this into their map configuration (json_script); their scripts pass ``locale`` to
``new maplibregl.Map``. Keys are MapLibre's (``defaultLocale`` in maplibre-gl 5); the English
msgids are its defaults, so an English page reads as MapLibre does out of the box.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.templatetags.static import static
from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy

LOCALE: dict[str, Promise] = {
    "AttributionControl.ToggleAttribution": pgettext_lazy("map", "Toggle attribution"),
    "AttributionControl.MapFeedback": pgettext_lazy("map", "Map feedback"),
    "FullscreenControl.Enter": pgettext_lazy("map", "Enter fullscreen"),
    "FullscreenControl.Exit": pgettext_lazy("map", "Exit fullscreen"),
    "GeolocateControl.FindMyLocation": pgettext_lazy("map", "Find my location"),
    "GeolocateControl.LocationNotAvailable": pgettext_lazy("map", "Location not available"),
    "LogoControl.Title": pgettext_lazy("map", "MapLibre logo"),
    "Map.Title": pgettext_lazy("map", "Map"),
    "Marker.Title": pgettext_lazy("map", "Map marker"),
    "NavigationControl.ResetBearing": pgettext_lazy("map", "Drag to rotate map, click to reset north"),
    "NavigationControl.ZoomIn": pgettext_lazy("map", "Zoom in"),
    "NavigationControl.ZoomOut": pgettext_lazy("map", "Zoom out"),
    "Popup.Close": pgettext_lazy("map", "Close popup"),
    "ScaleControl.Feet": pgettext_lazy("map", "ft"),
    "ScaleControl.Meters": pgettext_lazy("map", "m"),
    "ScaleControl.Kilometers": pgettext_lazy("map", "km"),
    "ScaleControl.Miles": pgettext_lazy("map", "mi"),
    "ScaleControl.NauticalMiles": pgettext_lazy("map", "nm"),
    "GlobeControl.Enable": pgettext_lazy("map", "Enable globe"),
    "GlobeControl.Disable": pgettext_lazy("map", "Disable globe"),
    "TerrainControl.Enable": pgettext_lazy("map", "Enable terrain"),
    "TerrainControl.Disable": pgettext_lazy("map", "Disable terrain"),
    "CooperativeGesturesHandler.WindowsHelpText": pgettext_lazy("map", "Use Ctrl + scroll to zoom the map"),
    "CooperativeGesturesHandler.MacHelpText": pgettext_lazy("map", "Use ⌘ + scroll to zoom the map"),
    "CooperativeGesturesHandler.MobileHelpText": pgettext_lazy("map", "Use two fingers to move the map"),
}


def display_crs() -> str:
    """The coordinate system maps draw in: GCJ-02 over a 高德/腾讯 base map, WGS-84 otherwise."""
    return "gcj02" if settings.MAP_TILES_CRS == "gcj02" else "wgs84"


def base_config() -> dict[str, Any]:
    """The part of a map's configuration every map shares (in the active language)."""
    return {
        "worker": static("vendor/maplibre-gl/maplibre-gl-csp-worker.js"),
        "tiles": settings.MAP_TILES,
        "attribution": settings.MAP_TILES_ATTRIBUTION,
        "crs": display_crs(),
        "locale": {key: str(text) for key, text in LOCALE.items()},
    }
