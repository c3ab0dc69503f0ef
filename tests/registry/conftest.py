"""Registry fixtures: one record of each kind in township A and one in township B, made through
``registry.actions.create`` (so search words, blind indexes and audit entries are real).

``registry_records["a"]["person"]`` is 张三 in A's grid, ``registry_records["b"]["person"]`` 李四 in B's.
``make_records`` makes the same set anywhere (e.g. in the neighbouring county) from a ``Sample``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from jiceng.core.validators import make_credit_code, make_id_number
from jiceng.registry import actions
from jiceng.registry.models import Record
from tests.conftest import Org

KINDS = ("house", "household", "person", "organization", "place", "component", "credit")


@dataclass(frozen=True)
class Sample:
    """The values one set of records is made with; every key differs between samples."""

    person_name: str
    id_number: str
    phone: str
    credit_code: str
    house_code: str
    household_number: str
    place_code: str
    component_code: str
    org_name: str
    place_name: str
    address: str
    lng: float
    lat: float


SAMPLES = {
    "a": Sample(
        person_name="张三",
        id_number=make_id_number("330199", date(1980, 5, 17), "131"),  # odd: male
        phone="13812345678",
        credit_code=make_credit_code("91330199MA2B3C4D5"),
        house_code="HA-0001",
        household_number="HHA-0001",
        place_code="PA-0001",
        component_code="3301990101000001",
        org_name="青溪县甲镇五金店",
        place_name="甲镇中心小学",
        address="甲镇解放路12号",
        lng=120.01,
        lat=30.01,
    ),
    "b": Sample(
        person_name="李四",
        id_number=make_id_number("330199", date(1992, 11, 3), "242"),  # even: female
        phone="13987654321",
        credit_code=make_credit_code("91330199MA2B3C4D6"),
        house_code="HB-0001",
        household_number="HHB-0001",
        place_code="PB-0001",
        component_code="3301990304000002",
        org_name="乙镇农机合作社",
        place_name="乙镇农贸市场",
        address="乙镇人民路8号",
        lng=120.11,
        lat=30.01,
    ),
}


def payloads(sample: Sample, region_code: str) -> dict[str, dict[str, Any]]:
    """Valid create payloads (as the API and imports submit them) for one sample, kind by kind."""
    place = {"region": region_code, "address": sample.address}
    return {
        "house": {
            **place,
            "code": sample.house_code,
            "building": "1",
            "room": "101",
            "owner_name": sample.person_name,
            "area_m2": "86.5",
            "rental_use": "01",
            "lng": str(sample.lng),
            "lat": str(sample.lat),
        },
        "household": {**place, "number": sample.household_number, "house": sample.house_code},
        "person": {
            **place,
            "name": sample.person_name,
            "id_number": sample.id_number,
            "phone": sample.phone,
            "occupation": "个体经营",
            "population_type": "registered",
            "house": sample.house_code,
            "household": sample.household_number,
            "relation_to_head": "02",
            "care_groups": "dibao",
        },
        "organization": {
            **place,
            "credit_code": sample.credit_code,
            "name": sample.org_name,
            "org_kind": "enterprise",
            "legal_representative": sample.person_name,
            "contact_phone": sample.phone,
            "employees": "12",
            "risk_level": "general",
        },
        "place": {
            **place,
            "code": sample.place_code,
            "name": sample.place_name,
            "place_type": "school",
            "organization": sample.credit_code,
            "responsible_name": sample.person_name,
            "responsible_phone": sample.phone,
            "has_sprinklers": "是",
        },
        "component": {**place, "code": sample.component_code, "state": "intact"},
        "credit": {
            "subject_id_number": sample.id_number,
            "credit_kind": "red_list",
            "title": "见义勇为表彰",
            "source": "县文明办",
            "decided_on": "2024-05-01",
        },
    }


def make_records(user: Any, region_code: str, sample: Sample) -> dict[str, Record]:
    """One record of each kind in ``region_code`` (a grid or village), created by ``user``."""
    data = payloads(sample, region_code)
    return {kind: actions.create(user, kind, data[kind]) for kind in KINDS}


@pytest.fixture
def registry_records(org: Org) -> dict[str, dict[str, Record]]:
    """``registry_records[where][kind]`` for where in "a", "b": made by that township's grid worker."""
    return {
        where: make_records(org.user(where, "grid_worker"), org.regions[f"grid_{where}"].code, SAMPLES[where])
        for where in ("a", "b")
    }
