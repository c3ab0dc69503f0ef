"""即时通讯: one-to-one and group conversations (per unit, per event). Messages are kept (never edited or
deleted) and every send is audited; members with nothing unread before get one notification."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.audit.actions import record
from jiceng.core.errors import NotFound, field_error
from jiceng.core.scope import get_in_scope
from jiceng.events.models import Event
from jiceng.notifications.actions import notify
from jiceng.worktools import contacts, live
from jiceng.worktools.common import acting_staff
from jiceng.worktools.models import Conversation, ConversationKind, Member, Message

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from jiceng.accounts.models import User

MAX_BODY = 2000
MAX_GROUP = 200


def _get_or_create(key: str, **fields: object) -> Conversation:
    try:
        with transaction.atomic():
            return Conversation.objects.create(key=key, **fields)
    except IntegrityError:
        return Conversation.objects.get(key=key)


def _join(conversation: Conversation, users: Iterable[User]) -> None:
    Member.objects.bulk_create(
        [Member(conversation=conversation, user=u) for u in users], ignore_conflicts=True
    )


def open_direct(actor: User | AnonymousUser | None, username: str) -> Conversation:
    """The one conversation between the user and a colleague from the address book."""
    user = acting_staff(actor)
    try:
        other = contacts.person(user, username)
    except NotFound as exc:
        raise field_error("username", _("Unknown colleague."), "invalid_user") from exc
    if other.pk == user.pk:
        raise field_error("username", _("Choose someone else."), "invalid_user")
    low, high = sorted((user.pk, other.pk))
    with transaction.atomic():
        conversation = _get_or_create(f"direct:{low}:{high}", kind=ConversationKind.DIRECT, created_by=user)
        _join(conversation, [user, other])
    return conversation


def open_unit(actor: User | AnonymousUser | None) -> Conversation:
    """The group of the user's unit; its current staff are members."""
    from jiceng.accounts.models import User as UserModel

    user = acting_staff(actor)
    if user.unit is None:
        raise NotFound()
    with transaction.atomic():
        conversation = _get_or_create(
            f"unit:{user.unit_id}",
            kind=ConversationKind.UNIT,
            title=user.unit.name,
            unit=user.unit,
            created_by=user,
        )
        _join(conversation, UserModel.objects.filter(unit_id=user.unit_id, is_active=True))
    return conversation


def open_event(actor: User | AnonymousUser | None, event_id: int) -> Conversation:
    """The group about an event; whoever may see the event may join it."""
    user = acting_staff(actor)
    event = get_in_scope(Event, user, pk=event_id)
    with transaction.atomic():
        conversation = _get_or_create(
            f"event:{event.pk}",
            kind=ConversationKind.EVENT,
            title=f"{event.ref} {event.title}"[:100],
            event=event,
            created_by=user,
        )
        _join(conversation, [user])
    return conversation


def create_group(actor: User | AnonymousUser | None, *, title: str, usernames: list[str]) -> Conversation:
    user = acting_staff(actor)
    title = title.strip()
    if not title:
        raise field_error("title", _("This field is required."), "required")
    wanted = set(usernames) - {user.username}
    if not wanted or len(wanted) > MAX_GROUP:
        raise field_error(
            "usernames", _("Choose between 1 and %(n)d colleagues.") % {"n": MAX_GROUP}, "invalid_members"
        )
    found = list(contacts.people(user).filter(username__in=wanted))
    if len(found) != len(wanted):
        raise field_error("usernames", _("Unknown colleague."), "invalid_user")
    with transaction.atomic():
        conversation = Conversation.objects.create(
            kind=ConversationKind.GROUP, title=title[:100], created_by=user
        )
        _join(conversation, [user, *found])
        record("conversation.create", actor=user, obj=conversation, changes={"members": sorted(wanted)})
    return conversation


def _membership(user: User, conversation_id: int) -> Member:
    member = (
        Member.objects.select_related("conversation")
        .filter(conversation_id=conversation_id, user=user)
        .first()
    )
    if member is None:
        raise NotFound()
    return member


def send(
    actor: User | AnonymousUser | None, conversation_id: int, body: str, *, client_id: str = ""
) -> tuple[Message, bool]:
    """Post a message to a conversation one belongs to. ``client_id`` makes a resend harmless."""
    user = acting_staff(actor)
    body = body.strip()
    if not body:
        raise field_error("body", _("Write something first."), "required")
    if len(body) > MAX_BODY:
        raise field_error("body", _("Too long."), "too_long")
    client_id = client_id.strip()[:64]
    member = _membership(user, conversation_id)
    if client_id:
        existing = Message.objects.filter(sender=user, client_id=client_id).first()
        if existing is not None:
            return existing, False
    conversation = member.conversation
    with transaction.atomic():
        previous = conversation.messages.order_by("-id").values_list("id", flat=True).first() or 0
        message = Message.objects.create(
            conversation=conversation, sender=user, body=body, client_id=client_id
        )
        now = timezone.now()
        Conversation.objects.filter(pk=conversation.pk).update(last_message_at=now)
        Member.objects.filter(pk=member.pk).update(last_read_id=message.pk)
        # Only those who had read everything hear of it: one notification per burst of messages.
        fresh = [
            m.user
            for m in Member.objects.filter(conversation=conversation, last_read_id__gte=previous)
            .exclude(user=user)
            .select_related("user")
        ]
        if fresh:
            title = _("Message from %(who)s") % {"who": user.full_name or user.username}
            # A group by its name; a one-to-one chat (no title, only an internal key) by the message itself.
            notify(fresh, "message", title, conversation.title[:100] or body[:100])
        record(
            "message.send",
            actor=user,
            obj=message,
            changes={"conversation": conversation.pk, "length": len(body)},
        )
        transaction.on_commit(partial(live.publish_message, message))
    return message, True


def mark_read(actor: User | AnonymousUser | None, conversation_id: int, up_to: int | None = None) -> int:
    """Mark the conversation read up to a message (default: all). Returns the new read mark."""
    user = acting_staff(actor)
    member = _membership(user, conversation_id)
    last = (
        Message.objects.filter(conversation_id=conversation_id)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )
    mark = min(up_to, last or 0) if up_to is not None else (last or 0)
    if Member.objects.filter(pk=member.pk, last_read_id__lt=mark).update(last_read_id=mark):
        transaction.on_commit(partial(live.publish_unread, user.pk, conversation_id))
    return max(mark, member.last_read_id)
