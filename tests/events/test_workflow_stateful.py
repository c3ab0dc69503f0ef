"""Random sequences of actions by random users (hypothesis, stateful).

Whatever happens: no state outside the table, nobody acts outside their jurisdiction or role, a
refused action changes nothing, and replaying the flow records gives the current state.
"""

from __future__ import annotations

import os
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from jiceng.core.errors import DomainError, InvalidInput
from jiceng.events.actions import perform, report_event
from jiceng.events.models import Event, EventFlow, EventState
from jiceng.events.workflow import HANDLER_ROLES, TRANSITIONS, can
from tests.conftest import Org
from tests.events.conftest import IN_GRID_A, IN_GRID_B

FIELD_VALUES: dict[str, Any] = {"comment": "说明", "extra_days": 2, "evaluation": "dissatisfied"}


def make_machine(org: Org) -> type[RuleBasedStateMachine]:
    users = sorted(org.users.values(), key=lambda u: u.username)
    units = sorted(org.units.values(), key=lambda u: u.code)
    handler_units = sorted(
        {u.unit for u in users if u.unit and u.role_codes & HANDLER_ROLES}, key=lambda unit: unit.code
    )
    reporters = [org.user("a", "grid_worker"), org.user("b", "grid_worker"), org.user("none", "resident")]

    class Workflow(RuleBasedStateMachine):
        events = Bundle("events")

        def __init__(self) -> None:
            super().__init__()
            self.ids: list[int] = []

        @precondition(lambda self: len(self.ids) < 3)
        @rule(
            target=events, reporter=st.sampled_from(reporters), place=st.sampled_from([IN_GRID_A, IN_GRID_B])
        )
        def report(self, reporter: Any, place: dict[str, float]) -> int:
            event, created = report_event(reporter, category="0301", title="随机事件", **place)
            assert created and event.state == EventState.REPORTED
            self.ids.append(event.pk)
            return event.pk

        @rule(
            event_id=events,
            action=st.sampled_from(sorted(TRANSITIONS)),
            user=st.sampled_from(users),
            unit=st.sampled_from(units),
            other=events,
        )
        def act(self, event_id: int, action: str, user: Any, unit: Any, other: int) -> None:
            before = Event.objects.get(pk=event_id)
            visible = Event.objects.restrict(user).filter(pk=event_id).exists()
            allowed = visible and can(user, before, action)
            fields = {**FIELD_VALUES, "lead_unit": unit.code, "merge_into": other}
            flows_before = before.flows.count()
            try:
                after = perform(user, event_id, action, version=before.version, **fields)
            except DomainError:
                unchanged = Event.objects.get(pk=event_id)
                assert unchanged.version == before.version and unchanged.state == before.state
                assert unchanged.flows.count() == flows_before
                return
            transition = TRANSITIONS[action]
            assert allowed, f"{user.username} did {action} on a {before.state} event they may not touch"
            assert visible and before.state in transition.sources
            assert user.is_superuser or transition.roles & user.role_codes
            assert after.state == (transition.target or before.state)
            assert after.version == before.version + 1
            assert after.flows.count() == flows_before + 1

        @rule(event_id=events, rnd=st.randoms(use_true_random=False))
        def advance(self, event_id: int, rnd: Any) -> None:
            """Someone who may act does: drives events deep into the flow."""
            event = Event.objects.get(pk=event_id)
            seeing = [u for u in users if Event.objects.restrict(u).filter(pk=event_id).exists()]
            options = [(u, a) for u in seeing for a in sorted(TRANSITIONS) if can(u, event, a)]
            if not options:
                return
            action = rnd.choice(sorted({a for _, a in options}))  # actions evenly, not (user, action) pairs
            user = rnd.choice([u for u, a in options if a == action])
            lead = rnd.choice(
                [u for u in handler_units if u.region.code.startswith(user.jurisdiction_prefix or "")]
                or units
            )
            others = [i for i in self.ids if i != event_id]
            fields = {
                **FIELD_VALUES,
                "evaluation": rnd.choice(["satisfied", "dissatisfied"]),
                "lead_unit": lead.code,
                "merge_into": rnd.choice(others) if others else 0,
            }
            try:
                after = perform(user, event_id, action, version=event.version, **fields)
            except InvalidInput:
                assert action == "merge"  # only the merge target can be unsuitable
                return
            assert after.state == (TRANSITIONS[action].target or event.state)

        @invariant()
        def states_and_flows_agree(self) -> None:
            for event in Event.objects.filter(pk__in=self.ids):
                assert event.state in EventState.values
                flows = list(event.flows.order_by("id").values_list("from_state", "to_state"))
                assert flows[0][0] == ""
                for (_, previous_to), (from_state, _) in pairwise(flows):
                    assert from_state == previous_to
                assert flows[-1][1] == event.state

    return Workflow


@pytest.mark.long
def test_random_action_sequences_respect_the_table(org: Org, categories: Any) -> None:
    machine = make_machine(org)
    reached: set[str] = set()
    run_state_machine_as_test(
        machine,
        settings=settings(
            # CI's SQLite lane walks fewer (JICENG_STATEFUL_EXAMPLES); PostgreSQL's long lane 10.
            max_examples=int(os.environ.get("JICENG_STATEFUL_EXAMPLES", "10")),
            derandomize=True,
            stateful_step_count=60,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    reached.update(EventFlow.objects.values_list("to_state", flat=True))  # every state passed through
    # The random walks get past the first steps (not only reported/rejected events).
    assert {"handling", "handled", "closed"} <= reached, reached
