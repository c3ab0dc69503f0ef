"""Reads of conversations: one's own only, with unread counts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery

from jiceng.core.errors import NotFound
from jiceng.worktools.models import Conversation, Member, Message

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from jiceng.accounts.models import User


def conversations(user: User | AnonymousUser | None) -> QuerySet[Conversation]:
    """The user's conversations, latest first, each with ``unread`` (messages from others not yet read)."""
    if user is None or not user.is_authenticated:
        return Conversation.objects.none()
    read_mark = Member.objects.filter(conversation=OuterRef("pk"), user_id=user.pk).values("last_read_id")[:1]
    return (
        Conversation.objects.filter(members__user_id=user.pk)
        .annotate(read_mark=Subquery(read_mark))
        .annotate(
            unread=Count(
                "messages",
                filter=Q(messages__id__gt=F("read_mark")) & ~Q(messages__sender_id=user.pk),
                distinct=True,
            )
        )
        .order_by(F("last_message_at").desc(nulls_last=True), "-id")
    )


def conversation(user: User | AnonymousUser | None, conversation_id: int) -> Conversation:
    found = conversations(user).filter(pk=conversation_id).first()
    if found is None:
        raise NotFound()
    return found


def messages(
    user: User | AnonymousUser | None, conversation_id: int, *, after: int = 0, limit: int = 100
) -> list[Message]:
    """Messages of one of the user's conversations after id ``after`` (the last ``limit`` when 0)."""
    conversation(user, conversation_id)
    qs = Message.objects.filter(conversation_id=conversation_id).select_related("sender")
    if after:
        return list(qs.filter(pk__gt=after).order_by("id")[:limit])
    return list(reversed(qs.order_by("-id")[:limit]))


def unread_total(user: User | AnonymousUser | None) -> int:
    return sum(c.unread for c in conversations(user))  # type: ignore[attr-defined]


def member_names(conversation_obj: Conversation) -> list[str]:
    return [
        m.user.full_name or m.user.username
        for m in Member.objects.filter(conversation=conversation_obj)
        .select_related("user")
        .order_by("user__username")
    ]


def display_title(conversation_obj: Conversation, user: User) -> str:
    if conversation_obj.title:
        return conversation_obj.title
    others = [
        m.user.full_name or m.user.username
        for m in Member.objects.filter(conversation=conversation_obj)
        .exclude(user=user)
        .select_related("user")
    ]
    return "、".join(others)
