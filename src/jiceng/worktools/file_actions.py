"""文件库: folders of a unit's documents, with versions; downloads are audited."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from jiceng.accounts.roles import Role
from jiceng.audit.actions import record
from jiceng.core.errors import Conflict, PayloadTooLarge, PermissionDenied, field_error
from jiceng.worktools import file_queries
from jiceng.worktools.common import acting_staff, require_role
from jiceng.worktools.models import Document, DocumentVersion, Folder

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from jiceng.accounts.models import User

FOLDER_ROLES = frozenset({Role.ADMIN, Role.LEADER, Role.DISPATCHER, Role.COUNTY_CENTER})
STAFF_ROLE_CODES = frozenset(r for r in Role.values if r != Role.RESIDENT)
# First bytes → content type of the files the library can preview; anything else is served as a download.
SIGNATURES: list[tuple[bytes, str]] = [
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
]
PREVIEWABLE = frozenset(ct for _sig, ct in SIGNATURES) | {"image/webp"}


def max_file_bytes() -> int:
    return int(float(getattr(settings, "JICENG_MAX_FILE_MB", 20)) * 1024 * 1024)


def sniff(head: bytes) -> str:
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    for signature, content_type in SIGNATURES:
        if head.startswith(signature):
            return content_type
    return "application/octet-stream"


def create_folder(
    actor: User | AnonymousUser | None, *, name: str, read_roles: list[str] | None = None
) -> Folder:
    """A folder of the user's own unit; ``read_roles`` limits who else may read it (empty: all staff)."""
    user = acting_staff(actor)
    require_role(user, FOLDER_ROLES)
    if user.unit is None:
        raise PermissionDenied()
    name = name.strip()
    if not name:
        raise field_error("name", _("This field is required."), "required")
    roles = sorted(set(read_roles or []))
    if any(r not in STAFF_ROLE_CODES for r in roles):
        raise field_error("read_roles", _("Not one of the allowed values."), "invalid_role")
    region = user.unit.region
    try:
        with transaction.atomic():
            folder = Folder.objects.create(
                unit=user.unit,
                region_code=region.code,
                scope_prefix=region.scope_prefix,
                name=name[:100],
                read_roles=roles,
                created_by=user,
            )
            record("folder.create", actor=user, obj=folder, changes={"name": name, "read_roles": roles})
    except IntegrityError:
        raise field_error(
            "name", _("The unit already has a folder of this name."), "duplicate_name"
        ) from None
    return folder


def upload(
    actor: User | AnonymousUser | None,
    folder_id: int,
    file: UploadedFile | None,
    *,
    name: str = "",
    comment: str = "",
    version: int | None = None,
) -> DocumentVersion:
    """Add a document, or a new version of the document of the same name (``version``: the document's
    version read, for a compare-and-set; two uploads at once get one success and one conflict)."""
    user = acting_staff(actor)
    folder = file_queries.folder(user, folder_id)
    if not file_queries.may_write(user, folder):
        raise PermissionDenied(_("Only the unit's own staff add files to its folders."))
    if file is None:
        raise field_error("file", _("This field is required."), "required")
    if file.size is not None and file.size > max_file_bytes():
        raise PayloadTooLarge(_("The file is too large."), code="file_too_large")
    name = (name or file.name or "").strip().replace("/", "_")[:200]
    if not name:
        raise field_error("name", _("This field is required."), "required")
    file.seek(0)
    head = file.read(16)
    file.seek(0)
    digest = hashlib.sha256()
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    with transaction.atomic():
        document, created = Document.objects.get_or_create(
            folder=folder, name=name, defaults={"created_by": user}
        )
        expected = document.version if version is None or created else version
        updated = Document.objects.filter(pk=document.pk, version=expected).update(
            version=F("version") + 1, current_version=F("current_version") + 1
        )
        if updated != 1:
            raise Conflict()
        document.refresh_from_db()
        item = DocumentVersion(
            document=document,
            number=document.current_version,
            original_name=(file.name or name)[:255],
            content_type=sniff(head),
            size=file.size or 0,
            sha256=digest.hexdigest(),
            uploaded_by=user,
            comment=comment.strip()[:200],
        )
        item.file.save(f"{digest.hexdigest()[:32]}", file, save=False)
        item.save()
        record(
            "document.upload",
            actor=user,
            obj=document,
            changes={"folder": folder.pk, "name": name, "version": item.number, "sha256": item.sha256},
        )
    return item


def open_version(
    actor: User | AnonymousUser | None, document_id: int, number: int | None, *, preview: bool
) -> dict[str, Any]:
    """A version to serve (the current one by default); every download and preview is audited."""
    user = acting_staff(actor)
    document = file_queries.document(user, document_id)
    item = file_queries.version(document, number)
    record(
        "document.preview" if preview else "document.download",
        actor=user,
        obj=document,
        changes={"version": item.number, "name": document.name},
    )
    return {"document": document, "version": item, "inline": preview and item.content_type in PREVIEWABLE}
