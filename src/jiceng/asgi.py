"""ASGI entry points. ``live_application`` serves only the WebSockets (/ws/): `jiceng live` runs it in
its own process beside the WSGI server, which serves the pages and the API. ``application`` serves
both, for embedded mode (`jiceng serve` without Redis) where one process must hold the in-process
channel layer."""

from __future__ import annotations

import os
from typing import Any

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiceng.settings")
django_application = get_asgi_application()  # sets Django up before the imports below

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from jiceng.worktools.routing import websocket_urlpatterns  # noqa: E402

websockets = AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))


async def _http_not_here(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The live process answers HTTP only for health checks; pages come from the WSGI server."""
    ok = scope["path"] == "/healthz"
    body = b"ok" if ok else b"WebSocket only (/ws/)"
    await send(
        {
            "type": "http.response.start",
            "status": 200 if ok else 404,
            "headers": [(b"content-type", b"text/plain; charset=utf-8")],
        }
    )
    await send({"type": "http.response.body", "body": body})


application = ProtocolTypeRouter({"http": django_application, "websocket": websockets})
live_application = ProtocolTypeRouter({"http": _http_not_here, "websocket": websockets})
