"""core/inserts.py: the rows of one write gathered into one statement on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jiceng.analytics.models import RollupChange
from jiceng.audit.models import AuditEntry
from jiceng.audit.queries import verify_chain
from jiceng.core import batching, inserts
from jiceng.events.actions import perform, report_event
from jiceng.events.models import Event, EventFlow
from jiceng.notifications.models import PendingNotification
from tests.conftest import Org
from tests.events.conftest import IN_GRID_A

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="elsewhere the rows are saved one by one, as the ORM does"
    ),
]


@pytest.fixture
def deferred(settings: Any) -> None:
    settings.DEFER_SIDE_EFFECTS = True
    batching._last_kick.clear()


def written(event: Event) -> dict[str, Any]:
    """Everything a report wrote about ``event``, without ids and hashes."""
    row = Event.objects.filter(pk=event.pk).values().get()
    for name in ("id", "idempotency_key", "updated_at"):
        row.pop(name)
    flow_fields = (
        "action",
        "from_state",
        "to_state",
        "at",
        "actor_id",
        "unit_id",
        "comment",
        "data",
        "level",
    )
    flows = list(EventFlow.objects.filter(event=event).order_by("pk").values(*flow_fields))
    change = RollupChange.objects.order_by("-pk").values("before", "after").first()
    pending = list(PendingNotification.objects.filter(event_id=event.pk).values_list("kind", flat=True))
    audit = AuditEntry.objects.filter(object_type="events.event", object_id=str(event.pk)).values(
        "action", "user_id", "username", "unit_code", "changes", "result"
    )
    return {"event": row, "flows": flows, "change": change, "pending": pending, "audit": list(audit)}


@contextmanager
def one_by_one() -> Iterator[None]:
    """What the write did before it gathered its rows: each row saved through the ORM at once."""
    yield


@pytest.mark.parametrize("on_spot", [False, True], ids=["reported", "closed on the spot"])
def test_a_gathered_report_writes_exactly_what_the_orm_writes(
    org: Org, categories: Any, deferred: None, monkeypatch: pytest.MonkeyPatch, on_spot: bool
) -> None:
    now = timezone.now()
    reporter = org.user("a", "grid_worker")
    fields: dict[str, Any] = {
        "category": "D0101" if on_spot else "0301",
        "title": "同一件事",
        "description": "楼道堆放杂物",
        "reporter_phone": "13800138000",
        "form_data": {"parties": 2} if on_spot else {},
        "on_spot": on_spot,
        "on_spot_result": "已调解" if on_spot else "",
        "now": now,
        **IN_GRID_A,
    }
    gathered, created = report_event(reporter, idempotency_key="gathered", **fields)
    assert created and gathered.pk and not gathered._state.adding
    with monkeypatch.context() as patch:
        patch.setattr(inserts, "together", one_by_one)
        saved, created = report_event(reporter, idempotency_key="orm", **fields)
    assert created and saved.pk != gathered.pk
    assert written(gathered) == written(saved)
    assert len(written(gathered)["flows"]) == (2 if on_spot else 1)
    assert written(gathered)["pending"] == ["reported"]
    assert verify_chain().ok


def test_a_report_is_one_insert_statement(org: Org, categories: Any, deferred: None) -> None:
    reporter = org.user("a", "grid_worker")
    report_event(reporter, category="0301", title="预热", **IN_GRID_A)  # caches: grid index, categories
    with CaptureQueriesContext(connection) as ctx:
        event, _created = report_event(reporter, category="0301", title="计数", **IN_GRID_A)
    statements = [q["sql"] for q in ctx.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    # The event's id, the audit chain's head (locked), then the event, its flow, the rollup journal, the
    # pending notification, the audit entry and the head's move: one statement.
    assert [s.split()[0] for s in statements] == ["SELECT", "SELECT", "WITH"], "\n".join(statements)
    assert "nextval" in statements[0] and "FOR UPDATE" in statements[1]
    assert statements[2].count("INSERT INTO") == 5 and statements[2].count("UPDATE") == 1
    assert Event.objects.filter(pk=event.pk).exists() and EventFlow.objects.filter(event=event).count() == 1


def test_a_repeat_found_at_the_end_of_the_block_leaves_nothing(org: Org, categories: Any) -> None:
    reporter = org.user("a", "grid_worker")
    first, created = report_event(reporter, category="0301", title="第一次", idempotency_key="k", **IN_GRID_A)
    assert created
    counts = (Event.objects.count(), EventFlow.objects.count(), AuditEntry.objects.count())
    again, created = report_event(reporter, category="0301", title="重发", idempotency_key="k", **IN_GRID_A)
    assert not created and again.pk == first.pk and again.title == "第一次"
    assert (Event.objects.count(), EventFlow.objects.count(), AuditEntry.objects.count()) == counts
    assert verify_chain().ok


def test_rows_wait_for_the_end_of_the_block_and_go_with_a_failure() -> None:
    with transaction.atomic(), inserts.together():
        change = inserts.add(RollupChange(before=None, after={"x": 1}))
        assert inserts.active() and change.pk is None
        assert not RollupChange.objects.filter(after={"x": 1}).exists()  # not written yet
    assert change.pk and not change._state.adding
    assert RollupChange.objects.get(pk=change.pk).after == {"x": 1}

    with pytest.raises(IntegrityError), transaction.atomic(), inserts.together():
        inserts.add(RollupChange(before=None, after={"y": 2}))
        inserts.add(RollupChange(pk=change.pk, before=None, after={"z": 3}))  # a key already taken
    with pytest.raises(ValueError, match="stop"), transaction.atomic(), inserts.together():
        inserts.add(RollupChange(before=None, after={"y": 2}))
        raise ValueError("stop")
    assert not RollupChange.objects.filter(after={"y": 2}).exists()
    assert not inserts.active()
    assert RollupChange.objects.get(pk=change.pk).after == {"x": 1}


def test_an_action_writes_its_flow_journal_notification_and_audit_in_one_statement(
    org: Org, categories: Any, deferred: None
) -> None:
    event, _created = report_event(org.user("a", "grid_worker"), category="0301", title="受理", **IN_GRID_A)
    with CaptureQueriesContext(connection) as ctx:
        perform(org.user("a", "dispatcher"), event.pk, "accept", version=event.version)
    statements = [q["sql"] for q in ctx.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    gathered = [s for s in statements if s.startswith("WITH q0")]
    assert len(gathered) == 1 and gathered[0].count("INSERT INTO") == 4, "\n".join(statements)
    assert not [s for s in statements if s.startswith("INSERT")]
    assert EventFlow.objects.filter(event=event, action="accept").count() == 1
    assert verify_chain().ok
