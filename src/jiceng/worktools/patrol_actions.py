"""Writes of patrols (巡查), their tracks, check-ins (签到), duties and dispatch tasks (调度)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.audit.actions import record
from jiceng.core.coords import CoordSystem, distance_m, to_wgs84
from jiceng.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied, field_error
from jiceng.core.scope import get_in_scope, scoped
from jiceng.events.actions import report_event
from jiceng.events.models import Event
from jiceng.notifications.actions import notify
from jiceng.org import locate
from jiceng.org.models import Region, RegionLevel
from jiceng.registry.models import House, KeyPlace
from jiceng.worktools.common import (
    DISPATCH_ROLES,
    DUTY_ROLES,
    PATROL_ROLES,
    acting_staff,
    checked_photo,
    require_role,
)
from jiceng.worktools.models import (
    CheckIn,
    DutyKind,
    Patrol,
    PatrolDuty,
    PatrolEvent,
    PatrolState,
    PatrolTask,
    TrackPoint,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from jiceng.accounts.models import User

MAX_BATCH = 500
# Points less accurate than this are kept in the track but not counted in the distance.
MAX_ACCURACY_M = 100.0
CLOCK_SLACK = timedelta(minutes=5)
STALE_AFTER = timedelta(hours=12)


def checkin_max_distance_m() -> float:
    """How far from the place a check-in may be before it is flagged (JICENG_CHECKIN_MAX_DISTANCE_M)."""
    return float(getattr(settings, "JICENG_CHECKIN_MAX_DISTANCE_M", 200))


# --- patrols -------------------------------------------------------------------------------------------


def start_patrol(actor: User | AnonymousUser | None, *, now: datetime | None = None) -> tuple[Patrol, bool]:
    """Start a patrol; a worker already on patrol gets that one back (a double tap starts nothing new)."""
    user = acting_staff(actor)
    require_role(user, PATROL_ROLES, _("Only grid workers, village cadres and safety officers patrol."))
    if user.unit is None:
        raise PermissionDenied()
    now = now or timezone.now()
    _end_stale(user, now)
    try:
        with transaction.atomic():
            patrol = Patrol.objects.create(
                worker=user, unit=user.unit, region_code=user.unit.region.code, started_at=now
            )
            record("patrol.start", actor=user, obj=patrol)
    except IntegrityError:
        return Patrol.objects.get(worker=user, state=PatrolState.ACTIVE), False
    return patrol, True


def _end_stale(user: User, now: datetime) -> None:
    """A patrol left running (the phone died, the worker forgot) ends at its last position once it has
    been quiet for STALE_AFTER, so that a new one can start."""
    stale = Patrol.objects.filter(worker=user, state=PatrolState.ACTIVE).first()
    if stale is None or (stale.last_at or stale.started_at) > now - STALE_AFTER:
        return
    end = stale.last_at or stale.started_at
    with transaction.atomic():
        updated = Patrol.objects.filter(pk=stale.pk, version=stale.version, state=PatrolState.ACTIVE).update(
            state=PatrolState.ENDED, ended_at=end, version=F("version") + 1
        )
        if updated == 1:
            _link_events(stale, user, end)
            record("patrol.stop", actor=user, obj=stale, changes={"stale": True, "ended_at": end})


def _own_patrol(user: User, patrol_id: int, *, lock: bool = False) -> Patrol:
    qs = Patrol.objects.select_for_update() if lock else Patrol.objects.all()
    patrol = get_in_scope(qs, user, pk=patrol_id)
    if patrol.worker_id != user.pk:
        raise PermissionDenied(_("Only the worker on this patrol may do this."))
    return patrol


@dataclass(frozen=True)
class PointIn:
    seq: int
    lng: float
    lat: float
    recorded_at: datetime
    accuracy_m: float | None = None


def _check_points(patrol: Patrol, points: list[PointIn], now: datetime) -> None:
    if len(points) > MAX_BATCH:
        raise field_error(
            "points", _("At most %(n)d points in one batch.") % {"n": MAX_BATCH}, "batch_too_large"
        )
    errors: dict[str, list[str]] = {}
    earliest = patrol.started_at - CLOCK_SLACK
    latest = min(now, patrol.ended_at or now) + CLOCK_SLACK
    for i, p in enumerate(points):
        if p.seq < 0:
            errors[f"points.{i}.seq"] = [_("Must be zero or more.")]
        if not (-180 <= p.lng <= 180 and -90 <= p.lat <= 90):
            errors[f"points.{i}.lng"] = [_("The location is not a valid longitude and latitude.")]
        if not earliest <= p.recorded_at <= latest:
            errors[f"points.{i}.recorded_at"] = [_("The time is outside the patrol.")]
    if errors:
        raise InvalidInput(
            _("Some points are invalid; none was stored."), code="invalid_points", details=errors
        )


def _track_summary(patrol: Patrol) -> dict[str, Any]:
    """Distance, count and last position, from the stored points in sequence order."""
    rows = list(patrol.points.order_by("seq").values_list("lng", "lat", "accuracy_m", "recorded_at"))
    if not rows:
        return {"distance_m": 0.0, "point_count": 0, "last_lng": None, "last_lat": None, "last_at": None}
    good = np.array([(r[0], r[1]) for r in rows if r[2] is None or r[2] <= MAX_ACCURACY_M], dtype=np.float64)
    total = 0.0
    if len(good) > 1:
        lng, lat = np.radians(good[:, 0]), np.radians(good[:, 1])
        dlat, dlng = np.diff(lat), np.diff(lng)
        h = np.sin(dlat / 2) ** 2 + np.cos(lat[:-1]) * np.cos(lat[1:]) * np.sin(dlng / 2) ** 2
        total = float(np.sum(2 * 6371008.8 * np.arcsin(np.sqrt(h))))
    last = rows[-1]
    return {
        "distance_m": round(total, 1),
        "point_count": len(rows),
        "last_lng": last[0],
        "last_lat": last[1],
        "last_at": last[3],
    }


def _grid_code(lng: float, lat: float) -> str:
    region = locate.locate(lng, lat)
    if region is None:
        return ""
    return region.code if region.level in (RegionLevel.GRID, RegionLevel.MICROGRID) else ""


def add_points(
    actor: User | AnonymousUser | None,
    patrol_id: int,
    points: list[PointIn],
    *,
    coord_system: str = CoordSystem.WGS84,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Store a batch of track points. Numbered by the phone (``seq``), so a batch sent again after a lost
    answer stores nothing twice; points may arrive late and out of order (queued while offline). A batch
    with any invalid point is refused whole."""
    user = acting_staff(actor)
    now = now or timezone.now()
    if coord_system not in CoordSystem.__members__.values():
        raise field_error("coord_system", _("Unknown coordinate system."), "invalid_coord_system")
    with transaction.atomic():
        patrol = _own_patrol(user, patrol_id, lock=True)  # one batch of a patrol at a time
        _check_points(patrol, points, now)
        rows = []
        for p in points:
            lng, lat = to_wgs84(p.lng, p.lat, coord_system)
            rows.append(
                TrackPoint(
                    patrol=patrol,
                    seq=p.seq,
                    lng=round(lng, 7),
                    lat=round(lat, 7),
                    accuracy_m=p.accuracy_m,
                    recorded_at=p.recorded_at,
                    grid_code=_grid_code(lng, lat),
                )
            )
        before = patrol.point_count
        TrackPoint.objects.bulk_create(rows, ignore_conflicts=True)
        summary = _track_summary(patrol)
        Patrol.objects.filter(pk=patrol.pk).update(**summary)
    stored = summary["point_count"] - before
    return {
        "patrol_id": patrol.pk,
        "stored": stored,
        "duplicates": len(points) - stored,
        "point_count": summary["point_count"],
        "distance_m": summary["distance_m"],
    }


def _link_events(patrol: Patrol, user: User, end: datetime) -> int:
    """Link the events the worker reported while on patrol (also those reported on other pages)."""
    ids = Event.objects.filter(
        created_by=user, reported_at__gte=patrol.started_at, reported_at__lte=end
    ).values_list("pk", flat=True)
    linked = set(PatrolEvent.objects.filter(event_id__in=list(ids)).values_list("event_id", flat=True))
    new = [PatrolEvent(patrol=patrol, event_id=pk) for pk in ids if pk not in linked]
    PatrolEvent.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def stop_patrol(
    actor: User | AnonymousUser | None,
    patrol_id: int,
    *,
    version: int | None = None,
    note: str = "",
    now: datetime | None = None,
) -> Patrol:
    """End the patrol (compare-and-set: ending twice, or on a stale version, is a conflict)."""
    user = acting_staff(actor)
    now = now or timezone.now()
    with transaction.atomic():
        patrol = _own_patrol(user, patrol_id)
        expected = patrol.version if version is None else version
        updated = Patrol.objects.filter(pk=patrol.pk, version=expected, state=PatrolState.ACTIVE).update(
            state=PatrolState.ENDED, ended_at=now, note=note.strip()[:500], version=F("version") + 1
        )
        if updated != 1:
            raise Conflict(_("The patrol has already ended, or was changed. Reload and try again."))
        patrol.refresh_from_db()
        linked = _link_events(patrol, user, now)
        record(
            "patrol.stop",
            actor=user,
            obj=patrol,
            changes={"distance_m": patrol.distance_m, "points": patrol.point_count, "events_linked": linked},
        )
    return patrol


def report_on_patrol(actor: User | AnonymousUser | None, patrol_id: int, **event: Any) -> tuple[Event, bool]:
    """Report an event through the events intake, linked to the worker's active patrol."""
    user = acting_staff(actor)
    with transaction.atomic():
        patrol = _own_patrol(user, patrol_id)
        if patrol.state != PatrolState.ACTIVE:
            raise Conflict(_("The patrol has ended."), code="patrol_ended")
        created_event, created = report_event(user, **event)
        PatrolEvent.objects.get_or_create(event=created_event, defaults={"patrol": patrol})
    return created_event, created


# --- check-ins -----------------------------------------------------------------------------------------


def check_in(
    actor: User | AnonymousUser | None,
    *,
    lng: float,
    lat: float,
    place_code: str = "",
    house_code: str = "",
    coord_system: str = CoordSystem.WGS84,
    note: str = "",
    photo: UploadedFile | None = None,
    client_id: str = "",
    now: datetime | None = None,
) -> tuple[CheckIn, bool]:
    """签到 at a key place or a house in one's jurisdiction. Farther than the configured distance from the
    place's recorded position, the check-in is kept but flagged. ``client_id`` makes a resend harmless."""
    user = acting_staff(actor)
    require_role(user, PATROL_ROLES, _("Only grid workers, village cadres and safety officers check in."))
    client_id = client_id.strip()[:64]
    if client_id:
        existing = CheckIn.objects.filter(worker=user, client_id=client_id).first()
        if existing is not None:
            return existing, False
    if bool(place_code) == bool(house_code):
        raise field_error("place_code", _("Choose one key place or one house."), "invalid_target")
    if not (-180 <= lng <= 180 and -90 <= lat <= 90):
        raise field_error("lng", _("The location is not a valid longitude and latitude."), "invalid_location")
    if coord_system not in CoordSystem.__members__.values():
        raise field_error("coord_system", _("Unknown coordinate system."), "invalid_coord_system")
    wgs_lng, wgs_lat = to_wgs84(lng, lat, coord_system)
    target: KeyPlace | House
    try:
        if place_code:
            target = get_in_scope(KeyPlace.objects.alive(), user, code=place_code)
        else:
            target = get_in_scope(House.objects.alive(), user, code=house_code)
    except NotFound as exc:
        field = "place_code" if place_code else "house_code"
        raise field_error(field, _("Unknown place, or outside your jurisdiction."), "invalid_target") from exc
    photo = checked_photo(photo)
    distance = None
    if target.lng is not None and target.lat is not None:
        distance = round(distance_m(wgs_lng, wgs_lat, target.lng, target.lat), 1)
    far = distance is not None and distance > checkin_max_distance_m()
    now = now or timezone.now()
    with transaction.atomic():
        item = CheckIn(
            worker=user,
            patrol=Patrol.objects.filter(worker=user, state=PatrolState.ACTIVE).first(),
            place=target if isinstance(target, KeyPlace) else None,
            house=target if isinstance(target, House) else None,
            region_code=target.region_code,
            at=now,
            lng=round(wgs_lng, 7),
            lat=round(wgs_lat, 7),
            distance_m=distance,
            far=far,
            note=note.strip()[:500],
            client_id=client_id,
        )
        if photo is not None:
            item.photo.save(photo.name or "photo.jpg", photo, save=False)
        item.save()
        record(
            "checkin.create",
            actor=user,
            obj=item,
            changes={"target": target.code, "distance_m": distance, "far": far},
        )
    return item, True


# --- duties and dispatch -----------------------------------------------------------------------------


def add_duty(
    actor: User | AnonymousUser | None, *, kind: str, region_code: str, every_days: int | None = None
) -> PatrolDuty:
    user = acting_staff(actor)
    require_role(user, DUTY_ROLES)
    if kind not in DutyKind.values:
        raise field_error("kind", _("Not one of the allowed values."), "invalid_kind")
    if every_days is not None and not 1 <= every_days <= 365:
        raise field_error("every_days", _("Between 1 and 365 days."), "invalid_every_days")
    if kind == DutyKind.GRID and every_days is None:
        every_days = 1
    region = scoped(Region.objects.filter(is_active=True), user).filter(code=region_code).first()
    if region is None:
        raise field_error("region_code", _("Unknown region, or outside your jurisdiction."), "invalid_region")
    with transaction.atomic():
        duty = PatrolDuty.objects.create(
            kind=kind, region=region, region_code=region.code, every_days=every_days, created_by=user
        )
        record("patrol_duty.create", actor=user, obj=duty, changes={"kind": kind, "region": region.code})
    return duty


def send_task(
    actor: User | AnonymousUser | None,
    *,
    worker: str,
    message: str,
    event_id: int | None = None,
    lng: float | None = None,
    lat: float | None = None,
) -> PatrolTask:
    """调度: send a task to a worker in one's jurisdiction; they are notified at once."""
    from jiceng.accounts.models import User as UserModel

    user = acting_staff(actor)
    require_role(user, DISPATCH_ROLES)
    message = message.strip()
    if not message:
        raise field_error("message", _("This field is required."), "required")
    target = scoped(UserModel.objects.filter(is_active=True), user).filter(username=worker).first()
    if target is None or target.unit is None or not target.has_role(*PATROL_ROLES):
        raise field_error("worker", _("Unknown worker, or outside your jurisdiction."), "invalid_worker")
    event = None
    if event_id is not None:
        try:
            event = get_in_scope(Event, user, pk=event_id)
        except NotFound as exc:
            raise field_error("event_id", _("Unknown event."), "invalid_event") from exc
    distance = None
    patrol = Patrol.objects.filter(worker=target, state=PatrolState.ACTIVE).first()
    if lng is not None and lat is not None and patrol is not None and patrol.last_lng is not None:
        distance = round(distance_m(lng, lat, patrol.last_lng, patrol.last_lat or 0), 1)
    with transaction.atomic():
        task = PatrolTask.objects.create(
            sender=user,
            worker=target,
            region_code=target.unit.region.code,
            event=event,
            message=message[:500],
            lng=lng,
            lat=lat,
            distance_m=distance,
        )
        title = _("Task from %(who)s: %(message)s") % {
            "who": user.full_name or user.username,
            "message": message,
        }
        notify([target], "patrol_task", title[:200], event.ref if event else "", event)
        record(
            "patrol_task.send", actor=user, obj=task, changes={"worker": target.username, "event": event_id}
        )
    return task
