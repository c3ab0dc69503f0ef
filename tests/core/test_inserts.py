"""core/inserts.py: the rows of one write gathered into one statement on PostgreSQL."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from psycopg.pq import Trace

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


def one_by_one(obj: Any, *, reserve_pk: bool = False) -> Any:
    """What the write did before it gathered its rows: each row saved through the ORM at once."""
    obj.save(force_insert=True)
    return obj


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
        patch.setattr(inserts, "add", one_by_one)
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
    # The event's id, then the event, its flow, the rollup journal, the pending notification, the audit
    # chain's head moved (and locked) and the audit entry: one statement.
    assert [s.split()[0] for s in statements] == ["SELECT", "WITH"], "\n".join(statements)
    assert "nextval" in statements[0]
    assert statements[1].count("INSERT INTO") == 6 and statements[1].count("ON CONFLICT") == 1
    assert Event.objects.filter(pk=event.pk).exists() and EventFlow.objects.filter(event=event).count() == 1


@contextmanager
def wire() -> Iterator[list[str]]:
    """The queries this connection sends to the server, BEGIN and COMMIT included (libpq's trace)."""
    connection.ensure_connection()
    pgconn = connection.connection.pgconn
    sent: list[str] = []
    with tempfile.TemporaryFile() as trace:
        pgconn.trace(trace.fileno())
        pgconn.set_trace_flags(Trace.SUPPRESS_TIMESTAMPS | Trace.REGRESS_MODE)
        try:
            yield sent
        finally:
            pgconn.untrace()
            trace.seek(0)
            for line in trace.read().decode().splitlines():
                direction, _length, message, *text = line.split("\t")
                if direction == "F" and message == "Query":
                    sent.append(text[0].strip().strip('"').split()[0])


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_a_report_is_two_round_trips(org: Org, categories: Any, deferred: None) -> None:
    reporter = org.user("a", "grid_worker")
    report_event(reporter, category="0301", title="预热", **IN_GRID_A)
    with wire() as sent:
        event, created = report_event(reporter, category="0301", title="两次往返", **IN_GRID_A)
    # nextval, then the gathered statement as its own transaction: no BEGIN, no COMMIT.
    assert sent == ["SELECT", "WITH"] and created
    assert Event.objects.filter(pk=event.pk).exists() and EventFlow.objects.filter(event=event).count() == 1
    assert verify_chain().ok


@pytest.mark.django_db(transaction=True)
def test_a_block_alone_in_its_transaction_is_one_statement_all_or_nothing() -> None:
    seen: list[bool] = []
    with wire() as sent, inserts.atomic():
        change = inserts.add(RollupChange(before=None, after={"x": 1}))
        transaction.on_commit(lambda: seen.append(RollupChange.objects.filter(pk=change.pk).exists()))
    assert sent == ["WITH", "SELECT"]  # the statement, then the hook's query after it
    assert seen == [True] and connection.get_autocommit() and connection.connection.autocommit

    with wire() as sent, pytest.raises(IntegrityError), inserts.atomic():
        inserts.add(RollupChange(before=None, after={"y": 2}))
        inserts.add(RollupChange(pk=change.pk, before=None, after={"z": 3}))  # a key already taken
        transaction.on_commit(lambda: seen.append(False))
    assert sent == ["WITH"] and seen == [True]
    assert not RollupChange.objects.filter(after={"y": 2}).exists() and connection.connection.autocommit

    # A read in the block starts the transaction on the server: the statement joins it.
    with wire() as sent, inserts.atomic():
        assert RollupChange.objects.count() == 1
        inserts.add(RollupChange(before=None, after={"w": 4}))
    assert sent == ["BEGIN", "SELECT", "WITH", "COMMIT"]

    # Inside an outer transaction, the outer one commits.
    with wire() as sent, transaction.atomic():
        with inserts.atomic():
            inserts.add(RollupChange(before=None, after={"v": 5}))
        assert RollupChange.objects.filter(after={"v": 5}).exists()
    assert sent == ["BEGIN", "SAVEPOINT", "WITH", "RELEASE", "SELECT", "COMMIT"]


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
    assert len(gathered) == 1 and gathered[0].count("INSERT INTO") == 5, "\n".join(statements)
    assert not [s for s in statements if s.startswith("INSERT")]
    assert EventFlow.objects.filter(event=event, action="accept").count() == 1
    assert verify_chain().ok


@pytest.mark.django_db(transaction=True)
def test_an_audit_entry_alone_is_one_statement_and_in_a_transaction_no_savepoint(org: Org) -> None:
    from jiceng.audit.actions import record

    viewer = org.user("a", "admin")
    record("test.warm_up", actor=viewer)
    with wire() as sent:
        entry = record("personal_data.view", actor=viewer, changes={"fields": ["id_number"]})
    assert sent == ["WITH"]  # no BEGIN, no COMMIT
    assert AuditEntry.objects.get(pk=entry.pk).entry_hash == entry.entry_hash
    with wire() as sent, transaction.atomic():
        record("personal_data.view", actor=viewer)
        record("personal_data.view", actor=viewer)
    assert sent == ["BEGIN", "WITH", "WITH", "COMMIT"]
    assert verify_chain().ok
