"""Portal fixtures: an Open311 client of the test county, and residents of village A and B."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from jiceng.events.models import EventCategory, Platform
from jiceng.portal.models import ApiClient
from jiceng.portal.open311.actions import issue_client
from tests.conftest import Org


@dataclass
class Open311Client:
    client: ApiClient
    key: str


@pytest.fixture
def api_key(org: Org) -> Open311Client:
    client, key = issue_client(
        org.user("county", "admin"), name="随手拍", jurisdiction_code=org.regions["county"].code
    )
    return Open311Client(client, key)


@pytest.fixture
def services(categories: dict[str, EventCategory]) -> dict[str, EventCategory]:
    """The shared categories plus one whose extra fields use every attribute datatype."""
    road = EventCategory.objects.create(code="02", name="道路交通", platform=Platform.LAW_ENFORCEMENT)
    pothole = EventCategory.objects.create(
        code="0201",
        name="路面坑洼",
        parent=road,
        platform=Platform.LAW_ENFORCEMENT,
        form_schema={
            "type": "object",
            "properties": {
                "size": {"type": "string", "title": "坑洼大小", "enum": ["小", "中", "大"]},
                "depth_cm": {"type": "integer", "title": "深度（厘米）", "minimum": 0},
                "blocking": {"type": "boolean", "title": "是否影响通行"},
                "lanes": {
                    "type": "array",
                    "title": "涉及车道",
                    "items": {"type": "string", "enum": ["左", "中", "右"]},
                },
                "noticed": {"type": "string", "format": "date", "title": "发现日期"},
                "note": {"type": "string", "title": "备注", "description": "补充说明"},
            },
            "required": ["size"],
        },
    )
    return {**categories, "road": road, "pothole": pothole}


def form(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def last_code() -> str:
    """The code in the last SMS handed to the (logging) sender."""
    import re

    from jiceng.notifications.models import SmsMessage

    text = SmsMessage.objects.order_by("-id").values_list("text", flat=True).first() or ""
    match = re.search(r"\d{6}", text)
    assert match, text
    return match.group(0)


# Valid GB 11643 numbers for the verification tests.
ID_NUMBERS = ["11010519491231002X", "330199198005010102", "330199198105010118", "330199198205010123"]


def make_resident(
    org: Org, village: str, phone: str, *, verified_id: str = "", name: str = "张三", password: str = ""
) -> Any:
    from jiceng.portal import residents

    residents.request_code(phone, "signup")
    user = residents.sign_up(
        phone=phone,
        code=last_code(),
        community=org.regions[f"village_{village}"].code,
        privacy_version=residents.PRIVACY_VERSION,
        sensitive_consent=bool(verified_id),
        full_name=name,
        password=password,
    )
    if verified_id:
        residents.verify_real_name(user, full_name=name, id_number=verified_id)
    return user


@pytest.fixture
def people(org: Org) -> dict[str, Any]:
    """Residents: two verified in village A, one unverified in A, one verified in B."""
    return {
        "a1": make_resident(org, "a", "13900000001", verified_id=ID_NUMBERS[0], name="李明"),
        "a2": make_resident(org, "a", "13900000002", verified_id=ID_NUMBERS[1], name="王芳"),
        "a3": make_resident(org, "a", "13900000003"),
        "b1": make_resident(org, "b", "13900000004", verified_id=ID_NUMBERS[2], name="赵强"),
    }
