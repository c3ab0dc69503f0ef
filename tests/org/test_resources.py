from __future__ import annotations

from typing import Any

from jiceng.accounts.models import User
from jiceng.org.models import Region, Unit
from tests.conftest import Org, square
from tests.resources import ResourceTests


class TestRegionResource(ResourceTests):
    api_list = "/api/v1/regions"
    page_list = "/org/regions/"
    model = Region
    audit_action_prefix = "region."
    reader_roles = ("dispatcher", "handler", "leader", "admin")

    def inside(self, org: Org) -> Region:
        return org.regions["village_a"]

    def outside(self, org: Org) -> Region:
        return org.regions["village_b"]

    def create_payload(self, org: Org, where: str) -> dict[str, Any]:
        village = org.regions[f"village_{where}"]
        return {
            "code": village.code + "009",
            "name": "新网格",
            "level": "grid",
            "parent_code": village.code,
            "boundary": square(120.0 if where == "a" else 120.1, 30.03, 0.01),
        }

    def update_payload(self, obj: Region) -> dict[str, Any]:
        return {"name": obj.name + "（改）"}


class TestUnitResource(ResourceTests):
    api_list = "/api/v1/units"
    page_list = "/org/units/"
    model = Unit
    audit_action_prefix = "unit."
    reader_roles = ("dispatcher", "handler", "leader")

    def inside(self, org: Org) -> Unit:
        return org.units["station_a"]

    def outside(self, org: Org) -> Unit:
        return org.units["station_b"]

    def create_payload(self, org: Org, where: str) -> dict[str, Any]:
        return {
            "code": f"NEW-{where}",
            "name": "新单位",
            "kind": "township_station",
            "region_code": org.regions[f"township_{where}"].code,
            "phone": "0578-1234567",
        }

    def update_payload(self, obj: Unit) -> dict[str, Any]:
        return {"name": obj.name + "（改）"}


class TestUserResource(ResourceTests):
    api_list = "/api/v1/users"
    page_list = "/accounts/users/"
    model = User
    key_field = "username"
    audit_action_prefix = "user."
    reader_roles = ("dispatcher", "leader", "admin")

    def inside(self, org: Org) -> User:
        return org.user("a", "handler")

    def outside(self, org: Org) -> User:
        return org.user("b", "handler")

    def create_payload(self, org: Org, where: str) -> dict[str, Any]:
        return {
            "username": f"new_{where}",
            "password": "Str0ng#Pass",
            "full_name": "王五",
            "unit_code": org.units[f"station_{where}"].code,
            "roles": ["handler"],
        }

    def update_payload(self, obj: User) -> dict[str, Any]:
        return {"full_name": "改名"}
