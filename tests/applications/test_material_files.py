"""Blank templates and samples of the catalog's materials are downloadable (public forms) through their own
view, under their Chinese names; nothing else stored under the media folder is reachable by URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.core.files.base import ContentFile

from jiceng.applications.models import ItemMaterial, ServiceItem
from tests.applications.conftest import Services

pytestmark = pytest.mark.django_db

TEXT = "最低生活保障申请书（空白模板）\n".encode()


@pytest.fixture
def material(svc: Services) -> ItemMaterial:
    found = ItemMaterial.objects.filter(item__code="MZ-001").order_by("sort", "id").first()
    assert found is not None
    found.template.save("MZ-001-0-template.txt", ContentFile(TEXT))
    return found


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def test_the_intake_page_links_a_template_that_downloads(
    material: ItemMaterial, svc: Services, page_as: Any
) -> None:
    html = page_as(svc.user("a", "window")).get("/services/new/", {"item": "MZ-001"}).content.decode()
    url = f"/services/materials/{material.pk}/template/"
    assert f'href="{url}"' in html and "/media/" not in html
    response = page_as(None).get(url)  # public forms: no login needed
    assert response.status_code == 200 and body(response) == TEXT
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment") and quote(f"{material.name}-空白模板.txt") in disposition


def test_the_api_gives_the_same_links(material: ItemMaterial, svc: Services, page_as: Any) -> None:
    items = page_as(svc.user("a", "window")).get("/api/v1/service-items/MZ-001").json()
    first = next(m for m in items["materials"] if m["id"] == material.pk)
    assert first["template_url"] == f"/services/materials/{material.pk}/template/"
    assert first["sample_url"] is None


def test_missing_files_unknown_kinds_and_retired_items(
    material: ItemMaterial, svc: Services, page_as: Any
) -> None:
    anonymous = page_as(None)
    assert anonymous.get(f"/services/materials/{material.pk}/sample/").status_code == 404  # none stored
    assert anonymous.get(f"/services/materials/{material.pk}/file/").status_code == 404
    assert anonymous.get("/services/materials/999999/template/").status_code == 404
    ServiceItem.objects.filter(code="MZ-001").update(is_active=False)
    assert anonymous.get(f"/services/materials/{material.pk}/template/").status_code == 404
    staff = page_as(svc.user("a", "window"))
    assert staff.get(f"/services/materials/{material.pk}/template/").status_code == 200


def test_the_media_folder_is_not_served(
    material: ItemMaterial, svc: Services, settings: Any, page_as: Any
) -> None:
    """Event photos, check-in photos, the file library and import files (personal data) live beside the
    templates: each is served only by its own view after a scope check, never by path."""
    photo = Path(settings.MEDIA_ROOT) / "events" / "2026" / "11" / "photo.jpg"
    photo.parent.mkdir(parents=True, exist_ok=True)
    photo.write_bytes(b"\xff\xd8 personal")
    for client in (page_as(None), page_as(svc.user("a", "window"))):
        assert client.get("/media/events/2026/11/photo.jpg").status_code == 404
        assert client.get(f"/media/{material.template.name}").status_code == 404
