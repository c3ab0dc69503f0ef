"""Applications fixtures: service centers with a comprehensive window in township A, township B and at
the county, a 社会事务办 in each township, the seeded catalog, and one resident in the registry per township.

``svc.user("a", "window")`` works at A's window, ``svc.user("a", "social")`` at A's 社会事务办,
``org.user("county_dept", "handler")`` at the county 民政局; ``svc.people["a"]`` is 张三 of A's grid.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from jiceng.accounts.models import User
from jiceng.accounts.roles import Role
from jiceng.applications.models import ItemLevel, ServiceItem, ServiceWindow
from jiceng.applications.seed import seed_items
from jiceng.core.validators import make_id_number
from jiceng.org.models import Unit, UnitKind
from jiceng.registry import actions as registry_actions
from jiceng.registry.models import Person
from tests.conftest import Org, make_user

SHANGHAI = ZoneInfo("Asia/Shanghai")
PHONES = {"a": "13812345678", "b": "13987654321"}


def at(day: str, hour: int = 9, minute: int = 0) -> datetime:
    """A moment in Shanghai time on ``day`` (YYYY-MM-DD)."""
    y, m, d = (int(p) for p in day.split("-"))
    return datetime(y, m, d, hour, minute, tzinfo=SHANGHAI)


@dataclass
class Services:
    org: Org
    users: dict[tuple[str, str], User] = field(default_factory=dict)
    windows: dict[str, ServiceWindow] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)

    def user(self, where: str, what: str) -> User:
        return self.users[(where, what)]


def _window(org: Org, key: str, name: str, region: Any, level: str) -> tuple[ServiceWindow, User]:
    unit = Unit.objects.create(code=f"{key.upper()}-BMFW", name=name, kind=UnitKind.OTHER, region=region)
    window = ServiceWindow.objects.create(
        unit=unit, name=f"{name}综合窗口", level=level, region_code=region.code
    )
    return window, make_user(f"{key}_window", unit, Role.HANDLER)


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def svc(org: Org) -> Services:
    s = Services(org)
    for key, n in (("a", "001"), ("b", "002")):
        township = org.regions[f"township_{key}"]
        s.windows[key], s.users[(key, "window")] = _window(
            org, key, f"{key.upper()}镇便民服务中心", township, ItemLevel.TOWNSHIP
        )
        social = Unit.objects.create(
            code=f"T{n}-SHSWB",
            name=f"{key.upper()}镇社会事务办",
            kind=UnitKind.TOWNSHIP_STATION,
            region=township,
        )
        s.users[(key, "social")] = make_user(f"{key}_social", social, Role.HANDLER)
        police = Unit.objects.create(
            code=f"T{n}-PCS",
            name=f"测试县公安局{key.upper()}镇派出所",
            kind=UnitKind.DISPATCHED_AGENCY,
            region=township,
        )
        s.users[(key, "police")] = make_user(f"{key}_police", police, Role.HANDLER)
        grid_worker = org.user(key, "grid_worker")
        s.people[key] = registry_actions.create(
            grid_worker,
            "person",
            {
                "region": org.regions[f"grid_{key}"].code,
                "name": "张三" if key == "a" else "李四",
                "id_number": make_id_number("330199", date(1958, 3, 9 if key == "a" else 10), "131"),
                "phone": PHONES[key],
            },
        )  # type: ignore[assignment]
    s.windows["county"], s.users[("county", "window")] = _window(
        org, "county", "测试县行政服务中心", org.regions["county"], ItemLevel.COUNTY
    )
    Unit.objects.create(
        code="C-GAJ", name="测试县公安局", kind=UnitKind.COUNTY_DEPARTMENT, region=org.regions["county"]
    )
    seed_items(with_files=False)
    return s


def dibao_form() -> dict[str, Any]:
    return {"household_size": 3, "monthly_income": 520.5, "reason": "丈夫因病丧失劳动能力，家庭收入低。"}


def all_materials(code: str) -> list[int]:
    return list(ServiceItem.objects.get(code=code).materials.values_list("pk", flat=True))


def make_application(org: Org, region_code: str, by: User | None = None) -> Any:
    """A submitted application in ``region_code`` made directly (for authorization checks elsewhere)."""
    from django.utils import timezone

    from jiceng.applications.models import Application, Channel
    from jiceng.org.models import Region

    item, _created = ServiceItem.objects.get_or_create(
        code="T-001",
        defaults={
            "name": "测试事项",
            "department_name": "县民政局",
            "level": ItemLevel.TOWNSHIP,
            "deliveries": ["window"],
            "accept_levels": ["county", "township", "village"],
        },
    )
    return Application.objects.create(
        item=item,
        channel=Channel.ONLINE,
        region=Region.objects.get(code=region_code),
        region_code=region_code,
        applicant_name="外人",
        applicant_phone="13700002222",
        created_by=by or org.user("root", "superuser"),
        delivery="window",
        submitted_at=timezone.now(),
    )
