"""Counters for assessing the handling units (量化考核): scoped reads, a few aggregate queries."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q, Sum

from jiceng.core.scope import scoped
from jiceng.events.models import Event, EventFlow, EventState, Supervision
from jiceng.org.models import Unit

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from jiceng.accounts.models import User

COUNTERS = (
    "events",
    "handled",
    "closed",
    "overdue",
    "extensions",
    "returns",
    "rework",
    "reopen",
    "supervisions",
    "supervisions_acknowledged",
)


def unit_counters(user: User | AnonymousUser, since: datetime, until: datetime) -> list[dict[str, Any]]:
    """Per unit in the user's jurisdiction, about the events reported in [since, until) that the user
    may see:

    - ``events``, ``handled`` (handled or closed), ``closed``, ``overdue`` (some stage went past due),
      ``extensions``, ``rework``, ``reopen``: the events the unit leads now;
    - ``returns``: how often the unit sent one of those events back (it leads them no longer, so the
      flow records say who returned it);
    - ``supervisions`` and ``supervisions_acknowledged``: supervision notices addressed to the unit.

    Units with nothing to count are left out. Four queries, whatever the number of units or events.
    """
    units = scoped(Unit.objects.all(), user)
    cohort = scoped(Event.objects.all(), user).filter(reported_at__gte=since, reported_at__lt=until)
    led = (
        cohort.filter(lead_unit__in=units)
        .values("lead_unit")
        .annotate(
            events=Count("pk"),
            handled=Count("pk", filter=Q(state__in=[EventState.HANDLED, EventState.CLOSED])),
            closed=Count("pk", filter=Q(state=EventState.CLOSED)),
            overdue=Count("pk", filter=Q(was_overdue=True)),
            extensions=Sum("extension_count"),
            rework=Sum("rework_count"),
            reopen=Sum("reopen_count"),
        )
        .order_by()
    )
    returns = (
        EventFlow.objects.filter(action="return", event__in=cohort.values("pk"), unit__in=units)
        .values("unit")
        .annotate(returns=Count("pk"))
        .order_by()
    )
    supervisions = (
        Supervision.objects.filter(event__in=cohort.values("pk"), unit__in=units)
        .values("unit")
        .annotate(
            supervisions=Count("pk"),
            supervisions_acknowledged=Count("pk", filter=Q(acknowledged_at__isnull=False)),
        )
        .order_by()
    )
    counters: dict[int, dict[str, int]] = {}

    def add(unit_id: int, values: Mapping[str, Any]) -> None:
        row = counters.setdefault(unit_id, dict.fromkeys(COUNTERS, 0))
        row.update({k: int(v or 0) for k, v in values.items() if k in COUNTERS})

    for by_lead in led:
        add(by_lead["lead_unit"], by_lead)
    for by_returner in returns:
        add(by_returner["unit"], by_returner)
    for by_addressee in supervisions:
        add(by_addressee["unit"], by_addressee)
    names = Unit.objects.filter(pk__in=counters).values_list("pk", "code", "name")
    result = [
        {"unit_id": pk, "unit_code": code, "unit_name": name, **counters[pk]} for pk, code, name in names
    ]
    return sorted(result, key=lambda r: r["unit_code"])
