"""The event workflow: one transition table that pages, API and tests all ask.

(state, action) → target state, the roles allowed, how the actor must relate to the event, and the
fields the action requires. ``available_actions`` answers "what may this user do now".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from jiceng.accounts.roles import Role
from jiceng.core.scope import covers
from jiceng.events.models import EventState as S
from jiceng.events.models import Level
from jiceng.org.models import RegionLevel

if TYPE_CHECKING:
    from jiceng.accounts.models import User
    from jiceng.events.models import Event

# Who triages (accepts, dispatches, escalates …) at each level, and the region level of their unit.
TRIAGE_ROLE = {
    Level.VILLAGE: Role.VILLAGE_CADRE,
    Level.TOWNSHIP: Role.DISPATCHER,
    Level.COUNTY: Role.COUNTY_CENTER,
}
LEVEL_REGION = {
    Level.VILLAGE: RegionLevel.VILLAGE,
    Level.TOWNSHIP: RegionLevel.TOWNSHIP,
    Level.COUNTY: RegionLevel.COUNTY,
}
LEVEL_UP = {Level.VILLAGE: Level.TOWNSHIP, Level.TOWNSHIP: Level.COUNTY}
LEVEL_DOWN = {Level.COUNTY: Level.TOWNSHIP, Level.TOWNSHIP: Level.VILLAGE}

# How the actor must relate to the event.
TRIAGE = "triage"  # holds the triage role of the event's level, in a unit of that level covering the event
LEAD = "lead"  # belongs to the lead unit
PARTICIPANT = "participant"  # belongs to the lead unit or a co-handling unit
VERIFIER = "verifier"  # a grid worker covering the event's place, or the triage of its level
REPORTER = "reporter"  # the reporter, or the triage recording a call-back (回访)
SUPERVISOR = "supervisor"  # a leader, dispatcher or county centre covering the event

HANDLER_ROLES = frozenset({Role.HANDLER, Role.VILLAGE_CADRE, Role.GRID_WORKER})
TRIAGE_ROLES = frozenset(TRIAGE_ROLE.values())


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str | None  # None: the state stays
    roles: frozenset[str]
    relation: str
    label: str | Promise
    required: tuple[str, ...] = ()
    danger: bool = False  # shown apart in the UI (reject, return …)


def _t(
    action: str,
    sources: Iterable[str],
    target: str | None,
    roles: set[str] | frozenset[str],
    relation: str,
    label: str | Promise,
    required: tuple[str, ...] = (),
    danger: bool = False,
) -> Transition:
    return Transition(action, frozenset(sources), target, frozenset(roles), relation, label, required, danger)


OPEN_TRIAGE = {S.REPORTED, S.PENDING_DISPATCH}
IN_HANDLING = {S.HANDLING, S.EXTENSION_PENDING, S.SUSPENDED}
ALL_OPEN = {
    S.REPORTED,
    S.PENDING_DISPATCH,
    S.DISPATCHED,
    S.HANDLING,
    S.EXTENSION_PENDING,
    S.SUSPENDED,
    S.HANDLED,
}

TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in [
        _t("accept", {S.REPORTED}, S.PENDING_DISPATCH, TRIAGE_ROLES, TRIAGE, _("Accept")),
        _t("reject", {S.REPORTED}, S.REJECTED, TRIAGE_ROLES, TRIAGE, _("Reject"), ("comment",), danger=True),
        _t(
            "merge",
            {S.REPORTED, S.PENDING_DISPATCH},
            S.MERGED,
            TRIAGE_ROLES,
            TRIAGE,
            _("Merge into another"),
            ("merge_into",),
            danger=True,
        ),
        _t(
            "dispatch",
            {S.PENDING_DISPATCH},
            S.DISPATCHED,
            TRIAGE_ROLES,
            TRIAGE,
            _("Dispatch"),
            ("lead_unit",),
        ),
        _t("escalate", OPEN_TRIAGE, S.PENDING_DISPATCH, TRIAGE_ROLES, TRIAGE, _("Escalate"), ("comment",)),
        _t("send_down", OPEN_TRIAGE, S.PENDING_DISPATCH, TRIAGE_ROLES, TRIAGE, _("Send down")),
        _t("sign", {S.DISPATCHED}, S.HANDLING, HANDLER_ROLES, LEAD, _("Sign for")),
        _t(
            "return",
            {S.DISPATCHED},
            S.PENDING_DISPATCH,
            HANDLER_ROLES,
            LEAD,
            _("Return"),
            ("comment",),
            danger=True,
        ),
        _t(
            "progress",
            {S.HANDLING, S.EXTENSION_PENDING},
            None,
            HANDLER_ROLES,
            PARTICIPANT,
            _("Add progress"),
            ("comment",),
        ),
        _t(
            "request_extension",
            {S.HANDLING},
            S.EXTENSION_PENDING,
            HANDLER_ROLES,
            LEAD,
            _("Request extension"),
            ("comment", "extra_days"),
        ),
        _t(
            "approve_extension",
            {S.EXTENSION_PENDING},
            S.HANDLING,
            TRIAGE_ROLES,
            TRIAGE,
            _("Approve extension"),
        ),
        _t(
            "deny_extension",
            {S.EXTENSION_PENDING},
            S.HANDLING,
            TRIAGE_ROLES,
            TRIAGE,
            _("Deny extension"),
            ("comment",),
            danger=True,
        ),
        _t("suspend", {S.HANDLING}, S.SUSPENDED, HANDLER_ROLES, LEAD, _("Suspend"), ("comment",)),
        _t("resume", {S.SUSPENDED}, S.HANDLING, HANDLER_ROLES, LEAD, _("Resume")),
        _t("handle", {S.HANDLING}, S.HANDLED, HANDLER_ROLES, LEAD, _("Report handled"), ("comment",)),
        _t(
            "verify_pass",
            {S.HANDLED},
            S.CLOSED,
            {Role.GRID_WORKER, *TRIAGE_ROLES},
            VERIFIER,
            _("Verified: close"),
        ),
        _t(
            "verify_fail",
            {S.HANDLED},
            S.HANDLING,
            {Role.GRID_WORKER, *TRIAGE_ROLES},
            VERIFIER,
            _("Not fixed: rework"),
            ("comment",),
            danger=True,
        ),
        _t("evaluate", {S.CLOSED}, None, set(Role), REPORTER, _("Rate the result"), ("evaluation",)),
        _t("reopen", {S.CLOSED}, S.HANDLING, TRIAGE_ROLES, TRIAGE, _("Reopen"), ("comment",), danger=True),
        _t(
            "supervise",
            ALL_OPEN,
            None,
            {Role.LEADER, Role.DISPATCHER, Role.COUNTY_CENTER},
            SUPERVISOR,
            _("Supervise"),
            ("comment",),
        ),
        _t("acknowledge", ALL_OPEN, None, HANDLER_ROLES, LEAD, _("Acknowledge supervision")),
    ]
}

# What each step of an event's flow record is called (a report is not a transition).
FLOW_LABELS: dict[str, str | Promise] = {
    "report": _("Report"),
    **{a: t.label for a, t in TRANSITIONS.items()},
}


def flow_label(action: str) -> str:
    return str(FLOW_LABELS.get(action, action))


def state_label(code: str) -> str:
    return str(S(code).label) if code in S.values else code


def _unit_level_matches(user: User, level: str) -> bool:
    region_level = LEVEL_REGION.get(Level(level)) if level in Level.values else None
    unit = user.unit
    return unit is not None and region_level is not None and unit.region.level == region_level


def is_triage(user: User, event: Event) -> bool:
    role = TRIAGE_ROLE.get(Level(event.level))
    return (
        role is not None
        and user.has_role(role)
        and _unit_level_matches(user, event.level)
        and covers(user, event.region_code)
    )


def relation_holds(user: User, event: Event, relation: str) -> bool:
    if relation == TRIAGE:
        return is_triage(user, event)
    if relation == LEAD:
        return user.unit_id is not None and user.unit_id == event.lead_unit_id
    if relation == PARTICIPANT:
        return user.unit_id is not None and (
            user.unit_id == event.lead_unit_id or event.co_units.filter(unit_id=user.unit_id).exists()
        )
    if relation == VERIFIER:
        return (user.has_role(Role.GRID_WORKER) and covers(user, event.region_code)) or is_triage(user, event)
    if relation == REPORTER:
        return (event.reporter_id is not None and event.reporter_id == user.pk) or is_triage(user, event)
    if relation == SUPERVISOR:
        return covers(user, event.region_code)
    raise ValueError(relation)


def may_see_reporter(user: User, event: Event) -> bool:
    """Whoever triages or leads the event may see the reporter's contact in full (audited)."""
    return bool(user.is_superuser or relation_holds(user, event, TRIAGE) or relation_holds(user, event, LEAD))


def extra_condition(event: Event, action: str) -> bool:
    """Conditions that depend on the event's data rather than on who acts."""
    if action == "escalate":
        return event.level in LEVEL_UP
    if action == "send_down":
        return event.level in LEVEL_DOWN and len(event.region_code) >= (
            12 if event.level == Level.TOWNSHIP else 9
        )
    if action == "evaluate":
        return not event.evaluation
    if action == "reopen":
        return event.evaluation == "dissatisfied"
    if action == "acknowledge":
        return event.supervisions.filter(acknowledged_at__isnull=True).exists()
    return True


def can(user: Any, event: Event, action: str) -> bool:
    transition = TRANSITIONS.get(action)
    if (
        transition is None
        or user is None
        or not user.is_authenticated
        or event.state not in transition.sources
    ):
        return False
    if not (user.is_superuser or transition.roles & user.role_codes):
        return False
    return relation_holds(user, event, transition.relation) and extra_condition(event, action)


def available_actions(user: Any, event: Event) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if can(user, event, t.action)]


def target_state(event: Event, transition: Transition) -> str:
    return transition.target if transition.target is not None else event.state
