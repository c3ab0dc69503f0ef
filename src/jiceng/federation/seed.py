"""Minimal base data for a federation node (hub, county or department system): regions, units, users,
categories and API tokens. Used by ``make federation-demo`` and the multi-process tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from jiceng.accounts.actions import issue_token
from jiceng.accounts.models import User, UserRole
from jiceng.accounts.roles import Role
from jiceng.events.models import EventCategory, Platform
from jiceng.federation.models import System
from jiceng.federation.systems import save_system
from jiceng.org.models import Region, RegionLevel, Unit, UnitKind

# Two leaf categories under two branches: department systems are routed by these prefixes.
CATEGORIES = [
    ("05", "房屋土地", None, Platform.LAW_ENFORCEMENT),
    ("0501", "违法建设", "05", Platform.LAW_ENFORCEMENT),
    ("D02", "环境污染纠纷", None, Platform.SOCIAL_GOVERNANCE),
    ("D0201", "跨界水污染", "D02", Platform.SOCIAL_GOVERNANCE),
]


def _user(username: str, unit: Unit | None, role: str, password: str) -> User:
    user, created = User.objects.get_or_create(
        username=username, defaults={"full_name": username, "unit": unit}
    )
    if created:
        user.set_password(password)
        user.save(update_fields=["password"])
        UserRole.objects.create(user=user, role=role)
    return user


def _token(user: User, tokens: dict[str, str]) -> None:
    raw = f"jc_fed_{settings.PLATFORM_CODE}_{user.username}".replace("-", "_")
    if user.username not in tokens:
        issue_token(user, user, "federation", raw=raw)
        tokens[user.username] = raw


@transaction.atomic
def seed(role: str, code: str, name: str, password: str, out: Path) -> dict[str, Any]:
    """Create what the node needs; write its users' API tokens to ``out`` (JSON). Idempotent."""
    tokens: dict[str, str] = json.loads(out.read_text()) if out.exists() else {}
    if role == "county":
        county, _ = Region.objects.get_or_create(
            code=code,
            defaults={"name": name, "level": RegionLevel.COUNTY, "center_lng": 120.1, "center_lat": 30.1},
        )
        township, _ = Region.objects.get_or_create(
            code=f"{code}001000", defaults={"name": "城关镇", "level": RegionLevel.TOWNSHIP, "parent": county}
        )
        Region.objects.get_or_create(
            code=f"{code}001001",
            defaults={"name": "东门村", "level": RegionLevel.VILLAGE, "parent": township},
        )
        center, _ = Unit.objects.get_or_create(
            code=f"{code}-ZHZX",
            defaults={
                "name": f"{name}综合指挥中心",
                "kind": UnitKind.COUNTY_COMMAND_CENTER,
                "region": county,
            },
        )
        for username, role_code in (
            (f"center_{code}", Role.COUNTY_CENTER),
            (f"admin_{code}", Role.ADMIN),
            (f"safety_{code}", Role.SAFETY_OFFICER),
        ):
            _token(_user(username, center, role_code, password), tokens)
        for code_, cat_name, parent, platform in CATEGORIES:
            EventCategory.objects.get_or_create(
                code=code_,
                defaults={
                    "name": cat_name,
                    "platform": platform,
                    "parent": EventCategory.objects.filter(code=parent).first() if parent else None,
                },
            )
    elif role == "hub":
        province, _ = Region.objects.get_or_create(
            code=code if code.isdigit() else "330000", defaults={"name": name, "level": RegionLevel.PROVINCE}
        )
        unit, _ = Unit.objects.get_or_create(
            code="HUB-CENTER", defaults={"name": name, "kind": UnitKind.HUB_CENTER, "region": province}
        )
        _token(_user("hub_operator", unit, Role.HUB_OPERATOR, password), tokens)
    else:
        _token(_user(f"handler_{code}".lower(), None, Role.HANDLER, password), tokens)
    out.write_text(json.dumps(tokens, ensure_ascii=False, indent=1))
    return tokens


def register_peers(peers: list[dict[str, Any]]) -> list[str]:
    """Register the given systems unless registered already; returns the codes registered."""
    done = []
    for peer in peers:
        if not System.objects.filter(code=peer["code"]).exists():
            save_system(**peer)
            done.append(peer["code"])
    return done
