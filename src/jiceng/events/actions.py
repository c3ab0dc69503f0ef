"""Every write to events: intake (report_event) and the workflow (perform)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import jsonschema
from django.db import IntegrityError
from django.db.models import F
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.accounts.roles import Role
from jiceng.analytics import rollups
from jiceng.audit.actions import record, record_sensitive_view
from jiceng.core import inserts, schema_errors
from jiceng.core.coords import CoordSystem, to_wgs84
from jiceng.core.crypto import blind_index
from jiceng.core.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotAuthenticated,
    PermissionDenied,
    field_error,
)
from jiceng.core.scope import get_in_scope, scoped
from jiceng.core.validators import InvalidValue, parse_phone
from jiceng.events import category_cache, deadlines
from jiceng.events.models import (
    Evaluation,
    Event,
    EventCategory,
    EventCoUnit,
    EventFlow,
    EventState,
    Level,
    Source,
    Supervision,
    Urgency,
    Warning,
)
from jiceng.events.workflow import LEVEL_DOWN, LEVEL_UP, TRANSITIONS, Transition, can, may_see_reporter
from jiceng.notifications.actions import notify_event_later
from jiceng.org.locate import locate
from jiceng.org.models import Region, Unit

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from jiceng.accounts.models import User


class ActionNotAvailable(DomainError):
    status = 409
    code = "action_not_available"


# Sent inside perform's transaction after a transition (kwargs: event, action, actor, to_state, comment),
# so other modules (the federation's outbox) write their rows in the same transaction.
transitioned = Signal()


# Which roles may report through which channel.
SOURCE_ROLES: dict[str, set[str]] = {
    Source.GRID_WORKER: {Role.GRID_WORKER, Role.VILLAGE_CADRE},
    Source.RESIDENT: {Role.RESIDENT},
    Source.HOTLINE: {Role.COUNTY_CENTER, Role.DISPATCHER},
    Source.LEADER: {Role.LEADER},
    Source.DEPARTMENT: {Role.HANDLER},
    Source.IOT: {Role.COUNTY_CENTER, Role.ADMIN},
    Source.OTHER: {Role.DISPATCHER, Role.COUNTY_CENTER, Role.HANDLER, Role.VILLAGE_CADRE, Role.LEADER},
}
DEFAULT_SOURCE_BY_ROLE = [
    (Role.GRID_WORKER, Source.GRID_WORKER),
    (Role.RESIDENT, Source.RESIDENT),
    (Role.LEADER, Source.LEADER),
    (Role.HANDLER, Source.DEPARTMENT),
    (Role.VILLAGE_CADRE, Source.GRID_WORKER),
]
ON_SPOT_ROLES = {Role.GRID_WORKER, Role.VILLAGE_CADRE}


def _acting_user(actor: User | AnonymousUser | None) -> User:
    if actor is None or not actor.is_authenticated:
        raise NotAuthenticated()
    return actor


def _flow(
    event: Event,
    actor: User | None,
    action: str,
    from_state: str,
    to_state: str,
    *,
    comment: str = "",
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> EventFlow:
    flow = EventFlow(
        event=event,
        at=at or timezone.now(),
        actor=actor,
        actor_name=(actor.full_name or actor.username) if actor else "",
        unit=actor.unit if actor else None,
        action=action,
        from_state=from_state,
        to_state=to_state,
        level=event.level,
        comment=comment,
        data=data or {},
    )
    inserts.add(flow)
    return flow


# --- intake ----------------------------------------------------------------------------------------


def _pick_source(user: User, source: str | None) -> str:
    if source is None:
        for role, default in DEFAULT_SOURCE_BY_ROLE:
            if user.has_role(role):
                return default
        return Source.OTHER
    if source not in Source.values:
        raise field_error("source", _("Unknown source."), "invalid_source")
    if not (user.is_superuser or user.has_role(*SOURCE_ROLES[source])):
        raise PermissionDenied(_("Your role cannot report through this channel."))
    return source


def _leaf_category(code: str) -> EventCategory:
    found = category_cache.active_category(code)
    if found is None:
        raise field_error("category", _("Unknown event category."), "invalid_category")
    category, is_leaf = found
    if not is_leaf:
        raise field_error("category", _("Choose a sub-category."), "category_not_leaf")
    return category


_validators: dict[str, Any] = {}


def _validator(schema: dict[str, Any]) -> Any:
    """A compiled validator per schema: checking the schema itself on every call costs 0.4 ms."""
    key = json.dumps(schema, sort_keys=True)
    if key not in _validators:
        _validators[key] = jsonschema.validators.validator_for(schema)(schema)
    return _validators[key]


def _check_form(category: EventCategory, form_data: dict[str, Any]) -> dict[str, Any]:
    """The extra fields checked against the category's schema; each problem named by the field's title."""
    if not category.form_schema:
        return {}
    details = schema_errors.form_errors(_validator(category.form_schema), category.form_schema, form_data)
    if details:
        raise InvalidInput(next(iter(details.values()))[0], code="invalid_form_data", details=details)
    return form_data


def _place(
    user: User, lng: float | None, lat: float | None, coord_system: str, region_code: str | None
) -> tuple[Region, float | None, float | None]:
    wgs_lng = wgs_lat = None
    if (lng is None) != (lat is None):
        raise field_error("location", _("Give both longitude and latitude."), "invalid_location")
    if lng is not None and lat is not None:
        if coord_system not in CoordSystem.__members__.values():
            raise field_error("coord_system", _("Unknown coordinate system."), "invalid_coord_system")
        if not (-180 <= lng <= 180 and -90 <= lat <= 90):
            raise field_error(
                "location", _("The location is not a valid longitude and latitude."), "invalid_location"
            )
        wgs_lng, wgs_lat = to_wgs84(lng, lat, coord_system)
        found = locate(wgs_lng, wgs_lat)
        if found is not None:
            return found, wgs_lng, wgs_lat
    if region_code:
        region = Region.objects.filter(code=region_code, is_active=True).first()
        if region is None:
            raise field_error("region_code", _("Unknown region."), "invalid_region")
        return region, wgs_lng, wgs_lat
    if user.unit is not None and wgs_lng is None:
        return user.unit.region, None, None
    raise field_error(
        "location",
        _("The location is outside every grid of this platform; give a region."),
        "location_outside",
    )


def _level_for(region: Region) -> str:
    return Level.TOWNSHIP if len(region.code) >= 12 else Level.COUNTY


def report_event(
    actor: User | AnonymousUser | None,
    *,
    category: str,
    title: str,
    description: str = "",
    urgency: str = Urgency.NORMAL,
    source: str | None = None,
    source_ref: str = "",
    lng: float | None = None,
    lat: float | None = None,
    coord_system: str = CoordSystem.WGS84,
    address: str = "",
    region_code: str | None = None,
    occurred_at: datetime | None = None,
    reporter_name: str = "",
    reporter_phone: str = "",
    anonymous: bool = False,
    form_data: dict[str, Any] | None = None,
    idempotency_key: str = "",
    on_spot: bool = False,
    on_spot_result: str = "",
    now: datetime | None = None,
) -> tuple[Event, bool]:
    """Take in an event from any channel. Returns (event, created); a repeat of the same hotline order
    number or Idempotency-Key returns the first event instead of making another."""
    user = _acting_user(actor)
    source = _pick_source(user, source)
    source_ref = source_ref.strip()[:64]
    idempotency_key = idempotency_key.strip()[:64]
    # A repeat (same hotline order number or Idempotency-Key) is found when the insert below hits the
    # unique constraint: the usual case, a new report, costs no lookup.
    cat = _leaf_category(category)
    if cat.staff_only and source == Source.RESIDENT:
        raise field_error("category", _("Residents cannot report in this category."), "category_staff_only")
    title = title.strip()
    if not title:
        raise field_error("title", _("A title is required."), "required")
    if urgency not in Urgency.values or (cat.urgencies and urgency not in cat.urgencies):
        raise field_error("urgency", _("This urgency is not allowed for the category."), "invalid_urgency")
    if reporter_phone:
        try:
            reporter_phone = parse_phone(reporter_phone)
        except InvalidValue as exc:
            raise field_error("reporter_phone", exc.message, exc.code) from exc
    now = now or timezone.now()
    occurred_at = occurred_at or now
    if occurred_at > now + timedelta(minutes=5):
        raise field_error("occurred_at", _("The time of occurrence is in the future."), "invalid_time")
    if on_spot and not (user.has_role(*ON_SPOT_ROLES) and user.unit is not None):
        raise PermissionDenied(_("Only grid workers and village cadres handle events on the spot."))
    if on_spot and not on_spot_result.strip():
        raise field_error("on_spot_result", _("Describe how it was handled."), "required")
    region, wgs_lng, wgs_lat = _place(user, lng, lat, coord_system, region_code)
    form = _check_form(cat, form_data or {})
    if source == Source.RESIDENT and not reporter_name:
        reporter_name = user.full_name
    try:
        with inserts.atomic():
            event = Event(
                title=title[:200],
                description=description,
                category=cat,
                urgency=urgency,
                source=source,
                source_ref=source_ref,
                state=EventState.REPORTED,
                level=_level_for(region),
                region=region,
                region_code=region.code,
                lng=wgs_lng,
                lat=wgs_lat,
                address=address[:200],
                occurred_at=occurred_at,
                reported_at=now,
                reporter=user if source in (Source.RESIDENT, Source.GRID_WORKER) else None,
                reporter_name="" if anonymous else reporter_name[:60],
                reporter_phone="" if anonymous else reporter_phone,
                reporter_phone_index="" if anonymous or not reporter_phone else blind_index(reporter_phone),
                anonymous=anonymous,
                created_by=user,
                idempotency_key=idempotency_key,
                form_data=form,
                on_spot=on_spot,
                stage_started_at=now,
            )
            event.due_at = deadlines.stage_due(cat, urgency, EventState.REPORTED, now, None)
            if on_spot:
                _close_on_spot(event, user, now)
            # Its id first: the rows below point to it and are written with it in one statement.
            inserts.add(event, reserve_pk=True)
            flows = [
                _flow(
                    event,
                    user,
                    "report",
                    "",
                    EventState.REPORTED,
                    comment=description[:500],
                    at=now,
                    data={"source": source, "source_ref": source_ref} if source_ref else {"source": source},
                )
            ]
            if on_spot:
                flows.append(
                    _flow(
                        event,
                        user,
                        "handle",
                        EventState.REPORTED,
                        event.state,
                        comment=on_spot_result,
                        at=now,
                        data={"on_spot": True},
                    )
                )
            rollups.event_reported(event)
            notify_event_later(event.pk, "reported")
            record(
                "event.report",
                actor=user,
                obj=event,
                changes={"category": cat.code, "source": source, "region": region.code, "on_spot": on_spot},
            )
    except IntegrityError:
        existing = _existing(user, source, source_ref, idempotency_key)
        if existing is None:
            raise
        return existing, False
    # What a new event's page shows is known: its flows, and no co-handlers yet.
    event.known_flows, event.known_co_units = flows, []  # type: ignore[attr-defined]
    return event, True


def _existing(user: User, source: str, source_ref: str, idempotency_key: str) -> Event | None:
    if source_ref:
        found = Event.objects.filter(source=source, source_ref=source_ref).first()
        if found is not None:
            return found
    if idempotency_key:
        return Event.objects.filter(created_by=user, idempotency_key=idempotency_key).first()
    return None


def _close_on_spot(event: Event, user: User, now: datetime) -> None:
    """Reported and handled at once by a grid worker: closed, or waiting for the dispatcher's confirmation."""
    confirm = event.category.on_spot_needs_confirmation
    state = EventState.HANDLED if confirm else EventState.CLOSED
    event.state, event.lead_unit, event.handled_at = state, user.unit, now
    event.closed_at = None if confirm else now
    event.stage_started_at = now
    event.due_at = deadlines.stage_due(event.category, event.urgency, state, now, None)


# --- the workflow ----------------------------------------------------------------------------------

Effects = dict[str, Any]


def _require(transition: Transition, fields: dict[str, Any]) -> None:
    missing = {
        name: [_("This field is required.")]
        for name in transition.required
        if fields.get(name) in (None, "", [], ())
    }
    if missing:
        raise InvalidInput(_("Some required fields are missing."), code="invalid_input", details=missing)


def _unit_in_scope(user: User, code: str, field: str) -> Unit:
    unit = scoped(Unit.objects.select_related("region"), user).filter(code=code, is_active=True).first()
    if unit is None:
        raise field_error(field, _("Unknown unit, or outside your jurisdiction."), "invalid_unit")
    return unit


def _dispatch(event: Event, user: User, now: datetime, f: dict[str, Any]) -> Effects:
    lead = _unit_in_scope(user, f["lead_unit"], "lead_unit")
    co = [
        _unit_in_scope(user, code, "co_units")
        for code in dict.fromkeys(f.get("co_units") or [])
        if code != lead.code
    ]
    due_days = f.get("due_days")
    if due_days is not None and not 1 <= int(due_days) <= 90:
        raise field_error("due_days", _("Between 1 and 90 working days."), "invalid_due_days")
    handle_due_at = (
        deadlines.default_calendar().add_workdays(now, int(due_days))
        if due_days
        else deadlines.handle_due(event.category, event.urgency, now)
    )
    EventCoUnit.objects.filter(event=event).delete()
    EventCoUnit.objects.bulk_create(EventCoUnit(event=event, unit=u) for u in co)
    return {
        "lead_unit": lead,
        "handle_due_at": handle_due_at,
        "_data": {
            "lead_unit": lead.code,
            "co_units": [u.code for u in co],
            "handle_due_at": handle_due_at.isoformat(),
        },
    }


def _escalate(event: Event, user: User, now: datetime, f: dict[str, Any]) -> Effects:
    return {
        "level": LEVEL_UP[Level(event.level)],
        "escalation_count": event.escalation_count + 1,
        "lead_unit": None,
        "_data": {"to_level": LEVEL_UP[Level(event.level)]},
    }


def _send_down(event: Event, user: User, now: datetime, f: dict[str, Any]) -> Effects:
    return {
        "level": LEVEL_DOWN[Level(event.level)],
        "lead_unit": None,
        "_data": {"to_level": LEVEL_DOWN[Level(event.level)]},
    }


def _return(event: Event, user: User, now: datetime, f: dict[str, Any]) -> Effects:
    EventCoUnit.objects.filter(event=event).delete()
    return {"return_count": event.return_count + 1, "lead_unit": None, "handle_due_at": None}


def _merge(event: Event, user: User, now: datetime, f: dict[str, Any]) -> Effects:
    try:
        target = get_in_scope(Event, user, pk=int(f["merge_into"]))
    except (TypeError, ValueError, DomainError) as exc:
        raise field_error("merge_into", _("Unknown event."), "invalid_event") from exc
    if target.pk == event.pk or not target.is_open or target.merged_into_id:
        raise field_error("merge_into", _("Merge into another open event."), "invalid_event")
    return {"merged_into": target, "_data": {"merge_into": target.pk}}


def _request_extension(event: Event, user: User, now: datetime, f: dict[str, Any]) -> Effects:
    days = int(f["extra_days"])
    if not 1 <= days <= 30:
        raise field_error("extra_days", _("Between 1 and 30 working days."), "invalid_extra_days")
    return {"_data": {"extra_days": days}}


def _approve_extension(event: Event, user: User, now: datetime, f: dict[str, Any]) -> Effects:
    request = event.flows.filter(action="request_extension").order_by("-id").first()
    days = int((request.data if request else {}).get("extra_days", 1))
    base = max(event.handle_due_at or now, now)
    due = deadlines.default_calendar().add_workdays(base, days)
    return {
        "handle_due_at": due,
        "extension_count": event.extension_count + 1,
        "_data": {"extra_days": days, "handle_due_at": due.isoformat()},
    }


def _suspend(event: Event, user: User, now: datetime, f: dict[str, Any]) -> Effects:
    remaining = deadlines.remaining_work_seconds(now, event.handle_due_at) if event.handle_due_at else 0
    return {"_data": {"remaining_work_seconds": remaining}}


def _resume(event: Event, user: User, now: datetime, f: dict[str, Any]) -> Effects:
    suspended = event.flows.filter(action="suspend").order_by("-id").first()
    remaining = float((suspended.data if suspended else {}).get("remaining_work_seconds", 0))
    due = deadlines.shift_by_work_seconds(now, remaining) if remaining else event.handle_due_at
    return {"handle_due_at": due}


def _handle(event: Event, user: User, now: datetime, f: dict[str, Any]) -> Effects:
    return {"handled_at": now}


def _verify_pass(event: Event, user: User, now: datetime, f: dict[str, Any]) -> Effects:
    return {"closed_at": now}


def _rework(event: Event, user: User, now: datetime, f: dict[str, Any]) -> Effects:
    due = deadlines.handle_due(event.category, event.urgency, now)
    return {"rework_count": event.rework_count + 1, "handle_due_at": due, "handled_at": None}


def _evaluate(event: Event, user: User, now: datetime, f: dict[str, Any]) -> Effects:
    if f["evaluation"] not in Evaluation.values:
        raise field_error(
            "evaluation", _("Choose satisfied, basically satisfied or dissatisfied."), "invalid_evaluation"
        )
    return {
        "evaluation": f["evaluation"],
        "evaluation_comment": (f.get("comment") or "")[:500],
        "_data": {"evaluation": f["evaluation"]},
    }


def _reopen(event: Event, user: User, now: datetime, f: dict[str, Any]) -> Effects:
    due = deadlines.handle_due(event.category, event.urgency, now)
    return {
        "reopen_count": event.reopen_count + 1,
        "evaluation": "",
        "evaluation_comment": "",
        "closed_at": None,
        "handled_at": None,
        "handle_due_at": due,
        "_data": {"previous_evaluation": event.evaluation},
    }


def _supervise(event: Event, user: User, now: datetime, f: dict[str, Any]) -> Effects:
    Supervision.objects.create(event=event, by=user, message=f["comment"][:500], unit=event.lead_unit)
    return {"supervision_count": event.supervision_count + 1}


def _acknowledge(event: Event, user: User, now: datetime, f: dict[str, Any]) -> Effects:
    Supervision.objects.filter(event=event, acknowledged_at__isnull=True).update(
        acknowledged_at=now, acknowledged_by=user
    )
    return {}


def _nothing(event: Event, user: User, now: datetime, f: dict[str, Any]) -> Effects:
    return {}


EFFECTS: dict[str, Callable[[Event, User, datetime, dict[str, Any]], Effects]] = {
    "accept": _nothing,
    "reject": _nothing,
    "merge": _merge,
    "dispatch": _dispatch,
    "escalate": _escalate,
    "send_down": _send_down,
    "sign": _nothing,
    "return": _return,
    "progress": _nothing,
    "request_extension": _request_extension,
    "approve_extension": _approve_extension,
    "deny_extension": _nothing,
    "suspend": _suspend,
    "resume": _resume,
    "handle": _handle,
    "verify_pass": _verify_pass,
    "verify_fail": _rework,
    "evaluate": _evaluate,
    "reopen": _reopen,
    "supervise": _supervise,
    "acknowledge": _acknowledge,
}
STAGE_KEEPING = {"progress", "evaluate", "supervise", "acknowledge", "request_extension", "deny_extension"}


def perform(
    actor: User | AnonymousUser | None,
    event_id: int,
    action: str,
    *,
    version: int | None = None,
    comment: str = "",
    now: datetime | None = None,
    **fields: Any,
) -> Event:
    """Apply one workflow action: permission, required fields, compare-and-set on (state, version),
    the flow record, audit and notifications, all in one transaction."""
    user = _acting_user(actor)
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise InvalidInput(_("Unknown action."), code="unknown_action")
    now = now or timezone.now()
    with inserts.atomic():
        event = get_in_scope(Event.objects.select_related("category", "region"), user, pk=event_id)
        if version is not None and version != event.version:
            raise Conflict()
        if not can(user, event, action):
            if event.state not in transition.sources:
                raise ActionNotAvailable(_("This action is not available in the event's current state."))
            raise PermissionDenied()
        values = {"comment": comment.strip(), **fields}
        _require(transition, values)
        effects = EFFECTS[action](event, user, now, values)
        data = effects.pop("_data", {})
        new_state = transition.target or event.state
        changes: dict[str, Any] = {"state": new_state, **effects}
        if action not in STAGE_KEEPING:
            handle_due_at = effects.get("handle_due_at", event.handle_due_at)
            due = deadlines.stage_due(event.category, event.urgency, new_state, now, handle_due_at)
            changes.update(stage_started_at=now, due_at=due, warning=Warning.NONE)
        updated = Event.objects.filter(pk=event.pk, version=event.version, state=event.state).update(
            version=F("version") + 1, updated_at=now, **changes
        )
        if updated != 1:
            raise Conflict()
        rollups.event_changed(event, changes)
        _flow(event, user, action, event.state, new_state, comment=values["comment"], data=data, at=now)
        transitioned.send(
            sender=Event,
            event=event,
            action=action,
            actor=user,
            to_state=new_state,
            comment=values["comment"],
        )
        notify_event_later(event.pk, action)
        record(
            f"event.{action}",
            actor=user,
            obj=event,
            changes={
                "state": {"before": event.state, "after": new_state},
                **({"data": data} if data else {}),
            },
        )
    # The compare-and-set above proves nobody changed the row since it was read: apply the same changes
    # in memory instead of reading it back.
    for name, value in changes.items():
        setattr(event, name, value)
    event.version += 1
    event.updated_at = now
    return event


def reveal_reporter(actor: User | AnonymousUser | None, event_id: int) -> Event:
    """The reporter's name and phone in full, for those who work on the event; every call is audited."""
    user = _acting_user(actor)
    event = get_in_scope(Event.objects.select_related("category", "region", "lead_unit"), user, pk=event_id)
    if not may_see_reporter(user, event):
        raise PermissionDenied()
    record_sensitive_view(user, event, ["reporter_name", "reporter_phone"], action="event.reporter.view")
    return event
