from __future__ import annotations

import pytest
from django.db import connection

from jiceng.core import connections


def test_a_loop_keeps_its_connection_until_a_minute_passes_or_an_error(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed: list[float] = []
    monkeypatch.setattr(connections, "close_old_connections", lambda: closed.append(1))
    monkeypatch.setattr(connections, "_last_check", 1000.0)
    connection.ensure_connection()
    connections.refresh_connections(now=1001.0)
    connections.refresh_connections(now=1059.9)
    assert closed == []
    connections.refresh_connections(now=1060.0)
    assert len(closed) == 1
    connections.refresh_connections(now=1061.0)
    assert len(closed) == 1
    # A database error in the last round: checked at once.
    monkeypatch.setattr(connection, "errors_occurred", True)
    connections.refresh_connections(now=1062.0)
    assert len(closed) == 2
