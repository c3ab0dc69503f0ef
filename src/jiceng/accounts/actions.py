"""Every write about users, logins and tokens."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiceng.accounts import token_cache
from jiceng.accounts.models import ApiToken, User, UserRole, hash_token
from jiceng.accounts.permissions import require_role
from jiceng.accounts.roles import Role
from jiceng.audit.actions import diff, record, record_sensitive_view
from jiceng.audit.models import AuditResult
from jiceng.core.concurrency import update_versioned
from jiceng.core.crypto import blind_index
from jiceng.core.errors import DomainError, InvalidInput, field_error
from jiceng.core.scope import ensure_in_scope, get_in_scope
from jiceng.core.validators import InvalidValue, parse_id_number, parse_mobile
from jiceng.org.models import Unit

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{3,60}$")
TOKEN_PREFIX = "jc_"  # noqa: S105 - a marker, not a secret


class LoginFailed(DomainError):
    status = 401
    code = "invalid_credentials"
    default_message = _("Wrong username or password.")


class AccountLocked(DomainError):
    status = 423
    code = "account_locked"
    default_message = _("Too many failed logins: the account is locked. Try again later.")


def _snapshot(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "full_name": user.full_name,
        "email": user.email,
        "unit": user.unit.code if user.unit_id else None,  # type: ignore[union-attr]
        "is_active": user.is_active,
        "id_number": user.id_number_masked,
        "phone": user.phone_masked,
        "roles": sorted(UserRole.objects.filter(user=user).values_list("role", flat=True)) if user.pk else [],
    }


# --- login -----------------------------------------------------------------------------------------


def attempt_login(username: str, password: str) -> User:
    """Check a password with lockout: LOGIN_MAX_FAILURES wrong passwords lock the account."""
    now = timezone.now()
    user = User.objects.select_related("unit").filter(username=username).first()
    if user is None:
        # Same work and answer as a wrong password, so usernames cannot be probed.
        User().set_password(password)
        record(
            "auth.login_failed",
            actor=None,
            username=username,
            result=AuditResult.ERROR,
            changes={"reason": "unknown_user"},
        )
        raise LoginFailed()
    if user.locked_until and user.locked_until > now:
        record(
            "auth.login_refused_locked", actor=None, obj=user, username=username, result=AuditResult.DENIED
        )
        raise AccountLocked()
    if not user.check_password(password) or not user.is_active:
        locked = False
        with transaction.atomic():
            User.objects.filter(pk=user.pk).update(failed_logins=F("failed_logins") + 1)
            failures = User.objects.values_list("failed_logins", flat=True).get(pk=user.pk)
            record(
                "auth.login_failed",
                actor=None,
                obj=user,
                username=username,
                result=AuditResult.ERROR,
                changes={
                    "failures": failures,
                    "reason": "inactive" if user.is_active is False else "password",
                },
            )
            if failures >= settings.LOGIN_MAX_FAILURES:
                locked_until = now + timedelta(minutes=settings.LOGIN_LOCK_MINUTES)
                User.objects.filter(pk=user.pk).update(locked_until=locked_until, failed_logins=0)
                record(
                    "auth.locked",
                    actor=None,
                    obj=user,
                    username=username,
                    result=AuditResult.DENIED,
                    changes={"locked_until": locked_until.isoformat()},
                )
                locked = True
        raise AccountLocked() if locked else LoginFailed()
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None, last_login=now)
        record("auth.login", actor=user, obj=user)
    return user


def record_logout(user: User) -> None:
    record("auth.logout", actor=user, obj=user)


def unlock(actor: User, user: User) -> None:
    require_role(actor, Role.ADMIN)
    user = get_in_scope(User, actor, pk=user.pk)
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None)
        record("user.unlock", actor=actor, obj=user)


# --- users -----------------------------------------------------------------------------------------


def _personal_fields(id_number: str | None, phone: str | None) -> dict[str, str]:
    """Validated, encrypted-at-rest personal fields with their blind indexes ("" clears a field)."""
    fields: dict[str, str] = {}
    try:
        if id_number is not None:
            number = parse_id_number(id_number).number if id_number.strip() else ""
            fields.update(id_number=number, id_number_index=blind_index(number) if number else "")
    except InvalidValue as exc:
        raise field_error("id_number", exc.message, exc.code) from exc
    try:
        if phone is not None:
            mobile = parse_mobile(phone) if phone.strip() else ""
            fields.update(phone=mobile, phone_index=blind_index(mobile) if mobile else "")
    except InvalidValue as exc:
        raise field_error("phone", exc.message, exc.code) from exc
    return fields


@transaction.atomic
def create_superuser(
    username: str, password: str | None, *, full_name: str = "", email: str = "", via: str
) -> User:
    """Bootstrap: a superuser made from the command line (no acting user yet). ``password=None``
    gives an unusable password (a system account nobody logs in as)."""
    if User.objects.filter(username__iexact=username).exists():
        raise field_error("username", _("This username is taken."), "username_taken")
    user = User(username=username, full_name=full_name, email=email, is_superuser=True, is_staff=True)
    if password is None:
        user.set_unusable_password()
    else:
        _check_password(password, user)
        user.set_password(password)
    user.save()
    record(
        "user.create",
        actor=None,
        obj=user,
        username=f"({via})",
        changes={"username": username, "is_superuser": True},
    )
    return user


def _check_password(password: str, user: User) -> None:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInput(exc.messages[0], code="weak_password", details={"password": exc.messages}) from exc


def _clean_roles(roles: Iterable[str]) -> list[str]:
    roles = sorted(set(roles))
    unknown = [r for r in roles if r not in Role.values]
    if unknown:
        raise field_error(
            "roles", _("Unknown role: %(roles)s") % {"roles": ", ".join(unknown)}, "unknown_role"
        )
    return roles


@transaction.atomic
def create_user(
    actor: User | AnonymousUser,
    *,
    username: str,
    password: str,
    unit_code: str | None,
    roles: Iterable[str],
    full_name: str = "",
    email: str = "",
    id_number: str = "",
    phone: str = "",
    is_superuser: bool = False,
) -> User:
    admin = require_role(actor, Role.ADMIN)
    username = username.strip()
    if not USERNAME_RE.match(username):
        raise field_error(
            "username",
            _("A username has 3 to 60 letters, digits or the characters _ . @ -."),
            "invalid_username",
        )
    if User.objects.filter(username__iexact=username).exists():
        raise field_error("username", _("This username is taken."), "username_taken")
    if is_superuser and not admin.is_superuser:
        raise field_error("is_superuser", _("Only a superuser can create a superuser."), "permission_denied")
    unit = get_in_scope(Unit, admin, code=unit_code) if unit_code else None
    clean_roles = _clean_roles(roles)
    if not clean_roles and not is_superuser:
        raise field_error("roles", _("Give the user at least one role."), "roles_required")
    if unit is None and not is_superuser and set(clean_roles) != {Role.RESIDENT}:
        raise field_error("unit_code", _("A staff user must belong to a unit."), "unit_required")
    personal = _personal_fields(id_number, phone)
    user = User(
        username=username,
        full_name=full_name.strip(),
        email=email.strip(),
        unit=unit,
        is_superuser=is_superuser,
        is_staff=is_superuser,
        **personal,
    )
    _check_password(password, user)
    user.set_password(password)
    user.save()
    UserRole.objects.bulk_create(UserRole(user=user, role=r) for r in clean_roles)
    if unit is not None:
        ensure_in_scope(user, admin)
    record("user.create", actor=admin, obj=user, changes=diff({}, _snapshot(user)))
    return user


@transaction.atomic
def update_user(
    actor: User | AnonymousUser,
    user: User,
    *,
    expected_version: int | None = None,
    full_name: str | None = None,
    email: str | None = None,
    unit_code: str | None = None,
    roles: Iterable[str] | None = None,
    is_active: bool | None = None,
    id_number: str | None = None,
    phone: str | None = None,
) -> User:
    admin = require_role(actor, Role.ADMIN)
    user = get_in_scope(User, admin, pk=user.pk)
    before = _snapshot(user)
    changes: dict[str, Any] = _personal_fields(id_number, phone)
    if full_name is not None:
        changes["full_name"] = full_name.strip()
    if email is not None:
        changes["email"] = email.strip()
    if unit_code is not None:
        changes["unit"] = get_in_scope(Unit, admin, code=unit_code)
    if is_active is not None:
        if user.pk == admin.pk and not is_active:
            raise field_error("is_active", _("You cannot deactivate yourself."), "cannot_deactivate_self")
        changes["is_active"] = is_active
    update_versioned(user, expected_version, changes)
    if roles is not None:
        clean_roles = _clean_roles(roles)
        if not clean_roles and not user.is_superuser:
            # Without a role an account would still log in and see its unit's pages: deactivate it instead.
            raise field_error("roles", _("Give the user at least one role."), "roles_required")
        UserRole.objects.filter(user=user).exclude(role__in=clean_roles).delete()
        UserRole.objects.bulk_create(
            [UserRole(user=user, role=r) for r in clean_roles], ignore_conflicts=True
        )
    ensure_in_scope(user, admin)
    record("user.update", actor=admin, obj=user, changes=diff(before, _snapshot(user)))
    return user


@transaction.atomic
def set_password(
    actor: User | AnonymousUser, user: User, password: str, *, old_password: str | None = None
) -> User:
    """Users change their own password (with the old one); administrators reset others'."""
    if actor.is_authenticated and actor.pk == user.pk and old_password is not None:
        if not user.check_password(old_password):
            raise field_error("old_password", _("The current password is wrong."), "invalid_credentials")
        acting: User = user
    else:
        acting = require_role(actor, Role.ADMIN)
        user = get_in_scope(User, acting, pk=user.pk)
    _check_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    record("user.set_password", actor=acting, obj=user)
    return user


def reveal_personal_data(actor: User | AnonymousUser, user: User, *, purpose: str = "") -> dict[str, str]:
    """The full ID number and phone of a user in scope, for administrators only; every call is audited."""
    admin = require_role(actor, Role.ADMIN)
    user = get_in_scope(User, admin, pk=user.pk)
    record_sensitive_view(admin, user, ["id_number", "phone"], purpose=purpose)
    return {"id_number": user.id_number, "phone": user.phone}


# --- API tokens ------------------------------------------------------------------------------------


def issue_token(
    actor: User | AnonymousUser, user: User, name: str, *, raw: str | None = None
) -> tuple[ApiToken, str]:
    """A new token for ``user`` (oneself, or an administrator for a user in scope). ``raw`` is shown once."""
    if not (actor.is_authenticated and actor.pk == user.pk):
        admin = require_role(actor, Role.ADMIN)
        user = get_in_scope(User, admin, pk=user.pk)
    raw = raw or TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name[:60] or "api", prefix=raw[:8], key_hash=hash_token(raw)
        )
        record("token.issue", actor=actor, obj=token, changes={"user": user.username, "name": token.name})
    return token, raw


def revoke_token(actor: User | AnonymousUser, token: ApiToken) -> None:
    if not (actor.is_authenticated and actor.pk == token.user_id):
        admin = require_role(actor, Role.ADMIN)
        get_in_scope(User, admin, pk=token.user_id)
    with transaction.atomic():
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
        token_cache.reset()
        transaction.on_commit(token_cache.reset)
        record("token.revoke", actor=actor, obj=token)


def authenticate_token(raw: str) -> User | None:
    """The active user behind a bearer token, or None. Touches last-used at most once a minute."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    now = timezone.now()
    key_hash = hash_token(raw)
    entry = token_cache.get(key_hash)
    if entry is None:
        token = (
            ApiToken.objects.select_related("user", "user__unit__region")
            .filter(key_hash=key_hash, revoked_at__isnull=True)
            .first()
        )
        if token is None or not token.user.is_active:
            return None
        token.user.role_codes  # noqa: B018 - loaded once, kept with the cached user
        entry = token_cache.Entry(
            token.user, token.pk, token.expires_at, token.last_used_at, time.monotonic()
        )
        token_cache.put(key_hash, entry)
    if entry.expires_at and entry.expires_at <= now:
        return None
    if entry.last_used_at is None or now - entry.last_used_at > timedelta(
        seconds=settings.API_TOKEN_TOUCH_SECONDS
    ):
        ApiToken.objects.filter(pk=entry.token_pk).update(last_used_at=now)
        entry.last_used_at = now
    return token_cache.user_copy(entry)
