"""Shared fixtures: an org tree with two townships and users of every role in each.

Every test can ask "can someone from the other township see or change this?":
``org.user("a", "dispatcher")`` works in township A, ``org.user("b", "dispatcher")`` in township B,
``org.user("county", "admin")`` at the county.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client

from jiceng.accounts.models import ApiToken, User, UserRole, hash_token
from jiceng.accounts.roles import Role
from jiceng.events.models import EventCategory, Platform
from jiceng.org.models import Region, RegionLevel, Unit, UnitKind

PASSWORD = "Test#Pass2026"


def square(lng: float, lat: float, size: float) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [
            [[lng, lat], [lng + size, lat], [lng + size, lat + size], [lng, lat + size], [lng, lat]]
        ],
    }


@dataclass
class Org:
    regions: dict[str, Region] = field(default_factory=dict)
    units: dict[str, Unit] = field(default_factory=dict)
    users: dict[tuple[str, str], User] = field(default_factory=dict)

    def user(self, where: str, role: str) -> User:
        return self.users[(where, role)]


# Which unit of a township holds each role.
TOWNSHIP_ROLE_UNIT = {
    Role.DISPATCHER: "command_room",
    Role.HANDLER: "station",
    Role.VILLAGE_CADRE: "village_committee",
    Role.GRID_WORKER: "village_committee",
    Role.SAFETY_OFFICER: "safety",
    Role.LEADER: "government",
    Role.ADMIN: "government",
}
COUNTY_ROLES = (Role.ADMIN, Role.COUNTY_CENTER, Role.LEADER, Role.HANDLER, Role.HUB_OPERATOR)


def make_user(username: str, unit: Unit | None, *roles: str, **extra: object) -> User:
    user = User(username=username, full_name=username, unit=unit, **extra)
    user.set_password(PASSWORD)
    user.save()
    UserRole.objects.bulk_create(UserRole(user=user, role=r) for r in roles)
    return user


def build_org() -> Org:
    org = Org()
    r = org.regions
    r["county"] = Region.objects.create(
        code="330199",
        name="测试县",
        level=RegionLevel.COUNTY,
        boundary=square(120.0, 30.0, 0.2),
        center_lng=120.1,
        center_lat=30.1,
    )
    for key, n, lng in (("a", "001", 120.0), ("b", "002", 120.1)):
        township = Region.objects.create(
            code=f"330199{n}000",
            name=f"{key.upper()}镇",
            level=RegionLevel.TOWNSHIP,
            parent=r["county"],
            boundary=square(lng, 30.0, 0.1),
        )
        village = Region.objects.create(
            code=f"330199{n}001",
            name=f"{key.upper()}村",
            level=RegionLevel.VILLAGE,
            parent=township,
            boundary=square(lng, 30.0, 0.05),
        )
        grid = Region.objects.create(
            code=f"330199{n}001001",
            name=f"{key.upper()}村第一网格",
            level=RegionLevel.GRID,
            parent=village,
            boundary=square(lng, 30.0, 0.02),
        )
        r[f"township_{key}"], r[f"village_{key}"], r[f"grid_{key}"] = township, village, grid
        u = org.units
        u[f"government_{key}"] = Unit.objects.create(
            code=f"T{n}-GOV",
            name=f"{key.upper()}镇人民政府",
            kind=UnitKind.TOWNSHIP_GOVERNMENT,
            region=township,
        )
        u[f"command_room_{key}"] = Unit.objects.create(
            code=f"T{n}-ZHXX",
            name=f"{key.upper()}镇综合信息指挥室",
            kind=UnitKind.TOWNSHIP_COMMAND_ROOM,
            region=township,
        )
        u[f"station_{key}"] = Unit.objects.create(
            code=f"T{n}-SFS", name=f"{key.upper()}镇司法所", kind=UnitKind.DISPATCHED_AGENCY, region=township
        )
        u[f"safety_{key}"] = Unit.objects.create(
            code=f"T{n}-ZZZX",
            name=f"{key.upper()}镇综治中心",
            kind=UnitKind.TOWNSHIP_STATION,
            region=township,
        )
        u[f"village_committee_{key}"] = Unit.objects.create(
            code=f"V{n}001-CWH",
            name=f"{key.upper()}村村委会",
            kind=UnitKind.VILLAGE_COMMITTEE,
            region=village,
        )
        for role, unit_key in TOWNSHIP_ROLE_UNIT.items():
            org.users[(key, role)] = make_user(f"{key}_{role}", u[f"{unit_key}_{key}"], role)
    org.units["county_center"] = Unit.objects.create(
        code="C-ZHZX", name="测试县综合指挥中心", kind=UnitKind.COUNTY_COMMAND_CENTER, region=r["county"]
    )
    for role in COUNTY_ROLES:
        org.users[("county", role)] = make_user(f"county_{role}", org.units["county_center"], role)
    org.units["county_dept"] = Unit.objects.create(
        code="C-MZJ", name="测试县民政局", kind=UnitKind.COUNTY_DEPARTMENT, region=r["county"]
    )
    org.users[("county_dept", Role.HANDLER)] = make_user(
        "dept_handler", org.units["county_dept"], Role.HANDLER
    )
    # A neighbouring county, for county-level roles' "outside".
    r["county_2"] = Region.objects.create(code="330198", name="邻县", level=RegionLevel.COUNTY)
    r["township_2"] = Region.objects.create(
        code="330198001000", name="邻县一镇", level=RegionLevel.TOWNSHIP, parent=r["county_2"]
    )
    org.units["station_2"] = Unit.objects.create(
        code="N001-SFS", name="邻县一镇司法所", kind=UnitKind.DISPATCHED_AGENCY, region=r["township_2"]
    )
    org.users[("county_2", Role.HANDLER)] = make_user(
        "other_county_handler", org.units["station_2"], Role.HANDLER
    )
    org.users[("none", Role.RESIDENT)] = make_user("resident", None, Role.RESIDENT)
    org.users[("root", "superuser")] = make_user("root", None, is_superuser=True, is_staff=True)
    return org


# Fixtures through which a test reaches the database (directly, or through `org` and the like).
_DATABASE_FIXTURES = {"db", "transactional_db", "live_server", "django_db_setup"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """JICENG_TEST_DATABASE_ONLY=1 (the second database pass of CI) leaves out the tests that never touch
    the test database (no database fixture, or marked ``own_databases``) and those marked ``once``: the
    first pass ran them already, and they would only run the same code again."""
    if os.environ.get("JICENG_TEST_DATABASE_ONLY") != "1":
        return
    keep, drop = [], []
    for item in items:
        uses_db = (
            not item.get_closest_marker("own_databases")
            and not item.get_closest_marker("once")
            and (
                item.get_closest_marker("django_db")
                or _DATABASE_FIXTURES & set(getattr(item, "fixturenames", ()))
            )
        )
        (keep if uses_db else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="session", autouse=True)
def _quick_flush() -> Iterator[None]:
    """On PostgreSQL, empty the tables after a transactional test by DELETE with triggers off instead of
    Django's TRUNCATE of every table: TRUNCATE makes new files for ~150 tables and their indexes, ~1.5 s
    a test here, where the tables hold a few rows. Needs a superuser (session_replication_role); without
    one the flush stays Django's."""
    from django.db import connection
    from django.db.backends.postgresql.operations import DatabaseOperations

    truncate = DatabaseOperations.sql_flush
    superuser: list[bool] = []

    def sql_flush(self: Any, style: Any, tables: list[str], **options: Any) -> list[str]:
        if not superuser:
            with connection.cursor() as cursor:
                cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
                superuser.append(bool(cursor.fetchone()[0]))
        if not superuser[0] or options.get("reset_sequences") or not tables:
            return truncate(self, style, tables, **options)
        # Triggers off (the foreign-key checks and the audit table's append-only guard) for this transaction.
        deletes = [f"DELETE FROM {self.quote_name(table)};" for table in tables]  # noqa: S608
        return ["SET LOCAL session_replication_role = replica;", *deletes]

    DatabaseOperations.sql_flush = sql_flush  # type: ignore[method-assign]
    yield
    DatabaseOperations.sql_flush = truncate  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _fast_hashing(settings: object) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _fresh_grid_index() -> None:
    from jiceng.accounts import token_cache
    from jiceng.events import category_cache
    from jiceng.org import locate

    locate.reset()
    category_cache.reset()  # each test's categories have new ids
    token_cache.reset()


@pytest.fixture
def org(db: None) -> Org:
    return build_org()


@pytest.fixture
def categories(db: None) -> dict[str, EventCategory]:
    city = EventCategory.objects.create(
        code="03", name="市容环境", platform=Platform.LAW_ENFORCEMENT, standard="CJ/T 214"
    )
    dispute = EventCategory.objects.create(
        code="D01", name="婚姻家庭纠纷", platform=Platform.SOCIAL_GOVERNANCE, standard="GB/T 31000-2015"
    )
    return {
        "city": city,
        "garbage": EventCategory.objects.create(
            code="0301",
            name="暴露垃圾",
            parent=city,
            platform=Platform.LAW_ENFORCEMENT,
            handler_kind=UnitKind.DISPATCHED_AGENCY,
            handle_days=3,
        ),
        "dispute": dispute,
        "family": EventCategory.objects.create(
            code="D0101",
            name="家庭纠纷",
            parent=dispute,
            platform=Platform.SOCIAL_GOVERNANCE,
            handle_days=5,
            on_spot_needs_confirmation=False,
            form_schema={
                "type": "object",
                "properties": {"parties": {"type": "integer", "minimum": 2}},
                "required": ["parties"],
            },
        ),
    }


def token_for(user: User) -> str:
    raw = f"jc_test_{user.username}_{user.pk}"
    ApiToken.objects.get_or_create(
        key_hash=hash_token(raw), defaults={"user": user, "name": "test", "prefix": raw[:8]}
    )
    return raw


class ApiClient(Client):
    """A test client that speaks JSON to /api/v1/ as one user (by bearer token), or anonymously."""

    def __init__(self, user: User | None = None, **kwargs: object):
        headers = {"Authorization": f"Bearer {token_for(user)}"} if user is not None else {}
        super().__init__(headers=headers, **kwargs)  # type: ignore[arg-type]

    def post_json(self, path: str, data: object) -> object:
        return self.post(path, data, content_type="application/json")

    def patch_json(self, path: str, data: object) -> object:
        return self.patch(path, data, content_type="application/json")


@pytest.fixture
def api_as():
    """``api_as(user)`` → an ApiClient for that user; ``api_as(None)`` → anonymous."""
    return ApiClient


@pytest.fixture
def page_as():
    """``page_as(user)`` → a browser-like test client logged in as ``user`` (or anonymous)."""

    def make(user: User | None) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return make
