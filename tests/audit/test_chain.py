from __future__ import annotations

import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from jiceng.audit.actions import record
from jiceng.audit.models import AuditChainHead, AuditEntry
from jiceng.audit.queries import verify_chain
from tests.conftest import Org


def write_entries(n: int) -> None:
    for i in range(n):
        record(
            "test.action",
            actor=None,
            object_type="test",
            object_id=str(i),
            changes={"i": {"before": None, "after": i}},
        )


def edit_directly(sql: str, params: list) -> None:
    """What an attacker with database access does: drop the guard trigger, then change rows."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER IF EXISTS audit_entry_no_update")
        else:
            cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_entry_append_only")
        cursor.execute(sql, params)


def test_the_hash_covers_any_text_the_same_way_in_python_and_in_the_database(db: None) -> None:
    # On PostgreSQL the database computes the hash; verifying recomputes it in Python.
    record(
        "test.text",
        actor=None,
        username='张三 "引号" \\ 反斜杠',
        object_id="𠀀\n换行\t",
        changes={"备注": {"before": "a'b", "after": ["\u2028", None, 1.5, True]}, "é": "😀"},
    )
    write_entries(2)
    entries = list(AuditEntry.objects.order_by("id"))
    assert [e.id for e in entries] == [1, 2, 3]
    assert all(e.entry_hash == e.compute_hash() for e in entries)
    assert verify_chain().ok


@pytest.mark.django_db(transaction=True)
def test_appends_from_many_connections_at_once_keep_one_chain() -> None:
    start = threading.Barrier(4)

    def append(worker: int) -> None:
        start.wait()
        try:
            for i in range(15):
                with transaction.atomic():
                    record("test.parallel", actor=None, object_type="test", object_id=f"{worker}-{i}")
        finally:
            connection.close()

    threads = [threading.Thread(target=append, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert list(AuditEntry.objects.order_by("id").values_list("id", flat=True)) == list(range(1, 61))
    head = AuditChainHead.objects.get(pk=1)
    assert (head.last_id, head.count) == (60, 60)
    assert verify_chain().ok


def test_chain_intact_then_names_the_edited_entry(db: None, capsys) -> None:
    write_entries(10)
    call_command("audit", "verify")
    assert "intact: 10 entries" in capsys.readouterr().out
    edit_directly("UPDATE audit_auditentry SET username = %s WHERE id = %s", ["mallory", 4])
    report = verify_chain()
    assert not report.ok and report.first_bad_id == 4 and report.checked == 3
    with pytest.raises(CommandError, match="entry 4"):
        call_command("audit", "verify")


def test_a_deleted_entry_is_named(db: None) -> None:
    write_entries(6)
    edit_directly("DELETE FROM audit_auditentry WHERE id = %s", [3])
    report = verify_chain()
    assert (report.ok, report.first_bad_id) == (False, 3)
    assert "missing" in report.problem


def test_removing_the_newest_entries_is_detected(db: None) -> None:
    write_entries(5)
    edit_directly("DELETE FROM audit_auditentry WHERE id >= %s", [4])
    report = verify_chain()
    assert (report.ok, report.first_bad_id) == (False, 4)


def test_rehashing_an_entry_breaks_the_next_link(db: None) -> None:
    write_entries(5)
    entry = AuditEntry.objects.get(id=2)
    entry.changes = {"forged": True}
    forged_hash = entry.compute_hash()
    edit_directly(
        "UPDATE audit_auditentry SET changes = %s, entry_hash = %s WHERE id = 2",
        ['{"forged": true}', forged_hash],
    )
    report = verify_chain()
    assert (report.ok, report.first_bad_id) == (False, 3)


def test_orm_and_database_refuse_changes(db: None) -> None:
    write_entries(2)
    entry = AuditEntry.objects.get(id=1)
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        entry.delete()
    with pytest.raises(TypeError):
        AuditEntry.objects.filter(id=1).update(action="x")
    with pytest.raises(TypeError):
        AuditEntry.objects.all().delete()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditentry SET action = 'x' WHERE id = 1")
    assert verify_chain().ok


def test_rolled_back_writes_leave_no_entry_and_no_gap(db: None) -> None:
    write_entries(2)
    with pytest.raises(RuntimeError), transaction.atomic():
        record("test.rolled_back", actor=None)
        raise RuntimeError
    write_entries(1)
    assert list(AuditEntry.objects.order_by("id").values_list("id", flat=True)) == [1, 2, 3]
    assert AuditChainHead.objects.get(pk=1).last_id == 3
    assert verify_chain().ok


def test_audit_viewer_for_admins_only_and_scoped(org: Org, page_as, api_as) -> None:
    api_as(org.user("a", "admin")).patch_json(
        f"/api/v1/units/{org.units['station_a'].code}", {"name": "甲所"}
    )
    api_as(org.user("b", "admin")).patch_json(
        f"/api/v1/units/{org.units['station_b'].code}", {"name": "乙所"}
    )
    assert page_as(org.user("a", "dispatcher")).get("/audit/").status_code == 403
    assert api_as(org.user("a", "dispatcher")).get("/api/v1/audit").status_code == 403
    own = api_as(org.user("a", "admin")).get("/api/v1/audit", {"action": "unit."}).json()["items"]
    assert [e["unit_code"] for e in own] == [org.user("a", "admin").unit.code]
    county = (
        api_as(org.user("county", "admin")).get("/api/v1/audit", {"action": "unit.update"}).json()["items"]
    )
    assert len(county) == 2
    page = page_as(org.user("a", "admin")).get("/audit/", {"action": "unit."})
    assert page.status_code == 200 and "unit.update" in page.content.decode()
