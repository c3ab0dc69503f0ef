"""Events in both townships of the test org, moved through the workflow by the real actions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from jiceng.events.actions import perform, report_event
from jiceng.events.models import Event
from tests.conftest import Org
from tests.events.conftest import IN_GRID_A, IN_GRID_B

IN_VILLAGE_A_OUTSIDE_GRID = {"lng": 120.03, "lat": 30.03}  # in village A, outside its grid


@dataclass
class History:
    """What ``history`` built, by name."""

    events: dict[str, Event] = field(default_factory=dict)
    now: datetime = field(default_factory=timezone.now)


def step(org: Org, event: Event, who: tuple[str, str], action: str, at: datetime, **fields: Any) -> Event:
    return perform(org.user(*who), event.pk, action, now=at, **fields)


def build_history(org: Org, now: datetime) -> History:
    """A dozen events over the last few days in township A (grid, village, township level) and B, in
    every state: closed on time and late, reworked, extended, suspended, returned, rejected, merged,
    evaluated, escalated to the county."""
    h = History(now=now)
    a_grid, b_grid, a_disp, b_disp = (
        ("a", "grid_worker"),
        ("b", "grid_worker"),
        ("a", "dispatcher"),
        ("b", "dispatcher"),
    )
    station_a, station_b = ("a", "handler"), ("b", "handler")
    t = now - timedelta(days=6)

    def report(key: str, who: tuple[str, str], at: datetime, category: str = "0301", **place: Any) -> Event:
        extra = {"form_data": {"parties": 2}} if category == "D0101" else {}
        event, _created = report_event(org.user(*who), category=category, title=key, now=at, **place, **extra)
        h.events[key] = event
        return event

    # Closed on time and rated satisfied.
    e = report("closed_ok", a_grid, t, **IN_GRID_A)
    step(org, e, a_disp, "accept", t + timedelta(hours=1))
    step(org, e, a_disp, "dispatch", t + timedelta(hours=2), lead_unit=org.units["station_a"].code)
    step(org, e, station_a, "sign", t + timedelta(hours=3))
    step(org, e, station_a, "handle", t + timedelta(hours=5), comment="done")
    step(org, e, a_grid, "verify_pass", t + timedelta(hours=6))
    step(org, e, a_grid, "evaluate", t + timedelta(hours=7), evaluation="satisfied")
    # Reworked once, then closed; rated basically satisfied.
    e = report("reworked", a_grid, t + timedelta(days=1), category="D0101", **IN_GRID_A)
    t1 = t + timedelta(days=1)
    step(org, e, a_disp, "accept", t1 + timedelta(hours=1))
    step(org, e, a_disp, "dispatch", t1 + timedelta(hours=2), lead_unit=org.units["station_a"].code)
    step(org, e, station_a, "sign", t1 + timedelta(hours=3))
    step(org, e, station_a, "handle", t1 + timedelta(hours=4), comment="done")
    step(org, e, a_grid, "verify_fail", t1 + timedelta(hours=5), comment="not yet")
    step(org, e, station_a, "handle", t1 + timedelta(hours=6), comment="done now")
    step(org, e, a_grid, "verify_pass", t1 + timedelta(hours=7))
    step(org, e, a_grid, "evaluate", t1 + timedelta(hours=8), evaluation="basically_satisfied")
    # Handled long after its deadline: closed late; rated dissatisfied.
    e = report("closed_late", a_grid, t, **IN_GRID_A)
    step(org, e, a_disp, "accept", t + timedelta(hours=1))
    step(org, e, a_disp, "dispatch", t + timedelta(hours=2), lead_unit=org.units["station_a"].code)
    step(org, e, station_a, "sign", t + timedelta(hours=3))
    step(org, e, station_a, "handle", now - timedelta(hours=2), comment="late")
    step(org, e, a_grid, "verify_pass", now - timedelta(hours=1))
    step(org, e, a_grid, "evaluate", now - timedelta(minutes=30), evaluation="dissatisfied")
    # Extended, still handling.
    e = report("extended", a_grid, t + timedelta(days=2), **IN_GRID_A)
    t2 = t + timedelta(days=2)
    step(org, e, a_disp, "accept", t2 + timedelta(hours=1))
    step(org, e, a_disp, "dispatch", t2 + timedelta(hours=2), lead_unit=org.units["station_a"].code)
    step(org, e, station_a, "sign", t2 + timedelta(hours=3))
    step(org, e, station_a, "request_extension", t2 + timedelta(hours=4), comment="more time", extra_days=3)
    step(org, e, a_disp, "approve_extension", t2 + timedelta(hours=5))
    # Suspended.
    e = report("suspended", a_grid, t + timedelta(days=2), **IN_GRID_A)
    step(org, e, a_disp, "accept", t2 + timedelta(hours=1))
    step(org, e, a_disp, "dispatch", t2 + timedelta(hours=2), lead_unit=org.units["station_a"].code)
    step(org, e, station_a, "sign", t2 + timedelta(hours=3))
    step(org, e, station_a, "suspend", t2 + timedelta(hours=4), comment="waiting for the court")
    # Returned by the station, waiting for dispatch again.
    e = report("returned", a_grid, t + timedelta(days=3), **IN_VILLAGE_A_OUTSIDE_GRID)
    t3 = t + timedelta(days=3)
    step(org, e, a_disp, "accept", t3 + timedelta(hours=1))
    step(org, e, a_disp, "dispatch", t3 + timedelta(hours=2), lead_unit=org.units["station_a"].code)
    step(org, e, station_a, "return", t3 + timedelta(hours=3), comment="not ours")
    # Rejected; merged into "returned".
    e = report("rejected", a_grid, t + timedelta(days=3), **IN_GRID_A)
    step(org, e, a_disp, "reject", t3 + timedelta(hours=1), comment="not an event")
    e = report("merged", a_grid, t + timedelta(days=3), **IN_VILLAGE_A_OUTSIDE_GRID)
    step(org, e, a_disp, "merge", t3 + timedelta(hours=1), merge_into=h.events["returned"].pk)
    # Reported by the township's dispatcher at the township itself; escalated to the county.
    e = report("escalated", a_disp, t + timedelta(days=4), region_code=org.regions["township_a"].code)
    step(org, e, a_disp, "escalate", t + timedelta(days=4, hours=1), comment="county please")
    # Handled on the spot by the grid worker (family disputes close without confirmation).
    report_event(
        org.user(*a_grid),
        category="D0101",
        title="on_spot",
        now=now - timedelta(hours=3),
        on_spot=True,
        on_spot_result="talked it through",
        form_data={"parties": 2},
        **IN_GRID_A,
    )
    h.events["on_spot"] = Event.objects.get(title="on_spot")
    # New today, waiting for acceptance; one of them in township B.
    report("today_a", a_grid, now - timedelta(minutes=20), **IN_GRID_A)
    report("today_b", b_grid, now - timedelta(minutes=10), **IN_GRID_B)
    # Township B: closed on time.
    e = report("b_closed", b_grid, t, **IN_GRID_B)
    step(org, e, b_disp, "accept", t + timedelta(hours=1))
    step(org, e, b_disp, "dispatch", t + timedelta(hours=2), lead_unit=org.units["station_b"].code)
    step(org, e, station_b, "sign", t + timedelta(hours=3))
    step(org, e, station_b, "handle", t + timedelta(hours=4), comment="ok")
    step(org, e, b_grid, "verify_pass", t + timedelta(hours=5))
    return h


@pytest.fixture
def history(org: Org, categories: Any) -> History:
    return build_history(org, timezone.now())
