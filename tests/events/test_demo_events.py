"""The demo history of events: a reduced history played through the real actions on the demo county.

The county (core demo steps) and the history are loaded once for the module inside a transaction rolled back
at the end; before the main history, a smaller one is loaded twice (each rolled back) to check that the same
seed gives the same events.
"""

from __future__ import annotations

import random
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings
from shapely.geometry import Point, shape

from jiceng.accounts.actions import create_superuser
from jiceng.accounts.roles import Role
from jiceng.core.workdays import SHANGHAI
from jiceng.demo.county import DEMO_SEED, build_plan
from jiceng.demo.loader import SYSTEM_USERNAME, discover_steps
from jiceng.demo.steps import DEMO_STEPS, DemoContext
from jiceng.events import demo
from jiceng.events.models import OPEN_STATES, Event, EventFlow, EventState, Level, Source
from jiceng.events.seed import seed_categories
from jiceng.org.models import RegionLevel

COUNT = 150
SMALL = 40
NOW = datetime(2026, 11, 26, 15, 0, tzinfo=SHANGHAI)  # a Thursday afternoon
CORE_STEPS = ("org.regions", "org.units", "accounts.users")
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Checks of the generated data: the full demo test writes the same data on both databases.
pytestmark = pytest.mark.once


def build_county() -> DemoContext:
    """The demo county's core steps (regions, units, users) and the category tree."""
    discover_steps()
    ctx = DemoContext(
        actor=create_superuser(SYSTEM_USERNAME, None, full_name="演示数据", via="demo"),
        seed=DEMO_SEED,
        plan=build_plan(DEMO_SEED),
        stdout=StringIO(),
    )
    for name in CORE_STEPS:
        ctx.rng = random.Random(f"{DEMO_SEED}:{name}")
        DEMO_STEPS[name].func(ctx)
    seed_categories(ctx.actor)
    return ctx


def play(ctx: DemoContext, count: int) -> demo.History:
    ctx.rng = random.Random(f"{DEMO_SEED}:events.history")
    return demo.load_history(ctx, count, now=NOW)


@dataclass
class Loaded:
    history: demo.History
    twice: list[list[tuple[str, str, str]]] = field(default_factory=list)

    def events(self) -> list[Event]:
        return list(
            Event.objects.filter(pk__in=self.history.ids).select_related("region", "category").order_by("id")
        )

    def flows(self) -> dict[int, list[EventFlow]]:
        by_event: dict[int, list[EventFlow]] = defaultdict(list)
        for flow in (
            EventFlow.objects.filter(event_id__in=self.history.ids).select_related("actor").order_by("id")
        ):
            by_event[flow.event_id].append(flow)
        return by_event


@pytest.fixture(scope="module")
def loaded(django_db_setup: None, django_db_blocker: Any) -> Iterator[Loaded]:
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            from jiceng.org import locate

            locate.reset()
            ctx = build_county()
            twice = []
            for _ in range(2):
                with transaction.atomic():
                    small = play(ctx, SMALL)
                    twice.append(
                        list(
                            Event.objects.filter(pk__in=small.ids)
                            .order_by("id")
                            .values_list("title", "state", "region_code")
                        )
                    )
                    transaction.set_rollback(True)
            yield Loaded(play(ctx, COUNT), twice)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            locate.reset()


def test_the_count_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(demo.EVENTS_ENV, "25")
    assert demo.events_to_load() == 25
    monkeypatch.setenv(demo.EVENTS_ENV, "0")
    assert demo.events_to_load() == 0
    monkeypatch.delenv(demo.EVENTS_ENV)
    assert demo.events_to_load() == demo.TEST_EVENTS  # under pytest; DEMO_EVENTS otherwise


def test_the_step_is_registered_and_skips_at_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    discover_steps()
    step = DEMO_STEPS["events.history"]
    assert step.order == 500 and step.func is demo.create_history
    monkeypatch.setenv(demo.EVENTS_ENV, "0")
    out = StringIO()
    step.func(DemoContext(actor=None, plan=build_plan(), stdout=out))  # type: ignore[arg-type]
    assert "skipped" in out.getvalue()


def test_every_state_and_every_source(loaded: Loaded, db: None) -> None:
    events = loaded.events()
    assert len(events) == COUNT
    assert {e.state for e in events} == set(EventState.values)
    assert {e.source for e in events} == set(Source.values)
    assert {e.level for e in events} >= {Level.TOWNSHIP, Level.COUNTY}


def test_flow_records_replay_to_the_current_state(loaded: Loaded, db: None) -> None:
    flows = loaded.flows()
    for event in loaded.events():
        steps = flows[event.pk]
        assert (
            steps[0].action == "report"
            and steps[0].from_state == ""
            and steps[0].to_state == EventState.REPORTED
        )
        state, level = "", Level.TOWNSHIP
        for flow in steps:
            assert flow.from_state == state, (event.pk, [f.action for f in steps])
            assert flow.level == level, (event.pk, flow.action)
            state = flow.to_state
            if flow.action in ("escalate", "send_down"):
                level = flow.data["to_level"]
        assert state == event.state, event.pk
        assert level == event.level, event.pk
        times = [f.at for f in steps]
        assert times == sorted(times) and times[0] == event.reported_at
        assert NOW - timedelta(days=demo.HISTORY_DAYS + 1) < times[0] and times[-1] <= NOW


def test_counters_match_the_flow_records(loaded: Loaded, db: None) -> None:
    flows = loaded.flows()
    counters = {
        "return_count": "return",
        "escalation_count": "escalate",
        "rework_count": "verify_fail",
        "reopen_count": "reopen",
        "extension_count": "approve_extension",
        "supervision_count": "supervise",
    }
    for event in loaded.events():
        actions = Counter(f.action for f in flows[event.pk])
        for counter, action in counters.items():
            assert getattr(event, counter) == actions[action], (event.pk, counter)


def test_every_turn_of_the_workflow_occurs(loaded: Loaded, db: None) -> None:
    flows = [f for steps in loaded.flows().values() for f in steps]
    actions = Counter(f.action for f in flows)
    for action in (
        "accept",
        "reject",
        "merge",
        "dispatch",
        "escalate",
        "send_down",
        "sign",
        "return",
        "progress",
        "request_extension",
        "approve_extension",
        "suspend",
        "resume",
        "handle",
        "verify_pass",
        "verify_fail",
        "evaluate",
        "reopen",
        "supervise",
        "acknowledge",
    ):
        assert actions[action] > 0, action
    assert any(f.action == "handle" and f.data.get("on_spot") for f in flows)
    events = loaded.events()
    ratings = Counter(e.evaluation for e in events if e.evaluation)
    assert ratings["satisfied"] > ratings["dissatisfied"]
    assert any(e.reopen_count for e in events)
    merged = [e for e in events if e.state == EventState.MERGED]
    assert all(e.merged_into_id and e.merged_into.category_id == e.category_id for e in merged)
    # Some open events are past their stage's due time: the deadline check marks them.
    assert any(e.state in OPEN_STATES and e.due_at and e.due_at < NOW for e in events)


def test_actors_hold_the_roles_of_their_steps(loaded: Loaded, db: None) -> None:
    events = {e.pk: e for e in loaded.events()}
    for event_id, steps in loaded.flows().items():
        event = events[event_id]
        reporter = steps[0].actor
        assert reporter is not None
        expected = {
            Source.GRID_WORKER: {Role.GRID_WORKER, Role.VILLAGE_CADRE},
            Source.RESIDENT: {Role.RESIDENT},
            Source.HOTLINE: {Role.COUNTY_CENTER, Role.DISPATCHER},
            Source.LEADER: {Role.LEADER},
            Source.DEPARTMENT: {Role.HANDLER},
            Source.IOT: {Role.COUNTY_CENTER, Role.ADMIN},
        }
        if event.source in expected:
            assert reporter.role_codes & expected[event.source], (event.pk, event.source)
        if event.source == Source.HOTLINE:
            assert re.fullmatch(r"12345-2\d{10}", event.source_ref), event.source_ref
        for flow in steps:
            if flow.action == "sign":
                assert flow.actor is not None and flow.actor.role_codes & {Role.HANDLER, Role.VILLAGE_CADRE}


def test_every_event_lies_inside_its_region(loaded: Loaded, db: None) -> None:
    shapes: dict[int, Any] = {}
    for event in loaded.events():
        assert event.region.level in (RegionLevel.GRID, RegionLevel.MICROGRID)
        assert event.lng is not None and event.lat is not None
        if event.region_id not in shapes:
            shapes[event.region_id] = shape(event.region.boundary)
        assert shapes[event.region_id].covers(Point(event.lng, event.lat)), event.pk


def test_texts_are_chinese_and_fit_the_category(loaded: Loaded, db: None) -> None:
    events = loaded.events()
    assert len({e.title for e in events}) > len(events) // 2
    for event in events:
        assert re.search(r"[\u4e00-\u9fff]", event.title) and event.description and event.address
    disputes = [e for e in events if demo.family_of(e.category).key == "dispute"]
    words = ("纠纷", "争", "矛盾", "工资", "异议", "回访")
    assert disputes and all(any(w in e.title for w in words) for e in disputes), [e.title for e in disputes]


def test_the_same_seed_gives_the_same_history(loaded: Loaded, db: None) -> None:
    first, second = loaded.twice
    assert len(first) == SMALL
    assert first == second
