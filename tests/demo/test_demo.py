"""The demo county: geometry, codes, units, accounts and the ``demo`` command.

The county is loaded once for the module, by the command, inside a transaction that is rolled back at
the end (see the ``demo`` fixture). Tests that need an empty database come first in this file.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import shapely
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import Client, override_settings
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from jiceng.accounts.actions import attempt_login
from jiceng.accounts.models import User
from jiceng.accounts.roles import Role
from jiceng.audit.models import AuditEntry
from jiceng.audit.queries import verify_chain
from jiceng.core.validators import is_valid_phone, parse_credit_code
from jiceng.demo.county import DEMO_PASSWORD, DEMO_SEED, build_plan, build_regions
from jiceng.demo.loader import accounts_document
from jiceng.demo.steps import DemoContext, demo_step, registered_steps
from jiceng.org.actions import check_region_code
from jiceng.org.geo import clean_geometry
from jiceng.org.models import Region, RegionLevel, Unit, UnitKind

TOWNSHIP_ROLES = (
    Role.ADMIN,
    Role.LEADER,
    Role.DISPATCHER,
    Role.HANDLER,
    Role.VILLAGE_CADRE,
    Role.GRID_WORKER,
)
COUNTY_ROLES = (Role.ADMIN, Role.COUNTY_CENTER, Role.LEADER, Role.HANDLER, Role.HUB_OPERATOR)
ACCOUNT_KEYS = {"username", "password", "roles", "unit_code", "region_code", "token"}


# --- without the database ---------------------------------------------------------------------------


def test_geometry_is_deterministic() -> None:
    first, second = build_regions(DEMO_SEED), build_regions(DEMO_SEED)
    assert json.dumps([r.boundary for r in first]) == json.dumps([r.boundary for r in second])
    assert first == second
    other = build_regions(DEMO_SEED + 1)
    assert [r.boundary for r in other] != [r.boundary for r in first]


def test_plan_is_deterministic_and_complete() -> None:
    plan = build_plan()
    assert plan == build_plan()
    levels: dict[str, int] = defaultdict(int)
    for r in plan.regions:
        levels[r.level] += 1
    assert levels[RegionLevel.PROVINCE] == levels[RegionLevel.CITY] == levels[RegionLevel.COUNTY] == 1
    assert levels[RegionLevel.TOWNSHIP] >= 4
    assert levels[RegionLevel.VILLAGE] >= 20
    assert levels[RegionLevel.GRID] >= 120
    kinds = {r.kind for r in plan.at_level(RegionLevel.TOWNSHIP)}
    assert kinds == {"street", "town", "xiang"}
    assert len({u.code for u in plan.units}) == len(plan.units)
    assert len({u.username for u in plan.users}) == len(plan.users)
    assert len({u.full_name for u in plan.users}) == len(plan.users)


def test_every_boundary_is_clean_and_rounded_to_six_decimals() -> None:
    for r in build_regions():
        if r.boundary is None:
            assert r.level in (RegionLevel.PROVINCE, RegionLevel.CITY)
            continue
        assert clean_geometry(r.boundary) == r.boundary
        coords = shapely.get_coordinates(shape(r.boundary))
        assert (coords.round(6) == coords).all(), r.code
        assert coords[:, 0].min() > 119.85 and coords[:, 0].max() < 120.25
        assert coords[:, 1].min() > 28.3 and coords[:, 1].max() < 28.6


def test_steps_registry_orders_steps_and_refuses_duplicates() -> None:
    names = [s.name for s in registered_steps()]
    assert names[:3] == ["org.regions", "org.units", "accounts.users"]

    def twin(ctx: DemoContext) -> None:
        pass

    with pytest.raises(ValueError, match="twice"):
        demo_step(order=1, name="org.regions")(twin)


# --- an empty database (these run before the module's demo county is loaded) ---------------------------


@pytest.mark.parametrize(
    ("host", "port", "url"),
    [
        (None, None, "http://127.0.0.1:8000"),
        (None, "8010", "http://127.0.0.1:8010"),
        ("0.0.0.0", "8010", "http://127.0.0.1:8010"),  # noqa: S104 - an address, not a bind
        ("192.168.1.20", "80", "http://192.168.1.20:80"),
        ("::", "8010", "http://[::1]:8010"),
    ],
)
def test_the_demo_names_the_address_it_is_served_on(
    monkeypatch: pytest.MonkeyPatch, host: str | None, port: str | None, url: str
) -> None:
    for name, value in (("JICENG_HOST", host), ("JICENG_PORT", port)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    document = accounts_document([])
    assert document["url"] == url and f"{url}/api/v1/" in document["note"]


def test_command_refuses_outside_demo_mode(db: None, settings: Any, tmp_path: Path) -> None:
    settings.DEMO_MODE = False
    settings.VAR_DIR = tmp_path
    with pytest.raises(CommandError, match="Demo mode is off"):
        call_command("demo", stdout=StringIO())
    assert not Region.objects.exists()
    assert not (tmp_path / "demo-accounts.json").exists()


def test_command_refuses_a_database_that_is_not_the_demo(org: Any, settings: Any, tmp_path: Path) -> None:
    settings.DEMO_MODE = True
    settings.VAR_DIR = tmp_path
    with pytest.raises(CommandError, match="not the demo county"):
        call_command("demo", stdout=StringIO())
    assert not (tmp_path / "demo-accounts.json").exists()


# --- the demo county, loaded once ----------------------------------------------------------------------


@dataclass
class Demo:
    var_dir: Path
    output: str

    @property
    def file(self) -> Path:
        return self.var_dir / "demo-accounts.json"

    def document(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.file.read_text(encoding="utf-8"))
        return document


@pytest.fixture(scope="module")
def demo(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Demo]:
    var_dir = tmp_path_factory.mktemp("demo-var")
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with (
        django_db_blocker.unblock(),
        override_settings(DEMO_MODE=True, VAR_DIR=var_dir, PASSWORD_HASHERS=fast),
    ):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            out = StringIO()
            call_command("demo", stdout=out)
            yield Demo(var_dir, out.getvalue())
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def _regions() -> dict[str, Region]:
    return {r.code: r for r in Region.objects.all()}


def test_counts(demo: Demo, db: None) -> None:
    assert Region.objects.filter(level=RegionLevel.TOWNSHIP).count() >= 4
    assert Region.objects.filter(level=RegionLevel.VILLAGE).count() >= 20
    assert Region.objects.filter(level=RegionLevel.GRID).count() >= 120
    assert (
        Unit.objects.filter(kind=UnitKind.VILLAGE_COMMITTEE).count()
        == Region.objects.filter(level=RegionLevel.VILLAGE).count()
    )
    assert Unit.objects.filter(kind=UnitKind.COUNTY_DEPARTMENT).count() >= 10
    for township in Region.objects.filter(level=RegionLevel.TOWNSHIP):
        kinds = set(Unit.objects.filter(region=township).values_list("kind", flat=True))
        assert kinds == {
            UnitKind.TOWNSHIP_GOVERNMENT,
            UnitKind.TOWNSHIP_COMMAND_ROOM,
            UnitKind.TOWNSHIP_STATION,
            UnitKind.DISPATCHED_AGENCY,
        }, township.name
    assert "Demo county loaded" in demo.output


def test_every_code_passes_the_region_code_rules(demo: Demo, db: None) -> None:
    regions = _regions()
    for region in regions.values():
        parent = regions[region.parent.code] if region.parent_id else None  # type: ignore[union-attr]
        check_region_code(region.code, region.level, parent)
    county = Region.objects.get(level=RegionLevel.COUNTY)
    assert county.parent.level == RegionLevel.CITY  # type: ignore[union-attr]
    assert county.parent.parent.level == RegionLevel.PROVINCE  # type: ignore[union-attr]


def _check_tiling(parent: BaseGeometry, children: list[BaseGeometry], label: str) -> None:
    union = shapely.union_all(children)
    assert abs(union.area - parent.area) <= 1e-9 * parent.area, label
    assert parent.symmetric_difference(union).area <= 1e-9 * parent.area, label
    tree = shapely.STRtree(children)
    left, right = tree.query(children, predicate="intersects")
    for i, j in zip(left, right, strict=True):
        if i < j:
            assert children[i].intersection(children[j]).area <= 1e-12 * parent.area, label


def test_children_tile_their_parents(demo: Demo, db: None) -> None:
    children: dict[int, list[Region]] = defaultdict(list)
    regions = list(Region.objects.all())
    for region in regions:
        if region.parent_id:
            children[region.parent_id].append(region)
    tiled = 0
    for region in regions:
        kids = children[region.pk]
        if not kids or region.boundary is None:
            continue
        _check_tiling(shape(region.boundary), [shape(k.boundary) for k in kids], region.name)
        tiled += 1
    assert tiled >= 1 + 4 + 20  # the county, every township, every village (and grids with micro-grids)


def test_units_have_valid_credit_codes_and_phones(demo: Demo, db: None) -> None:
    units = list(Unit.objects.select_related("region"))
    with_credit = [u for u in units if u.credit_code]
    assert len(with_credit) >= 20
    for unit in with_credit:
        assert parse_credit_code(unit.credit_code) == unit.credit_code
        assert unit.credit_code[2:8] == unit.region.code[:6]
        if unit.kind in (UnitKind.COUNTY_DEPARTMENT, UnitKind.TOWNSHIP_GOVERNMENT):
            assert unit.credit_code.startswith("11"), unit.name
    assert all(is_valid_phone(u.phone) and u.phone.startswith("0578-") for u in units)
    assert len({u.phone for u in units}) == len(units)


def test_every_role_in_two_townships_and_at_the_county(demo: Demo, db: None) -> None:
    townships_by_role: dict[str, set[str]] = defaultdict(set)
    county_roles: set[str] = set()
    residents = 0
    for user in User.objects.select_related("unit__region").exclude(is_superuser=True):
        roles = user.role_codes
        if user.unit is None:
            assert roles == {Role.RESIDENT}
            residents += 1
            continue
        region = user.unit.region
        if region.level == RegionLevel.COUNTY:
            county_roles |= roles
        else:
            for role in roles:
                townships_by_role[role].add(region.code[:9])
    for role in TOWNSHIP_ROLES:
        assert len(townships_by_role[role]) >= 2, role
    assert county_roles >= set(COUNTY_ROLES)
    assert residents >= 2
    assert set(townships_by_role) | county_roles | {Role.RESIDENT} == set(Role.values)


def test_actions_were_audited(demo: Demo, db: None) -> None:
    regions, units = Region.objects.count(), Unit.objects.count()
    assert AuditEntry.objects.filter(action="region.create", username="demo-system").count() == regions
    assert AuditEntry.objects.filter(action="unit.create", username="demo-system").count() == units
    load = AuditEntry.objects.get(action="demo.load")
    assert load.changes["steps"][:3] == ["org.regions", "org.units", "accounts.users"]
    assert len(load.changes["accounts"]) == len(demo.document()["accounts"])
    assert verify_chain().ok


def test_accounts_file(demo: Demo, db: None) -> None:
    doc = demo.document()
    assert {"generated_at", "note", "accounts"} <= set(doc)
    accounts = doc["accounts"]
    # Every user who logs in with a password; not the demo system user nor Open311 service accounts (no
    # password), nor the residents registered at the window (they log in with an SMS code).
    users = {u.username: u for u in User.objects.select_related("unit__region") if u.has_usable_password()}
    assert len({a["username"] for a in accounts}) == len(accounts) == len(users)
    for account in accounts:
        assert set(account) >= ACCOUNT_KEYS
        user = users[account["username"]]
        assert account["password"] == DEMO_PASSWORD
        assert account["roles"] == sorted(user.role_codes)
        assert account["unit_code"] == (user.unit.code if user.unit else None)
        assert account["region_code"] == (user.unit.region.code if user.unit else None)
        assert account["token"].startswith("jc_")
    for account in accounts:
        assert account["username"] in demo.output


def test_every_account_logs_in_and_its_token_works(demo: Demo, db: None) -> None:
    for account in demo.document()["accounts"]:
        user = attempt_login(account["username"], account["password"])
        assert user.username == account["username"]
        response = Client(headers={"Authorization": f"Bearer {account['token']}"}).get("/api/v1/me")
        assert response.status_code == 200, account["username"]
        assert response.json()["username"] == account["username"]


def test_running_again_reuses_the_county(demo: Demo, db: None) -> None:
    before = demo.file.read_text(encoding="utf-8")
    regions = Region.objects.count()
    out = StringIO()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("JICENG_PORT", "8010")  # `make demo` with JICENG_PORT=8010 serves there
        call_command("demo", stdout=out)
    assert "loaded already" in out.getvalue()
    assert "Open http://127.0.0.1:8010 " in out.getvalue()
    assert Region.objects.count() == regions
    assert AuditEntry.objects.filter(action="demo.load").count() == 1
    assert demo.file.read_text(encoding="utf-8") == before


def test_a_missing_accounts_file_is_rewritten_with_fresh_tokens(demo: Demo, db: None) -> None:
    old = {a["username"]: a["token"] for a in demo.document()["accounts"]}
    demo.file.unlink()
    call_command("demo", stdout=StringIO())
    new = {a["username"]: a for a in demo.document()["accounts"]}
    assert set(new) == set(old)
    some = "qingxi_dispatcher"
    assert new[some]["token"] != old[some]
    assert Client(headers={"Authorization": f"Bearer {old[some]}"}).get("/api/v1/me").status_code == 401
    fresh = Client(headers={"Authorization": f"Bearer {new[some]['token']}"}).get("/api/v1/me")
    assert fresh.status_code == 200
    assert new[some]["unit_code"] == "331129001-ZHXX"


def test_scorecards_of_the_last_month_trace_to_their_records(demo: Demo, db: None) -> None:
    from datetime import datetime, time

    from jiceng.analytics import scoring
    from jiceng.analytics.models import PeriodKind, Scorecard, ScoreItem
    from jiceng.analytics.rollups import local_day, local_zone
    from jiceng.events.models import EventFlow
    from jiceng.worktools.models import Patrol, Visit

    first, end = scoring.period_bounds(PeriodKind.MONTH, scoring.last_period(PeriodKind.MONTH))
    since, until = (datetime.combine(d, time(), tzinfo=local_zone()) for d in (first, end))
    card = Scorecard.objects.get(period_kind=PeriodKind.MONTH, period_start=first)
    assert {"grid_worker", "unit", "village", "township"} <= set(
        card.rows.values_list("subject_type", flat=True)
    )
    items = ScoreItem.objects.filter(row__scorecard=card, row__subject_type="grid_worker").select_related(
        "row"
    )
    reported = 0
    county_leader = User.objects.get(username="county_leader")
    for item in items:
        worker = User.objects.get(username=item.row.subject_code)
        if item.metric == "reports":
            expected = set(
                EventFlow.objects.filter(
                    action="report", actor=worker, at__gte=since, at__lt=until
                ).values_list("pk", flat=True)
            )
            assert set(item.flow_ids) == expected and item.numerator == len(expected)
            reported += item.numerator
        elif item.metric == "patrol_days":
            patrols = Patrol.objects.filter(worker=worker, started_at__gte=since, started_at__lt=until)
            assert item.records.get("patrol", []) == sorted(patrols.values_list("pk", flat=True))
            assert item.numerator == len({local_day(p.started_at) for p in patrols})
        elif item.metric == "visits":
            visits = Visit.objects.filter(visitor=worker, visited_at__gte=since, visited_at__lt=until)
            assert item.records.get("visit", []) == sorted(visits.values_list("pk", flat=True))
            assert item.numerator == visits.count()
    assert reported > 0
    # The drill-down lists exactly the stored records to someone who sees the whole county.
    for item in items.filter(metric__in=["reports", "patrol_days", "visits"])[:30]:
        detail = scoring.item_detail(county_leader, item.pk)
        assert [f["id"] for f in detail["flows"]] == item.flow_ids
        assert [p["id"] for p in detail["patrols"]] == item.records.get("patrol", [])
        assert [v["id"] for v in detail["visits"]] == item.records.get("visit", [])
        assert detail["hidden"] == 0
