"""Two people acting on the same record at once: one success and one clear conflict."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from jiceng.core.errors import Conflict
from jiceng.org.actions import update_region, update_unit
from jiceng.org.models import Region, Unit
from tests.conftest import build_org


def race(*calls: Any) -> list[Any]:
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = calls[i]()
        except Exception as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


@pytest.mark.django_db(transaction=True)
def test_same_version_edits_one_wins_one_conflicts() -> None:
    org = build_org()
    admin_a, county_admin = org.user("a", "admin"), org.user("county", "admin")
    village = org.regions["village_a"]
    results = race(
        lambda: update_region(admin_a, Region.objects.get(pk=village.pk), expected_version=1, name="甲"),
        lambda: update_region(county_admin, Region.objects.get(pk=village.pk), expected_version=1, name="乙"),
    )
    wins = [r for r in results if isinstance(r, Region)]
    conflicts = [r for r in results if isinstance(r, Conflict)]
    assert len(wins) == 1 and len(conflicts) == 1, results
    stored = Region.objects.get(pk=village.pk)
    assert stored.version == 2 and stored.name == wins[0].name
    assert conflicts[0].code == "conflict" and conflicts[0].status == 409


@pytest.mark.django_db(transaction=True)
def test_concurrent_writes_keep_the_audit_chain_intact() -> None:
    from jiceng.audit.queries import verify_chain

    org = build_org()
    admin = org.user("county", "admin")
    units = [org.units[k] for k in ("station_a", "station_b", "command_room_a", "command_room_b")]
    results = race(
        *[(lambda u=u: update_unit(admin, Unit.objects.get(pk=u.pk), name=u.name + "新")) for u in units]
    )
    assert all(isinstance(r, Unit) for r in results), results
    report = verify_chain()
    assert report.ok and report.checked == 4
