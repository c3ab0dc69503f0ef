"""The messages socket: one per page, authenticated by the Django session (see asgi.py). It forwards
what live.py publishes to the user's group; the page reacts by fetching (chat.js, live.js)."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from jiceng.worktools import live

REFUSED = 4403  # close code: not logged in as staff, or not a member of the conversation


class MessagesConsumer(AsyncJsonWebsocketConsumer):
    user_id: int | None = None
    conversation_id: int | None = None

    async def connect(self) -> None:
        conversation_id = self.scope["url_route"]["kwargs"].get("conversation_id")
        user = await database_sync_to_async(live.listener)(self.scope.get("user"), conversation_id)
        if user is None:
            await self.close(code=REFUSED)
            return
        self.user_id, self.conversation_id = user.pk, conversation_id
        await self.channel_layer.group_add(live.user_group(user.pk), self.channel_name)
        await self.accept()
        total = await database_sync_to_async(live.unread_total)(user.pk)
        await self.send_json({"type": "hello", "unread_total": total})

    async def disconnect(self, code: int) -> None:
        if self.user_id is not None:
            await self.channel_layer.group_discard(live.user_group(self.user_id), self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """Nothing is sent this way (messages go through the HTTP form); a ping is answered."""
        if content == {"type": "ping"}:
            await self.send_json({"type": "pong"})

    async def live_message(self, event: dict[str, Any]) -> None:
        await self.send_json({**event, "type": "message", "mine": event["sender"] == self.user_id})

    async def live_unread(self, event: dict[str, Any]) -> None:
        await self.send_json({**event, "type": "unread"})
