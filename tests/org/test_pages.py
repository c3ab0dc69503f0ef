from __future__ import annotations

from jiceng.accounts.models import User
from jiceng.org.models import Region, Unit
from tests.conftest import Org


def test_admin_creates_region_and_unit_through_pages(org: Org, page_as) -> None:
    client = page_as(org.user("a", "admin"))
    village = org.regions["village_a"]
    response = client.post(
        "/org/regions/new/",
        {
            "code": village.code + "005",
            "name": "第五网格",
            "level": "grid",
            "parent_code": village.code,
            "boundary": "",
        },
    )
    assert response.status_code == 302
    assert Region.objects.get(code=village.code + "005").parent == village
    bad = client.post(
        "/org/units/new/",
        {
            "code": "U-X",
            "name": "所",
            "kind": "township_station",
            "region_code": org.regions["township_a"].code,
            "credit_code": "123",
        },
    )
    assert bad.status_code == 200 and not Unit.objects.filter(code="U-X").exists()
    assert 'class="error"' in bad.content.decode()
    detail = client.get(f"/org/regions/{village.code}/")
    assert "<svg" in detail.content.decode()


def test_stale_edit_form_shows_a_conflict_and_keeps_input(org: Org, page_as) -> None:
    client = page_as(org.user("a", "admin"))
    unit = org.units["station_a"]
    Unit.objects.filter(pk=unit.pk).update(version=2)
    response = client.post(
        f"/org/units/{unit.code}/edit/",
        {
            "name": "新名字",
            "kind": unit.kind,
            "region_code": unit.region.code,
            "version": 1,
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert "新名字" in response.content.decode()
    assert Unit.objects.get(pk=unit.pk).name == unit.name


def test_admin_pages_are_refused_to_others_and_audited(org: Org, page_as) -> None:
    from jiceng.audit.models import AuditEntry

    client = page_as(org.user("a", "dispatcher"))
    assert client.get("/org/regions/new/").status_code == 403
    assert client.get("/accounts/users/new/").status_code == 403
    assert AuditEntry.objects.filter(action="permission.denied", username="a_dispatcher").count() == 2


def test_admin_creates_user_through_the_page(org: Org, page_as) -> None:
    client = page_as(org.user("a", "admin"))
    form = client.get("/accounts/users/new/").content.decode()
    assert org.units["station_a"].code in form and org.units["station_b"].code not in form
    response = client.post(
        "/accounts/users/new/",
        {
            "username": "zhao6",
            "full_name": "赵六",
            "unit_code": org.units["station_a"].code,
            "roles": ["handler", "grid_worker"],
            "password": "Zhao#Liu2026",
            "phone": "13900001111",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="zhao6")
    assert user.role_codes == {"handler", "grid_worker"} and user.phone == "13900001111"
    page = client.get("/accounts/users/zhao6/").content.decode()
    assert "139****1111" in page and "13900001111" not in page
    revealed = client.post("/accounts/users/zhao6/", {"reveal": "1"}).content.decode()
    assert "13900001111" in revealed


def test_the_boundary_box_is_empty_without_a_boundary_and_shows_one_that_exists(org: Org, page_as) -> None:
    import json
    import re

    client = page_as(org.user("a", "admin"))

    def boundary_box(path: str) -> str:
        html = client.get(path).content.decode()
        found = re.search(r'<textarea name="boundary"[^>]*>(.*?)</textarea>', html, re.S)
        assert found, path
        return found.group(1).strip()

    assert boundary_box("/org/regions/new/") == ""
    village = org.regions["village_a"]
    shown = boundary_box(f"/org/regions/{village.code}/edit/").replace("&quot;", '"')
    assert json.loads(shown) == village.boundary
    Region.objects.filter(pk=village.pk).update(boundary=None)
    assert boundary_box(f"/org/regions/{village.code}/edit/") == ""
