"""Resident accounts: SMS sign-up and log-in, password log-in, consents with versions, real-name
verification, export and erasure."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from jiceng.accounts.actions import LoginFailed
from jiceng.accounts.models import User
from jiceng.accounts.roles import Role
from jiceng.audit.models import AuditEntry
from jiceng.core.errors import InvalidInput, PermissionDenied
from jiceng.events.actions import report_event
from jiceng.notifications.models import SmsMessage
from jiceng.portal import residents
from jiceng.portal.models import Consent, ConsentKind, ResidentProfile, SmsCode
from jiceng.portal.ratelimit import RateLimited
from tests.conftest import Org
from tests.events.conftest import IN_GRID_A
from tests.portal.conftest import ID_NUMBERS, last_code, make_resident

pytestmark = pytest.mark.django_db


def test_sign_up_by_sms_code_records_consents_with_version(org: Org) -> None:
    residents.request_code("139 0000 0001", "signup")
    sms = SmsMessage.objects.get()
    assert sms.phone_masked == "139****0001" and "13900000001" not in sms.phone_index
    assert not SmsCode.objects.filter(code_hash__contains=last_code()).exists()  # only a keyed hash
    user = residents.sign_up(
        phone="13900000001",
        code=last_code(),
        community=org.regions["village_a"].code,
        privacy_version=residents.PRIVACY_VERSION,
    )
    assert user.has_role(Role.RESIDENT) and user.unit is None and not user.has_usable_password()
    assert User.objects.get(pk=user.pk).phone == "13900000001"
    assert ResidentProfile.objects.get(user=user).region_code == org.regions["village_a"].code
    consent = Consent.objects.get(user=user)
    assert (consent.kind, consent.version) == (ConsentKind.PRIVACY, residents.PRIVACY_VERSION)
    assert consent.given_at is not None
    assert not residents.has_sensitive_consent(user)


def test_sign_up_needs_the_privacy_notice_the_right_code_and_a_new_phone(org: Org) -> None:
    village = org.regions["village_a"].code
    residents.request_code("13900000001", "signup")
    code = last_code()
    with pytest.raises(InvalidInput) as refused:
        residents.sign_up(phone="13900000001", code=code, community=village, privacy_version="")
    assert refused.value.code == "consent_required"
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(InvalidInput) as refused:
        residents.sign_up(
            phone="13900000001", code=wrong, community=village, privacy_version=residents.PRIVACY_VERSION
        )
    assert refused.value.code == "invalid_code"
    with pytest.raises(InvalidInput) as refused:
        residents.sign_up(
            phone="13900000001",
            code=code,
            community=org.regions["township_a"].code,
            privacy_version=residents.PRIVACY_VERSION,
        )
    assert refused.value.code == "invalid_community"
    assert not User.objects.filter(roles__role=Role.RESIDENT, phone_index__gt="").exists()
    make_resident(org, "a", "13900000009")
    SmsCode.objects.all().delete()
    residents.request_code("13900000009", "signup", now=timezone.now() + timedelta(minutes=2))
    with pytest.raises(InvalidInput) as refused:
        residents.sign_up(
            phone="13900000009",
            code=last_code(),
            community=village,
            privacy_version=residents.PRIVACY_VERSION,
        )
    assert refused.value.code == "phone_taken"


def test_codes_expire_die_after_five_wrong_tries_and_are_rate_limited(org: Org) -> None:
    now = timezone.now()
    residents.request_code("13900000001", "login", now=now)
    with pytest.raises(RateLimited):
        residents.request_code("13900000001", "login", now=now + timedelta(seconds=10))
    make_resident(org, "a", "13900000002")
    residents.request_code("13900000002", "login", now=now + timedelta(minutes=2))
    code = last_code()
    for _ in range(5):
        with pytest.raises(InvalidInput):
            residents.log_in_with_code("13900000002", "999999" if code != "999999" else "888888")
    with pytest.raises(InvalidInput):  # the right code, too late
        residents.log_in_with_code("13900000002", code)
    residents.request_code("13900000002", "login", now=now + timedelta(minutes=4))
    code = last_code()
    with pytest.raises(InvalidInput):
        residents.log_in_with_code("13900000002", code, now=now + timedelta(minutes=10))


def test_log_in_by_code_or_password(org: Org) -> None:
    user = make_resident(org, "a", "13900000001", password="Resident#2026")
    residents.request_code("13900000001", "login")
    assert residents.log_in_with_code("13900000001", last_code()) == user
    assert residents.log_in_with_password("13900000001", "Resident#2026") == user
    with pytest.raises(LoginFailed):
        residents.log_in_with_password("13900000001", "wrong")
    with pytest.raises(LoginFailed):
        residents.log_in_with_password("13900000099", "Resident#2026")


def test_real_name_verification_needs_separate_consent_and_a_valid_unique_id(org: Org) -> None:
    user = make_resident(org, "a", "13900000001")
    with pytest.raises(PermissionDenied):
        residents.verify_real_name(user, full_name="李明", id_number=ID_NUMBERS[0])
    residents.give_consent(user, ConsentKind.SENSITIVE)
    with pytest.raises(InvalidInput) as refused:
        residents.verify_real_name(user, full_name="李明", id_number="110105194912310021")
    assert refused.value.code == "invalid_id_number" or "id_number" in refused.value.details
    profile = residents.verify_real_name(user, full_name="李明", id_number=ID_NUMBERS[0])
    assert profile.is_verified
    stored = User.objects.get(pk=user.pk)
    assert stored.id_number == ID_NUMBERS[0] and stored.id_number_masked == "110105********002X"
    other = make_resident(org, "a", "13900000002")
    residents.give_consent(other, ConsentKind.SENSITIVE)
    with pytest.raises(InvalidInput) as refused:
        residents.verify_real_name(other, full_name="李明", id_number=ID_NUMBERS[0])
    assert refused.value.code == "id_number_taken"
    residents.withdraw_sensitive_consent(user)
    assert User.objects.get(pk=user.pk).id_number == ""
    assert not ResidentProfile.objects.get(user=user).is_verified


def test_staff_are_not_residents(org: Org) -> None:
    with pytest.raises(PermissionDenied):
        residents.export_data(org.user("a", "dispatcher"))


def test_export_then_erase_my_data(org: Org, categories: Any) -> None:
    user = make_resident(org, "a", "13900000001", verified_id=ID_NUMBERS[0], name="李明")
    event, _ = report_event(
        user, category="0301", title="垃圾堆放", reporter_phone="13900000001", **IN_GRID_A
    )
    data = residents.export_data(user)
    assert data["account"]["phone"] == "13900000001" and data["account"]["id_number"] == ID_NUMBERS[0]
    assert [r["ref"] for r in data["reports"]] == [event.ref]
    assert {c["kind"] for c in data["consents"]} == {"privacy", "sensitive"}
    assert AuditEntry.objects.filter(action="resident.export").exists()
    with pytest.raises(InvalidInput):
        residents.erase_account(user, confirm_phone="13900000002")
    residents.erase_account(user, confirm_phone="13900000001")
    erased = User.objects.get(pk=user.pk)
    assert not erased.is_active and erased.phone == "" and erased.id_number == "" and erased.full_name == ""
    assert not erased.has_usable_password()
    event.refresh_from_db()
    assert event.reporter_phone == "" and event.reporter_name == ""
    assert not Consent.objects.filter(user=user, withdrawn_at__isnull=True).exists()
    with pytest.raises(InvalidInput):  # nobody can log in to it again
        residents.request_code("13900000001", "login", now=timezone.now() + timedelta(minutes=5))
        residents.log_in_with_code("13900000001", last_code())
