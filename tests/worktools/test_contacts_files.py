"""The address book (masked phones, audited calls) and the file library (permissions, versions, audit)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from jiceng.accounts.models import User
from jiceng.audit.models import AuditEntry
from jiceng.core.crypto import blind_index
from jiceng.worktools import file_actions
from jiceng.worktools.models import DocumentVersion
from tests.conftest import Org

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_address_book_masks_phones_and_audits_calls(org: Org, api_as: Any, page_as: Any) -> None:
    dispatcher = org.user("a", "dispatcher")
    User.objects.filter(pk=dispatcher.pk).update(phone="13812345678", phone_index=blind_index("13812345678"))
    client = api_as(org.user("a", "grid_worker"))
    found = client.get("/api/v1/worktools/contacts?q=a_dispatcher").json()
    assert [c["phone_masked"] for c in found] == ["138****5678"]
    assert "13812345678" not in client.get("/api/v1/worktools/contacts").content.decode()
    # The whole county is listed (the township's command room), not the neighbouring county.
    names = {c["username"] for c in client.get("/api/v1/worktools/contacts?limit=500").json()}
    assert {"a_dispatcher", "b_dispatcher", "county_admin"} <= names and "other_county_handler" not in names
    call = client.post(f"/api/v1/worktools/contacts/{dispatcher.username}/call")
    assert call.json() == {"phone": "13812345678", "tel": "tel:13812345678"}
    assert AuditEntry.objects.filter(action="contact.call").count() == 1
    page = page_as(org.user("a", "grid_worker")).post(f"/worktools/contacts/{dispatcher.username}/call/")
    assert page.status_code == 302 and page["Location"] == "tel:13812345678"
    assert (
        api_as(org.user("county_2", "handler"))
        .post(f"/api/v1/worktools/contacts/{dispatcher.username}/call")
        .status_code
        == 404
    )


def test_file_library_permissions_versions_and_audit(org: Org, api_as: Any, page_as: Any) -> None:
    dispatcher = org.user("a", "dispatcher")
    folder = file_actions.create_folder(dispatcher, name="防汛预案")
    secret = file_actions.create_folder(dispatcher, name="内部通报", read_roles=["leader"])
    client = api_as(dispatcher)
    url = f"/api/v1/worktools/folders/{folder.pk}/documents"
    first = client.post(url, {"file": SimpleUploadedFile("预案.pdf", PDF)})
    assert first.status_code == 201, first.content
    second = client.post(url, {"file": SimpleUploadedFile("预案.pdf", PDF + b"v2")})
    assert second.json()["number"] == 2
    doc_id = second.json()["document_id"]
    assert DocumentVersion.objects.filter(document_id=doc_id).count() == 2
    # Village staff below the township read it; only the unit's staff write.
    worker = api_as(org.user("a", "grid_worker"))
    assert [d["name"] for d in worker.get("/api/v1/worktools/documents?q=预案").json()] == ["预案.pdf"]
    assert worker.post(url, {"file": SimpleUploadedFile("x.pdf", PDF)}).status_code == 403
    assert secret.pk not in [f["id"] for f in worker.get("/api/v1/worktools/folders").json()]
    assert secret.pk in [
        f["id"] for f in api_as(org.user("a", "leader")).get("/api/v1/worktools/folders").json()
    ]
    # Township B sees none of it.
    assert api_as(org.user("b", "grid_worker")).get("/api/v1/worktools/documents?q=预案").json() == []
    assert (
        api_as(org.user("b", "dispatcher")).get(f"/api/v1/worktools/documents/{doc_id}/file").status_code
        == 404
    )
    # Preview inline (a PDF), download as attachment; both audited.
    preview = page_as(org.user("a", "grid_worker")).get(
        f"/worktools/files/{doc_id}/file/?preview=1&version=1"
    )
    assert preview["Content-Type"] == "application/pdf" and preview["Content-Disposition"].startswith(
        "inline"
    )
    assert b"".join(preview.streaming_content) == PDF
    download = worker.get(f"/api/v1/worktools/documents/{doc_id}/file")
    assert download["Content-Disposition"].startswith("attachment")
    assert AuditEntry.objects.filter(action__in=["document.preview", "document.download"]).count() == 2
    # A stale version in a concurrent upload is a conflict.
    stale = client.post(url, {"file": SimpleUploadedFile("预案.pdf", PDF + b"v3"), "version": 1})
    assert stale.status_code == 409
