"""Reads of leader assignments: the leader's view of progress, and the queue of the units they go to."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.utils import timezone

from jiceng.accounts.roles import Role
from jiceng.core.scope import scoped
from jiceng.events.models import OPEN_STATES
from jiceng.worktools.models import LeaderAssignment

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from jiceng.accounts.models import User

TRIAGE = (Role.DISPATCHER, Role.COUNTY_CENTER)


def _base() -> QuerySet[LeaderAssignment]:
    return LeaderAssignment.objects.select_related("event", "event__category", "unit", "assignee", "leader")


def given_by(user: User | AnonymousUser | None) -> QuerySet[LeaderAssignment]:
    """The leader's own assignments (their progress view)."""
    if user is None or not user.is_authenticated:
        return LeaderAssignment.objects.none()
    return _base().filter(leader_id=user.pk).order_by("deadline", "id")


def queue(user: User | AnonymousUser | None) -> QuerySet[LeaderAssignment]:
    """Open assignments for the user: sent to their unit or to them, or (triage) in their jurisdiction."""
    if user is None or not user.is_authenticated:
        return LeaderAssignment.objects.none()
    mine = Q(unit_id=getattr(user, "unit_id", None)) | Q(assignee_id=user.pk)
    qs = _base().filter(event__state__in=OPEN_STATES)
    if user.is_superuser or user.has_role(*TRIAGE):
        return (scoped(qs, user) | qs.filter(mine)).order_by("deadline", "id")
    return qs.filter(mine).order_by("deadline", "id")


def is_overdue(item: LeaderAssignment) -> bool:
    return item.event.state in OPEN_STATES and item.deadline < timezone.localdate()


def progress(items: list[LeaderAssignment]) -> dict[str, int]:
    counts = {"total": len(items), "open": 0, "closed": 0, "overdue": 0}
    for item in items:
        if item.event.state in OPEN_STATES:
            counts["open"] += 1
            counts["overdue"] += is_overdue(item)
        else:
            counts["closed"] += 1
    return counts
