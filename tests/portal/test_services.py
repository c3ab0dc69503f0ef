"""The resident's 办件 page: the catalog with what to bring, and their own applications only."""

from __future__ import annotations

from typing import Any

from jiceng.applications.seed import seed_items
from tests.applications.conftest import make_application
from tests.conftest import Org
from tests.portal.conftest import make_resident


def test_the_catalog_and_only_my_applications(org: Org, page_as: Any) -> None:
    seed_items(with_files=False)
    me = make_resident(org, "a", "13900000011")
    neighbour = make_resident(org, "a", "13900000012")
    mine = make_application(org, org.regions["village_a"].code, by=me)
    theirs = make_application(org, org.regions["village_a"].code, by=neighbour)
    page = page_as(me).get("/portal/services/").content.decode()
    assert "最低生活保障" in page and "身份证" in page
    assert mine.ref in page and theirs.ref not in page
    assert "/services/progress/" in page
