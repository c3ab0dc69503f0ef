"""IoT settings, from the environment (read when used, so tests can change them)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from django.conf import settings


def _setting(name: str, default: str) -> str:
    return str(getattr(settings, name, None) or os.environ.get(name, default))


def history_days() -> int:
    """How many days of readings are kept for the charts (JICENG_IOT_HISTORY_DAYS, default 7)."""
    return int(_setting("JICENG_IOT_HISTORY_DAYS", "7"))


def history_interval_seconds() -> int:
    """At most one kept reading per device per this many seconds (JICENG_IOT_HISTORY_INTERVAL, 300)."""
    return int(_setting("JICENG_IOT_HISTORY_INTERVAL", "300"))


def topic_prefix() -> str:
    return _setting("JICENG_MQTT_TOPIC_PREFIX", "jiceng/devices").rstrip("/")


@dataclass(frozen=True)
class Broker:
    host: str
    port: int
    username: str | None
    password: str | None
    tls: bool


def broker() -> Broker:
    """JICENG_MQTT_URL: mqtt://[user:password@]host[:1883] or mqtts://… (TLS, port 8883)."""
    url = urlsplit(_setting("JICENG_MQTT_URL", "mqtt://127.0.0.1:1883"))
    tls = url.scheme == "mqtts"
    return Broker(
        host=url.hostname or "127.0.0.1",
        port=url.port or (8883 if tls else 1883),
        username=unquote(url.username) if url.username else None,
        password=unquote(url.password) if url.password else None,
        tls=tls,
    )
