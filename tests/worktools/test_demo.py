"""The work-tools demo step, run on the test org dressed as two demo townships (the demo county's own
steps are exercised by tests/demo; here only what this step writes is checked, quickly)."""

from __future__ import annotations

import random
from io import StringIO
from typing import Any

import pytest
from django.utils import timezone

from jiceng.demo.county import build_plan
from jiceng.demo.loader import discover_steps
from jiceng.demo.steps import DEMO_STEPS, DemoContext
from jiceng.worktools import patrol_queries
from jiceng.worktools.models import (
    CheckIn,
    DocumentVersion,
    LeaderAssignment,
    Message,
    Patrol,
    PatrolState,
    TrackPoint,
    Visit,
    WorkLog,
)
from tests.conftest import Org

pytestmark = pytest.mark.django_db


def test_the_demo_step_writes_every_kind_of_record(
    org: Org, categories: Any, registry_records: Any, places: Any
) -> None:
    discover_steps()
    step = DEMO_STEPS["worktools.demo"]
    assert DEMO_STEPS["registry.event_parties"].order < step.order
    plan = build_plan()
    keys = sorted({u.username.split("_")[0] for u in plan.users if u.username.endswith("_dispatcher")})[:2]
    roles = {"grid": "grid_worker", "dispatcher": "dispatcher", "leader": "leader", "handler": "handler"}
    users = {
        f"{key}_{name}": org.user(where, role)
        for key, where in zip(keys, "ab", strict=True)
        for name, role in roles.items()
    }
    ctx = DemoContext(actor=org.user("root", "superuser"), plan=plan, users=users, stdout=StringIO())
    ctx.rng = random.Random("worktools.demo")
    step.func(ctx)
    ended = Patrol.objects.filter(state=PatrolState.ENDED)
    assert ended.count() == 4 and all(p.point_count == 40 and p.distance_m > 100 for p in ended)
    assert Patrol.objects.filter(state=PatrolState.ACTIVE).count() == 1
    assert TrackPoint.objects.count() == 40 * 5
    assert CheckIn.objects.count() == 2
    assert Visit.objects.count() == 4 and WorkLog.objects.count() == 8
    assert LeaderAssignment.objects.count() == 2
    assert Message.objects.count() == 2 * 3 + 2
    assert DocumentVersion.objects.count() == 6
    dispatcher = org.user("a", "dispatcher")
    assert patrol_queries.on_patrol(dispatcher).count() == 1
    assert patrol_queries.on_patrol(org.user("b", "dispatcher")).count() == 0
    assert "patrols 5" in ctx.stdout.getvalue()  # type: ignore[union-attr]


def test_the_history_gives_every_grid_worker_patrols_on_working_days_and_visits(
    org: Org, categories: Any, registry_records: Any
) -> None:
    from jiceng.core.workdays import default_calendar
    from jiceng.worktools import demo

    discover_steps()
    step = DEMO_STEPS["worktools.history"]
    assert step.order < DEMO_STEPS["worktools.demo"].order
    ctx = DemoContext(actor=org.user("root", "superuser"), plan=build_plan(), users={}, stdout=StringIO())
    ctx.rng = random.Random("worktools.history")
    step.func(ctx)
    patrols = list(Patrol.objects.all())
    workers = {org.user("a", "grid_worker").pk, org.user("b", "grid_worker").pk}
    assert patrols and {p.worker_id for p in patrols} <= workers
    calendar = default_calendar()
    for p in patrols:
        assert p.state == PatrolState.ENDED and p.point_count == 12
        assert calendar.is_workday(timezone.localtime(p.started_at).date())
        assert (timezone.now() - p.started_at).days <= demo.history_days()
    assert TrackPoint.objects.count() == 12 * len(patrols)
    assert Visit.objects.filter(visitor_id__in=workers).count() == Visit.objects.count()
