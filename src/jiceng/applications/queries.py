"""Scoped reads of applications: lists, worklists, the timeline, the public progress query, statistics
and the counts dashboards show."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import Avg, Count, Q, QuerySet
from django.utils import timezone

from jiceng.applications import deadlines
from jiceng.applications.models import (
    BAD_RATINGS,
    CONCLUDED_STATES,
    OPEN_STATES,
    Application,
    ApplicationFlow,
    ApplicationState,
    ItemMaterial,
    Rating,
    RatingLevel,
    Rectification,
    RectificationState,
    ServiceItem,
    Warning,
)
from jiceng.applications.workflow import window_of
from jiceng.core.crypto import blind_index
from jiceng.core.scope import get_in_scope, scoped
from jiceng.core.validators import InvalidValue, parse_phone

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from jiceng.accounts.models import User


def applications(user: User | AnonymousUser | None) -> QuerySet[Application]:
    return scoped(Application.objects.select_related("item", "region", "window", "current_unit"), user)


def application(user: User | AnonymousUser | None, application_id: int) -> Application:
    return get_in_scope(
        Application.objects.select_related("item", "region", "window__unit", "current_unit", "agent"),
        user,
        pk=application_id,
    )


def timeline(application: Application) -> list[ApplicationFlow]:
    """The flow records, oldest first, each with the ``label`` of its action."""
    from jiceng.applications.workflow import action_label

    flows = list(application.flows.select_related("unit").order_by("id"))
    for flow in flows:
        flow.label = action_label(flow.action)  # type: ignore[attr-defined]
    return flows


def materials(application: Application) -> list[Any]:
    return list(application.materials.select_related("material").order_by("id"))


def workdays_used(application: Application, now: datetime | None = None) -> float | None:
    """Working days from acceptance to 办结 (or now), the supplement periods left out."""
    end = application.concluded_at or now or timezone.now()
    paused = application.paused_seconds
    if application.paused_at is not None and application.concluded_at is None:
        paused += deadlines.work_seconds(application.paused_at, end)
    return deadlines.workdays_used(application.accepted_at, end, paused)


@dataclass
class ApplicationFilter:
    state: str = ""
    item: str = ""
    channel: str = ""
    region: str = ""
    q: str = ""
    overdue: bool | None = None
    since: datetime | None = None
    until: datetime | None = None


def search(user: User | AnonymousUser | None, f: ApplicationFilter) -> QuerySet[Application]:
    qs = applications(user)
    if f.state:
        qs = qs.filter(state__in=f.state.split(","))
    if f.item:
        qs = qs.filter(item__code=f.item)
    if f.channel:
        qs = qs.filter(channel=f.channel)
    if f.region:
        qs = qs.filter(region_code__startswith=f.region)
    if f.since:
        qs = qs.filter(submitted_at__gte=f.since)
    if f.until:
        qs = qs.filter(submitted_at__lt=f.until)
    if f.overdue is True:
        qs = qs.filter(Q(warning=Warning.RED) | Q(was_overdue=True))
    elif f.overdue is False:
        qs = qs.filter(was_overdue=False).exclude(warning=Warning.RED)
    if f.q:
        pk = parse_ref(f.q)
        qs = qs.filter(Q(applicant_name=f.q) | Q(item__name__contains=f.q) | Q(pk=pk or 0))
    return qs


WORKLISTS = (
    "to_accept",
    "to_review",
    "to_pay",
    "to_deliver",
    "supplement",
    "rectify",
    "to_follow_up",
    "mine",
)


def worklist(user: User, name: str) -> QuerySet[Application]:
    """The queues of the window and reviewer workbenches."""
    base = Application.objects.select_related("item", "region", "window", "current_unit")
    window = window_of(user)
    if name == "to_accept":
        if window is None:
            return base.none()
        taken = [
            i.pk for i in ServiceItem.objects.only("pk", "accept_levels") if window.level in i.accept_levels
        ]
        return (
            scoped(base, user)
            .filter(state=ApplicationState.SUBMITTED, item_id__in=taken)
            .order_by("due_at", "id")
        )
    if name == "to_review":
        if user.unit_id is None:
            return base.none()
        return base.filter(
            state=ApplicationState.REVIEWING, current_unit_id=user.unit_id, current_role__in=user.role_codes
        ).order_by("due_at", "id")
    if name == "supplement":
        return scoped(base, user).filter(state=ApplicationState.SUPPLEMENT).order_by("-id")
    if name == "to_pay":
        return scoped(base, user).filter(state=ApplicationState.PAYMENT).order_by("-id")
    if name == "to_deliver":
        if window is None:
            return base.none()
        return base.filter(
            window=window, state__in=[ApplicationState.APPROVED, ApplicationState.DENIED]
        ).order_by("concluded_at", "id")
    if name == "rectify":
        if user.unit_id is None:
            return base.none()
        return base.filter(
            rectification__unit_id=user.unit_id, rectification__state=RectificationState.OPEN
        ).order_by("rectification__due_at")
    if name == "to_follow_up":
        if window is None:
            return base.none()
        return scoped(base, user).filter(rectification__state=RectificationState.REPLIED).order_by("-id")
    if name == "mine":
        return base.filter(Q(created_by=user) | Q(agent=user) | Q(applicant_user=user)).order_by("-id")
    return base.none()


def items(active_only: bool = True) -> QuerySet[ServiceItem]:
    qs = ServiceItem.objects.all()
    return qs.filter(is_active=True) if active_only else qs


def item(code: str) -> ServiceItem:
    from jiceng.core.errors import NotFound

    found = ServiceItem.objects.filter(code=code).prefetch_related("materials", "steps").first()
    if found is None:
        raise NotFound()
    return found


MATERIAL_FILES = ("template", "sample")


def material_file(user: User | AnonymousUser | None, material_id: int, which: str) -> ItemMaterial:
    """A material whose blank template or filled-in sample (``which``) is stored: public forms, open to
    anyone for active items; a retired item's only to staff (the catalog still lists it to them)."""
    from jiceng.core.errors import NotFound

    found = ItemMaterial.objects.select_related("item").filter(pk=material_id).first()
    if found is None or which not in MATERIAL_FILES or not getattr(found, which):
        raise NotFound()
    staff = bool(user and user.is_authenticated and (user.is_superuser or getattr(user, "unit_id", None)))
    if not found.item.is_active and not staff:
        raise NotFound()
    return found


# --- the public progress query ---------------------------------------------------------------------------

REF = re.compile(r"^BJ(\d{8})(\d{7})$")


def parse_ref(ref: str) -> int | None:
    match = REF.match(ref.strip().upper())
    return int(match.group(2)) if match else None


def progress(ref: str, phone: str) -> Application | None:
    """The application with this number whose applicant's phone is ``phone``; None for a wrong number, a
    wrong phone or anything else, all alike, so the answer reveals nothing about other people."""
    match = REF.match(ref.strip().upper())
    if not match:
        return None
    try:
        number = parse_phone(phone)
    except InvalidValue:
        return None
    found = (
        Application.objects.select_related("item", "window", "current_unit")
        .filter(pk=int(match.group(2)), applicant_phone_index=blind_index(number))
        .first()
    )
    if found is None or not found.answers_to(match.group(0)):
        return None
    return found


PUBLIC_ACTIONS = {
    "submit",
    "accept",
    "refuse",
    "request_supplement",
    "supplement",
    "approve",
    "send_back",
    "deny",
    "pay",
    "deliver",
    "withdraw",
    "rate",
}


def public_timeline(application: Application) -> list[dict[str, Any]]:
    """What the applicant sees: what happened when and at which unit; supplement notices and reasons in
    full (they are addressed to the applicant), no staff names."""
    from jiceng.applications.workflow import action_label

    rows = []
    for flow in application.flows.select_related("unit").order_by("id"):
        if flow.action not in PUBLIC_ACTIONS:
            continue
        rows.append(
            {
                "at": flow.at,
                "action": flow.action,
                "label": str(action_label(flow.action)),
                "state": flow.to_state,
                "state_label": str(ApplicationState(flow.to_state).label),
                "unit": flow.unit.name if flow.unit else "",
                "missing": flow.data.get("missing", []),
                "reason": flow.comment if flow.action in ("refuse", "deny") else "",
            }
        )
    return rows


# --- 好差评 statistics -------------------------------------------------------------------------------------


def ratings(user: User | AnonymousUser | None) -> QuerySet[Rating]:
    return scoped(Rating.objects.all(), user)


def rating_stats(
    user: User | AnonymousUser | None, by: str, since: datetime | None = None, until: datetime | None = None
) -> list[dict[str, Any]]:
    """Ratings per item, department or window: count per level, bad ones, share of good, mean score."""
    key = {"item": "item__name", "department": "department__name", "window": "window__name"}[by]
    qs = ratings(user)
    if since:
        qs = qs.filter(rated_at__gte=since)
    if until:
        qs = qs.filter(rated_at__lt=until)
    level_counts = {level.value: Count("id", filter=Q(level=level)) for level in RatingLevel}
    rows = (
        qs.values(key).annotate(total=Count("id"), mean=Avg("score"), **level_counts).order_by("-total", key)
    )
    out = []
    for row in rows:
        bad = sum(row[level] for level in BAD_RATINGS)
        total = row["total"]
        out.append(
            {
                "name": row[key] or "—",
                "total": total,
                "levels": {level.value: row[level.value] for level in RatingLevel},
                "bad": bad,
                "good_rate": round((total - bad) / total * 100, 1) if total else 0.0,
                "mean": round(row["mean"] or 0, 2),
            }
        )
    return out


def rectifications(user: User | AnonymousUser | None) -> QuerySet[Rectification]:
    return scoped(Rectification.objects.select_related("application__item", "unit"), user)


# --- counts for dashboards ---------------------------------------------------------------------------------


def counts(
    user: User | AnonymousUser | None, since: datetime | None = None, prefix: str = ""
) -> dict[str, Any]:
    """Headline numbers of the applications in the user's jurisdiction (for the analytics dashboards),
    optionally of one region within it (``prefix``: the region's scope prefix)."""
    qs = applications(user)
    if since:
        qs = qs.filter(submitted_at__gte=since)
    if prefix:
        qs = qs.filter(region_code__startswith=prefix)
    totals = qs.aggregate(
        total=Count("id"),
        open=Count("id", filter=Q(state__in=OPEN_STATES)),
        concluded=Count("id", filter=Q(state__in=CONCLUDED_STATES)),
        approved=Count("id", filter=Q(outcome="approved")),
        denied=Count("id", filter=Q(outcome="denied")),
        refused=Count("id", filter=Q(state=ApplicationState.REFUSED)),
        overdue=Count("id", filter=Q(warning=Warning.RED) | Q(was_overdue=True)),
        yellow=Count("id", filter=Q(warning=Warning.YELLOW)),
        online=Count("id", filter=Q(channel="online")),
        agency=Count("id", filter=Q(channel="agency")),
    )
    rated = ratings(user)
    if since:
        rated = rated.filter(rated_at__gte=since)
    if prefix:
        rated = rated.filter(region_code__startswith=prefix)
    stars = rated.aggregate(
        rated=Count("id"), bad=Count("id", filter=Q(level__in=BAD_RATINGS)), mean=Avg("score")
    )
    concluded = totals["concluded"] or 0
    return {
        **totals,
        "on_time_rate": round((concluded - _late_concluded(qs)) / concluded * 100, 1) if concluded else None,
        "rated": stars["rated"],
        "bad_ratings": stars["bad"],
        "satisfaction_rate": (
            round((stars["rated"] - stars["bad"]) / stars["rated"] * 100, 1) if stars["rated"] else None
        ),
        "mean_score": round(stars["mean"], 2) if stars["mean"] is not None else None,
        "open_rectifications": rectifications(user)
        .filter(region_code__startswith=prefix)
        .exclude(state=RectificationState.CLOSED)
        .count(),
    }


def _late_concluded(qs: QuerySet[Application]) -> int:
    return qs.filter(state__in=CONCLUDED_STATES, was_overdue=True).count()
