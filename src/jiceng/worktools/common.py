"""What every work-tools action shares: the acting user, roles, photos."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from jiceng.accounts.roles import Role
from jiceng.core.errors import NotAuthenticated, PermissionDenied, field_error

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from jiceng.accounts.models import User

PATROL_ROLES = frozenset({Role.GRID_WORKER, Role.VILLAGE_CADRE, Role.SAFETY_OFFICER})
DISPATCH_ROLES = frozenset({Role.DISPATCHER, Role.COUNTY_CENTER, Role.VILLAGE_CADRE})
DUTY_ROLES = frozenset({Role.DISPATCHER, Role.COUNTY_CENTER, Role.ADMIN})
PHOTO_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}


def acting_staff(actor: User | AnonymousUser | None) -> User:
    """The logged-in staff member (with a unit); residents and anonymous callers are refused."""
    if actor is None or not actor.is_authenticated:
        raise NotAuthenticated()
    if actor.unit_id is None and not actor.is_superuser:
        raise PermissionDenied()
    return actor


def require_role(user: User, roles: frozenset[str], message: Any = None) -> None:
    if not (user.is_superuser or user.has_role(*roles)):
        raise PermissionDenied(message)


def max_photo_bytes() -> int:
    return int(float(getattr(settings, "JICENG_MAX_PHOTO_MB", 10)) * 1024 * 1024)


def checked_photo(upload: UploadedFile | None, field: str = "photo") -> UploadedFile | None:
    """A photo upload that really is a JPEG, PNG or WebP picture of a sane size, renamed by its hash."""
    if upload is None:
        return None
    if upload.size is not None and upload.size > max_photo_bytes():
        raise field_error(field, _("The photo is too large."), "photo_too_large")
    try:
        upload.seek(0)
        with Image.open(upload) as picture:
            kind = picture.format or ""
            picture.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise field_error(field, _("Not a photo (JPEG, PNG or WebP)."), "invalid_photo") from exc
    if kind not in PHOTO_FORMATS:
        raise field_error(field, _("Not a photo (JPEG, PNG or WebP)."), "invalid_photo")
    upload.seek(0)
    digest = hashlib.sha256(upload.read()).hexdigest()
    upload.seek(0)
    upload.name = f"{digest[:24]}.{PHOTO_FORMATS[kind]}"
    return upload
