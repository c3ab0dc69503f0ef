"""Scoped reads of visits and work logs, and the ledgers (台账) built from them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet

from jiceng.core.scope import get_in_scope, scoped
from jiceng.worktools.models import CheckIn, Visit, WorkLog

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from jiceng.accounts.models import User


def visits(user: User | AnonymousUser | None) -> QuerySet[Visit]:
    return scoped(Visit.objects.select_related("visitor", "visitor__unit"), user)


def visit(user: User | AnonymousUser | None, visit_id: int) -> Visit:
    return get_in_scope(Visit.objects.select_related("visitor"), user, pk=visit_id)


def visits_of(user: User | AnonymousUser | None, obj: Any) -> QuerySet[Visit]:
    """The visits to one registry record (for its 360° page): a person also shows their household's."""
    kind = getattr(obj, "kind", "")
    if kind == "person":
        q = Q(person=obj)
        if getattr(obj, "household_id", None):
            q |= Q(household_id=obj.household_id)
    elif kind in ("household", "house", "organization"):
        q = Q(**{kind: obj})
    else:
        return Visit.objects.none()
    return visits(user).filter(q)


def work_logs(user: User | AnonymousUser | None) -> QuerySet[WorkLog]:
    """Work logs: one's own, and those of the workers in one's jurisdiction."""
    if user is None or not user.is_authenticated:
        return WorkLog.objects.none()
    return (scoped(WorkLog, user) | WorkLog.objects.filter(author_id=user.pk)).select_related("author")


def own_log(user: User, day: date) -> WorkLog | None:
    return WorkLog.objects.filter(author=user, day=day).first()


LEDGERS = ("visits", "logs", "checkins")


@dataclass
class LedgerFilter:
    since: date | None = None
    until: date | None = None
    region: str = ""
    worker: str = ""
    q: str = ""


def ledger(user: User | AnonymousUser | None, name: str, f: LedgerFilter) -> QuerySet[Any]:
    """One ledger's rows (visits, work logs or check-ins) in the user's jurisdiction, filtered."""
    if name == "visits":
        qs: QuerySet[Any] = visits(user)
        time, who = "visited_at__date", "visitor__username"
        text: tuple[str, ...] = ("subject_name", "findings", "follow_up")
    elif name == "logs":
        qs = work_logs(user)
        time, who = "day", "author__username"
        text = ("content", "issues")
    elif name == "checkins":
        qs = scoped(CheckIn.objects.select_related("worker", "place", "house"), user)
        time, who = "at__date", "worker__username"
        text = ("note", "place__name", "house__address")
    else:
        return Visit.objects.none()
    if f.since:
        qs = qs.filter(**{f"{time}__gte": f.since})
    if f.until:
        qs = qs.filter(**{f"{time}__lte": f.until})
    if f.region:
        qs = qs.filter(region_code__startswith=f.region)
    if f.worker:
        qs = qs.filter(**{who: f.worker})
    if f.q:
        cond = Q()
        for field in text:
            cond |= Q(**{f"{field}__icontains": f.q})
        qs = qs.filter(cond)
    return qs.order_by(time.replace("__date", ""), "id")


@dataclass
class VisitSubject:
    key: str
    name: str
    place: str


def visit_subjects(
    user: User | AnonymousUser | None, kind: str, q: str, limit: int = 20
) -> list[VisitSubject]:
    """Whom a visit can be recorded for: people, households, houses or organizations of the jurisdiction
    found by the registry's own search (the phone's way in, without browsing the registry pages)."""
    from jiceng.registry import queries as registry_queries
    from jiceng.worktools.visit_actions import VISIT_SUBJECTS, subject_name

    q = q.strip()
    if kind not in VISIT_SUBJECTS or not q:
        return []
    qs = registry_queries.records(user, kind, q=q)
    if kind == "household":
        qs = qs.select_related("head")
    return [
        VisitSubject(
            key=str(obj.pk) if kind == "person" else str(getattr(obj, obj.natural_key)),
            name=subject_name(kind, obj),
            place=obj.address or obj.region.name,
        )
        for obj in qs[:limit]
    ]
