"""WebSocket routes of the work tools (served by jiceng.asgi)."""

from __future__ import annotations

from django.urls import path

from jiceng.worktools.consumers import MessagesConsumer

websocket_urlpatterns = [
    path("ws/messages/", MessagesConsumer.as_asgi()),
    path("ws/messages/<int:conversation_id>/", MessagesConsumer.as_asgi()),
]
