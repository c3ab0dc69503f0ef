"""The reference department system (部门垂管系统): receives assignments from the hub, and its handlers
accept, report progress, return (not ours) or resolve them. ``FEDERATION_AUTO_ANSWER`` ("return" or
"resolve") makes it answer every assignment at once, for the demo and the tests."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.accounts.permissions import require_role
from jiceng.accounts.roles import Role
from jiceng.audit.actions import record
from jiceng.core.concurrency import update_versioned
from jiceng.core.errors import Conflict, InvalidInput, NotFound
from jiceng.federation.messaging import enqueue, handles, platform_language
from jiceng.federation.models import DepartmentTask, InboxMessage, MessageType, System, TaskState

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from jiceng.accounts.models import User

DEPARTMENT = "department"
HANDLER_ROLES = (Role.HANDLER, Role.ADMIN)
# action → (states it applies to, new state, message type sent to the hub)
TASK_ACTIONS: dict[str, tuple[frozenset[str], str, str]] = {
    "accept": (frozenset({TaskState.NEW}), TaskState.ACCEPTED, MessageType.PROGRESS),
    "progress": (frozenset({TaskState.ACCEPTED}), TaskState.ACCEPTED, MessageType.PROGRESS),
    "return": (frozenset({TaskState.NEW, TaskState.ACCEPTED}), TaskState.RETURNED, MessageType.RETURN),
    "resolve": (frozenset({TaskState.NEW, TaskState.ACCEPTED}), TaskState.RESOLVED, MessageType.RESOLVED),
}


def _place(payload: dict[str, Any]) -> str:
    """The county, then the region within it; once when the event lies at the county itself."""
    county, region = str(payload.get("county") or "").strip(), str(payload.get("region_name") or "").strip()
    return (region if not county or region.startswith(county) else f"{county} {region}".strip())[:100]


@handles(DEPARTMENT, MessageType.ASSIGN)
def on_assign(source: System, message: InboxMessage, payload: dict[str, Any], now: datetime) -> None:
    task, _created = DepartmentTask.objects.update_or_create(
        hub=source,
        correlation=message.correlation,
        defaults={
            "title": str(payload.get("title", ""))[:200],
            "description": str(payload.get("description", "")),
            "category_name": str(payload.get("category_name", ""))[:60],
            "region_name": _place(payload),
            "state": TaskState.NEW,
            "received_at": now,
        },
    )
    auto = settings.FEDERATION_AUTO_ANSWER
    if auto == "return":
        _answer(task, "return", _("Not within our remit."), now)
    elif auto == "resolve":
        _answer(task, "resolve", _("Handled on site and fixed."), now)


@handles(DEPARTMENT, MessageType.FEEDBACK)
def on_feedback(source: System, message: InboxMessage, payload: dict[str, Any], now: datetime) -> None:
    task = DepartmentTask.objects.filter(hub=source, correlation=message.correlation).first()
    if task is None:
        raise NotFound()
    changes: dict[str, Any] = {"feedback": {**task.feedback, str(payload.get("action", "")): payload}}
    if payload.get("action") in ("verify_fail", "reopen"):
        changes["state"] = TaskState.ACCEPTED
    update_versioned(task, None, changes)


@handles(DEPARTMENT, MessageType.RECALL)
def on_recall(source: System, message: InboxMessage, payload: dict[str, Any], now: datetime) -> None:
    DepartmentTask.objects.filter(hub=source, correlation=message.correlation).update(
        state=TaskState.RECALLED
    )


def _answer(task: DepartmentTask, action: str, comment: str, now: datetime) -> DepartmentTask:
    states, new_state, type = TASK_ACTIONS[action]
    if task.state not in states:
        raise Conflict(_("This action is not available in the task's current state."), code="task_state")
    # The answer is what the department concluded (its result, or why it is not theirs); acceptance and
    # progress notes go to the hub as progress and do not stand as the task's answer.
    update_versioned(
        task,
        None,
        {"state": new_state, "answer": comment} if action in ("return", "resolve") else {"state": new_state},
    )
    key = "result" if type == MessageType.RESOLVED else "comment"
    enqueue(task.hub, type, {key: comment}, correlation=task.correlation, now=now)
    return task


def answer_task(
    actor: User | AnonymousUser | None,
    task_id: int,
    action: str,
    *,
    comment: str = "",
    version: int | None = None,
) -> DepartmentTask:
    """A department handler accepts, adds progress, returns or resolves an assignment."""
    user = require_role(actor, *HANDLER_ROLES)
    if action not in TASK_ACTIONS:
        raise InvalidInput(_("Unknown action."), code="unknown_action")
    comment = (comment or "").strip()
    if action == "accept" and not comment:
        with platform_language():
            comment = _("Accepted; handling.")
    if not comment:
        raise InvalidInput(
            _("Some required fields are missing."),
            code="invalid_input",
            details={"comment": [_("This field is required.")]},
        )
    with transaction.atomic():
        task = DepartmentTask.objects.select_related("hub").filter(pk=task_id).first()
        if task is None:
            raise NotFound()
        if version is not None and version != task.version:
            raise Conflict()
        _answer(task, action, comment[:2000], timezone.now())
        record(f"federation.task.{action}", actor=user, obj=task)
    return task
