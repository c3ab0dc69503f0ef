"""领导交办: a leader assigns a task to a unit or a person; it runs as an event of source "leader"."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.accounts.roles import Role
from jiceng.audit.actions import record
from jiceng.core.errors import field_error
from jiceng.core.scope import scoped
from jiceng.events.actions import report_event
from jiceng.events.models import Source, Urgency
from jiceng.notifications.actions import notify
from jiceng.org.models import Unit
from jiceng.worktools.common import acting_staff, require_role
from jiceng.worktools.models import LeaderAssignment

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from jiceng.accounts.models import User

MAX_DAYS_AHEAD = 366


def assign(
    actor: User | AnonymousUser | None,
    *,
    unit_code: str,
    title: str,
    category: str,
    deadline: date,
    description: str = "",
    assignee: str = "",
    urgency: str = Urgency.NORMAL,
    now: datetime | None = None,
) -> LeaderAssignment:
    """Assign a task: an event of source "leader" in the unit's region (the usual triage dispatches it), and
    the assignment that keeps the unit, the person and the deadline; the unit's staff are notified."""
    from jiceng.accounts.models import User as UserModel

    user = acting_staff(actor)
    require_role(user, frozenset({Role.LEADER}), _("Only leaders assign tasks."))
    today = timezone.localdate(now or timezone.now())
    if deadline < today:
        raise field_error("deadline", _("The deadline has passed."), "invalid_deadline")
    if (deadline - today).days > MAX_DAYS_AHEAD:
        raise field_error("deadline", _("The deadline is more than a year away."), "invalid_deadline")
    unit = (
        scoped(Unit.objects.select_related("region").filter(is_active=True), user)
        .filter(code=unit_code)
        .first()
    )
    if unit is None:
        raise field_error("unit_code", _("Unknown unit, or outside your jurisdiction."), "invalid_unit")
    person = None
    if assignee:
        person = UserModel.objects.filter(username=assignee, unit=unit, is_active=True).first()
        if person is None:
            raise field_error("assignee", _("Nobody of that name works in the unit."), "invalid_assignee")
    with transaction.atomic():
        event, _created = report_event(
            user,
            category=category,
            title=title,
            description=description,
            urgency=urgency,
            source=Source.LEADER,
            region_code=unit.region.code,
            now=now,
        )
        item = LeaderAssignment.objects.create(
            leader=user,
            event=event,
            unit=unit,
            assignee=person,
            region_code=unit.region.code,
            deadline=deadline,
        )
        audience = [person] if person else list(UserModel.objects.filter(unit=unit, is_active=True))
        notify(
            audience,
            "leader_assignment",
            (_("Leader assignment: %(title)s") % {"title": event.title})[:200],
            event.ref,
            event,
        )
        record(
            "leader_assignment.create",
            actor=user,
            obj=item,
            changes={"event": event.pk, "unit": unit.code, "assignee": assignee, "deadline": deadline},
        )
    return item
