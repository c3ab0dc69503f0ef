"""In-process federation fixtures: one database plays the part the test needs (hub, county or department
system, switched with settings), peers are System rows, and HTTP between them goes through test clients.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from jiceng.federation import delivery, signing
from jiceng.federation.models import System, SystemKind
from jiceng.federation.systems import save_system

KEY = "k" * 32
COUNTY_CODE = "330199"


def system(code: str, kind: str, **extra: Any) -> System:
    return save_system(
        code=code,
        name=extra.pop("name", code),
        kind=kind,
        inbox_url=f"http://{code.lower()}.test/federation/inbox",
        data_url=f"http://{code.lower()}.test/federation/data",
        key=extra.pop("key", KEY),
        **extra,
    )[0]


def envelope(
    type: str,
    payload: dict[str, Any],
    *,
    source: str = COUNTY_CODE,
    target: str = "HUB",
    correlation: str = "",
    sequence: int = 0,
    key: str = KEY,
    sent_at: datetime | None = None,
    message_id: str | None = None,
) -> dict[str, Any]:
    now = timezone.now()
    return signing.sign(
        {
            "id": message_id or str(uuid.uuid4()),
            "type": type,
            "source": source,
            "target": target,
            "time": now.isoformat(),
            "correlation": correlation,
            "sequence": sequence,
            "payload": payload,
        },
        key,
        sent_at or now,
    )


def post(body: Any) -> tuple[int, dict[str, str]]:
    response = Client().post("/federation/inbox", json.dumps(body), content_type="application/json")
    return response.status_code, response.json()["results"]


@pytest.fixture
def as_hub(settings: Any) -> None:
    settings.PLATFORM_ROLE, settings.PLATFORM_CODE = "hub", "HUB"


@pytest.fixture
def as_county(settings: Any) -> None:
    settings.PLATFORM_ROLE, settings.PLATFORM_CODE = "county", COUNTY_CODE


@pytest.fixture
def as_department(settings: Any) -> None:
    settings.PLATFORM_ROLE, settings.PLATFORM_CODE = "department", "DEPT-A"


@pytest.fixture
def hub_peers(db: None, as_hub: None) -> dict[str, System]:
    """At the hub: county 330199 and three department systems (A before B for category 05; C for D)."""
    return {
        "county": system(COUNTY_CODE, SystemKind.COUNTY, name="测试县"),
        "a": system("DEPT-A", SystemKind.DEPARTMENT, name="部门A", categories=["05"], priority=10),
        "b": system("DEPT-B", SystemKind.DEPARTMENT, name="部门B", categories=["05"], priority=20),
        "c": system("DEPT-C", SystemKind.DEPARTMENT, name="部门C", categories=["D"], regions=["3302"]),
    }


@pytest.fixture
def sent() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Swap the HTTP transport for a recorder that answers every message as accepted."""
    calls: list[tuple[str, dict[str, Any]]] = []

    def fake(url: str, body: dict[str, Any]) -> tuple[int, Any]:
        calls.append((url, body))
        return 200, {"results": {m["id"]: "accepted" for m in body.get("messages", [])}}

    original = delivery.transport
    delivery.transport = fake
    yield calls
    delivery.transport = original


@pytest.fixture
def transport() -> Iterator[Callable[[Callable[[str, dict[str, Any]], tuple[int, Any]]], None]]:
    """``transport(func)`` routes deliveries through ``func`` for the test."""
    original = delivery.transport

    def use(func: Callable[[str, dict[str, Any]], tuple[int, Any]]) -> None:
        delivery.transport = func

    yield use
    delivery.transport = original
