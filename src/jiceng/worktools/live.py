"""Live messages over WebSocket (Django Channels). Once a message is committed, every member of its
conversation hears of it on their own group of the channel layer, with their unread counts; the page
then fetches the message as HTML the way polling does (so reading and marking read stay in one place).
Polling stays the fallback: a socket that cannot open or drops changes nothing but the delay.

Only members are told: the event goes to each member's group, never to a conversation-wide one, and a
socket opened for one conversation is refused unless the user belongs to it."""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db.models import Count, F, Q

from jiceng.core.errors import DomainError
from jiceng.worktools import message_queries
from jiceng.worktools.common import acting_staff
from jiceng.worktools.models import Member

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from jiceng.accounts.models import User
    from jiceng.worktools.models import Message

logger = logging.getLogger(__name__)

MESSAGE = "live.message"  # a new message: the consumer's ``live_message`` handler
UNREAD = "live.unread"  # unread counts changed (read elsewhere): ``live_unread``


def user_group(user_id: int) -> str:
    return f"worktools.user.{user_id}"


def socket_path(conversation_id: int | None = None) -> str:
    """Where a page opens its socket ("" when live delivery is off: the page only polls)."""
    if not settings.LIVE_ENABLED:
        return ""
    path = f"/ws/messages/{conversation_id}/" if conversation_id else "/ws/messages/"
    return f"{settings.LIVE_URL}{path}"


def listener(user: User | AnonymousUser | None, conversation_id: int | None) -> User | None:
    """The staff member who may open this socket: for one conversation, only its members."""
    try:
        staff = acting_staff(user)
        if conversation_id is not None:
            message_queries.conversation(staff, conversation_id)
    except DomainError:
        return None
    return staff


def unread_counts(user_ids: list[int]) -> dict[int, dict[int, int]]:
    """For each user: unread messages from others per conversation (only those with some)."""
    rows = (
        Member.objects.filter(user_id__in=user_ids)
        .annotate(
            n=Count(
                "conversation__messages",
                filter=Q(conversation__messages__id__gt=F("last_read_id"))
                & ~Q(conversation__messages__sender_id=F("user_id")),
            )
        )
        .filter(n__gt=0)
        .values_list("user_id", "conversation_id", "n")
    )
    counts: dict[int, dict[int, int]] = defaultdict(dict)
    for user_id, conversation_id, n in rows:
        counts[user_id][conversation_id] = n
    return counts


def _send(events: list[tuple[str, dict[str, Any]]]) -> None:
    layer = get_channel_layer()
    if layer is None or not settings.LIVE_ENABLED or not events:
        return

    async def send_all() -> None:
        for group, event in events:
            await layer.group_send(group, event)

    try:
        async_to_sync(send_all)()
    except Exception:  # the message is saved; pages still poll
        logger.warning("live: could not publish %d event(s)", len(events), exc_info=True)


def publish_message(message: Message) -> None:
    """Tell every member of the message's conversation (run on commit)."""
    members = list(
        Member.objects.filter(conversation_id=message.conversation_id).values_list("user_id", flat=True)
    )
    counts = unread_counts(members)
    _send(
        [
            (
                user_group(user_id),
                {
                    "type": MESSAGE,
                    "conversation": message.conversation_id,
                    "message": message.pk,
                    "sender": message.sender_id,
                    "unread": counts[user_id].get(message.conversation_id, 0),
                    "unread_total": sum(counts[user_id].values()),
                },
            )
            for user_id in members
        ]
    )


def publish_unread(user_id: int, conversation_id: int) -> None:
    """The user read a conversation: their other pages update their counts (run on commit)."""
    counts = unread_counts([user_id])[user_id]
    _send(
        [
            (
                user_group(user_id),
                {
                    "type": UNREAD,
                    "conversation": conversation_id,
                    "unread": counts.get(conversation_id, 0),
                    "unread_total": sum(counts.values()),
                },
            )
        ]
    )


def unread_total(user_id: int) -> int:
    return sum(unread_counts([user_id])[user_id].values())
