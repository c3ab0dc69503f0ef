"""Display labels of the codes devices speak: metric keys and alarm codes (translated). The codes stay
what is stored and sent; pages, API answers and the events opened by alarms show these labels.

A metric this map does not know is shown by the name its device type gives it (admins' own types),
else by its key; an unknown alarm code by itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from jiceng.iot.models import DeviceType

METRICS: dict[str, Promise] = {
    "smoke": _("Smoke density"),
    "temperature": _("Temperature"),
    "battery": _("Battery"),
    "tilt": _("Tilt"),
    "water_level": _("Water level in the well"),
    "fill": _("Fill level"),
    "pm25": _("PM2.5"),
    "pm10": _("PM10"),
    "noise": _("Noise"),
    "depth": _("Ponding depth"),
    "humidity": _("Humidity"),
}

ALARM_CODES: dict[str, Promise] = {
    "smoke": _("Smoke alarm"),
    "fire": _("Fire detected"),
    "garbage": _("Exposed garbage detected"),
    "fault": _("Device fault"),
    "tamper": _("Tampering"),
    "low_battery": _("Low battery"),
}


def metric_label(key: str, device_type: DeviceType | None = None) -> str:
    if key in METRICS:
        return str(METRICS[key])
    found = device_type.metric(key) if device_type is not None else None
    return str(found.get("name") or key) if found else key


def alarm_code_label(code: str) -> str:
    """An alarm code's label; empty: any alarm of the device."""
    if not code:
        return str(_("any alarm"))
    return str(ALARM_CODES.get(code, code))
