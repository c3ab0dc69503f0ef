"""The rollups follow every change to the events, and a rebuild gives exactly the same rows."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management import call_command
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jiceng.analytics import rollups
from jiceng.analytics.models import CurrentRollup, DailyRollup
from jiceng.core.errors import DomainError
from jiceng.events.actions import perform, report_event
from jiceng.events.models import Event
from jiceng.events.tasks import check_deadlines
from jiceng.events.workflow import available_actions
from tests.analytics.conftest import History
from tests.conftest import Org
from tests.events.conftest import IN_GRID_A


def test_rollups_match_a_computation_from_scratch(history: History) -> None:
    assert rollups.verify() == {"daily": 0, "current": 0}
    assert DailyRollup.objects.exists() and CurrentRollup.objects.exists()


def test_rebuild_gives_the_same_rows(history: History) -> None:
    check_deadlines(history.now + timedelta(days=10))  # some red warnings too
    before = (rollups.stored(rollups.DAILY), rollups.stored(rollups.CURRENT))
    counts = rollups.rebuild()
    assert counts["events"] == Event.objects.count()
    assert (rollups.stored(rollups.DAILY), rollups.stored(rollups.CURRENT)) == before
    # From nothing, through the management command.
    DailyRollup.objects.all().delete()
    CurrentRollup.objects.all().delete()
    call_command("rebuild_rollups", verbosity=0)
    assert (rollups.stored(rollups.DAILY), rollups.stored(rollups.CURRENT)) == before
    assert rollups.verify() == {"daily": 0, "current": 0}


def test_every_step_of_a_long_life_keeps_them_right(org: Org, categories: Any) -> None:
    grid, disp, station = org.user("a", "grid_worker"), org.user("a", "dispatcher"), org.user("a", "handler")
    county, dept = org.user("county", "county_center"), org.user("county_dept", "handler")
    cadre = org.user("a", "village_cadre")
    now = timezone.now() - timedelta(days=3)
    event, _ = report_event(grid, category="0301", title="长期问题", now=now, **IN_GRID_A)
    other, _ = report_event(grid, category="0301", title="重复", now=now, **IN_GRID_A)
    steps: list[tuple[Any, int, str, dict[str, Any]]] = [
        (disp, other.pk, "merge", {"merge_into": event.pk}),
        (disp, event.pk, "send_down", {}),
        (cadre, event.pk, "escalate", {"comment": "村里办不了"}),
        (disp, event.pk, "escalate", {"comment": "请县里协调"}),
        (county, event.pk, "dispatch", {"lead_unit": org.units["county_dept"].code}),
        (dept, event.pk, "return", {"comment": "非本部门"}),
        (county, event.pk, "send_down", {}),
        (disp, event.pk, "dispatch", {"lead_unit": org.units["station_a"].code}),
        (station, event.pk, "sign", {}),
        (disp, event.pk, "supervise", {"comment": "抓紧"}),
        (station, event.pk, "acknowledge", {}),
        (station, event.pk, "request_extension", {"comment": "需要时间", "extra_days": 2}),
        (disp, event.pk, "deny_extension", {"comment": "不行"}),
        (station, event.pk, "suspend", {"comment": "等待"}),
        (station, event.pk, "resume", {}),
        (station, event.pk, "handle", {"comment": "好了"}),
        (grid, event.pk, "verify_fail", {"comment": "没好"}),
        (station, event.pk, "handle", {"comment": "这次好了"}),
        (grid, event.pk, "verify_pass", {}),
        (grid, event.pk, "evaluate", {"evaluation": "dissatisfied"}),
        (disp, event.pk, "reopen", {"comment": "重办"}),
        (station, event.pk, "handle", {"comment": "彻底好了"}),
        (grid, event.pk, "verify_pass", {}),
        (grid, event.pk, "evaluate", {"evaluation": "satisfied"}),
    ]
    for offset, (who, pk, action, fields) in enumerate(steps, start=1):
        comment = fields.pop("comment", "")
        perform(who, pk, action, comment=comment, now=now + timedelta(hours=offset * 2), **fields)
        assert rollups.verify() == {"daily": 0, "current": 0}, action
    final = Event.objects.get(pk=event.pk)
    assert final.state == "closed" and final.evaluation == "satisfied"
    township = org.regions["township_a"].code
    day = rollups.local_day(now)
    row = DailyRollup.objects.get(region_code=township, slice="", day=day, key="")
    assert (row.reported, row.merged, row.closed, row.reworked, row.returned, row.escalated) == (
        2,
        1,
        1,
        1,
        1,
        1,
    )
    assert row.eval_satisfied == 1 and row.supervised == 1 and row.extended == 0
    assert not CurrentRollup.objects.filter(region_code=township, slice="", open__gt=0).exists()


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(choices=st.lists(st.integers(min_value=0, max_value=1000), min_size=5, max_size=40))
def test_random_workflows_keep_them_right(org: Org, categories: Any, choices: list[int]) -> None:
    """Random walks through the workflow, each step by someone allowed to take it."""
    users = [org.user(where, role) for where, role in org.users if where in ("a", "county", "county_dept")]
    event, _ = report_event(
        org.user("a", "grid_worker"), category="D0101", title="随机", form_data={"parties": 2}, **IN_GRID_A
    )
    units = [org.units["station_a"].code, org.units["village_committee_a"].code]
    for n, choice in enumerate(choices):
        event = Event.objects.get(pk=event.pk)
        options = [(u, t) for u in users for t in available_actions(u, event)]
        if not options:
            break
        user, transition = options[choice % len(options)]
        fields = {
            "comment": "随机",
            "lead_unit": units[choice % 2],
            "extra_days": 1 + choice % 3,
            "evaluation": ["satisfied", "basically_satisfied", "dissatisfied"][choice % 3],
        }
        try:
            perform(user, event.pk, transition.action, now=timezone.now() + timedelta(hours=n), **fields)
        except DomainError:
            continue
    if choices[0] % 3 == 0:
        check_deadlines(timezone.now() + timedelta(days=30))
    assert rollups.verify() == {"daily": 0, "current": 0}
