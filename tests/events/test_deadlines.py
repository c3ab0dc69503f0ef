"""Deadlines on the official working-day calendar, the yellow/red warnings of check_deadlines, and the
supervision counters per unit.

国庆 2024: 10-01 … 10-07 are holidays; Sunday 09-29 and Saturday 10-12 are make-up working days.
Working hours are 08:30–12:00 and 13:30–17:30.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from jiceng.events import deadlines, tasks
from jiceng.events.actions import perform, report_event
from jiceng.events.models import Event, EventCategory, EventState, Urgency, Warning
from jiceng.events.stats import unit_counters
from jiceng.events.tasks import check_deadlines
from jiceng.notifications.models import Notification
from tests.celery_worker import TASK_TIMEOUT, real_worker
from tests.conftest import Org
from tests.events.conftest import IN_GRID_A, IN_GRID_B

SH = ZoneInfo("Asia/Shanghai")


def at(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2024, month, day, hour, minute, tzinfo=SH)


FRIDAY = at(9, 27)  # the Friday before the holiday, 10:00
DUE = at(10, 8)  # three working days later: Sun 09-29, Mon 09-30, Tue 10-08
YELLOW = at(9, 30, 14, 30)  # 80 % of the 22.5 working hours from FRIDAY to DUE


def dispatched(
    org: Org, *, now: datetime = FRIDAY, where: str = "a", urgency: str = Urgency.NORMAL, sign: bool = True
) -> Event:
    """An event reported, accepted, dispatched to the township's station and signed for, all at ``now``."""
    event, _ = report_event(
        org.user(where, "grid_worker"),
        category="0301",
        title="河边堆放垃圾",
        urgency=urgency,
        now=now,
        **(IN_GRID_A if where == "a" else IN_GRID_B),
    )
    dispatcher = org.user(where, "dispatcher")
    perform(dispatcher, event.pk, "accept", now=now)
    event = perform(dispatcher, event.pk, "dispatch", lead_unit=org.units[f"station_{where}"].code, now=now)
    if sign:
        event = perform(org.user(where, "handler"), event.pk, "sign", now=now)
    return event


def sent(event: Event) -> list[tuple[str, str]]:
    """The deadline warnings sent about the event: (username, kind)."""
    warnings = Notification.objects.filter(event=event, kind__startswith="warning_")
    return sorted(warnings.values_list("user__username", "kind"))


# --- due times ------------------------------------------------------------------------------------


def test_handling_due_across_the_national_day_holiday(categories: dict[str, EventCategory]) -> None:
    assert deadlines.handle_due(categories["garbage"], Urgency.NORMAL, FRIDAY) == DUE


def test_perform_gives_the_same_due_time(org: Org, categories: dict[str, EventCategory]) -> None:
    event = dispatched(org, sign=False)
    assert event.handle_due_at == DUE
    # Signing is a short stage: 4 working hours, 10:00–12:00 and 13:30–15:30.
    assert event.state == EventState.DISPATCHED and event.due_at == at(9, 27, 15, 30)
    signed = perform(org.user("a", "handler"), event.pk, "sign", now=at(9, 27, 11))
    assert signed.due_at == DUE and signed.stage_started_at == at(9, 27, 11)


def test_make_up_working_days_count(categories: dict[str, EventCategory]) -> None:
    one_day = EventCategory(code="X", name="一天", platform="public_service", handle_days=1)
    # Sunday 2024-09-29 and Saturday 2024-10-12 are working days (调休上班).
    assert deadlines.handle_due(one_day, Urgency.NORMAL, FRIDAY) == at(9, 29)
    assert deadlines.handle_due(one_day, Urgency.NORMAL, at(10, 11)) == at(10, 12)
    # … and a plain weekend is not.
    assert deadlines.handle_due(one_day, Urgency.NORMAL, at(10, 18)) == at(10, 21)


def test_urgent_halves_the_hours(org: Org, categories: dict[str, EventCategory]) -> None:
    garbage = categories["garbage"]
    # Accepting: 2 working hours, 1 when urgent.
    normal, _ = report_event(
        org.user("a", "grid_worker"), category="0301", title="普通", now=FRIDAY, **IN_GRID_A
    )
    urgent, _ = report_event(
        org.user("a", "grid_worker"),
        category="0301",
        title="紧急",
        urgency=Urgency.URGENT,
        now=FRIDAY,
        **IN_GRID_A,
    )
    assert normal.due_at == at(9, 27, 12) and urgent.due_at == at(9, 27, 11)
    # Handling 3 working days urgent: half of 3 × 8 working hours = 12, counted on the working-hour clock:
    # Fri 10:00–17:30 (6 h), Sun 09-29 08:30–12:00 and 13:30–16:00 (6 h).
    assert deadlines.handle_due(garbage, Urgency.URGENT, FRIDAY) == at(9, 29, 16)
    assert dispatched(org, urgency=Urgency.URGENT).handle_due_at == at(9, 29, 16)


# --- warnings -------------------------------------------------------------------------------------


def test_yellow_at_80_percent_and_red_when_overdue_notified_once(
    org: Org, categories: dict[str, EventCategory]
) -> None:
    event = dispatched(org)
    assert check_deadlines(now=at(9, 30, 14, 29))["yellow"] == 0
    assert Event.objects.get(pk=event.pk).warning == Warning.NONE

    assert check_deadlines(now=YELLOW) == {"checked": 1, "yellow": 1, "red": 0}
    assert check_deadlines(now=YELLOW)["yellow"] == 0  # idempotent
    assert Event.objects.get(pk=event.pk).warning == Warning.YELLOW
    assert sent(event) == [("a_dispatcher", "warning_yellow"), ("a_handler", "warning_yellow")]

    # Through the holiday it stays yellow; the yellow ones are not even looked at again until due.
    assert check_deadlines(now=at(10, 5)) == {"checked": 0, "yellow": 0, "red": 0}

    assert check_deadlines(now=DUE)["red"] == 1
    assert check_deadlines(now=at(10, 8, 10, 5))["red"] == 0
    event = Event.objects.get(pk=event.pk)
    assert event.warning == Warning.RED and event.was_overdue
    assert sent(event) == [
        ("a_dispatcher", "warning_red"),
        ("a_dispatcher", "warning_yellow"),
        ("a_handler", "warning_red"),
        ("a_handler", "warning_yellow"),
    ]
    titles = set(Notification.objects.filter(event=event, kind="warning_red").values_list("title", flat=True))
    assert len(titles) == 1 and titles.pop().endswith("河边堆放垃圾")


def test_an_overdue_stage_goes_straight_to_red(org: Org, categories: dict[str, EventCategory]) -> None:
    event = dispatched(org)
    assert check_deadlines(now=at(10, 9)) == {"checked": 1, "yellow": 0, "red": 1}
    assert [kind for _, kind in sent(event)] == ["warning_red", "warning_red"]


def test_was_overdue_sticks_after_the_event_moves_on(org: Org, categories: dict[str, EventCategory]) -> None:
    event = dispatched(org)
    check_deadlines(now=at(10, 9))
    handled = perform(org.user("a", "handler"), event.pk, "handle", comment="已清运", now=at(10, 9, 11))
    assert handled.warning == Warning.NONE and handled.was_overdue
    # The verification stage has its own clock: two working days, nothing to warn about yet.
    assert check_deadlines(now=at(10, 9, 12))["yellow"] == 0
    closed = perform(org.user("a", "grid_worker"), event.pk, "verify_pass", now=at(10, 10))
    assert closed.state == EventState.CLOSED and closed.was_overdue and closed.due_at is None


def test_a_warning_only_triage_hears_of_before_dispatch(
    org: Org, categories: dict[str, EventCategory]
) -> None:
    event, _ = report_event(
        org.user("a", "grid_worker"), category="0301", title="无人受理", now=FRIDAY, **IN_GRID_A
    )
    check_deadlines(now=at(9, 27, 14))  # accepting takes 2 working hours: due 12:00
    assert sent(event) == [("a_dispatcher", "warning_red")]


def test_two_runs_at_once_notify_once(org: Org, categories: dict[str, EventCategory]) -> None:
    """Both runs read the event before either writes: the compare-and-set lets one through."""
    event = dispatched(org)
    rows = list(Event.objects.filter(pk=event.pk).values_list("pk", "warning", "stage_started_at", "due_at"))
    first, second = tasks._changes(rows, DUE), tasks._changes(rows, DUE)
    assert tasks._apply(first) == {"yellow": 0, "red": 1}
    assert tasks._apply(second) == {"yellow": 0, "red": 0}
    assert len(sent(event)) == 2


def test_a_warning_computed_for_a_finished_stage_is_dropped(
    org: Org, categories: dict[str, EventCategory]
) -> None:
    event = dispatched(org)
    rows = list(Event.objects.filter(pk=event.pk).values_list("pk", "warning", "stage_started_at", "due_at"))
    stale = tasks._changes(rows, at(10, 9))
    perform(org.user("a", "handler"), event.pk, "handle", comment="已清运", now=at(10, 9))  # a new stage
    assert tasks._apply(stale) == {"yellow": 0, "red": 0}
    event = Event.objects.get(pk=event.pk)
    assert event.warning == Warning.NONE and not event.was_overdue and sent(event) == []


def test_chunks(
    org: Org,
    categories: dict[str, EventCategory],
    monkeypatch: pytest.MonkeyPatch,
    django_assert_max_num_queries: Any,
) -> None:
    monkeypatch.setattr(tasks, "CHUNK", 2)
    events = [dispatched(org) for _ in range(5)]
    assert check_deadlines(now=YELLOW) == {"checked": 5, "yellow": 5, "red": 0}
    assert {e.warning for e in Event.objects.filter(pk__in=[e.pk for e in events])} == {Warning.YELLOW}
    # Nothing to change: one query per chunk, nothing else.
    with django_assert_max_num_queries(3):
        assert check_deadlines(now=at(10, 5))["checked"] == 0


def test_suspended_events_are_not_checked(org: Org, categories: dict[str, EventCategory]) -> None:
    suspended = dispatched(org)
    perform(org.user("a", "handler"), suspended.pk, "suspend", comment="等待鉴定", now=FRIDAY)
    assert check_deadlines(now=at(10, 20)) == {"checked": 0, "yellow": 0, "red": 0}


# --- supervision counters -------------------------------------------------------------------------


def test_unit_counters(
    org: Org, categories: dict[str, EventCategory], django_assert_num_queries: Any
) -> None:
    station, dispatcher, leader = (
        org.user("a", "handler"),
        org.user("a", "dispatcher"),
        org.user("a", "leader"),
    )
    late = dispatched(org)
    check_deadlines(now=at(10, 9))
    perform(station, late.pk, "request_extension", comment="需要协调", extra_days=2, now=at(10, 9))
    perform(dispatcher, late.pk, "approve_extension", now=at(10, 9))
    perform(leader, late.pk, "supervise", comment="请尽快办结", now=at(10, 9))
    perform(leader, late.pk, "supervise", comment="再次督办", now=at(10, 9))
    perform(station, late.pk, "acknowledge", now=at(10, 9))
    perform(station, late.pk, "handle", comment="已清运", now=at(10, 10))
    perform(dispatcher, late.pk, "verify_fail", comment="没清干净", now=at(10, 10))
    returned = dispatched(org, sign=False)
    perform(station, returned.pk, "return", comment="不属于本所", now=FRIDAY)
    perform(dispatcher, returned.pk, "dispatch", lead_unit=org.units["village_committee_a"].code, now=FRIDAY)
    dispatched(org, now=at(11, 1))  # outside the period
    dispatched(org, where="b")  # another township

    with django_assert_num_queries(4):
        rows = unit_counters(leader, at(9, 1), at(10, 1))
    by_code = {r["unit_code"]: r for r in rows}
    assert set(by_code) == {org.units["station_a"].code, org.units["village_committee_a"].code}
    station_row = by_code[org.units["station_a"].code]
    assert {k: v for k, v in station_row.items() if k not in ("unit_id", "unit_code", "unit_name")} == {
        "events": 1,
        "handled": 0,
        "closed": 0,
        "overdue": 1,
        "extensions": 1,
        "returns": 1,
        "rework": 1,
        "reopen": 0,
        "supervisions": 2,
        "supervisions_acknowledged": 2,
    }
    assert station_row["unit_name"] == org.units["station_a"].name
    assert by_code[org.units["village_committee_a"].code]["events"] == 1
    assert by_code[org.units["village_committee_a"].code]["returns"] == 0
    # Township B sees none of township A's units; the county sees both townships.
    assert [r["unit_code"] for r in unit_counters(org.user("b", "leader"), at(9, 1), at(10, 1))] == [
        org.units["station_b"].code
    ]
    assert len(unit_counters(org.user("county", "leader"), at(9, 1), at(10, 1))) == 3
    assert unit_counters(org.user("none", "resident"), at(9, 1), at(10, 1)) == []


# --- wiring: embedded mode, beat schedule, the jiceng worker/beat verbs ---------------------------


def test_embedded_mode_runs_tasks_in_process(org: Org, categories: dict[str, EventCategory]) -> None:
    from celery.result import EagerResult

    if os.environ.get("JICENG_CELERY_BROKER_URL"):
        pytest.skip("a broker is configured: not embedded mode")
    event = dispatched(org)
    result = check_deadlines.delay(now=DUE)
    assert isinstance(result, EagerResult) and result.get() == {"checked": 1, "yellow": 0, "red": 1}
    assert Event.objects.get(pk=event.pk).warning == Warning.RED


def test_beat_schedule_and_task_discovery() -> None:
    from jiceng import celery_app

    entry = celery_app.conf.beat_schedule["check-deadlines"]
    assert entry["task"] == check_deadlines.name and entry["schedule"] == 300
    assert celery_app.conf.timezone == "Asia/Shanghai" and celery_app.conf.task_acks_late
    celery_app.loader.import_default_modules()  # what a worker does at start
    assert check_deadlines.name in celery_app.tasks


def test_worker_and_beat_verbs(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from jiceng import cli

    calls: list[list[str]] = []
    monkeypatch.setattr(os, "execv", lambda path, argv: calls.append(argv))
    monkeypatch.setattr("jiceng.celery_settings.TASKS_EMBEDDED", True)
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["worker"])
    assert exit_info.value.code == 2 and "JICENG_CELERY_BROKER_URL" in capsys.readouterr().err
    cli.main(["beat"])  # embedded: beat runs the periodic tasks itself
    monkeypatch.setattr("jiceng.celery_settings.TASKS_EMBEDDED", False)
    cli.main(["worker", "-c", "4"])
    beat, worker = calls
    assert beat[1:4] == ["-A", "jiceng", "beat"] and beat[-1].endswith("celerybeat-schedule")
    assert worker[1:4] == ["-A", "jiceng", "worker"] and worker[-2:] == ["-c", "4"]
    assert all(argv[0].endswith("/celery") for argv in calls)


# --- a real worker --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_check_deadlines_on_a_real_worker(org: Org, categories: dict[str, EventCategory]) -> None:
    """The deadline check sent through Redis to a Celery worker (in a thread of this process, so it
    uses the test database) with the production configuration, except for the broker and a queue of
    its own."""
    from celery.result import AsyncResult, EagerResult

    event = dispatched(org)
    with real_worker() as app:
        result = app.tasks[check_deadlines.name].delay(now=DUE)
        assert isinstance(result, AsyncResult) and not isinstance(result, EagerResult)
        counts = result.get(timeout=TASK_TIMEOUT)
    assert counts == {"checked": 1, "yellow": 0, "red": 1}
    event = Event.objects.get(pk=event.pk)
    assert event.warning == Warning.RED and event.was_overdue
    assert sent(event) == [("a_dispatcher", "warning_red"), ("a_handler", "warning_red")]
