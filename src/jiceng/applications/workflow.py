"""The application (办件) workflow: one transition table that pages, API and tests all ask.

(state, action) → target state, the roles allowed, how the actor must relate to the application and the
fields the action requires. A target of ``None`` keeps the state; ``NEXT`` means the action's effect decides
(approve moves to the next review step, to payment or to 办结; a supplement returns where it came from).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from jiceng.accounts.roles import Role
from jiceng.applications.models import CONCLUDED_STATES, RectificationState
from jiceng.applications.models import ApplicationState as S
from jiceng.core.scope import covers

if TYPE_CHECKING:
    from jiceng.accounts.models import User
    from jiceng.applications.models import Application, ServiceWindow

NEXT = "next"

# How the actor must relate to the application.
WINDOW = "window"  # staff of a comprehensive window covering the application's place (一窗受理)
ACCEPTING_WINDOW = "accepting_window"  # staff of the window that accepted it
STEP = "step"  # the unit and role of the current review step
HOLDER = "holder"  # whoever holds it now: the window before acceptance, else the current step
APPLICANT = "applicant"  # the applicant, their village agent, or a window covering the place on their behalf
# The applicant's own account only: 好差评 is theirs, never staff's or an agent's (without an account: the
# rating link, actions.rate_by_link).
SELF = "self"
RECTIFIER = "rectifier"  # the unit responsible for rectifying a bad rating

WINDOW_ROLES = frozenset({Role.HANDLER})
ANY_ROLE = frozenset(Role)


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str | None
    roles: frozenset[str]
    relation: str
    label: str | Promise
    required: tuple[str, ...] = ()
    danger: bool = False


def _t(
    action: str,
    sources: Iterable[str],
    target: str | None,
    roles: Iterable[str],
    relation: str,
    label: str | Promise,
    required: tuple[str, ...] = (),
    danger: bool = False,
) -> Transition:
    return Transition(action, frozenset(sources), target, frozenset(roles), relation, label, required, danger)


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in [
        _t("accept", {S.SUBMITTED}, S.REVIEWING, WINDOW_ROLES, WINDOW, _("Accept")),
        _t("refuse", {S.SUBMITTED}, S.REFUSED, WINDOW_ROLES, WINDOW, _("Refuse"), ("comment",), danger=True),
        _t(
            "request_supplement",
            {S.SUBMITTED, S.REVIEWING},
            S.SUPPLEMENT,
            ANY_ROLE - {Role.RESIDENT},
            HOLDER,
            _("Request supplements (one-time notice)"),
        ),
        _t(
            "supplement",
            {S.SUPPLEMENT},
            NEXT,
            ANY_ROLE,
            APPLICANT,
            _("Supplement the materials"),
            ("provided",),
        ),
        _t("approve", {S.REVIEWING}, NEXT, ANY_ROLE - {Role.RESIDENT}, STEP, _("Approve"), ("comment",)),
        _t(
            "send_back",
            {S.REVIEWING},
            S.REVIEWING,
            ANY_ROLE - {Role.RESIDENT},
            STEP,
            _("Send back to the previous step"),
            ("comment",),
            danger=True,
        ),
        _t(
            "deny",
            {S.REVIEWING},
            S.DENIED,
            ANY_ROLE - {Role.RESIDENT},
            STEP,
            _("Deny"),
            ("comment",),
            danger=True,
        ),
        _t("pay", {S.PAYMENT}, S.APPROVED, ANY_ROLE, APPLICANT, _("Pay the fee")),
        _t(
            "deliver",
            {S.APPROVED, S.DENIED},
            S.DELIVERED,
            WINDOW_ROLES,
            ACCEPTING_WINDOW,
            _("Deliver the result"),
        ),
        _t(
            "withdraw",
            {S.SUBMITTED, S.SUPPLEMENT, S.REVIEWING},
            S.WITHDRAWN,
            ANY_ROLE,
            APPLICANT,
            _("Withdraw"),
            ("comment",),
            danger=True,
        ),
        _t("rate", CONCLUDED_STATES, None, ANY_ROLE, SELF, _("Rate the service"), ("rating",)),
        _t(
            "reply_rectification",
            CONCLUDED_STATES,
            None,
            ANY_ROLE - {Role.RESIDENT},
            RECTIFIER,
            _("Reply with the rectification"),
            ("comment",),
        ),
        _t(
            "follow_up",
            CONCLUDED_STATES,
            None,
            WINDOW_ROLES,
            WINDOW,
            _("Record the follow-up visit"),
            ("comment", "satisfied"),
        ),
    ]
}


OTHER_LABELS = {"submit": _("Submitted")}


def action_label(action: str) -> str | Promise:
    transition = TRANSITIONS.get(action)
    return transition.label if transition is not None else OTHER_LABELS.get(action, action)


def window_of(user: User) -> ServiceWindow | None:
    """The comprehensive window the user works at, if any."""
    unit = user.unit
    if unit is None:
        return None
    window = getattr(unit, "service_window", None)
    return window if window is not None and window.is_active else None


def is_window_for(user: User, application: Application) -> bool:
    """一窗受理: staff of any window covering the application's place, for an item taken at that level."""
    if not user.has_role(*WINDOW_ROLES):
        return False
    window = window_of(user)
    return (
        window is not None
        and window.level in application.item.accept_levels
        and covers(user, application.region_code)
    )


def relation_holds(user: User, application: Application, relation: str) -> bool:
    if relation == WINDOW:
        return is_window_for(user, application)
    if relation == ACCEPTING_WINDOW:
        return application.window_id is not None and user.unit_id == application.window.unit_id  # type: ignore[union-attr]
    if relation == STEP:
        return (
            application.current_unit_id is not None
            and user.unit_id == application.current_unit_id
            and user.has_role(application.current_role)
        )
    if relation == HOLDER:
        if application.state == S.SUBMITTED:
            return is_window_for(user, application)
        return relation_holds(user, application, STEP)
    if relation == APPLICANT:
        return user.pk in (
            application.applicant_user_id,
            application.created_by_id,
            application.agent_id,
        ) or is_window_for(user, application)
    if relation == SELF:
        return application.applicant_user_id is not None and user.pk == application.applicant_user_id
    if relation == RECTIFIER:
        rectification = getattr(application, "rectification", None)
        return rectification is not None and user.unit_id == rectification.unit_id
    raise ValueError(relation)


def _rectification_state(application: Application) -> str | None:
    rectification = getattr(application, "rectification", None)
    return rectification.state if rectification is not None else None


def extra_condition(application: Application, action: str) -> bool:
    """Conditions that depend on the application's data rather than on who acts."""
    if action == "send_back":
        return application.step_index > 0
    if action == "rate":
        return not hasattr(application, "rating")
    if action == "reply_rectification":
        return _rectification_state(application) == RectificationState.OPEN
    if action == "follow_up":
        return _rectification_state(application) == RectificationState.REPLIED
    return True


def can(user: Any, application: Application, action: str) -> bool:
    transition = TRANSITIONS.get(action)
    if (
        transition is None
        or user is None
        or not user.is_authenticated
        or application.state not in transition.sources
    ):
        return False
    if user.is_superuser and transition.relation != SELF:
        return extra_condition(application, action)
    if not transition.roles & user.role_codes and not user.is_superuser:
        return False
    return relation_holds(user, application, transition.relation) and extra_condition(application, action)


def available_actions(user: Any, application: Application) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if can(user, application, t.action)]


def may_see_applicant(user: User, application: Application) -> bool:
    """The applicant's ID number and phone in full: the windows and the reviewers who act on it (audited)."""
    return bool(
        user.is_superuser
        or is_window_for(user, application)
        or relation_holds(user, application, STEP)
        or relation_holds(user, application, ACCEPTING_WINDOW)
    )
