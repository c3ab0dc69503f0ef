"""Every write about resident accounts: SMS codes, sign-up, log-in, consents (个人信息保护法), real-name
verification, and a resident's own export and erasure of their data.

Residents are ``accounts.User`` rows with the ``resident`` role and no unit; the phone and ID number are
kept on the user, encrypted with blind indexes, exactly as for staff."""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.contrib.auth import password_validation
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiceng.accounts.actions import LoginFailed, attempt_login
from jiceng.accounts.models import User, UserRole
from jiceng.accounts.permissions import require_role
from jiceng.accounts.roles import Role
from jiceng.audit.actions import record
from jiceng.core.crypto import blind_index
from jiceng.core.errors import InvalidInput, NotAuthenticated, PermissionDenied, field_error
from jiceng.core.scope import get_in_scope
from jiceng.core.validators import InvalidValue, parse_id_number, parse_mobile
from jiceng.events.models import Event
from jiceng.notifications.actions import send_sms
from jiceng.org.models import Region, RegionLevel
from jiceng.portal import ratelimit
from jiceng.portal.models import (
    Comment,
    Consent,
    ConsentKind,
    NoticeRead,
    Opinion,
    ResidentProfile,
    SmsCode,
    VolunteerSignup,
    Vote,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

# Bump when the text of the notice changes: residents are asked to agree again.
PRIVACY_VERSION = "2026.1"
SENSITIVE_VERSION = "2026.1"
CODE_MINUTES = 5
CODE_ATTEMPTS = 5
RESEND_SECONDS = 60
COMMUNITY_LEVELS = (RegionLevel.VILLAGE,)


class CodeRejected(InvalidInput):
    status = 422
    code = "invalid_code"
    default_message = gettext_lazy("The verification code is wrong or has expired.")


def _phone(value: str) -> str:
    try:
        return parse_mobile(value)
    except InvalidValue as exc:
        raise field_error("phone", exc.message, exc.code) from exc


def _code_hash(phone: str, code: str) -> str:
    return blind_index(f"sms:{phone}:{code}")


def resident(actor: User | AnonymousUser | None) -> User:
    """The acting user, if a logged-in resident."""
    if actor is None or not actor.is_authenticated:
        raise NotAuthenticated()
    if not actor.has_role(Role.RESIDENT) or actor.unit_id is not None:
        raise PermissionDenied(_("This is for residents."))
    return actor


def profile_of(user: User) -> ResidentProfile | None:
    return ResidentProfile.objects.select_related("region").filter(user=user).first()


def _resident_by_phone(phone: str) -> User | None:
    return (
        User.objects.filter(phone_index=blind_index(phone), roles__role=Role.RESIDENT, unit__isnull=True)
        .order_by("pk")
        .first()
    )


# --- SMS codes ----------------------------------------------------------------------------------------


def request_code(phone: str, purpose: str, *, ip: str = "", now: datetime | None = None) -> None:
    """Text a 6-digit code to ``phone``. Same answer whether or not the phone has an account."""
    if purpose not in ("signup", "login"):
        raise field_error("purpose", _("Unknown purpose."), "invalid_purpose")
    phone = _phone(phone)
    now = now or timezone.now()
    index = blind_index(phone)
    if SmsCode.objects.filter(
        phone_index=index, purpose=purpose, created_at__gt=now - timedelta(seconds=RESEND_SECONDS)
    ).exists():
        raise ratelimit.RateLimited(_("Wait a minute before asking for another code."))
    ratelimit.hit(f"sms:phone-hour:{index}", 5, 3600, now=now)
    if ip:
        ratelimit.hit(f"sms:ip:{ip}", 20, 3600, now=now)
    code = f"{secrets.randbelow(1_000_000):06d}"
    with transaction.atomic():
        SmsCode.objects.filter(phone_index=index, purpose=purpose, used_at__isnull=True).update(used_at=now)
        SmsCode.objects.create(
            phone_index=index,
            code_hash=_code_hash(phone, code),
            purpose=purpose,
            created_at=now,
            expires_at=now + timedelta(minutes=CODE_MINUTES),
        )
    send_sms(
        phone,
        _("[Jiceng] Your verification code is %(code)s, valid for %(minutes)d minutes. Do not tell anyone.")
        % {"code": code, "minutes": CODE_MINUTES},
    )


def _use_code(phone: str, code: str, purpose: str, now: datetime) -> None:
    """Consume the phone's current code; wrong codes count, and the code dies after CODE_ATTEMPTS."""
    index = blind_index(phone)
    current = (
        SmsCode.objects.filter(phone_index=index, purpose=purpose, used_at__isnull=True, expires_at__gt=now)
        .order_by("-id")
        .first()
    )
    if current is None or current.attempts >= CODE_ATTEMPTS:
        raise CodeRejected()
    if not hmac.compare_digest(current.code_hash, _code_hash(phone, code.strip())):
        SmsCode.objects.filter(pk=current.pk).update(attempts=F("attempts") + 1)
        raise CodeRejected()
    if SmsCode.objects.filter(pk=current.pk, used_at__isnull=True).update(used_at=now) != 1:
        raise CodeRejected()


# --- sign-up and log-in -------------------------------------------------------------------------------


def communities() -> list[Region]:
    return list(Region.objects.filter(level__in=COMMUNITY_LEVELS, is_active=True).order_by("code"))


def _community(code: str) -> Region:
    region = Region.objects.filter(code=code, level__in=COMMUNITY_LEVELS, is_active=True).first()
    if region is None:
        raise field_error("community", _("Choose your village or community."), "invalid_community")
    return region


def sign_up(
    *,
    phone: str,
    code: str,
    community: str,
    privacy_version: str,
    sensitive_consent: bool = False,
    full_name: str = "",
    password: str = "",
    now: datetime | None = None,
) -> User:
    """A new resident account, after the SMS code and agreement to the current privacy notice. Consent
    to processing sensitive personal data is asked separately and may be given later."""
    now = now or timezone.now()
    phone = _phone(phone)
    if privacy_version != PRIVACY_VERSION:
        raise field_error("privacy", _("Please read and agree to the privacy notice."), "consent_required")
    region = _community(community)
    _use_code(phone, code, "signup", now)  # outside the transaction: wrong tries must count
    with transaction.atomic():
        if _resident_by_phone(phone) is not None:
            raise field_error("phone", _("This phone number already has an account: log in."), "phone_taken")
        user = User(
            username=f"r{secrets.token_hex(6)}",
            full_name=full_name.strip()[:60],
            phone=phone,
            phone_index=blind_index(phone),
        )
        if password:
            try:
                password_validation.validate_password(password, user)
            except ValidationError as exc:
                raise InvalidInput(
                    exc.messages[0], code="weak_password", details={"password": exc.messages}
                ) from exc
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
        UserRole.objects.create(user=user, role=Role.RESIDENT)
        ResidentProfile.objects.create(user=user, region=region, region_code=region.code)
        Consent.objects.create(user=user, kind=ConsentKind.PRIVACY, version=PRIVACY_VERSION, given_at=now)
        if sensitive_consent:
            Consent.objects.create(
                user=user, kind=ConsentKind.SENSITIVE, version=SENSITIVE_VERSION, given_at=now
            )
        record(
            "resident.sign_up",
            actor=user,
            obj=user,
            changes={"community": region.code, "sensitive_consent": sensitive_consent},
        )
    return user


@transaction.atomic
def register_at_window(
    actor: User | AnonymousUser | None,
    *,
    phone: str,
    community: str,
    full_name: str,
    id_number: str = "",
    sensitive_consent: bool = False,
    now: datetime | None = None,
) -> User:
    """Staff register a resident who is present at the service window (代为注册): the resident reads
    and signs the notices there, so the consents are recorded the same way as online."""
    staff = require_role(actor, Role.ADMIN, Role.VILLAGE_CADRE, Role.DISPATCHER)
    now = now or timezone.now()
    phone = _phone(phone)
    region = _community(community)
    get_in_scope(Region, staff, code=region.code)
    if _resident_by_phone(phone) is not None:
        raise field_error("phone", _("This phone number already has an account: log in."), "phone_taken")
    user = User(
        username=f"r{secrets.token_hex(6)}",
        full_name=full_name.strip()[:60],
        phone=phone,
        phone_index=blind_index(phone),
    )
    user.set_unusable_password()
    user.save()
    UserRole.objects.create(user=user, role=Role.RESIDENT)
    ResidentProfile.objects.create(user=user, region=region, region_code=region.code)
    Consent.objects.create(user=user, kind=ConsentKind.PRIVACY, version=PRIVACY_VERSION, given_at=now)
    if sensitive_consent:
        Consent.objects.create(user=user, kind=ConsentKind.SENSITIVE, version=SENSITIVE_VERSION, given_at=now)
    record("resident.register_at_window", actor=staff, obj=user, changes={"community": region.code})
    if id_number:
        if not sensitive_consent:
            raise PermissionDenied(_("Agree to the processing of sensitive personal information first."))
        _set_verified(user, full_name, id_number, now)
    return user


def log_in_with_code(phone: str, code: str, *, now: datetime | None = None) -> User:
    now = now or timezone.now()
    phone = _phone(phone)
    _use_code(phone, code, "login", now)
    with transaction.atomic():
        user = _resident_by_phone(phone)
        if user is None or not user.is_active:
            raise CodeRejected()
        User.objects.filter(pk=user.pk).update(last_login=now, failed_logins=0, locked_until=None)
        record("auth.login", actor=user, obj=user, changes={"method": "sms"})
    return user


def log_in_with_password(phone: str, password: str) -> User:
    """Password log-in by phone number, with the same lockout as staff log-in."""
    user = _resident_by_phone(_phone(phone))
    if user is None:
        raise LoginFailed(_("Wrong phone number or password."))
    return attempt_login(user.username, password)


# --- consents and real-name verification --------------------------------------------------------------


def current_consents(user: User) -> dict[str, Consent]:
    """The consents in force (not withdrawn), newest per kind."""
    found: dict[str, Consent] = {}
    for consent in Consent.objects.filter(user=user, withdrawn_at__isnull=True).order_by("-given_at"):
        found.setdefault(consent.kind, consent)
    return found


def has_sensitive_consent(user: User) -> bool:
    consent = current_consents(user).get(ConsentKind.SENSITIVE)
    return consent is not None and consent.version == SENSITIVE_VERSION


@transaction.atomic
def give_consent(actor: User | AnonymousUser | None, kind: str, *, now: datetime | None = None) -> Consent:
    user = resident(actor)
    if kind not in ConsentKind.values:
        raise field_error("kind", _("Unknown consent."), "invalid_consent")
    version = PRIVACY_VERSION if kind == ConsentKind.PRIVACY else SENSITIVE_VERSION
    consent = Consent.objects.create(user=user, kind=kind, version=version, given_at=now or timezone.now())
    record("resident.consent", actor=user, obj=user, changes={"kind": kind, "version": version})
    return consent


@transaction.atomic
def withdraw_sensitive_consent(actor: User | AnonymousUser | None, *, now: datetime | None = None) -> None:
    """Withdrawing consent stops the processing: the ID number is deleted and real-name status lapses."""
    user = resident(actor)
    now = now or timezone.now()
    Consent.objects.filter(user=user, kind=ConsentKind.SENSITIVE, withdrawn_at__isnull=True).update(
        withdrawn_at=now
    )
    User.objects.filter(pk=user.pk).update(id_number="", id_number_index="")
    ResidentProfile.objects.filter(user=user).update(verified_at=None, version=F("version") + 1)
    record("resident.consent_withdrawn", actor=user, obj=user, changes={"kind": ConsentKind.SENSITIVE})


def _set_verified(user: User, full_name: str, id_number: str, now: datetime | None) -> ResidentProfile:
    full_name = full_name.strip()
    if not 2 <= len(full_name) <= 30:
        raise field_error("full_name", _("Enter your name as on your ID card."), "invalid_name")
    try:
        number = parse_id_number(id_number).number
    except InvalidValue as exc:
        raise field_error("id_number", exc.message, exc.code) from exc
    index = blind_index(number)
    if (
        User.objects.filter(id_number_index=index, roles__role=Role.RESIDENT, unit__isnull=True)
        .exclude(pk=user.pk)
        .exists()
    ):
        raise field_error(
            "id_number", _("This ID number is already verified on another account."), "id_number_taken"
        )
    profile = ResidentProfile.objects.select_for_update().get(user=user)
    User.objects.filter(pk=user.pk).update(full_name=full_name, id_number=number, id_number_index=index)
    user.full_name, user.id_number, user.id_number_index = full_name, number, index
    profile.verified_at = now or timezone.now()
    profile.version += 1
    profile.save(update_fields=["verified_at", "version"])
    return profile


@transaction.atomic
def verify_real_name(
    actor: User | AnonymousUser | None, *, full_name: str, id_number: str, now: datetime | None = None
) -> ResidentProfile:
    """Real-name verification: the ID number must pass the GB 11643 check and belong to no other
    resident. (A check against the public-security identity service plugs in here.)"""
    user = resident(actor)
    if not has_sensitive_consent(user):
        raise PermissionDenied(_("Agree to the processing of sensitive personal information first."))
    profile = _set_verified(user, full_name, id_number, now)
    record("resident.verified", actor=user, obj=user, changes={"id_number": user.id_number_masked})
    return profile


@transaction.atomic
def change_community(actor: User | AnonymousUser | None, community: str) -> ResidentProfile:
    """Set or change the resident's village or community (a real-name status stays with the person)."""
    user = resident(actor)
    region = _community(community)
    profile = ResidentProfile.objects.select_for_update().filter(user=user).first()
    before = profile.region_code if profile else ""
    if profile is None:
        profile = ResidentProfile.objects.create(user=user, region=region, region_code=region.code)
    else:
        profile.region, profile.region_code = region, region.code
        profile.version += 1
        profile.save(update_fields=["region", "region_code", "version"])
    record("resident.community", actor=user, obj=user, changes={"before": before, "after": region.code})
    return profile


# --- the resident's own data --------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def export_data(actor: User | AnonymousUser | None) -> dict[str, Any]:
    """Everything the platform holds about the resident, in full (it is their own), audited."""
    user = resident(actor)
    profile = profile_of(user)
    data: dict[str, Any] = {
        "account": {
            "full_name": user.full_name,
            "phone": user.phone,
            "id_number": user.id_number,
            "date_joined": _iso(user.date_joined),
            "last_login": _iso(user.last_login),
        },
        "community": {
            "code": profile.region_code if profile else None,
            "name": profile.region.name if profile else None,
            "real_name_verified_at": _iso(profile.verified_at) if profile else None,
        },
        "consents": [
            {
                "kind": c.kind,
                "version": c.version,
                "given_at": _iso(c.given_at),
                "withdrawn_at": _iso(c.withdrawn_at),
            }
            for c in Consent.objects.filter(user=user).order_by("given_at")
        ],
        "reports": [
            {
                "ref": e.ref,
                "title": e.title,
                "description": e.description,
                "state": e.state,
                "reported_at": _iso(e.reported_at),
                "evaluation": e.evaluation,
            }
            for e in Event.objects.filter(reporter=user).order_by("id")
        ],
        "opinions": [
            {"title": o.title, "body": o.body, "submitted_at": _iso(o.created_at), "reply": o.reply}
            for o in Opinion.objects.filter(author=user).order_by("id")
        ],
        "votes": [
            {"consultation": v.consultation.title, "option": v.option.label, "cast_at": _iso(v.cast_at)}
            for v in Vote.objects.filter(user=user).select_related("consultation", "option")
        ],
        "comments": [
            {"consultation": c.consultation_id, "body": c.body} for c in Comment.objects.filter(author=user)
        ],
        "volunteering": [
            {
                "activity": s.activity.title,
                "signed_up_at": _iso(s.signed_up_at),
                "checked_in_at": _iso(s.checked_in_at),
                "hours": str(s.hours) if s.hours is not None else None,
            }
            for s in VolunteerSignup.objects.filter(user=user).select_related("activity")
        ],
        "notices_read": NoticeRead.objects.filter(user=user).count(),
    }
    record("resident.export", actor=user, obj=user)
    return data


@transaction.atomic
def erase_account(
    actor: User | AnonymousUser | None, *, confirm_phone: str, now: datetime | None = None
) -> None:
    """Delete the account's personal data (个人信息删除权). The account is closed and anonymized; the
    reports stay for the work done on them, without the reporter's name and phone; votes and volunteer
    hours stay in the totals without a person behind them."""
    user = resident(actor)
    if _phone(confirm_phone) != user.phone:
        raise field_error("confirm_phone", _("Type your phone number to confirm."), "confirmation_mismatch")
    now = now or timezone.now()
    # The events module keeps the reporter's contact on the event; erasure clears it there too.
    Event.objects.filter(reporter=user).update(reporter_name="", reporter_phone="", reporter_phone_index="")
    Opinion.objects.filter(author=user).update(body=_("(deleted by the resident)"), public=False)
    Comment.objects.filter(author=user).update(body=_("(deleted by the resident)"), hidden=True)
    NoticeRead.objects.filter(user=user).delete()
    SmsCode.objects.filter(phone_index=user.phone_index).delete()
    ResidentProfile.objects.filter(user=user).update(verified_at=None)
    Consent.objects.filter(user=user, withdrawn_at__isnull=True).update(withdrawn_at=now)
    User.objects.filter(pk=user.pk).update(
        username=f"erased_{user.pk}",
        full_name="",
        email="",
        phone="",
        phone_index="",
        id_number="",
        id_number_index="",
        is_active=False,
        password=make_password(None),
    )
    record("resident.erased", actor=user, obj=user)
