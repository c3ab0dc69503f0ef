from __future__ import annotations

from datetime import date

from jiceng.accounts.models import ApiToken, User
from jiceng.audit.models import AuditEntry
from jiceng.core.validators import make_id_number
from tests.conftest import Org


def test_me_describes_user_roles_unit_and_jurisdiction(org: Org, api_as) -> None:
    body = api_as(org.user("a", "dispatcher")).get("/api/v1/me").json()
    assert body["username"] == "a_dispatcher"
    assert body["roles"] == ["dispatcher"]
    assert body["unit"]["code"] == org.units["command_room_a"].code
    assert body["jurisdiction"] == {
        "everything": False,
        "region_prefix": "330199001",
        "region_code": "330199001000",
        "region_name": "A镇",
        "region_level": "township",
    }


def test_weak_password_is_refused_with_a_chinese_message_and_nothing_written(org: Org, api_as) -> None:
    client = api_as(org.user("a", "admin"))
    base = {
        "username": "new_user",
        "full_name": "王五",
        "unit_code": org.units["station_a"].code,
        "roles": ["handler"],
    }
    for weak in ("short1A", "alllowercase", "new_userAB12#"):
        response = client.post_json("/api/v1/users", {**base, "password": weak})
        assert response.status_code == 422, weak
        body = response.json()
        assert body["code"] == "weak_password"
        assert body["details"]["password"]
        assert any("\u4e00" <= ch <= "\u9fff" for ch in body["message"])
    assert not User.objects.filter(username="new_user").exists()


def test_id_number_is_validated_encrypted_masked_and_revealed_with_audit(org: Org, api_as) -> None:
    client = api_as(org.user("a", "admin"))
    number = make_id_number("330199", date(1990, 3, 7), "123")
    base = {
        "username": "wang5",
        "password": "Str0ng#Pass",
        "unit_code": org.units["station_a"].code,
        "roles": ["handler"],
        "phone": "13812345678",
    }
    bad = client.post_json(
        "/api/v1/users", {**base, "id_number": number[:-1] + ("0" if number[-1] != "0" else "1")}
    )
    assert bad.status_code == 422
    assert bad.json()["code"] == "invalid_id_number"
    assert "id_number" in bad.json()["details"]
    assert not User.objects.filter(username="wang5").exists()

    created = client.post_json("/api/v1/users", {**base, "id_number": number})
    assert created.status_code == 201, created.content
    assert created.json()["id_number_masked"] == number[:6] + "********" + number[-4:]
    assert created.json()["phone_masked"] == "138****5678"
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone FROM accounts_user WHERE username = %s", ["wang5"])
        stored_id, stored_phone = cursor.fetchone()
    assert number not in stored_id and stored_id.startswith("v2:")
    assert "13812345678" not in stored_phone

    # Non-admins (even in scope) cannot see the full value; the admin can, and it is audited.
    denied = api_as(org.user("a", "dispatcher")).get("/api/v1/users/wang5/personal-data")
    assert denied.status_code == 403
    full = client.get("/api/v1/users/wang5/personal-data", {"purpose": "核对"})
    assert full.json() == {"id_number": number, "phone": "13812345678"}
    entry = AuditEntry.objects.get(action="personal_data.view")
    assert entry.username == "a_admin" and entry.object_id == str(User.objects.get(username="wang5").pk)
    # Outsiders get 404 exactly as for a missing user.
    assert api_as(org.user("b", "admin")).get("/api/v1/users/wang5/personal-data").status_code == 404


def test_tokens_are_stored_hashed_revocable_and_track_last_use(org: Org, api_as) -> None:
    user = org.user("a", "handler")
    client = api_as(user)
    issued = client.post_json("/api/v1/me/tokens", {"name": "手机"})
    assert issued.status_code == 201
    raw = issued.json()["token"]
    assert not ApiToken.objects.filter(key_hash=raw).exists()
    assert ApiToken.objects.filter(prefix=raw[:8], user=user).exists()
    from django.test import Client

    fresh = Client(headers={"Authorization": f"Bearer {raw}"})
    assert fresh.get("/api/v1/me").status_code == 200
    token = ApiToken.objects.get(pk=issued.json()["id"])
    assert token.last_used_at is not None
    assert client.delete(f"/api/v1/me/tokens/{token.pk}").status_code == 200
    assert fresh.get("/api/v1/me").status_code == 401
    # Someone else's token id answers 404.
    assert api_as(org.user("b", "handler")).delete(f"/api/v1/me/tokens/{token.pk}").status_code == 404


def test_a_cached_token_sees_role_changes_and_deactivation_at_once(org: Org, api_as, settings) -> None:
    from django.test import Client

    from jiceng.accounts.models import UserRole

    user = org.user("a", "dispatcher")
    raw = api_as(user).post_json("/api/v1/me/tokens", {"name": "bench"}).json()["token"]
    fresh = Client(headers={"Authorization": f"Bearer {raw}"})
    assert "dispatcher" in fresh.get("/api/v1/me").json()["roles"]
    UserRole.objects.create(user=user, role="leader")
    assert "leader" in fresh.get("/api/v1/me").json()["roles"]
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert fresh.get("/api/v1/me").status_code == 401
    # A change that bypasses the model (a bulk update) is noticed once the cache entry expires.
    user.is_active = True
    user.save(update_fields=["is_active"])
    assert fresh.get("/api/v1/me").status_code == 200
    User.objects.filter(pk=user.pk).update(is_active=False)
    settings.API_TOKEN_CACHE_SECONDS = 0
    assert fresh.get("/api/v1/me").status_code == 401


def test_session_api_writes_need_csrf(org: Org) -> None:
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(org.user("a", "handler"))
    assert client.get("/api/v1/me").status_code == 200
    response = client.post("/api/v1/me/tokens", {"name": "x"}, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"
    assert not ApiToken.objects.filter(user=org.user("a", "handler")).exists()


def test_admin_resets_password_and_user_changes_own(org: Org, api_as) -> None:
    target = org.user("a", "handler")
    admin = api_as(org.user("a", "admin"))
    assert admin.post_json("/api/v1/users/a_handler/password", {"password": "Reset#Pass9"}).status_code == 200
    target.refresh_from_db()
    assert target.check_password("Reset#Pass9")
    own = api_as(target)
    wrong = own.post_json(
        "/api/v1/users/a_handler/password", {"password": "Mine#Pass99", "old_password": "x"}
    )
    assert wrong.status_code == 422
    ok = own.post_json(
        "/api/v1/users/a_handler/password", {"password": "Mine#Pass99", "old_password": "Reset#Pass9"}
    )
    assert ok.status_code == 200
    # A handler cannot reset someone else's password.
    assert (
        own.post_json("/api/v1/users/a_dispatcher/password", {"password": "Other#Pass99"}).status_code == 403
    )


def test_roles_and_unit_changes_are_audited_with_before_and_after(org: Org, api_as) -> None:
    admin = api_as(org.user("a", "admin"))
    response = admin.patch_json("/api/v1/users/a_handler", {"roles": ["handler", "grid_worker"]})
    assert response.status_code == 200
    assert sorted(response.json()["roles"]) == ["grid_worker", "handler"]
    entry = AuditEntry.objects.filter(action="user.update").latest("id")
    assert entry.changes["roles"] == {"before": ["handler"], "after": ["grid_worker", "handler"]}
    moved = admin.patch_json("/api/v1/users/a_handler", {"unit_code": org.units["station_b"].code})
    assert moved.status_code == 404
    assert User.objects.get(username="a_handler").unit == org.units["station_a"]


def test_an_account_needs_a_role(org: Org, api_as) -> None:
    """Without a role an account would log in and see its unit's pages: refused on create and update."""
    client = api_as(org.user("a", "admin"))
    created = client.post_json(
        "/api/v1/users",
        {
            "username": "no_role",
            "full_name": "王五",
            "unit_code": org.units["station_a"].code,
            "roles": [],
            "password": "Strong-Pass-2026!",
        },
    )
    assert created.status_code == 422 and created.json()["code"] == "roles_required"
    assert "角色" in created.json()["message"] and not User.objects.filter(username="no_role").exists()
    emptied = client.patch_json("/api/v1/users/a_handler", {"roles": []})
    assert emptied.status_code == 422 and emptied.json()["code"] == "roles_required"
    assert org.user("a", "handler").role_codes == {"handler"}
