"""Attachments of events: photos, voice notes, videos and documents.

Writes (one transaction each, audited): ``add_attachment``, ``add_attachments`` and
``attach_to_latest_flow`` (after ``perform`` or ``report_event``, in the caller's transaction).
Scoped reads: ``attachments`` and ``attachment``. Serving: ``file_response`` (API and pages alike).

The type is taken from the content (magic bytes), never from the client's name or content type.
Originals are stored byte for byte under random names; photos get a JPEG thumbnail turned upright per
their EXIF orientation. Files written during a transaction that fails are deleted again.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import uuid
import warnings
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import filetype
from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.http import FileResponse, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from jiceng.accounts.roles import Role
from jiceng.audit.actions import record
from jiceng.core.errors import (
    DomainError,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    field_error,
)
from jiceng.core.scope import covers, get_in_scope
from jiceng.events.models import (
    AttachmentKind,
    AttachmentStage,
    Event,
    EventAttachment,
    EventFlow,
    EventState,
)
from jiceng.events.workflow import PARTICIPANT, is_triage, relation_holds

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser
    from django.db.models.fields.files import FieldFile

    from jiceng.accounts.models import User

logger = logging.getLogger(__name__)
# --- limits -------------------------------------------------------------------------------------------

# Size limit per kind: (setting, default in MB). Read at call time, so settings overrides apply.
SIZE_LIMITS: dict[str, tuple[str, float]] = {
    AttachmentKind.PHOTO: ("JICENG_MAX_PHOTO_MB", 10),
    AttachmentKind.VOICE: ("JICENG_MAX_VOICE_MB", 10),
    AttachmentKind.VIDEO: ("JICENG_MAX_VIDEO_MB", 50),
    AttachmentKind.FILE: ("JICENG_MAX_FILE_MB", 20),
}
# Photos are decoded for their thumbnail: refuse more pixels than this (and never more than Pillow's
# own decompression-bomb guard, Image.MAX_IMAGE_PIXELS).
MAX_PHOTO_PIXELS_SETTING = ("JICENG_MAX_PHOTO_PIXELS", 50_000_000)
THUMBNAIL_PX = 480
MAX_FILES_PER_REQUEST = 9
# A reporter may still add photos to a closed event (e.g. with the evaluation) for this long.
REPORTER_DAYS_AFTER_CLOSE = 30
SNIFF_BYTES = 8192

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Sniffed type → (kind, extension of the stored file, content type served).
ALLOWED_TYPES: dict[str, tuple[str, str, str]] = {
    "image/jpeg": (AttachmentKind.PHOTO, "jpg", "image/jpeg"),
    "image/png": (AttachmentKind.PHOTO, "png", "image/png"),
    "image/webp": (AttachmentKind.PHOTO, "webp", "image/webp"),
    "image/gif": (AttachmentKind.PHOTO, "gif", "image/gif"),
    "image/heic": (AttachmentKind.PHOTO, "heic", "image/heic"),
    "audio/amr": (AttachmentKind.VOICE, "amr", "audio/amr"),
    "audio/mpeg": (AttachmentKind.VOICE, "mp3", "audio/mpeg"),
    "audio/mp4": (AttachmentKind.VOICE, "m4a", "audio/mp4"),
    "audio/aac": (AttachmentKind.VOICE, "aac", "audio/aac"),
    "audio/x-wav": (AttachmentKind.VOICE, "wav", "audio/wav"),
    "audio/ogg": (AttachmentKind.VOICE, "ogg", "audio/ogg"),
    "video/mp4": (AttachmentKind.VIDEO, "mp4", "video/mp4"),
    "video/quicktime": (AttachmentKind.VIDEO, "mov", "video/quicktime"),
    "application/pdf": (AttachmentKind.FILE, "pdf", "application/pdf"),
    DOCX: (AttachmentKind.FILE, "docx", DOCX),
    XLSX: (AttachmentKind.FILE, "xlsx", XLSX),
}
# ZIP containers that may be Office documents: their entries decide (and macros are refused).
OFFICE_CONTAINERS = frozenset({"application/zip", DOCX, XLSX})
# Formats Pillow must find in a photo of each sniffed type (HEIC has no decoder by default: no thumbnail).
PILLOW_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP", "image/gif": "GIF"}
SWAPS_AXES = {5, 6, 7, 8}  # EXIF orientations that turn the picture by 90°
EXIF_ORIENTATION = 0x0112


class FileTooLarge(PayloadTooLarge):
    code = "file_too_large"


class EventClosed(DomainError):
    status = 409
    code = "event_closed"


def max_bytes(kind: str) -> int:
    name, default = SIZE_LIMITS[kind]
    return int(float(getattr(settings, name, default)) * 1024 * 1024)


def max_photo_pixels() -> int:
    name, default = MAX_PHOTO_PIXELS_SETTING
    limit = int(getattr(settings, name, default))
    return min(limit, Image.MAX_IMAGE_PIXELS) if Image.MAX_IMAGE_PIXELS else limit


# --- files written inside a transaction are deleted if it fails ---------------------------------------

_stored_files: ContextVar[list[tuple[Storage, str]] | None] = ContextVar("jiceng_stored_files", default=None)


@contextmanager
def atomic_with_files() -> Iterator[None]:
    """``transaction.atomic()`` that also deletes the files stored inside it when it fails.

    Nested blocks hand their files to the enclosing one on success, so wrapping
    ``perform(...)`` + ``attach_to_latest_flow(...)`` in this removes the files if anything after
    the upload fails too.
    """
    parent = _stored_files.get()
    mine: list[tuple[Storage, str]] = []
    token = _stored_files.set(mine)
    try:
        with transaction.atomic():
            yield
    except BaseException:
        _delete_files(mine)
        raise
    else:
        if parent is not None:
            parent.extend(mine)
    finally:
        _stored_files.reset(token)


def _delete_files(files: Iterable[tuple[Storage, str]]) -> None:
    for storage, name in files:
        try:
            storage.delete(name)
        except OSError:  # pragma: no cover - best effort; the row is gone either way
            logger.warning("could not delete the stored file %s", name, exc_info=True)


def _save_file(field_file: FieldFile, name: str, content: File[Any]) -> None:
    field_file.save(name, content, save=False)
    stored = _stored_files.get()
    if stored is not None:
        stored.append((field_file.storage, field_file.name or ""))


# --- who may do what ----------------------------------------------------------------------------------


def _user(actor: User | AnonymousUser | None) -> User:
    if actor is None or not actor.is_authenticated:
        raise NotAuthenticated()
    return actor


def visible_event(user: User | AnonymousUser | None, event_id: int) -> Event:
    """The event if it is in the user's scope, or if the user reported or recorded it (residents have
    no jurisdiction but see their own reports); otherwise NotFound, exactly like a missing event."""
    acting = _user(user)
    try:
        return get_in_scope(Event.objects.select_related("category"), acting, pk=event_id)
    except NotFound:
        own = Event.objects.filter(Q(reporter=acting) | Q(created_by=acting), pk=event_id).first()
        if own is None:
            raise
        return own


def is_participant(user: User, event: Event) -> bool:
    """The reporter, whoever recorded it, the lead and co-handling units, the triage of its level, and
    the grid workers covering its place."""
    return (
        (event.reporter_id is not None and event.reporter_id == user.pk)
        or event.created_by_id == user.pk
        or relation_holds(user, event, PARTICIPANT)
        or is_triage(user, event)
        or (user.has_role(Role.GRID_WORKER) and covers(user, event.region_code))
    )


def _open_for(user: User, event: Event, now: datetime) -> bool:
    if event.is_open:
        return True
    return (
        event.state == EventState.CLOSED
        and event.reporter_id is not None
        and event.reporter_id == user.pk
        and event.closed_at is not None
        and event.closed_at >= now - timedelta(days=REPORTER_DAYS_AFTER_CLOSE)
    )


def can_attach(user: Any, event: Event, now: datetime | None = None) -> bool:
    """For pages and the API: may this user add attachments to this event now?"""
    if user is None or not user.is_authenticated:
        return False
    return is_participant(user, event) and _open_for(user, event, now or timezone.now())


def _check_can_attach(user: User, event: Event, now: datetime) -> None:
    if not is_participant(user, event):
        raise PermissionDenied(_("Only the people working on this event can add attachments."))
    if not _open_for(user, event, now):
        raise EventClosed(_("The event is closed: attachments can no longer be added."))


# --- reading the upload -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Sniffed:
    kind: str
    extension: str
    content_type: str


@dataclass(frozen=True)
class _Picture:
    width: int | None = None
    height: int | None = None
    thumbnail: bytes | None = None


def _unsupported() -> InvalidInput:
    return field_error(
        "file",
        _("This type of file is not accepted: upload a photo, recording, video, PDF, Word or Excel file."),
        "unsupported_file_type",
    )


def _too_large(kind: str) -> FileTooLarge:
    message = _("The file is too large: at most %(mb)s MB for this kind of file.") % {
        "mb": f"{max_bytes(kind) / 1024 / 1024:g}"
    }
    return FileTooLarge(message, details={"file": [message]})


def _sniff(upload: File[Any]) -> _Sniffed:
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    guess = filetype.guess(head) if head else None
    mime = guess.mime if guess is not None else ""
    if mime in OFFICE_CONTAINERS:
        return _Sniffed(AttachmentKind.FILE, "", "")  # decided by _office_type once the size is known
    if mime not in ALLOWED_TYPES:
        raise _unsupported()
    kind, extension, content_type = ALLOWED_TYPES[mime]
    return _Sniffed(kind, extension, content_type)


def _office_type(upload: File[Any]) -> _Sniffed:
    """A .docx or .xlsx by its entries (only the ZIP directory is read); macro-enabled files are refused."""
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise _unsupported() from exc
    finally:
        upload.seek(0)
    if "[Content_Types].xml" not in names or any(n.lower().endswith("vbaproject.bin") for n in names):
        raise _unsupported()
    if "word/document.xml" in names:
        return _Sniffed(AttachmentKind.FILE, "docx", DOCX)
    if "xl/workbook.xml" in names:
        return _Sniffed(AttachmentKind.FILE, "xlsx", XLSX)
    raise _unsupported()


def _invalid_image() -> InvalidInput:
    return field_error("file", _("The photo is damaged or not a valid image."), "invalid_image")


def _image_too_large() -> InvalidInput:
    return field_error("file", _("The photo has too many pixels."), "image_too_large")


def _flatten(img: Image.Image) -> Image.Image:
    """RGB for JPEG, transparent parts on white."""
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return img if img.mode == "RGB" else img.convert("RGB")


def _picture(upload: File[Any], content_type: str) -> _Picture:
    """Verify a photo and make its upright thumbnail; the size is reported as the photo is shown."""
    expected = PILLOW_FORMATS.get(content_type)
    if expected is None:
        return _Picture()  # e.g. HEIC without a decoder: kept, shown without a thumbnail
    limit = max_photo_pixels()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            upload.seek(0)
            with Image.open(upload) as img:
                width, height = img.size
                if img.format != expected:
                    raise _invalid_image()
                if width * height > limit:
                    raise _image_too_large()
                img.verify()
            upload.seek(0)
            with Image.open(upload) as img:
                orientation = img.getexif().get(EXIF_ORIENTATION)
                img.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))  # JPEGs are decoded at a reduced scale
                upright = _flatten(ImageOps.exif_transpose(img))
                out = io.BytesIO()
                upright.save(out, "JPEG", quality=82, optimize=True)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _image_too_large() from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, TypeError, EOFError, IndexError) as exc:
        raise _invalid_image() from exc
    finally:
        upload.seek(0)
    if orientation in SWAPS_AXES:
        width, height = height, width
    return _Picture(width, height, out.getvalue())


def _sha256(upload: File[Any]) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f]")


def _original_name(upload: File[Any], extension: str) -> str:
    name = str(getattr(upload, "name", "") or "")
    name = _UNSAFE_NAME.sub("", name.replace("\\", "/").rsplit("/", 1)[-1]).strip()
    return name[-255:] if name else f"attachment.{extension}"


# --- writes -------------------------------------------------------------------------------------------


def _stage(stage: str | None) -> str:
    stage = stage or ""
    if stage not in AttachmentStage.values:
        raise field_error("stage", _("The stage is before, after or empty."), "invalid_stage")
    return stage


def _flow_of(event: Event, flow_id: int | None) -> EventFlow | None:
    if flow_id is None:
        return None
    flow = EventFlow.objects.filter(pk=flow_id, event=event).first()
    if flow is None:
        raise field_error("flow_id", _("This step does not belong to the event."), "invalid_flow")
    return flow


def _existing(event: Event, digest: str) -> EventAttachment | None:
    return EventAttachment.objects.filter(event=event, sha256=digest).first()


def _add_one(
    user: User, event: Event, upload: File[Any], stage: str, flow: EventFlow | None
) -> EventAttachment:
    size = int(upload.size or 0)
    if size <= 0:
        raise field_error("file", _("The file is empty."), "empty_file")
    if size > max(max_bytes(kind) for kind in SIZE_LIMITS):
        raise _too_large(max(SIZE_LIMITS, key=max_bytes))
    sniffed = _sniff(upload)
    if size > max_bytes(sniffed.kind):
        raise _too_large(sniffed.kind)
    if not sniffed.content_type:
        sniffed = _office_type(upload)
    digest = _sha256(upload)
    existing = _existing(event, digest)
    if existing is not None:
        return existing
    picture = _picture(upload, sniffed.content_type) if sniffed.kind == AttachmentKind.PHOTO else _Picture()
    attachment = EventAttachment(
        event=event,
        flow=flow,
        kind=sniffed.kind,
        stage=stage,
        content_type=sniffed.content_type,
        size=size,
        sha256=digest,
        original_name=_original_name(upload, sniffed.extension),
        width=picture.width,
        height=picture.height,
        uploaded_by=user,
    )
    stem = uuid.uuid4().hex  # stored names are random: nothing to guess from a name
    try:
        with atomic_with_files():
            upload.seek(0)
            _save_file(attachment.file, f"{stem}.{sniffed.extension}", upload)
            if picture.thumbnail is not None:
                _save_file(attachment.thumbnail, f"{stem}_thumb.jpg", ContentFile(picture.thumbnail))
            attachment.save(force_insert=True)
            record(
                "event.attachment_add",
                actor=user,
                obj=event,
                changes={
                    "attachment": attachment.pk,
                    "kind": attachment.kind,
                    "stage": stage,
                    "flow": flow.pk if flow else None,
                    "content_type": attachment.content_type,
                    "size": size,
                    "sha256": digest,
                },
            )
    except IntegrityError:
        # The same file arrived twice at once: the first one wins.
        existing = _existing(event, digest)
        if existing is None:
            raise
        return existing
    return attachment


def add_attachments(
    actor: User | AnonymousUser | None,
    event_id: int,
    files: Iterable[File[Any]],
    *,
    stage: str | None = "",
    flow_id: int | None = None,
    now: datetime | None = None,
) -> list[EventAttachment]:
    """Add files to an event, all or none. A file the event already has returns the existing row."""
    user = _user(actor)
    files = list(files)
    with atomic_with_files():
        event = visible_event(user, event_id)
        _check_can_attach(user, event, now or timezone.now())
        if not files:
            raise field_error("file", _("Choose a file to upload."), "required")
        if len(files) > MAX_FILES_PER_REQUEST:
            raise field_error(
                "file",
                _("At most %(n)d files at a time.") % {"n": MAX_FILES_PER_REQUEST},
                "too_many_files",
            )
        stage = _stage(stage)
        flow = _flow_of(event, flow_id)
        return [_add_one(user, event, upload, stage, flow) for upload in files]


def add_attachment(
    actor: User | AnonymousUser | None,
    event_id: int,
    uploaded_file: File[Any],
    *,
    stage: str = "",
    flow_id: int | None = None,
    now: datetime | None = None,
) -> EventAttachment:
    """Add one file to an event (see ``add_attachments``)."""
    return add_attachments(actor, event_id, [uploaded_file], stage=stage, flow_id=flow_id, now=now)[0]


def attach_to_latest_flow(
    actor: User | AnonymousUser | None,
    event_id: int,
    files: Iterable[File[Any]],
    stage: str | None = None,
    *,
    now: datetime | None = None,
) -> list[EventAttachment]:
    """Add files and link them to the event's newest flow step when the actor took it, e.g. right after
    ``perform(..., "handle")`` or ``report_event(...)``. Call both inside one ``atomic_with_files()``.

    Without a stage, photos of a "handle" step are "after", of a "report" step "before".
    Nothing to attach: nothing happens.
    """
    files = list(files)
    if not files:
        return []
    user = _user(actor)
    event = visible_event(user, event_id)
    flow = event.flows.order_by("-id").first()
    if flow is not None and flow.actor_id != user.pk:
        flow = None
    if stage is None:
        action = flow.action if flow is not None else ""
        stage = {"handle": AttachmentStage.AFTER, "report": AttachmentStage.BEFORE}.get(action, "")
    return add_attachments(user, event.pk, files, stage=stage, flow_id=flow.pk if flow else None, now=now)


# --- reads --------------------------------------------------------------------------------------------


def attachments(user: User | AnonymousUser | None, event_id: int) -> QuerySet[EventAttachment]:
    event = visible_event(user, event_id)
    return EventAttachment.objects.filter(event=event).select_related("uploaded_by", "flow").order_by("id")


def attachment(user: User | AnonymousUser | None, event_id: int, attachment_id: int) -> EventAttachment:
    found = attachments(user, event_id).filter(pk=attachment_id).first()
    if found is None:
        raise NotFound()
    return found


# --- serving ------------------------------------------------------------------------------------------

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


_ASCII_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._()-]*$")


def _content_disposition(name: str) -> str:
    """Inline, with the original (often Chinese) name for browsers and a plain one for old clients."""
    extension = name.rsplit(".", 1)[-1] if "." in name else ""
    fallback = (
        name if _ASCII_NAME.match(name) else "attachment" + (f".{extension}" if extension.isalnum() else "")
    )
    return f"inline; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def file_response(request: HttpRequest, item: EventAttachment, which: str = "file") -> FileResponse:
    """The original (``which="file"``) or the thumbnail, with the sniffed type, inline, never sniffed by
    the browser. A single byte range is honoured (mobile video players need it)."""
    field = item.file if which == "file" else item.thumbnail
    if not field:
        raise NotFound()
    try:
        handle = field.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise NotFound() from exc
    if which == "file":
        content_type, name = item.content_type, item.original_name or f"attachment-{item.pk}"
    else:
        stem = (item.original_name or f"attachment-{item.pk}").rsplit(".", 1)[0]
        content_type, name = "image/jpeg", f"{stem}-thumbnail.jpg"
    size = field.size
    status, content_range = 200, ""
    match = _RANGE.match(request.headers.get("Range", "").strip())
    if match and size:
        first, last = match.groups()
        start = int(first) if first else max(size - int(last or 0), 0)
        end = min(int(last), size - 1) if first and last else size - 1
        if start < size and start <= end:
            handle.seek(start)
            status, content_range = 206, f"bytes {start}-{end}/{size}"
            size = end - start + 1
            handle = _Slice(handle, size)  # type: ignore[assignment]
    response = FileResponse(handle, content_type=content_type, status=status)
    response["Content-Length"] = str(size)
    response["Content-Disposition"] = _content_disposition(name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = "private, max-age=3600"
    if content_range:
        response["Content-Range"] = content_range
    return response


class _Slice(io.RawIOBase):
    """At most ``length`` bytes of an open file, from its current position."""

    def __init__(self, handle: Any, length: int):
        self._handle, self._left = handle, length

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        size = self._left if size is None or size < 0 else min(size, self._left)
        data: bytes = self._handle.read(size)
        self._left -= len(data)
        return data

    def close(self) -> None:
        self._handle.close()
        super().close()
