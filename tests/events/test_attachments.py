"""Attachments of events: type by content, size limits, thumbnails, originals kept, and who may touch them."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import NoReverseMatch, include, path, reverse
from django.utils import timezone
from PIL import Image

from jiceng.audit.models import AuditEntry
from jiceng.core.errors import InvalidInput, NotFound, PermissionDenied
from jiceng.events import attachment_api, attachments
from jiceng.events.actions import perform, report_event
from jiceng.events.models import Event, EventAttachment, EventState
from tests.conftest import Org
from tests.events.conftest import IN_GRID_A

# --- routes: the lead registers the router and the page URLs; until then this module mounts them -------


def _registered() -> tuple[bool, bool]:
    import jiceng.api  # noqa: F401 - registers every router on the one API
    from jiceng.core.api import api

    in_api = any(router is attachment_api.router for _prefix, router in api._routers)
    try:
        reverse("event_attachments:file", kwargs={"event_id": 1, "attachment_id": 1}, urlconf="jiceng.urls")
        pages = True
    except NoReverseMatch:
        pages = False
    return in_api, pages


def __getattr__(name: str) -> Any:
    """This module doubles as a URLconf that adds what the project's URLconf does not mount yet."""
    if name != "urlpatterns":
        raise AttributeError(name)
    global _urlpatterns
    if _urlpatterns is None:
        from ninja import NinjaAPI

        from jiceng import urls as project_urls
        from jiceng.core.api import api

        in_api, pages = _registered()
        patterns = list(project_urls.urlpatterns)
        if not in_api:
            extra = NinjaAPI(
                urls_namespace="api_attachments_test", docs_url=None, openapi_url=None, auth=api.auth
            )
            extra._exception_handlers = api._exception_handlers
            extra.add_router("", attachment_api.router)
            merged = (api.urls[0] + extra.urls[0], "ninja")
            patterns = [path("api/v1/", include(merged, namespace="api"))] + [
                p for p in patterns if str(p.pattern) != "api/v1/"
            ]
        if not pages:
            patterns.insert(0, path("events/", include("jiceng.events.attachment_urls")))
        _urlpatterns = patterns
    return _urlpatterns


_urlpatterns: list[Any] | None = None


@pytest.fixture(autouse=True)
def _media_and_routes(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    if _registered() != (True, True):
        settings.ROOT_URLCONF = __name__


# --- files made here ------------------------------------------------------------------------------


def jpeg_with_orientation(size: tuple[int, int] = (1000, 500), orientation: int = 6) -> bytes:
    """Left half red, right half blue; EXIF orientation 6 shows it turned 90° clockwise: red on top."""
    img = Image.new("RGB", size, (255, 0, 0))
    img.paste((0, 0, 255), (size[0] // 2, 0, size[0], size[1]))
    exif = Image.Exif()
    exif[0x0112] = orientation
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


def png(size: tuple[int, int] = (64, 48), color: tuple[int, int, int, int] = (0, 128, 0, 255)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, color).save(out, "PNG")
    return out.getvalue()


def pdf() -> bytes:
    return b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def office(kind: str, macros: bool = False) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml" if kind == "docx" else "xl/workbook.xml", "<x/>")
        if macros:
            archive.writestr("word/vbaProject.bin", b"\x00" * 16)
    return out.getvalue()


def upload(name: str, data: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def stored_files(settings: Any) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def grid_event(org: Org, **extra: Any) -> Event:
    event, _created = report_event(
        org.user("a", "grid_worker"), category="0301", title="路边垃圾", **IN_GRID_A, **extra
    )
    return event


def url(event_id: int) -> str:
    return f"/api/v1/events/{event_id}/attachments"


# --- uploading and serving --------------------------------------------------------------------------


def test_photo_is_kept_byte_for_byte_and_thumbnailed_upright(
    org: Org, categories: Any, api_as: Any, settings: Any
) -> None:
    event = grid_event(org)
    original = jpeg_with_orientation()
    client = api_as(org.user("a", "grid_worker"))
    response = client.post(
        url(event.pk), {"file": upload("现场.jpg", original, "image/png"), "stage": "before"}
    )
    assert response.status_code == 201, response.content
    [item] = response.json()
    assert item["kind"] == "photo" and item["stage"] == "before"
    assert item["content_type"] == "image/jpeg"  # from the content, not the client's claim
    assert item["size"] == len(original) and item["original_name"] == "现场.jpg"
    assert (item["width"], item["height"]) == (500, 1000)  # as shown, after the EXIF turn
    assert item["uploaded_by"] == "a_grid_worker"

    row = EventAttachment.objects.get(pk=item["id"])
    with row.file.open("rb") as fh:
        assert fh.read() == original
    assert "现场" not in row.file.name and row.file.name.startswith("events/")

    served = client.get(item["url"])
    assert served.status_code == 200
    assert body(served) == original
    assert served["Content-Type"] == "image/jpeg"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert served["Content-Disposition"].startswith("inline;")
    assert "filename*=UTF-8''%E7%8E%B0%E5%9C%BA.jpg" in served["Content-Disposition"]

    thumb_response = client.get(item["thumbnail_url"])
    assert thumb_response.status_code == 200 and thumb_response["Content-Type"] == "image/jpeg"
    thumb = Image.open(io.BytesIO(body(thumb_response)))
    assert max(thumb.size) <= 480
    assert thumb.size == (240, 480)  # portrait: turned per EXIF
    red, blue = thumb.convert("RGB").getpixel((120, 20)), thumb.convert("RGB").getpixel((120, 460))
    assert red[0] > 200 and red[2] < 60, red  # the left (red) half is now on top
    assert blue[2] > 200 and blue[0] < 60, blue

    entry = AuditEntry.objects.filter(action="event.attachment_add").get()
    assert entry.object_id == str(event.pk) and entry.changes["attachment"] == row.pk


def test_byte_ranges_for_players(org: Org, categories: Any, api_as: Any) -> None:
    event = grid_event(org)
    data = pdf()
    item = attachments.add_attachment(org.user("a", "grid_worker"), event.pk, upload("a.pdf", data))
    client = api_as(org.user("a", "grid_worker"))
    response = client.get(f"{url(event.pk)}/{item.pk}/file", headers={"Range": "bytes=5-9"})
    assert response.status_code == 206
    assert body(response) == data[5:10]
    assert response["Content-Range"] == f"bytes 5-9/{len(data)}"
    assert response["Content-Length"] == "5"


def test_type_is_taken_from_the_content(org: Org, categories: Any, api_as: Any, settings: Any) -> None:
    event = grid_event(org)
    client = api_as(org.user("a", "grid_worker"))

    as_png = client.post(url(event.pk), {"file": upload("really-a-png.jpg", png(), "image/jpeg")})
    assert as_png.status_code == 201 and as_png.json()[0]["content_type"] == "image/png"
    assert as_png.json()[0]["thumbnail_url"]

    files_before = stored_files(settings)
    text = client.post(
        url(event.pk), {"file": upload("photo.jpg", b"just some text, not a photo\n" * 20, "image/jpeg")}
    )
    assert text.status_code == 422
    assert text.json()["code"] == "unsupported_file_type"
    assert "不支持" in text.json()["message"]
    assert stored_files(settings) == files_before

    document = client.post(
        url(event.pk),
        {
            "file": [
                upload("通知.pdf", pdf()),
                upload("表.xlsx", office("xlsx")),
                upload("稿.docx", office("docx")),
            ]
        },
    )
    assert document.status_code == 201, document.content
    assert [(i["kind"], i["content_type"], i["thumbnail_url"]) for i in document.json()] == [
        ("file", "application/pdf", None),
        ("file", attachments.XLSX, None),
        ("file", attachments.DOCX, None),
    ]
    macro = client.post(url(event.pk), {"file": upload("宏.docm", office("docx", macros=True))})
    assert macro.status_code == 422 and macro.json()["code"] == "unsupported_file_type"
    zip_file = io.BytesIO()
    with zipfile.ZipFile(zip_file, "w") as archive:
        archive.writestr("readme.txt", "hello")
    plain_zip = client.post(url(event.pk), {"file": upload("a.docx", zip_file.getvalue())})
    assert plain_zip.status_code == 422 and plain_zip.json()["code"] == "unsupported_file_type"


def test_one_bad_file_refuses_the_whole_upload(org: Org, categories: Any, api_as: Any, settings: Any) -> None:
    event = grid_event(org)
    client = api_as(org.user("a", "grid_worker"))
    response = client.post(
        url(event.pk), {"file": [upload("a.png", png()), upload("b.jpg", b"not an image")]}
    )
    assert response.status_code == 422
    assert not EventAttachment.objects.exists()
    assert stored_files(settings) == []


def test_oversize_file_is_413_and_nothing_is_stored(
    org: Org, categories: Any, api_as: Any, settings: Any
) -> None:
    settings.JICENG_MAX_PHOTO_MB = 0.001  # about 1 KB
    event = grid_event(org)
    photo = jpeg_with_orientation()
    assert len(photo) > 1100
    response = api_as(org.user("a", "grid_worker")).post(url(event.pk), {"file": upload("big.jpg", photo)})
    assert response.status_code == 413
    assert response.json()["code"] == "file_too_large"
    assert not EventAttachment.objects.exists()
    assert stored_files(settings) == []
    # The limit is per kind: a PDF of the same size is fine.
    assert attachments.add_attachment(org.user("a", "grid_worker"), event.pk, upload("x.pdf", pdf() + photo))


def test_decompression_bomb_is_refused(org: Org, categories: Any, api_as: Any, settings: Any) -> None:
    out = io.BytesIO()
    Image.new("1", (20000, 20000)).save(out, "PNG", optimize=True)
    bomb = out.getvalue()
    assert len(bomb) < 200_000  # tiny on disk, 400 megapixels decoded
    event = grid_event(org)
    response = api_as(org.user("a", "grid_worker")).post(url(event.pk), {"file": upload("bomb.png", bomb)})
    assert response.status_code == 422
    assert response.json()["code"] == "image_too_large"
    assert not EventAttachment.objects.exists()
    assert stored_files(settings) == []


def test_damaged_photo_is_refused(org: Org, categories: Any, api_as: Any) -> None:
    event = grid_event(org)
    broken = jpeg_with_orientation()[:600]
    response = api_as(org.user("a", "grid_worker")).post(
        url(event.pk), {"file": upload("broken.jpg", broken)}
    )
    assert response.status_code == 422 and response.json()["code"] == "invalid_image"


def test_the_same_file_twice_returns_the_first(org: Org, categories: Any, api_as: Any, settings: Any) -> None:
    event = grid_event(org)
    client = api_as(org.user("a", "grid_worker"))
    first = client.post(url(event.pk), {"file": upload("a.png", png())}).json()[0]
    files = stored_files(settings)
    again = client.post(url(event.pk), {"file": upload("copy.png", png()), "stage": "after"})
    assert again.status_code == 201
    assert again.json()[0]["id"] == first["id"] and again.json()[0]["original_name"] == "a.png"
    assert EventAttachment.objects.count() == 1
    assert stored_files(settings) == files
    # Another event may have the same photo.
    other = grid_event(org)
    assert (
        attachments.add_attachment(org.user("a", "grid_worker"), other.pk, upload("a.png", png())).pk
        != first["id"]
    )


def test_the_same_file_at_the_same_moment_returns_the_first(
    org: Org, categories: Any, settings: Any, monkeypatch: Any
) -> None:
    event = grid_event(org)
    first = attachments.add_attachment(org.user("a", "grid_worker"), event.pk, upload("a.png", png()))
    files = stored_files(settings)
    real = attachments._existing
    calls: list[int] = []

    def not_yet_committed(event: Event, digest: str) -> EventAttachment | None:
        calls.append(1)  # the other upload is not visible at the first look, only after the conflict
        return None if len(calls) == 1 else real(event, digest)

    monkeypatch.setattr(attachments, "_existing", not_yet_committed)
    again = attachments.add_attachment(org.user("a", "dispatcher"), event.pk, upload("b.png", png()))
    assert again.pk == first.pk and len(calls) == 2
    assert stored_files(settings) == files  # the loser's files are gone again
    assert EventAttachment.objects.count() == 1


def test_list_shows_what_was_added(org: Org, categories: Any, api_as: Any) -> None:
    event = grid_event(org)
    attachments.add_attachments(
        org.user("a", "grid_worker"),
        event.pk,
        [upload("a.png", png()), upload("b.pdf", pdf())],
        stage="before",
    )
    listed = api_as(org.user("a", "dispatcher")).get(url(event.pk))
    assert listed.status_code == 200
    assert [(i["kind"], i["stage"], i["original_name"]) for i in listed.json()] == [
        ("photo", "before", "a.png"),
        ("file", "before", "b.pdf"),
    ]


# --- who may ----------------------------------------------------------------------------------------


def test_outsider_gets_404_everywhere(org: Org, categories: Any, api_as: Any) -> None:
    event = grid_event(org)
    item = attachments.add_attachment(org.user("a", "grid_worker"), event.pk, upload("a.png", png()))
    outsider = api_as(org.user("b", "dispatcher"))
    missing = outsider.get(url(999_999))
    for response in (
        outsider.get(url(event.pk)),
        outsider.post(url(event.pk), {"file": upload("b.png", png((8, 8)))}),
        outsider.post(url(event.pk), {}, content_type="application/json"),
        outsider.get(f"{url(event.pk)}/{item.pk}/file"),
        outsider.get(f"{url(event.pk)}/{item.pk}/thumbnail"),
    ):
        assert response.status_code == 404, response.content
        assert response.json() == missing.json()
    # An attachment of another event is not reachable through an event one may see.
    mine = grid_event(org)
    inside = api_as(org.user("a", "grid_worker"))
    assert inside.get(f"{url(mine.pk)}/{item.pk}/file").status_code == 404
    assert EventAttachment.objects.count() == 1


def test_insider_not_working_on_the_event_gets_403_on_upload(org: Org, categories: Any, api_as: Any) -> None:
    event = grid_event(org)
    for role in ("handler", "leader"):  # the township's station and leader see it but do not work on it
        client = api_as(org.user("a", role))
        assert client.get(url(event.pk)).status_code == 200
        response = client.post(url(event.pk), {"file": upload("x.png", png())})
        assert response.status_code == 403, (role, response.content)
    assert not EventAttachment.objects.exists()
    # The township's dispatcher triages it, so may add.
    assert (
        api_as(org.user("a", "dispatcher")).post(url(event.pk), {"file": upload("x.png", png())}).status_code
        == 201
    )


def test_files_are_not_reachable_without_login(org: Org, categories: Any, api_as: Any, client: Any) -> None:
    event = grid_event(org)
    item = attachments.add_attachment(org.user("a", "grid_worker"), event.pk, upload("a.png", png()))
    anonymous = api_as(None)
    assert anonymous.get(url(event.pk)).status_code == 401
    assert anonymous.get(f"{url(event.pk)}/{item.pk}/file").status_code == 401
    assert anonymous.post(url(event.pk), {"file": upload("b.png", png((9, 9)))}).status_code == 401
    page = reverse("event_attachments:file", kwargs={"event_id": event.pk, "attachment_id": item.pk})
    redirected = client.get(page)
    assert redirected.status_code == 302 and "login" in redirected["Location"]
    # Nothing under a public media URL.
    assert client.get(f"/media/{item.file.name}").status_code == 404
    assert client.get(f"/{item.file.name}").status_code == 404


def test_pages_serve_files_through_the_scope(org: Org, categories: Any, page_as: Any) -> None:
    event = grid_event(org)
    data = png()
    item = attachments.add_attachment(org.user("a", "grid_worker"), event.pk, upload("a.png", data))
    kwargs = {"event_id": event.pk, "attachment_id": item.pk}
    inside = page_as(org.user("a", "dispatcher"))
    response = inside.get(reverse("event_attachments:file", kwargs=kwargs))
    assert response.status_code == 200 and body(response) == data
    assert response["Content-Type"] == "image/png" and response["X-Content-Type-Options"] == "nosniff"
    assert inside.get(reverse("event_attachments:thumbnail", kwargs=kwargs)).status_code == 200
    outside = page_as(org.user("b", "dispatcher"))
    assert outside.get(reverse("event_attachments:file", kwargs=kwargs)).status_code == 404
    assert outside.get(reverse("event_attachments:thumbnail", kwargs=kwargs)).status_code == 404


def test_residents_attach_to_their_own_reports(org: Org, categories: Any, api_as: Any) -> None:
    resident = org.user("none", "resident")
    event, _created = report_event(resident, category="0301", title="楼下垃圾", **IN_GRID_A)
    [item] = attachments.attach_to_latest_flow(resident, event.pk, [upload("a.png", png())])
    assert item.stage == "before" and item.flow is not None and item.flow.action == "report"
    assert api_as(resident).get(url(event.pk)).status_code == 200
    # … and nobody else's.
    other, _created = report_event(org.user("a", "grid_worker"), category="0301", title="别处", **IN_GRID_A)
    assert api_as(resident).get(url(other.pk)).status_code == 404


# --- with the workflow ------------------------------------------------------------------------------


def _to_handling(org: Org, event: Event) -> None:
    perform(org.user("a", "dispatcher"), event.pk, "accept")
    perform(org.user("a", "dispatcher"), event.pk, "dispatch", lead_unit=org.units["station_a"].code)
    perform(org.user("a", "handler"), event.pk, "sign")


def test_after_photos_link_to_the_handle_step(org: Org, categories: Any, api_as: Any) -> None:
    event = grid_event(org)
    _to_handling(org, event)
    handler = org.user("a", "handler")
    with attachments.atomic_with_files():
        perform(handler, event.pk, "handle", comment="已清运")
        [item] = attachments.attach_to_latest_flow(
            handler, event.pk, [upload("after.jpg", jpeg_with_orientation())]
        )
    assert item.stage == "after"
    assert item.flow is not None and item.flow.action == "handle" and item.flow.actor_id == handler.pk
    listed = api_as(handler).get(url(event.pk)).json()
    assert listed[0]["flow_action"] == "handle"
    assert attachments.attach_to_latest_flow(handler, event.pk, []) == []


def test_a_failed_transaction_leaves_no_files(org: Org, categories: Any, settings: Any) -> None:
    event = grid_event(org)
    _to_handling(org, event)
    handler = org.user("a", "handler")
    with pytest.raises(RuntimeError), attachments.atomic_with_files():
        perform(handler, event.pk, "handle", comment="已清运")
        attachments.attach_to_latest_flow(handler, event.pk, [upload("after.png", png())])
        assert len(stored_files(settings)) == 2  # the original and its thumbnail
        raise RuntimeError("something after the upload failed")
    assert stored_files(settings) == []
    assert not EventAttachment.objects.exists()
    assert Event.objects.get(pk=event.pk).state == EventState.HANDLING


def test_a_failed_insert_deletes_the_stored_files(
    org: Org, categories: Any, settings: Any, monkeypatch: Any
) -> None:
    event = grid_event(org)

    def fail(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("database down")

    monkeypatch.setattr(EventAttachment, "save", fail)
    with pytest.raises(RuntimeError):
        attachments.add_attachment(org.user("a", "grid_worker"), event.pk, upload("a.png", png()))
    assert stored_files(settings) == []


def test_closed_events_take_attachments_only_from_the_reporter_for_30_days(org: Org, categories: Any) -> None:
    # On the spot, in a category that needs no confirmation: closed at once.
    reporter = org.user("a", "grid_worker")
    event, _created = report_event(
        reporter,
        category="D0101",
        title="家庭纠纷",
        form_data={"parties": 2},
        on_spot=True,
        on_spot_result="已调解",
        **IN_GRID_A,
    )
    assert event.state == EventState.CLOSED
    [item] = attachments.attach_to_latest_flow(reporter, event.pk, [upload("after.png", png())])
    assert item.stage == "after" and item.flow is not None and item.flow.action == "handle"
    with pytest.raises(attachments.EventClosed):
        attachments.add_attachment(org.user("a", "dispatcher"), event.pk, upload("b.png", png((5, 5))))
    later = timezone.now() + timedelta(days=31)
    with pytest.raises(attachments.EventClosed):
        attachments.add_attachment(reporter, event.pk, upload("c.png", png((6, 6))), now=later)
    assert not attachments.can_attach(reporter, event, later)
    assert attachments.can_attach(reporter, event)


def test_rules_in_the_action_layer(org: Org, categories: Any) -> None:
    event = grid_event(org)
    with pytest.raises(NotFound):
        attachments.add_attachment(org.user("b", "grid_worker"), event.pk, upload("a.png", png()))
    with pytest.raises(PermissionDenied):
        attachments.add_attachment(org.user("a", "handler"), event.pk, upload("a.png", png()))
    with pytest.raises(InvalidInput) as bad_stage:
        attachments.add_attachment(
            org.user("a", "grid_worker"), event.pk, upload("a.png", png()), stage="during"
        )
    assert bad_stage.value.code == "invalid_stage"
    other = grid_event(org)
    with pytest.raises(InvalidInput) as bad_flow:
        attachments.add_attachment(
            org.user("a", "grid_worker"), event.pk, upload("a.png", png()), flow_id=other.flows.get().pk
        )
    assert bad_flow.value.code == "invalid_flow"
    assert not EventAttachment.objects.exists()
