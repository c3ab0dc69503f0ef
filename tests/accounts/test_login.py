from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from jiceng.accounts.actions import AccountLocked, LoginFailed, attempt_login
from jiceng.accounts.models import User
from jiceng.audit.models import AuditEntry
from tests.conftest import PASSWORD, Org


def post_login(client: Client, username: str, password: str):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_login_page_is_chinese_and_login_works(org: Org) -> None:
    client = Client()
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'lang="zh-CN"' in html
    assert "登录" in html
    response = post_login(client, "a_dispatcher", PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert "a_dispatcher" in home.content.decode()
    assert AuditEntry.objects.filter(action="auth.login", username="a_dispatcher", result="ok").count() == 1


def test_six_wrong_passwords_lock_the_account_and_every_attempt_is_audited(org: Org) -> None:
    client = Client()
    for attempt in range(1, 7):
        response = post_login(client, "a_handler", "wrong-Password1")
        assert response.status_code == 200
        text = response.content.decode()
        if attempt < 5:
            assert "用户名或密码错误" in text
        else:
            assert "已被锁定" in text
    user = User.objects.get(username="a_handler")
    assert user.locked_until is not None and user.locked_until > timezone.now() + timedelta(minutes=14)
    # Even the right password is refused while locked.
    assert "已被锁定" in post_login(client, "a_handler", PASSWORD).content.decode()
    assert "_auth_user_id" not in client.session
    entries = AuditEntry.objects.filter(username="a_handler").order_by("id")
    actions = [e.action for e in entries]
    assert actions.count("auth.login_failed") == 5
    assert actions.count("auth.locked") == 1
    assert actions.count("auth.login_refused_locked") == 2
    assert all(e.result != "ok" for e in entries)


def test_lock_expires_after_the_lock_period(org: Org) -> None:
    user = org.user("a", "handler")
    User.objects.filter(pk=user.pk).update(locked_until=timezone.now() - timedelta(seconds=1))
    assert attempt_login("a_handler", PASSWORD).pk == user.pk
    user.refresh_from_db()
    assert user.locked_until is None and user.failed_logins == 0


def test_a_success_resets_the_failure_count(org: Org) -> None:
    for _ in range(4):
        with pytest.raises(LoginFailed):
            attempt_login("a_handler", "nope")
    attempt_login("a_handler", PASSWORD)
    for _ in range(4):
        with pytest.raises(LoginFailed):
            attempt_login("a_handler", "nope")
    with pytest.raises(AccountLocked):
        attempt_login("a_handler", "nope")


def test_unknown_user_gets_the_same_answer_and_is_audited(org: Org) -> None:
    with pytest.raises(LoginFailed) as known:
        attempt_login("a_handler", "nope")
    with pytest.raises(LoginFailed) as unknown:
        attempt_login("nobody_here", "nope")
    assert str(known.value.message) == str(unknown.value.message)
    assert AuditEntry.objects.filter(action="auth.login_failed", username="nobody_here").exists()


def test_inactive_user_cannot_log_in(org: Org) -> None:
    User.objects.filter(username="a_handler").update(is_active=False)
    with pytest.raises(LoginFailed):
        attempt_login("a_handler", PASSWORD)


def test_open_redirect_is_refused(org: Org) -> None:
    client = Client()
    response = client.post(
        "/accounts/login/?next=https://evil.example/",
        {"username": "a_dispatcher", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response.status_code == 302 and response["Location"] == "/"


def test_logout_needs_post_and_is_audited(org: Org, page_as) -> None:
    client = page_as(org.user("a", "dispatcher"))
    assert client.get("/accounts/logout/").status_code == 405
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/").status_code == 302
    assert AuditEntry.objects.filter(action="auth.logout", username="a_dispatcher").exists()


def test_idle_timeout_is_thirty_minutes_and_sliding(settings) -> None:
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True


def test_passwords_are_hashed_with_argon2_in_production_settings(org: Org, settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    user = org.user("a", "handler")
    user.set_password("Another#Pass1")
    user.save()
    assert User.objects.get(pk=user.pk).password.startswith("argon2")


def test_a_resident_who_logs_in_lands_on_the_resident_pages(org: Org, page_as) -> None:
    response = page_as(org.user("none", "resident")).get("/")
    assert response.status_code == 302 and response["Location"] == "/portal/"
    assert page_as(org.user("a", "dispatcher")).get("/").status_code == 200


def test_a_grid_worker_who_logs_in_lands_on_the_mobile_office(org: Org, page_as) -> None:
    """Not on the counts of townships, grids and staff accounts, which are no work of theirs."""
    response = page_as(org.user("a", "grid_worker")).get("/")
    assert response.status_code == 302 and response["Location"] == "/worktools/m/"
