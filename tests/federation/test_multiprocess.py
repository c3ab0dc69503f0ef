"""Real processes, real HTTP on 127.0.0.1: a hub, county A and two department systems, each with its own
SQLite database (jiceng.federation.cluster). Department 1 returns every assignment, department 2 resolves.

The processes' databases are read directly (read-only) to compare both sides.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from jiceng.federation.cluster import Cluster, Node

COUNTY = "330101"
# Asks for the test database only so that the cluster can copy it (empty and migrated); the nodes run on
# SQLite whatever the test database is, so the PostgreSQL pass of CI leaves these tests out.
pytestmark = [pytest.mark.django_db, pytest.mark.own_databases]


def free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, django_db_setup: None) -> Iterator[Cluster]:
    hub, county, one, two = free_ports(4)
    nodes = [
        Node("HUB", "协同平台", "hub", hub),
        Node(COUNTY, "上城县", "county", county),
        Node("DEPT-1", "部门一", "department", one, categories=["05"], priority=10, auto_answer="return"),
        Node("DEPT-2", "部门二", "department", two, categories=["05"], priority=20, auto_answer="resolve"),
    ]
    c = Cluster(Path(tmp_path_factory.mktemp("federation")), nodes, max_backoff=1, max_attempts=10_000)
    # The session's empty, migrated test database (SQLite) saves a migration per run.
    db = connection.settings_dict
    template = Path(db["NAME"]) if db["ENGINE"].endswith("sqlite3") else None
    c.prepare(template)
    c.start_all()
    try:
        yield c
    finally:
        c.stop_all()


def rows(c: Cluster, code: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    db = sqlite3.connect(f"file:{c.db(c.node(code))}?mode=ro", uri=True, timeout=20)
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.close()


def county_api(c: Cluster) -> Callable[..., tuple[int, Any]]:
    node = c.node(COUNTY)
    token = c.tokens(node)[f"center_{COUNTY}"]

    def call(method: str, path: str, body: Any = None) -> tuple[int, Any]:
        request = urllib.request.Request(  # noqa: S310 - http on localhost
            node.url + path,
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"null")

    return call


def wait_for(check: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_escalate_return_resolve_close(cluster: Cluster) -> None:
    api = county_api(cluster)
    status, event = api(
        "POST",
        "/api/v1/events",
        {"category": "0501", "title": "基本农田违建", "source": "hotline", "region_code": COUNTY},
    )
    assert status == 201
    event_id = event["id"]
    assert api("POST", f"/api/v1/events/{event_id}/actions/accept", {})[0] == 200
    status, link = api("POST", f"/api/v1/federation/events/{event_id}/escalate", {"comment": "县级无法办结"})
    assert status == 200 and link["correlation"] == f"{COUNTY}/{event_id}"

    # Hub → department 1 (returns) → department 2 (resolves) → county: the event is handled, to verify.
    wait_for(lambda: api("GET", f"/api/v1/events/{event_id}")[1]["state"] == "handled")
    timeline = [(f["action"], f["comment"]) for f in api("GET", f"/api/v1/events/{event_id}")[1]["timeline"]]
    actions = [a for a, _ in timeline]
    assert actions == ["report", "accept", "dispatch", "sign", "progress", "progress", "progress", "handle"]
    comments = " ".join(c for _, c in timeline)
    assert "部门一" in comments and "部门二" in comments

    hops = rows(cluster, "HUB", "SELECT action, system FROM federation_routehop ORDER BY id")
    assert hops == [
        ("received", COUNTY),
        ("assigned", "DEPT-1"),
        ("returned", "DEPT-1"),
        ("assigned", "DEPT-2"),
        ("resolved", "DEPT-2"),
    ]
    assert rows(cluster, "DEPT-1", "SELECT state FROM federation_departmenttask") == [("returned",)]
    assert rows(cluster, "DEPT-2", "SELECT state FROM federation_departmenttask") == [("resolved",)]

    # The county verifies and closes; the feedback reaches the hub and department 2.
    assert api("POST", f"/api/v1/events/{event_id}/actions/verify_pass", {})[0] == 200
    wait_for(lambda: rows(cluster, "HUB", "SELECT state FROM federation_routedevent") == [("closed",)])
    assert rows(cluster, "HUB", "SELECT action, system FROM federation_routehop ORDER BY id")[-1] == (
        "feedback",
        COUNTY,
    )
    wait_for(
        lambda: (
            "verify_pass" in rows(cluster, "DEPT-2", "SELECT feedback FROM federation_departmenttask")[0][0]
        )
    )


def test_hub_outage_loses_and_duplicates_nothing(cluster: Cluster) -> None:
    """The issue's full size: JICENG_FED_OUTAGE_EVENTS=1000 JICENG_FED_OUTAGE_SECONDS=60 (kept small here)."""
    events = people = int(os.environ.get("JICENG_FED_OUTAGE_EVENTS", "50"))
    outage = float(os.environ.get("JICENG_FED_OUTAGE_SECONDS", "0"))
    hub = cluster.node("HUB")
    county = cluster.node(COUNTY)
    cluster.stop(hub)
    before = rows(cluster, COUNTY, "SELECT count(*) FROM federation_outboxmessage")[0][0]
    routed_before = rows(cluster, "HUB", "SELECT count(*) FROM federation_routedevent")[0][0]
    started = time.monotonic()
    cluster.manage(
        county, "federation_load", "--events", str(events), "--people", str(people), "--start", "1000"
    )
    # Deliveries fail while the hub is down; the county keeps everything queued.
    wait_for(
        lambda: (
            rows(cluster, COUNTY, "SELECT count(*) FROM federation_outboxmessage WHERE attempts > 0")[0][0]
            > 0
        )
    )
    wait_for(
        lambda: (
            rows(cluster, COUNTY, "SELECT health FROM federation_system WHERE code='HUB'") == [("failing",)]
        )
    )
    print(f"load {time.monotonic() - started:.1f}s")
    # The escalations and the residents (data.sync batches, queued by the county's worker) wait.
    wait_for(
        lambda: (
            rows(cluster, COUNTY, "SELECT count(*) FROM federation_outboxmessage WHERE state='pending'")[0][0]
            >= events + 1
        )
    )

    time.sleep(max(0.0, outage - (time.monotonic() - started)))
    cluster.start(hub)
    started = time.monotonic()
    # Everything arrives, is routed A → B, resolved, and the resolutions come back to the county.
    wait_for(
        lambda: (
            rows(cluster, COUNTY, "SELECT count(*) FROM federation_outboxmessage WHERE state != 'sent'")[0][0]
            == 0
            and rows(cluster, "HUB", "SELECT count(*) FROM federation_provincerecord")[0][0] == people
        ),
        timeout=60 + events * 0.2,
    )
    print(f"drained {time.monotonic() - started:.1f}s")
    sent = {
        r[0]
        for r in rows(cluster, COUNTY, "SELECT message_id FROM federation_outboxmessage WHERE id > ?", before)
    }
    received = rows(
        cluster,
        "HUB",
        "SELECT i.message_id FROM federation_inboxmessage i JOIN federation_system s ON s.id = i.source_id "
        "WHERE s.code = ?",
        COUNTY,
    )
    received_ids = [r[0] for r in received]
    assert len(received_ids) == len(set(received_ids))  # nothing twice
    assert sent <= set(received_ids)  # nothing lost
    assert rows(cluster, "HUB", "SELECT count(*) FROM federation_routedevent")[0][0] == routed_before + events
    assert rows(cluster, "HUB", "SELECT count(*) FROM federation_inboxmessage WHERE state='held'") == [(0,)]
    # In order per event: every conversation's cursor stands at its last sequence, nothing failed.
    assert rows(cluster, "HUB", "SELECT count(*) FROM federation_inboxmessage WHERE state='failed'") == [(0,)]
    wait_for(
        lambda: (
            rows(
                cluster,
                COUNTY,
                "SELECT count(*) FROM events_event WHERE state = 'handled' AND source_ref LIKE '12345-%'",
            )[0][0]
            >= events
        ),
        timeout=60 + events * 0.2,
    )
