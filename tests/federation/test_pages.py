"""The federation's pages as their users read them: in Chinese, with names instead of codes, and links
to go on from one step to the next."""

from __future__ import annotations

import re
from typing import Any

from jiceng.federation.models import MessageType, RoutedEvent, System
from tests.conftest import Org
from tests.federation.conftest import envelope, post
from tests.federation.test_inbox import escalate


def test_route_steps_are_named_in_chinese_with_system_names(
    org: Org, page_as: Any, hub_peers: dict[str, System]
) -> None:
    post(escalate())
    routed = RoutedEvent.objects.get()
    post(
        envelope(
            MessageType.RETURN,
            {"comment": "非本部门"},
            source="DEPT-A",
            correlation=routed.correlation,
            sequence=1,
        )
    )
    post(
        envelope(
            MessageType.RESOLVED,
            {"result": "已拆除"},
            source="DEPT-B",
            correlation=routed.correlation,
            sequence=1,
        )
    )
    post(
        envelope(
            MessageType.FEEDBACK,
            {"action": "verify_pass", "comment": "核查属实"},
            correlation="330199/1",
            sequence=2,
        )
    )
    html = (
        page_as(org.user("county", "hub_operator")).get(f"/federation/routes/{routed.pk}/").content.decode()
    )
    steps = re.search(r'<ol class="timeline">(.*?)</ol>', html, re.S).group(1)  # type: ignore[union-attr]
    for code in ("received", "assigned", "returned", "resolved", "feedback", "verify_pass", "DEPT-A"):
        assert code not in steps, f"{code!r} shown as a code in the steps"
    for text in ("收到县级上报", "退回（非本部门职责）", "部门A", "部门B", "测试县", "县级反馈：核查通过"):
        assert text in steps, f"{text!r} missing in the steps"


def test_each_platform_leads_its_users_to_their_federation_page(
    org: Org, page_as: Any, settings: Any
) -> None:
    """The hub operator reaches the routed events, the county centre its escalations, a department
    system's handler its assignments, from the navigation; none sees the other platforms' pages."""
    pages = {
        "hub": "/federation/routes/",
        "county": "/federation/escalations/",
        "department": "/federation/tasks/",
    }
    users = {
        "hub": ("county", "hub_operator"),
        "county": ("county", "county_center"),
        "department": ("county_dept", "handler"),
    }
    for platform, url in pages.items():
        settings.PLATFORM_ROLE = platform
        html = page_as(org.user(*users[platform])).get("/").content.decode()
        nav = re.search(r'<nav class="mainnav.*?</nav>', html, re.S).group(0)  # type: ignore[union-attr]
        assert f'href="{url}"' in nav, f"{platform}: no link to {url}"
        for other in set(pages.values()) - {url}:
            assert f'href="{other}"' not in nav, f"{platform}: link to {other}"
        overview = page_as(org.user("county", "admin")).get("/federation/").content.decode()
        head = re.search(r'<div class="head-buttons">(.*?)</div>', overview, re.S).group(1)  # type: ignore[union-attr]
        assert f'href="{url}"' in head and not any(f'href="{o}"' in head for o in set(pages.values()) - {url})
