"""Reads of notifications: a user only ever sees their own."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from jiceng.notifications.models import Notification

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from jiceng.accounts.models import User


def notifications(user: User | AnonymousUser, *, unread_only: bool = False) -> QuerySet[Notification]:
    """The user's notifications, newest first (none for anonymous users)."""
    if not user.is_authenticated:
        return Notification.objects.none()
    qs = Notification.objects.filter(user_id=user.pk)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-id")


def unread_count(user: User | AnonymousUser) -> int:
    return notifications(user, unread_only=True).count()
