"""With workers (DEFER_SIDE_EFFECTS), a write leaves a rollup change and a pending notification in its own
transaction; a worker folds and delivers them in batches, to exactly what the request would have written."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from jiceng.analytics import rollups
from jiceng.analytics import tasks as analytics_tasks
from jiceng.analytics.models import CurrentRollup, DailyRollup, RollupChange
from jiceng.core import batching
from jiceng.events.actions import perform, report_event
from jiceng.notifications import actions as notification_actions
from jiceng.notifications import tasks as notification_tasks
from jiceng.notifications.models import Notification, PendingNotification
from tests.analytics.conftest import build_history
from tests.celery_worker import TASK_TIMEOUT, real_worker
from tests.conftest import Org
from tests.core.test_concurrency import race
from tests.events.conftest import IN_GRID_A, IN_GRID_B


@pytest.fixture
def deferred(settings: Any) -> None:
    settings.DEFER_SIDE_EFFECTS = True
    batching._last_kick.clear()


def notifications() -> set[tuple[int, str, int | None, str]]:
    return set(Notification.objects.values_list("user_id", "kind", "event_id", "title"))


@pytest.mark.usefixtures("deferred")
def test_a_fold_and_a_delivery_give_what_the_requests_would_have_written(org: Org, categories: Any) -> None:
    build_history(org, timezone.now())
    # Nothing shared was written by the requests: no rollup row to wait for, no notification yet.
    assert not DailyRollup.objects.exists() and not CurrentRollup.objects.exists()
    assert not Notification.objects.exists()
    changes, pending = RollupChange.objects.count(), list(PendingNotification.objects.order_by("pk"))
    assert changes > 20 and len(pending) > 20

    assert rollups.fold(limit=7) == changes  # several batches
    assert not RollupChange.objects.exists()
    assert rollups.verify() == {"daily": 0, "current": 0}

    assert notification_actions.deliver_pending(limit=9) == len(pending)
    assert not PendingNotification.objects.exists()
    batched = notifications()
    assert batched
    # The same pairs one by one, as the embedded mode writes them.
    Notification.objects.all().delete()
    for row in pending:
        notification_actions.notify_event(row.event_id, row.kind)
    assert notifications() == batched


def test_a_township_dispatcher_hears_of_each_new_event_once(
    org: Org, categories: Any, deferred: None
) -> None:
    grid_a, grid_b = org.user("a", "grid_worker"), org.user("b", "grid_worker")
    events = [report_event(grid_a, category="0301", title=f"甲{n}", **IN_GRID_A)[0] for n in range(3)]
    events.append(report_event(grid_b, category="0301", title="乙", **IN_GRID_B)[0])
    notification_actions.deliver_pending()
    disp_a, disp_b = org.user("a", "dispatcher"), org.user("b", "dispatcher")
    got_a = set(Notification.objects.filter(user=disp_a, kind="reported").values_list("event_id", flat=True))
    got_b = set(Notification.objects.filter(user=disp_b, kind="reported").values_list("event_id", flat=True))
    assert got_a == {e.pk for e in events[:3]} and got_b == {events[3].pk}


def test_kicks_within_the_window_ask_for_one_run(
    org: Org,
    categories: Any,
    deferred: None,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    sent: list[tuple[str, float]] = []
    for task in (analytics_tasks.fold_rollups, notification_tasks.deliver_pending):
        monkeypatch.setattr(
            task, "apply_async", lambda countdown, name=task.name: sent.append((name, countdown))
        )
    grid = org.user("a", "grid_worker")
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(3):
            report_event(grid, category="0301", title=f"事件{n}", **IN_GRID_A)
    assert sorted(sent) == [
        ("jiceng.analytics.tasks.fold_rollups", 0.5),
        ("jiceng.notifications.tasks.deliver_pending", 0.5),
    ]
    batching._last_kick.clear()  # the window has passed
    with django_capture_on_commit_callbacks(execute=True):
        report_event(grid, category="0301", title="又一个", **IN_GRID_A)
    assert len(sent) == 4
    # The runs take every row, whichever kick asked for them.
    assert analytics_tasks.fold_rollups() == 4 and notification_tasks.deliver_pending() == 4
    assert rollups.verify() == {"daily": 0, "current": 0}


def test_a_failing_notification_is_kept_and_does_not_hold_back_the_others(
    org: Org, categories: Any, deferred: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    grid = org.user("a", "grid_worker")
    good, _ = report_event(grid, category="0301", title="好的", **IN_GRID_A)
    bad, _ = report_event(grid, category="0301", title="坏的", **IN_GRID_A)
    real_title = notification_actions._title

    def title(kind: str, event: Any, *args: Any) -> str:
        if event.title == "坏的":
            raise RuntimeError("gateway down")
        return real_title(kind, event, *args)

    monkeypatch.setattr(notification_actions, "_title", title)
    assert notification_actions.deliver_pending() == 1
    assert set(Notification.objects.values_list("event_id", flat=True)) == {good.pk}
    kept = PendingNotification.objects.get()
    assert (kept.event_id, kept.attempts) == (bad.pk, 1)
    monkeypatch.setattr(notification_actions, "_title", real_title)
    assert notification_actions.deliver_pending() == 1
    assert Notification.objects.filter(event_id=bad.pk).exists()
    assert not PendingNotification.objects.exists()


def test_a_workflow_step_is_journalled_too(org: Org, categories: Any, deferred: None) -> None:
    event, _ = report_event(org.user("a", "grid_worker"), category="0301", title="占道", **IN_GRID_A)
    perform(org.user("a", "dispatcher"), event.pk, "reject", comment="不属实")
    kinds = list(PendingNotification.objects.order_by("pk").values_list("kind", flat=True))
    assert kinds == ["reported", "reject"]
    assert RollupChange.objects.count() == 2
    rollups.fold()
    township = org.regions["township_a"].code
    row = DailyRollup.objects.get(region_code=township, slice="", key="")
    assert (row.reported, row.rejected) == (1, 1)


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_two_workers_folding_at_once_count_each_change_once(
    org: Org, categories: Any, deferred: None, settings: Any
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED needs PostgreSQL; SQLite runs one writer at a time")
    settings.BATCH_SECONDS = 3600  # one kick for all 60 writes, however slow the machine
    grid = org.user("a", "grid_worker")
    for n in range(60):
        report_event(grid, category="0301", title=f"并发{n}", **IN_GRID_A)
    # (The first commit's kick already folded its own change: tasks run in the caller here.)
    waiting = RollupChange.objects.count()
    assert waiting == 59
    results = race(lambda: rollups.fold(limit=5), lambda: rollups.fold(limit=5))
    assert all(isinstance(r, int) for r in results), results
    assert sum(results) == waiting and not RollupChange.objects.exists()
    assert rollups.verify() == {"daily": 0, "current": 0}


@pytest.mark.django_db(transaction=True)
def test_with_a_real_worker_the_writes_own_kicks_fold_and_deliver(
    org: Org, categories: Any, deferred: None
) -> None:
    """The production path end to end: each commit's kick goes through Redis to a Celery worker."""
    grid = org.user("a", "grid_worker")
    with real_worker():
        events = [report_event(grid, category="0301", title=f"事件{n}", **IN_GRID_A)[0] for n in range(5)]
        deadline = time.monotonic() + TASK_TIMEOUT
        while RollupChange.objects.exists() or PendingNotification.objects.exists():
            assert time.monotonic() < deadline, "the worker did not take the rows"
            time.sleep(0.1)
    assert rollups.verify() == {"daily": 0, "current": 0}
    township = org.regions["township_a"].code
    assert CurrentRollup.objects.get(region_code=township, slice="", key="").open == 5
    dispatcher = org.user("a", "dispatcher")
    heard = Notification.objects.filter(user=dispatcher, kind="reported").values_list("event_id", flat=True)
    assert sorted(heard) == sorted(e.pk for e in events)
