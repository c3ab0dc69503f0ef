from __future__ import annotations

import json

from django.core.files.uploadedfile import SimpleUploadedFile

from jiceng.audit.models import AuditEntry
from jiceng.org.models import Region
from tests.conftest import Org, square

GOOD = """code,name,parent_code,level,boundary
330199001002,南村,330199001000,village,"{boundary}"
330199001002001,南村第一网格,330199001002,grid,
330199001002002,南村第二网格,330199001002,grid,
330199001001,A村（改名）,330199001000,village,
"""


def csv_file(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("regions.csv", ("\ufeff" + text).encode(), content_type="text/csv")


def good_csv() -> str:
    boundary = json.dumps(square(120.05, 30.05, 0.02)).replace('"', '""')
    return GOOD.replace("{boundary}", boundary)


def test_import_creates_and_updates_in_any_order(org: Org, api_as) -> None:
    # Children listed before their parent still import.
    lines = good_csv().strip().split("\n")
    reordered = "\n".join([lines[0], lines[2], lines[3], lines[1], lines[4]]) + "\n"
    response = api_as(org.user("a", "admin")).post("/api/v1/regions/import", {"file": csv_file(reordered)})
    assert response.status_code == 200, response.content
    assert response.json() == {"ok": True, "created": 3, "updated": 1, "errors": []}
    assert Region.objects.get(code="330199001002001").parent.code == "330199001002"
    assert Region.objects.get(code="330199001002").boundary["type"] == "Polygon"
    assert Region.objects.get(code="330199001001").name == "A村（改名）"
    assert AuditEntry.objects.filter(action="region.import").count() == 1


def test_import_is_all_or_nothing_with_every_bad_row_reported(org: Org, api_as) -> None:
    bad = (
        good_csv()
        + "33019900100X,坏码,330199001000,village,\n"
        + "330199002005,别镇的村,330199002000,village,\n"
    )
    before = Region.objects.count()
    response = api_as(org.user("a", "admin")).post("/api/v1/regions/import", {"file": csv_file(bad)})
    assert response.status_code == 422
    body = response.json()
    assert body["ok"] is False and body["created"] == 0
    assert [e["line"] for e in body["errors"]] == [6, 7]
    assert body["errors"][1]["code"] == "330199002005"  # township B is outside township A's admin
    assert Region.objects.count() == before
    assert Region.objects.get(code="330199001001").name == "A村"


def test_import_page_shows_row_errors(org: Org, page_as) -> None:
    client = page_as(org.user("a", "admin"))
    response = client.post(
        "/org/regions/import/", {"file": csv_file("code,name,parent_code,level\n1,x,,grid\n")}
    )
    assert response.status_code == 200
    assert "<td>2</td>" in response.content.decode()
    ok = client.post("/org/regions/import/", {"file": csv_file(good_csv())})
    assert ok.status_code == 302
    assert Region.objects.filter(code="330199001002002").exists()


def test_import_needs_the_columns(org: Org, api_as) -> None:
    response = api_as(org.user("a", "admin")).post("/api/v1/regions/import", {"file": csv_file("a,b\n1,2\n")})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_file"


def test_import_by_non_admin_is_refused(org: Org, api_as) -> None:
    response = api_as(org.user("a", "dispatcher")).post(
        "/api/v1/regions/import", {"file": csv_file(good_csv())}
    )
    assert response.status_code == 403
    assert not Region.objects.filter(code="330199001002").exists()
