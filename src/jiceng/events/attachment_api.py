"""API of event attachments: list, upload, and the files themselves (served through the scope check)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import File, Form, Router, Schema, Status, UploadedFile
from pydantic import Field

from jiceng.core.api import responses
from jiceng.events import attachments
from jiceng.events.models import AttachmentKind, AttachmentStage, EventAttachment

router = Router(tags=["events"])


def _binary(content_types: list[str]) -> dict[str, Any]:
    content = {t: {"schema": {"type": "string", "format": "binary"}} for t in content_types}
    return {
        "responses": {
            200: {"description": "The file, with the type found in its content", "content": content},
            206: {"description": "One byte range of the file (Range: bytes=…)", "content": content},
        }
    }


FILE_RESPONSE = _binary(sorted({served for _kind, _ext, served in attachments.ALLOWED_TYPES.values()}))
THUMBNAIL_RESPONSE = _binary(["image/jpeg"])


class AttachmentOut(Schema):
    id: int
    kind: AttachmentKind
    stage: AttachmentStage
    content_type: str
    size: int
    original_name: str
    width: int | None
    height: int | None
    created_at: datetime
    uploaded_by: str
    flow_id: int | None = Field(None, description="The flow step it was added at")
    flow_action: str | None = None
    url: str
    thumbnail_url: str | None

    @staticmethod
    def resolve_uploaded_by(obj: EventAttachment) -> str:
        return obj.uploaded_by.full_name or obj.uploaded_by.username

    @staticmethod
    def resolve_flow_action(obj: EventAttachment) -> str | None:
        return obj.flow.action if obj.flow is not None else None

    @staticmethod
    def resolve_url(obj: EventAttachment) -> str:
        return reverse(
            "api:event_attachment_file", kwargs={"event_id": obj.event_id, "attachment_id": obj.pk}
        )

    @staticmethod
    def resolve_thumbnail_url(obj: EventAttachment) -> str | None:
        if not obj.thumbnail:
            return None
        return reverse(
            "api:event_attachment_thumbnail", kwargs={"event_id": obj.event_id, "attachment_id": obj.pk}
        )


@router.get(
    "/events/{event_id}/attachments",
    response=responses(list[AttachmentOut]),
    summary="The photos, recordings and files of an event",
)
def list_attachments(request: HttpRequest, event_id: int) -> Any:
    return list(attachments.attachments(request.user, event_id))


@router.post(
    "/events/{event_id}/attachments",
    response=responses(list[AttachmentOut], 201),
    summary="Add photos, recordings or files (multipart; the same file twice returns the first)",
)
def upload_attachments(
    request: HttpRequest,
    event_id: int,
    file: File[list[UploadedFile] | None] = None,
    stage: Form[AttachmentStage] = AttachmentStage.NONE,
) -> Any:
    added = attachments.add_attachments(request.user, event_id, file or [], stage=stage)
    return Status(201, added)


@router.get(
    "/events/{event_id}/attachments/{attachment_id}/file",
    response=responses(None),
    url_name="event_attachment_file",
    summary="The original file as uploaded",
    openapi_extra=FILE_RESPONSE,
)
def attachment_file(request: HttpRequest, event_id: int, attachment_id: int) -> Any:
    item = attachments.attachment(request.user, event_id, attachment_id)
    return attachments.file_response(request, item, "file")


@router.get(
    "/events/{event_id}/attachments/{attachment_id}/thumbnail",
    response=responses(None),
    url_name="event_attachment_thumbnail",
    summary="The thumbnail of a photo (JPEG, at most 480 px)",
    openapi_extra=THUMBNAIL_RESPONSE,
)
def attachment_thumbnail(request: HttpRequest, event_id: int, attachment_id: int) -> Any:
    item = attachments.attachment(request.user, event_id, attachment_id)
    return attachments.file_response(request, item, "thumbnail")
