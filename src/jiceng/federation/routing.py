"""The hub: route escalated events to department systems A → B → … until one resolves them.

Candidates are the active department systems whose categories and regions match the event (code
prefixes; an empty list matches everything), in routing order. A return (not ours) moves the event to the
next candidate; when none is left the hub operator decides (assign to any department, or answer the
county directly). Every step is a RouteHop at the hub and an event.progress to the county.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.accounts.permissions import require_role
from jiceng.audit.actions import record
from jiceng.core.errors import Conflict, NotFound, field_error
from jiceng.core.scope import get_in_scope
from jiceng.federation.messaging import (
    BatchItem,
    enqueue,
    enqueue_many,
    handles,
    handles_batch,
    platform_language,
)
from jiceng.federation.models import (
    InboxMessage,
    MessageType,
    RoutedEvent,
    RouteHop,
    RouteState,
    System,
    SystemKind,
)
from jiceng.federation.systems import OPERATOR_ROLES

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from jiceng.accounts.models import User

HUB = "hub"
OPEN_ROUTES = (RouteState.ASSIGNED, RouteState.AWAITING_OPERATOR)


def _matches(prefixes: list[str], code: str) -> bool:
    return not prefixes or any(code.startswith(p) for p in prefixes)


def active_departments() -> list[System]:
    return list(
        System.objects.filter(kind=SystemKind.DEPARTMENT, is_active=True).order_by("priority", "code")
    )


def candidates_for(
    category_code: str, region_code: str, departments: list[System] | None = None
) -> list[System]:
    """The active department systems for the event, in routing order (``departments``: as read once)."""
    if departments is None:
        departments = active_departments()
    return [
        d for d in departments if _matches(d.categories, category_code) and _matches(d.regions, region_code)
    ]


def _hop(routed: RoutedEvent, action: str, now: datetime, system: str = "", comment: str = "") -> None:
    RouteHop.objects.create(routed=routed, at=now, action=action, system=system, comment=comment[:4000])


def _to_county(routed: RoutedEvent, type: str, payload: dict[str, Any], now: datetime) -> None:
    enqueue(routed.county, type, payload, correlation=routed.county_ref, now=now)


def _save(routed: RoutedEvent, **changes: Any) -> None:
    updated = RoutedEvent.objects.filter(pk=routed.pk, version=routed.version).update(
        version=routed.version + 1, updated_at=timezone.now(), **changes
    )
    if updated != 1:
        raise Conflict()
    for name, value in changes.items():
        setattr(routed, name, value)
    routed.version += 1


def _assignment(routed: RoutedEvent) -> dict[str, Any]:
    return {
        "title": routed.title,
        "description": routed.description,
        "category": routed.category_code,
        "category_name": routed.category_name,
        "region": routed.region_code,
        "region_name": routed.region_name,
        "urgency": routed.urgency,
        "county": routed.county.name,
        "event_ref": routed.event_ref,
        "details": routed.details,
    }


def _assigned_progress(department: System) -> dict[str, Any]:
    comment = _("The collaboration platform assigned it to %(name)s.") % {"name": department.name}
    return {"comment": comment, "department": department.name}


def _awaiting_progress() -> dict[str, Any]:
    return {"comment": _("No department system took it; the collaboration platform operator decides.")}


def _assign(routed: RoutedEvent, department: System, now: datetime, note: str = "") -> None:
    _save(
        routed,
        state=RouteState.ASSIGNED,
        department=department,
        tried=[*routed.tried, department.code],
    )
    _hop(routed, "assigned", now, department.code, note)
    enqueue(department, MessageType.ASSIGN, _assignment(routed), correlation=routed.correlation, now=now)
    _to_county(routed, MessageType.PROGRESS, _assigned_progress(department), now)


def _assign_next(routed: RoutedEvent, now: datetime) -> None:
    left = [code for code in routed.candidates if code not in routed.tried]
    if left:
        active = {s.code: s for s in System.objects.filter(code__in=left, is_active=True)}
        for code in left:
            if code in active:
                _assign(routed, active[code], now)
                return
    _save(routed, state=RouteState.AWAITING_OPERATOR, department=None)
    _hop(routed, "awaiting_operator", now)
    _to_county(routed, MessageType.PROGRESS, _awaiting_progress(), now)


def _check_escalation(source: System) -> None:
    if source.kind != SystemKind.COUNTY:
        raise field_error("source", _("Only county platforms escalate events."), "not_a_county")


def _new_routed(
    source: System, message: InboxMessage, payload: dict[str, Any], now: datetime, departments: list[System]
) -> RoutedEvent:
    category, region = str(payload["category"]), str(payload["region"])
    return RoutedEvent(
        county=source,
        county_ref=message.correlation,
        event_ref=str(payload.get("ref", ""))[:40],
        title=str(payload["title"])[:200],
        description=str(payload.get("description", "")),
        category_code=category[:20],
        category_name=str(payload.get("category_name", ""))[:60],
        region_code=region[:18],
        region_name=str(payload.get("region_name", ""))[:100],
        urgency=str(payload.get("urgency", ""))[:10],
        details={k: payload.get(k) for k in ("address", "lng", "lat", "occurred_at", "comment")},
        state=RouteState.AWAITING_OPERATOR,
        candidates=[d.code for d in candidates_for(category, region, departments)],
        created_at=now,
    )


@handles(HUB, MessageType.ESCALATE)
def on_escalate(source: System, message: InboxMessage, payload: dict[str, Any], now: datetime) -> None:
    _check_escalation(source)
    if RoutedEvent.objects.filter(county=source, county_ref=message.correlation).exists():
        return
    routed = _new_routed(source, message, payload, now, active_departments())
    routed.save(force_insert=True)
    _hop(routed, "received", now, source.code, str(payload.get("comment", "")))
    _assign_next(routed, now)


@handles_batch(HUB, MessageType.ESCALATE)
def on_escalate_batch(items: list[BatchItem], now: datetime) -> None:
    """``on_escalate`` for many events: the departments and the known references read once, the routed
    events, their hops and the outbox rows written in bulk. The outcome is the same as one by one: the
    first candidate is assigned (all candidates are active, read in the same transaction), or the
    operator decides; version 2 as after the assignment's save."""
    for source, _message, _payload in items:
        _check_escalation(source)
    departments = active_departments()
    by_code = {d.code: d for d in departments}
    known = set(
        RoutedEvent.objects.filter(
            county_id__in={s.pk for s, _m, _p in items}, county_ref__in=[m.correlation for _s, m, _p in items]
        ).values_list("county_id", "county_ref")
    )
    new: list[tuple[RoutedEvent, str, System | None]] = []
    for source, message, payload in items:
        if (source.pk, message.correlation) in known:
            continue
        known.add((source.pk, message.correlation))
        routed = _new_routed(source, message, payload, now, departments)
        department = by_code[routed.candidates[0]] if routed.candidates else None
        if department is not None:
            routed.state, routed.department, routed.tried = RouteState.ASSIGNED, department, [department.code]
        else:
            routed.department = None
        routed.version = 2
        new.append((routed, str(payload.get("comment", "")), department))
    RoutedEvent.objects.bulk_create([r for r, _c, _d in new])
    hops: list[RouteHop] = []
    outbox: list[tuple[System, str, dict[str, Any], str]] = []
    for routed, comment, department in new:
        hops.append(
            RouteHop(
                routed=routed, at=now, action="received", system=routed.county.code, comment=comment[:4000]
            )
        )
        if department is not None:
            hops.append(RouteHop(routed=routed, at=now, action="assigned", system=department.code))
            outbox.append((department, MessageType.ASSIGN, _assignment(routed), routed.correlation))
            outbox.append(
                (routed.county, MessageType.PROGRESS, _assigned_progress(department), routed.county_ref)
            )
        else:
            hops.append(RouteHop(routed=routed, at=now, action="awaiting_operator"))
            outbox.append((routed.county, MessageType.PROGRESS, _awaiting_progress(), routed.county_ref))
    RouteHop.objects.bulk_create(hops)
    enqueue_many(outbox, now=now)


def _routed(message: InboxMessage, department: System) -> RoutedEvent:
    pk = message.correlation.removeprefix("hub/")
    routed = RoutedEvent.objects.select_related("county").filter(pk=int(pk) if pk.isdigit() else 0).first()
    if routed is None:
        raise NotFound()
    return routed


def _from_current(routed: RoutedEvent, department: System, message: InboxMessage, now: datetime) -> bool:
    """Answers from a department that no longer holds the event are kept in the log and ignored."""
    if routed.state == RouteState.ASSIGNED and routed.department_id == department.pk:
        return True
    _hop(routed, "ignored", now, department.code, message.type)
    return False


@handles(HUB, MessageType.RETURN)
def on_return(source: System, message: InboxMessage, payload: dict[str, Any], now: datetime) -> None:
    routed = _routed(message, source)
    if not _from_current(routed, source, message, now):
        return
    reason = str(payload.get("comment", ""))
    _hop(routed, "returned", now, source.code, reason)
    comment = _("%(name)s returned it: %(reason)s") % {"name": source.name, "reason": reason}
    _to_county(routed, MessageType.PROGRESS, {"comment": comment}, now)
    _assign_next(routed, now)


@handles(HUB, MessageType.PROGRESS)
def on_progress(source: System, message: InboxMessage, payload: dict[str, Any], now: datetime) -> None:
    routed = _routed(message, source)
    if not _from_current(routed, source, message, now):
        return
    text = str(payload.get("comment", ""))
    _hop(routed, "progress", now, source.code, text)
    comment = _("%(name)s: %(text)s") % {"name": source.name, "text": text}
    _to_county(routed, MessageType.PROGRESS, {"comment": comment, "department": source.name}, now)


@handles(HUB, MessageType.RESOLVED)
def on_resolved(source: System, message: InboxMessage, payload: dict[str, Any], now: datetime) -> None:
    routed = _routed(message, source)
    if not _from_current(routed, source, message, now):
        return
    _resolve(routed, str(payload.get("result", "")), source.name, source.code, now)


def _resolve(routed: RoutedEvent, result: str, by_name: str, by_code: str, now: datetime) -> None:
    _save(routed, state=RouteState.RESOLVED, resolution=result)
    _hop(routed, "resolved", now, by_code, result)
    _to_county(routed, MessageType.RESOLVED, {"result": result, "department": by_name}, now)


@handles(HUB, MessageType.FEEDBACK)
def on_feedback(source: System, message: InboxMessage, payload: dict[str, Any], now: datetime) -> None:
    routed = RoutedEvent.objects.filter(county=source, county_ref=message.correlation).first()
    if routed is None:
        raise NotFound()
    action = str(payload.get("action", ""))
    changes: dict[str, Any] = {"feedback": {**routed.feedback, action: payload}}
    if action == "verify_pass":
        changes["state"] = RouteState.CLOSED
    elif action in ("verify_fail", "reopen") and routed.department_id:
        changes["state"] = RouteState.ASSIGNED  # back to the department that resolved it
    _save(routed, **changes)
    _hop(routed, "feedback", now, source.code, f"{action} {payload.get('comment', '')}".strip())
    if routed.department_id:
        department = System.objects.get(pk=routed.department_id)
        enqueue(department, MessageType.FEEDBACK, payload, correlation=routed.correlation, now=now)


@handles(HUB, MessageType.RECALL)
def on_recall(source: System, message: InboxMessage, payload: dict[str, Any], now: datetime) -> None:
    routed = RoutedEvent.objects.filter(county=source, county_ref=message.correlation).first()
    if routed is None or routed.state not in OPEN_ROUTES:
        return
    department_id = routed.department_id
    _save(routed, state=RouteState.RECALLED)
    _hop(routed, "recalled", now, source.code, str(payload.get("comment", "")))
    if department_id:
        department = System.objects.get(pk=department_id)
        enqueue(department, MessageType.RECALL, payload, correlation=routed.correlation, now=now)


# --- the hub operator's decisions ------------------------------------------------------------------------


def _open_routed(user: User, routed_id: int, version: int | None) -> RoutedEvent:
    routed = get_in_scope(RoutedEvent.objects.select_related("county"), user, pk=routed_id)
    if version is not None and version != routed.version:
        raise Conflict()
    if routed.state not in OPEN_ROUTES:
        raise Conflict(_("The event is no longer open at the collaboration platform."), code="route_closed")
    return routed


def operator_assign(
    actor: User | AnonymousUser | None,
    routed_id: int,
    department_code: str,
    *,
    comment: str = "",
    version: int | None = None,
) -> RoutedEvent:
    user = require_role(actor, *OPERATOR_ROLES)
    now = timezone.now()
    with transaction.atomic():
        routed = _open_routed(user, routed_id, version)
        department = System.objects.filter(
            code=department_code, kind=SystemKind.DEPARTMENT, is_active=True
        ).first()
        if department is None:
            raise field_error("department", _("Unknown department system."), "invalid_department")
        with platform_language():
            _assign(routed, department, now, comment or _("Assigned by the operator."))
        record("federation.route.assign", actor=user, obj=routed, changes={"department": department.code})
    return routed


def operator_resolve(
    actor: User | AnonymousUser | None, routed_id: int, *, result: str, version: int | None = None
) -> RoutedEvent:
    """The operator answers the county directly (e.g. no department system is responsible)."""
    user = require_role(actor, *OPERATOR_ROLES)
    now = timezone.now()
    with transaction.atomic():
        routed = _open_routed(user, routed_id, version)
        if not (result or "").strip():
            raise field_error("result", _("This field is required."), "required")
        with platform_language():
            _resolve(routed, result.strip(), _("Collaboration platform"), "", now)
        record("federation.route.resolve", actor=user, obj=routed)
    return routed
