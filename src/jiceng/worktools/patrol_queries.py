"""Scoped reads of patrols: who is on patrol and where, tracks as GeoJSON, nearest workers, duties."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.db.models import Max, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from jiceng.core.coords import distance_m
from jiceng.core.scope import get_in_scope, jurisdiction_prefix, scoped
from jiceng.org.models import Region, RegionLevel
from jiceng.registry.models import KeyPlace
from jiceng.worktools.models import (
    CheckIn,
    DutyKind,
    Patrol,
    PatrolDuty,
    PatrolEvent,
    PatrolState,
    TrackPoint,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from jiceng.accounts.models import User

# A key place is "due" this many days before its inspection falls due.
PLACE_DUE_SOON_DAYS = 3


def patrols(user: User | AnonymousUser | None) -> QuerySet[Patrol]:
    return scoped(Patrol.objects.select_related("worker", "unit"), user)


def patrol(user: User | AnonymousUser | None, patrol_id: int) -> Patrol:
    return get_in_scope(Patrol.objects.select_related("worker", "unit"), user, pk=patrol_id)


def active_patrol_of(user: User | AnonymousUser | None) -> Patrol | None:
    if user is None or not user.is_authenticated:
        return None
    return Patrol.objects.filter(worker_id=user.pk, state=PatrolState.ACTIVE).first()


def on_patrol(user: User | AnonymousUser | None) -> QuerySet[Patrol]:
    """Who is on patrol now, in the user's jurisdiction, latest position first."""
    return patrols(user).filter(state=PatrolState.ACTIVE).order_by("-last_at", "-id")


def track(p: Patrol) -> list[tuple[int, float, float]]:
    return list(p.points.order_by("seq").values_list("seq", "lng", "lat"))


def linked_events(p: Patrol) -> list[Any]:
    return [
        link.event
        for link in PatrolEvent.objects.filter(patrol=p).select_related("event").order_by("event_id")
    ]


def geojson(user: User | AnonymousUser | None, *, tracks: bool = False) -> dict[str, Any]:
    """The workers on patrol (last position, Point) and, with ``tracks``, their tracks (LineString)."""
    features: list[dict[str, Any]] = []
    active = list(on_patrol(user))
    by_patrol: dict[int, list[list[float]]] = {}
    if tracks and active:
        for pid, lng, lat in (
            TrackPoint.objects.filter(patrol__in=active)
            .order_by("patrol_id", "seq")
            .values_list("patrol_id", "lng", "lat")
        ):
            by_patrol.setdefault(pid, []).append([lng, lat])
    for p in active:
        props = {
            "patrol_id": p.pk,
            "worker": p.worker.full_name or p.worker.username,
            "username": p.worker.username,
            "unit": p.unit.name,
            "started_at": timezone.localtime(p.started_at).isoformat(timespec="minutes"),
            "last_at": timezone.localtime(p.last_at).isoformat(timespec="minutes") if p.last_at else None,
            "distance_m": p.distance_m,
        }
        if p.last_lng is not None and p.last_lat is not None:
            features.append(
                {
                    "type": "Feature",
                    "id": p.pk,
                    "geometry": {"type": "Point", "coordinates": [p.last_lng, p.last_lat]},
                    "properties": {**props, "kind": "position"},
                }
            )
        line = by_patrol.get(p.pk, [])
        if len(line) > 1:
            features.append(
                {
                    "type": "Feature",
                    "id": p.pk,
                    "geometry": {"type": "LineString", "coordinates": line},
                    "properties": {**props, "kind": "track"},
                }
            )
    return {"type": "FeatureCollection", "features": features, "count": len(features)}


def nearest(
    user: User | AnonymousUser | None, lng: float, lat: float, limit: int = 5
) -> list[tuple[Patrol, float]]:
    """Workers on patrol with a known position, nearest to (lng, lat) first."""
    found = [
        (p, distance_m(lng, lat, p.last_lng, p.last_lat))
        for p in on_patrol(user)
        if p.last_lng is not None and p.last_lat is not None
    ]
    return sorted(found, key=lambda item: item[1])[:limit]


def checkins(user: User | AnonymousUser | None) -> QuerySet[CheckIn]:
    return scoped(CheckIn.objects.select_related("worker", "place", "house"), user)


# --- duties ---------------------------------------------------------------------------------------------


@dataclass
class DutyItem:
    duty: PatrolDuty
    code: str
    name: str
    last_done: date | None
    every_days: int
    status: str  # done, due, missed

    @property
    def days_since(self) -> int | None:
        return None if self.last_done is None else (timezone.localdate() - self.last_done).days


def _grid_status(days_since: int | None, age_days: int, every: int) -> str:
    """A grid is done when patrolled in the current period; due while the previous period was done; missed
    once a whole period went by without a patrol."""
    if days_since is not None and days_since < every:
        return "done"
    since = days_since if days_since is not None else age_days
    return "due" if since < 2 * every else "missed"


def _place_status(days_since: int | None, age_days: int, every: int) -> str:
    since = days_since if days_since is not None else max(age_days, every)
    if since >= every:
        return "missed"
    return "due" if since >= every - PLACE_DUE_SOON_DAYS else "done"


def duties_for(user: User | AnonymousUser | None) -> list[PatrolDuty]:
    """Duties in the user's jurisdiction, and those set above it that reach into it (a township's duty
    concerns its villages' grid workers)."""
    prefix = jurisdiction_prefix(user)
    if prefix is None:
        return []
    return [
        d
        for d in PatrolDuty.objects.filter(is_active=True).select_related("region")
        if d.region_code.startswith(prefix) or prefix.startswith(d.region.scope_prefix)
    ]


def duty_items(user: User | AnonymousUser | None, day: date | None = None) -> list[DutyItem]:
    """Every configured duty in the user's jurisdiction, per grid or key place, with what is due or missed."""
    day = day or timezone.localdate()
    items: list[DutyItem] = []
    for duty in duties_for(user):
        age = (day - timezone.localdate(duty.created_at)).days
        if duty.kind == DutyKind.GRID:
            every = duty.every_days or 1
            grids = list(
                scoped(Region.objects.filter(is_active=True, level=RegionLevel.GRID), user)
                .filter(code__startswith=duty.region.scope_prefix)
                .values_list("code", "name")
            )
            last = dict(
                TrackPoint.objects.filter(grid_code__in=[g[0] for g in grids], recorded_at__date__lte=day)
                .values("grid_code")
                .annotate(last=Max(TruncDate("recorded_at")))
                .values_list("grid_code", "last")
            )
            for code, name in grids:
                done = last.get(code)
                since = (day - done).days if done else None
                items.append(DutyItem(duty, code, name, done, every, _grid_status(since, age, every)))
        else:
            places = list(
                scoped(KeyPlace.objects.alive(), user)
                .filter(region_code__startswith=duty.region.scope_prefix)
                .values_list("pk", "code", "name", "inspection_cycle_days", "last_inspected_on")
            )
            last_checkin = dict(
                CheckIn.objects.filter(place_id__in=[p[0] for p in places], at__date__lte=day)
                .values("place_id")
                .annotate(last=Max(TruncDate("at")))
                .values_list("place_id", "last")
            )
            for pk, code, name, cycle, inspected in places:
                dates = [d for d in (last_checkin.get(pk), inspected) if d is not None]
                done = max(dates) if dates else None
                every = duty.every_days or cycle or 30
                since = (day - done).days if done else None
                items.append(DutyItem(duty, code, name, done, every, _place_status(since, age, every)))
    order = {"missed": 0, "due": 1, "done": 2}
    return sorted(items, key=lambda i: (order[i.status], i.code))


def duty_counts(items: list[DutyItem]) -> dict[str, int]:
    counts = {"done": 0, "due": 0, "missed": 0}
    for item in items:
        counts[item.status] += 1
    return counts
