"""Visits on the 360° pages, daily work logs (one a day, compare-and-set), ledgers and their Excel export."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from jiceng.audit.models import AuditEntry
from jiceng.worktools import visit_actions, visit_queries
from jiceng.worktools.models import Visit, WorkLog
from tests.conftest import Org

pytestmark = pytest.mark.django_db


def test_visit_subjects_are_scoped_and_validated(org: Org, registry_records: Any, api_as: Any) -> None:
    worker = api_as(org.user("a", "grid_worker"))
    household = registry_records["a"]["household"]
    ok = worker.post_json(
        "/api/v1/worktools/visits",
        {
            "subject_kind": "household",
            "subject_key": household.number,
            "findings": "住房漏雨",
            "follow_up": "联系村委维修",
        },
    )
    assert ok.status_code == 201, ok.content
    outside = worker.post_json(
        "/api/v1/worktools/visits",
        {
            "subject_kind": "household",
            "subject_key": registry_records["b"]["household"].number,
            "findings": "x",
        },
    )
    assert outside.status_code == 422 and outside.json()["code"] == "invalid_subject"
    bad_kind = worker.post_json(
        "/api/v1/worktools/visits", {"subject_kind": "place", "subject_key": "x", "findings": "x"}
    )
    assert bad_kind.status_code == 422
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    backwards = worker.post_json(
        "/api/v1/worktools/visits",
        {
            "subject_kind": "household",
            "subject_key": household.number,
            "findings": "住房漏雨",
            "follow_up": "联系村委维修",
            "follow_up_due": yesterday,
        },
    )
    assert backwards.status_code == 422 and "follow_up_due" in backwards.json()["details"]
    assert Visit.objects.count() == 1
    # The household's member sees the household visit on their 360° page.
    person = registry_records["a"]["person"]
    from jiceng.registry.models import Person

    Person.objects.filter(pk=person.pk).update(household=household)
    person.refresh_from_db()
    assert [v.findings for v in visit_queries.visits_of(org.user("a", "dispatcher"), person)] == ["住房漏雨"]
    assert list(visit_queries.visits_of(org.user("b", "dispatcher"), person)) == []


def test_one_log_a_day_and_a_stale_rewrite_conflicts(org: Org, api_as: Any) -> None:
    worker = api_as(org.user("a", "grid_worker"))
    day = timezone.localdate().isoformat()
    first = worker.put(
        f"/api/v1/worktools/logs/{day}", {"content": "走访3户"}, content_type="application/json"
    )
    assert first.status_code == 200, first.content
    version = first.json()["version"]
    second = worker.put(
        f"/api/v1/worktools/logs/{day}",
        {"content": "走访4户", "version": version},
        content_type="application/json",
    )
    assert second.status_code == 200 and second.json()["version"] == version + 1
    stale = worker.put(
        f"/api/v1/worktools/logs/{day}",
        {"content": "走访5户", "version": version},
        content_type="application/json",
    )
    assert stale.status_code == 409
    assert WorkLog.objects.get().content == "走访4户"
    future = (timezone.localdate() + timedelta(days=1)).isoformat()
    assert (
        worker.put(
            f"/api/v1/worktools/logs/{future}", {"content": "x"}, content_type="application/json"
        ).status_code
        == 422
    )
    # The dispatcher of the township reads it; township B's does not.
    assert len(api_as(org.user("a", "dispatcher")).get("/api/v1/worktools/logs").json()) == 1
    assert api_as(org.user("b", "dispatcher")).get("/api/v1/worktools/logs").json() == []


def test_ledger_export_matches_the_records(org: Org, registry_records: Any, page_as: Any) -> None:
    worker = org.user("a", "grid_worker")
    now = timezone.now()
    people = [
        ("person", str(registry_records["a"]["person"].pk)),
        ("house", registry_records["a"]["house"].code),
    ]
    for i in range(6):
        kind, key = people[i % 2]
        visit_actions.record_visit(
            worker,
            subject_kind=kind,
            subject_key=key,
            findings=f"第{i}次走访发现",
            purpose="日常走访",
            visited_at=now - timedelta(days=i),
        )
    visit_actions.record_visit(
        org.user("b", "grid_worker"),
        subject_kind="person",
        subject_key=str(registry_records["b"]["person"].pk),
        findings="外镇记录",
    )
    client = page_as(org.user("a", "dispatcher"))
    since = (timezone.localdate() - timedelta(days=3)).isoformat()
    response = client.get(f"/worktools/ledgers/visits/export/?since={since}")
    assert response.status_code == 200
    sheet = load_workbook(
        io.BytesIO(b"".join(response.streaming_content if response.streaming else [response.content]))
    ).active
    assert sheet is not None
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=4)]
    data = [r for r in rows if isinstance(r[0], int)]
    expected = list(
        visit_queries.ledger(
            org.user("a", "dispatcher"),
            "visits",
            visit_queries.LedgerFilter(since=timezone.localdate() - timedelta(days=3)),
        )
    )
    assert [r[0] for r in data] == list(range(1, len(expected) + 1))
    assert [r[4] for r in data] == [v.findings for v in expected]
    assert {r[4] for r in data} == {f"第{i}次走访发现" for i in range(4)}
    assert "外镇记录" not in str(rows)
    assert sheet["A1"].value and sheet["A3"].value
    assert AuditEntry.objects.filter(action="ledger.export").count() == 1
    # The on-screen ledger shows the same rows.
    page = client.get(f"/worktools/ledgers/visits/?since={since}").content.decode()
    assert all(v.findings in page for v in expected)


def test_a_ledger_with_its_dates_reversed_says_so(org: Org, registry_records: Any, page_as: Any) -> None:
    visit_actions.record_visit(
        org.user("a", "grid_worker"),
        subject_kind="person",
        subject_key=str(registry_records["a"]["person"].pk),
        findings="入户核实",
    )
    client = page_as(org.user("a", "dispatcher"))
    today = timezone.localdate()
    page = client.get(
        "/worktools/ledgers/visits/",
        {"since": today.isoformat(), "until": (today - timedelta(days=7)).isoformat()},
    ).content.decode()
    assert "结束日期早于开始日期" in page
    assert "入户核实" in page  # the reversed range is not applied: the ledger is not silently empty
