"""The interface registry (接口管理服务中心): register systems, rotate their keys, retry dead letters."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.accounts.permissions import require_role
from jiceng.accounts.roles import Role
from jiceng.audit.actions import record
from jiceng.core.concurrency import update_versioned
from jiceng.core.errors import Conflict, NotFound, field_error
from jiceng.federation import delivery, signing
from jiceng.federation.models import System, SystemKind

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from jiceng.accounts.models import User

OPERATOR_ROLES = (Role.HUB_OPERATOR, Role.ADMIN)


def _operator(actor: User | AnonymousUser | None) -> User:
    return require_role(actor, *OPERATOR_ROLES)


def _url(value: str, field: str, *, required: bool) -> str:
    value = (value or "").strip()
    if not value:
        if required:
            raise field_error(field, _("A URL is required."), "required")
        return ""
    try:
        URLValidator(schemes=["http", "https"])(value)
    except ValidationError as exc:
        raise field_error(field, _("Not a valid http(s) URL."), "invalid_url") from exc
    return value


def _prefixes(values: Any, field: str) -> list[str]:
    if not isinstance(values, list) or not all(isinstance(v, str) and v.strip().isalnum() for v in values):
        raise field_error(field, _("A list of codes (letters and digits)."), "invalid_codes")
    return sorted({v.strip() for v in values})


def register_system(
    actor: User | AnonymousUser | None,
    *,
    code: str,
    name: str,
    kind: str,
    inbox_url: str,
    data_url: str = "",
    categories: list[str] | None = None,
    regions: list[str] | None = None,
    priority: int = 100,
    key: str = "",
) -> tuple[System, str]:
    """Register a county platform, department system or hub; returns the system and its signing key
    (generated unless given: shown once, then kept only encrypted)."""
    user = _operator(actor)
    return save_system(
        code=code,
        name=name,
        kind=kind,
        inbox_url=inbox_url,
        data_url=data_url,
        categories=categories or [],
        regions=regions or [],
        priority=priority,
        key=key,
        audit_actor=user,
    )


def save_system(
    *,
    code: str,
    name: str,
    kind: str,
    inbox_url: str,
    data_url: str = "",
    categories: list[str] | None = None,
    regions: list[str] | None = None,
    priority: int = 100,
    key: str = "",
    audit_actor: User | None = None,
) -> tuple[System, str]:
    """The registration itself, also used by the set-up command (no acting user there)."""
    code = (code or "").strip()
    if not code or len(code) > 40 or not code.replace("-", "").replace("_", "").isalnum():
        raise field_error("code", _("A code of letters, digits, - and _ (at most 40)."), "invalid_code")
    if not (name or "").strip():
        raise field_error("name", _("A name is required."), "required")
    if kind not in SystemKind.values:
        raise field_error("kind", _("Unknown kind of system."), "invalid_kind")
    if not 0 <= int(priority) <= 1000:
        raise field_error("priority", _("Between 0 and 1000."), "invalid_priority")
    key = key.strip() or signing.new_key()
    if len(key) < 16:
        raise field_error("key", _("A signing key has at least 16 characters."), "weak_key")
    values = {
        "name": name.strip()[:100],
        "kind": kind,
        "inbox_url": _url(inbox_url, "inbox_url", required=True),
        "data_url": _url(data_url, "data_url", required=False),
        "categories": _prefixes(categories or [], "categories"),
        "regions": _prefixes(regions or [], "regions"),
        "priority": int(priority),
    }
    with transaction.atomic():
        if System.objects.filter(code=code).exists():
            raise Conflict(_("A system with this code is registered already."), code="duplicate_system")
        system = System.objects.create(code=code, key=key, **values)
        if kind == SystemKind.HUB:
            from jiceng.federation import county

            county.connect_hub(system)
        record("federation.system.register", actor=audit_actor, obj=system, changes=values)
    return system, key


def _get(code: str) -> System:
    system = System.objects.filter(code=code).first()
    if system is None:
        raise NotFound()
    return system


def rotate_key(actor: User | AnonymousUser | None, code: str, *, new_key: str = "") -> tuple[System, str]:
    """A new current key; the old one stays accepted until ``finish_rotation``."""
    user = _operator(actor)
    system = _get(code)
    key = new_key.strip() or signing.new_key()
    if len(key) < 16:
        raise field_error("key", _("A signing key has at least 16 characters."), "weak_key")
    with transaction.atomic():
        update_versioned(
            system, None, {"key": key, "previous_key": system.key, "key_rotated_at": timezone.now()}
        )
        record("federation.system.rotate_key", actor=user, obj=system)
    return system, key


def finish_rotation(actor: User | AnonymousUser | None, code: str) -> System:
    user = _operator(actor)
    system = _get(code)
    with transaction.atomic():
        update_versioned(system, None, {"previous_key": ""})
        record("federation.system.finish_rotation", actor=user, obj=system)
    return system


def set_active(actor: User | AnonymousUser | None, code: str, active: bool) -> System:
    user = _operator(actor)
    system = _get(code)
    with transaction.atomic():
        update_versioned(system, None, {"is_active": active})
        record("federation.system.set_active", actor=user, obj=system, changes={"is_active": active})
    return system


def retry_dead_letters(
    actor: User | AnonymousUser | None, message_ids: list[int] | None = None, now: datetime | None = None
) -> int:
    """Put dead letters (all, or the given ones) back in the queue; audited."""
    user = _operator(actor)
    with transaction.atomic():
        count = delivery.retry_dead(message_ids, now)
        record(
            "federation.outbox.retry",
            actor=user,
            object_type="federation.outboxmessage",
            changes={"ids": message_ids or "all", "count": count},
        )
    return count
