"""Query budgets of the hot API paths: a change that adds queries per request fails here first.

The budgets are what the code needs today (see bench/README.md for what each costs under load); raise
one only with a reason in the commit.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jiceng.events.actions import report_event
from tests.conftest import Org
from tests.events.conftest import IN_GRID_A

pytestmark = pytest.mark.django_db


def counted(call: Any) -> tuple[Any, list[str]]:
    with CaptureQueriesContext(connection) as ctx:
        result = call()
    statements = [q["sql"] for q in ctx.captured_queries]
    return result, [s for s in statements if not s.startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]


def test_create_event_query_budget(org: Org, categories: Any, api_as: Any) -> None:
    client = api_as(org.user("a", "grid_worker"))
    body = {"category": "0301", "title": "预热", **IN_GRID_A}
    assert client.post_json("/api/v1/events", body).status_code == 201  # warms the category and grid caches
    response, statements = counted(
        lambda: client.post(
            "/api/v1/events",
            {**body, "title": "计数"},
            content_type="application/json",
            headers={"Idempotency-Key": "q-1"},
        )
    )
    assert response.status_code == 201, response.content
    assert response.json()["timeline"][0]["action"] == "report"
    # token, roles, grid region, event, flow, rollups (day, current), audit (head, entry, head);
    # notifications run after the commit
    assert len(statements) <= 9, "\n".join(statements)
    assert not any("events_eventcategory" in s for s in statements)


def test_worklist_and_detail_query_budgets(org: Org, categories: Any, api_as: Any) -> None:
    for n in range(5):
        report_event(org.user("a", "grid_worker"), category="0301", title=f"第{n}件", **IN_GRID_A)
    client = api_as(org.user("a", "dispatcher"))
    response, statements = counted(
        lambda: client.get("/api/v1/events", {"worklist": "to_accept", "limit": 25})
    )
    assert response.status_code == 200 and len(response.json()["items"]) == 5
    assert len(statements) <= 4, "\n".join(statements)  # token, roles, page; no query per row
    page = next(s for s in statements if "events_event" in s)
    # Only what a list item shows: not the description, the extra fields or the reporter's phone.
    assert not any(f'"events_event"."{c}"' in page for c in ("description", "form_data", "reporter_phone"))
    event_id = response.json()["items"][0]["id"]
    response, statements = counted(lambda: client.get(f"/api/v1/events/{event_id}"))
    assert response.status_code == 200
    assert len(statements) <= 5, "\n".join(statements)


def test_action_query_budget(org: Org, categories: Any, api_as: Any) -> None:
    event, _ = report_event(org.user("a", "grid_worker"), category="0301", title="受理", **IN_GRID_A)
    client = api_as(org.user("a", "dispatcher"))
    client.get("/api/v1/events")  # token and roles warmed the same way as above
    response, statements = counted(
        lambda: client.post_json(f"/api/v1/events/{event.pk}/actions/accept", {"version": event.version})
    )
    assert response.status_code == 200, response.content
    assert len(statements) <= 12, "\n".join(statements)
