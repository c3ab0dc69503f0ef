"""The portal's demo step on the demo county's core steps."""

from __future__ import annotations

import random
from io import StringIO
from typing import Any

import pytest
from django.test import Client

from jiceng.accounts.actions import create_superuser
from jiceng.demo.county import DEMO_SEED, build_plan
from jiceng.demo.loader import SYSTEM_USERNAME, accounts_document, discover_steps
from jiceng.demo.steps import ACCOUNTS_FILE_EXTRAS, DEMO_STEPS, DemoContext
from jiceng.portal.models import (
    Consultation,
    Notice,
    NoticeRead,
    Opinion,
    ResidentProfile,
    VolunteerSignup,
    Vote,
)
from jiceng.portal.open311.actions import authenticate

CORE_STEPS = ("org.regions", "org.units", "accounts.users")


@pytest.mark.django_db
def test_the_portal_demo_step(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    discover_steps()
    ctx = DemoContext(
        actor=create_superuser(SYSTEM_USERNAME, None, full_name="演示数据", via="demo"),
        seed=DEMO_SEED,
        plan=build_plan(DEMO_SEED),
        stdout=StringIO(),
    )
    for name in (*CORE_STEPS, "portal.demo.portal"):
        ctx.rng = random.Random(f"{DEMO_SEED}:{name}")
        DEMO_STEPS[name].func(ctx)
    assert ResidentProfile.objects.count() == 32
    assert ResidentProfile.objects.filter(verified_at__isnull=False).count() == 24
    assert Notice.objects.count() == 4 and NoticeRead.objects.exists()
    assert Opinion.objects.exclude(reply="").count() == 3
    assert Vote.objects.filter(consultation=Consultation.objects.get()).count() == 6
    assert VolunteerSignup.objects.filter(hours__isnull=False).count() == 5
    key = ctx.extra["open311_api_key"]
    assert key in ctx.stdout.getvalue()  # type: ignore[union-attr]
    response = Client().post(
        "/open311/v2/requests.json",
        {"api_key": key, "jurisdiction_id": "331129", "service_code": "nope", "address_string": "x"},
    )
    assert response.status_code == 404  # the key is accepted; the service code is not
    # The accounts file carries the printed key; written again later, a fresh one (the old one revoked).
    make = ACCOUNTS_FILE_EXTRAS["open311_api_key"]
    assert accounts_document([], {"open311_api_key": make(ctx.actor)})["open311_api_key"] == key
    fresh = make(ctx.actor)
    assert fresh != key and authenticate(fresh) is not None and authenticate(key) is None
