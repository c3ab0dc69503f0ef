"""Every API operation × every staff role, against records outside the jurisdiction: no leak.

Township A's users try township B's records; county users try the neighbouring county's.

The matrix is built from the OpenAPI document, so a new endpoint fails here until someone says
how to address an outside record through it (OUTSIDE_PARAMS) and what a harmless body is (BODIES).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from jiceng.accounts.models import ApiToken
from jiceng.accounts.roles import Role
from jiceng.events.actions import report_event
from jiceng.events.attachments import add_attachment
from jiceng.events.models import Event
from jiceng.events.workflow import TRANSITIONS
from tests.conftest import COUNTY_ROLES, TOWNSHIP_ROLE_UNIT, Org, token_for
from tests.events.conftest import IN_GRID_B

# Operations that do not address one record (lists, own account, creation): checked elsewhere.
NOT_RECORD_SCOPED = {
    ("get", "/api/v1/me"),
    ("get", "/api/v1/me/tokens"),
    ("post", "/api/v1/me/tokens"),
    ("get", "/api/v1/regions"),
    ("post", "/api/v1/regions"),
    ("post", "/api/v1/regions/import"),
    ("get", "/api/v1/units"),
    ("post", "/api/v1/units"),
    ("get", "/api/v1/users"),
    ("post", "/api/v1/users"),
    ("get", "/api/v1/audit"),
    # Categories are global configuration: no record is outside anyone's jurisdiction.
    ("get", "/api/v1/event-categories"),
    ("post", "/api/v1/event-categories"),
    ("get", "/api/v1/event-categories/{code}"),
    ("patch", "/api/v1/event-categories/{code}"),
    # One's own notifications only: isolation is tested in tests/notifications.
    ("get", "/api/v1/notifications"),
    ("get", "/api/v1/notifications/unread-count"),
    ("post", "/api/v1/notifications/read"),
    ("get", "/api/v1/events"),
    ("post", "/api/v1/events"),
}
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("patch", "/api/v1/regions/{code}"): {"name": "越权"},
    ("patch", "/api/v1/units/{code}"): {"name": "越权"},
    ("patch", "/api/v1/users/{username}"): {"full_name": "越权"},
    ("post", "/api/v1/users/{username}/password"): {"password": "Cross#Scope99"},
}


def outside_event(org: Org, where: str) -> Event:
    """An event outside ``where``: reported in township B, or in the neighbouring county."""
    if where == "a":
        event, _ = report_event(org.user("b", "grid_worker"), category="0301", title="外镇事件", **IN_GRID_B)
    else:
        event, _ = report_event(
            org.user("county_2", "handler"),
            category="0301",
            title="邻县事件",
            region_code=org.regions["township_2"].code,
        )
    return event


def outside_photo(org: Org, where: str, event: Event) -> int:
    """A photo (with a thumbnail) on the outside event, added by whoever reported it."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, "PNG")
    by = org.user("b", "grid_worker") if where == "a" else org.user("county_2", "handler")
    return add_attachment(by, event.pk, SimpleUploadedFile("p.png", out.getvalue())).pk


@pytest.fixture(autouse=True)
def _media_root(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def outside_params(org: Org, where: str) -> dict[str, dict[str, str]]:
    """How to address records outside ``where``: township B for township users, the other county else."""
    other = org.user("b", "handler") if where == "a" else org.user("county_2", "handler")
    token = ApiToken.objects.get(user=other, name="test")
    event = outside_event(org, where)
    attachment = {"event_id": str(event.pk), "attachment_id": str(outside_photo(org, where, event))}
    return {
        "/api/v1/events/{event_id}/attachments": {"event_id": str(event.pk)},
        "/api/v1/events/{event_id}/attachments/{attachment_id}/file": attachment,
        "/api/v1/events/{event_id}/attachments/{attachment_id}/thumbnail": attachment,
        "/api/v1/events/{event_id}": {"event_id": str(event.pk)},
        "/api/v1/events/{event_id}/actions/{action}": {"event_id": str(event.pk), "action": "accept"},
        "/api/v1/regions/{code}": {"code": org.regions["village_b" if where == "a" else "township_2"].code},
        "/api/v1/units/{code}": {"code": org.units["station_b" if where == "a" else "station_2"].code},
        "/api/v1/users/{username}": {"username": other.username},
        "/api/v1/users/{username}/personal-data": {"username": other.username},
        "/api/v1/users/{username}/password": {"username": other.username},
        "/api/v1/users/{username}/unlock": {"username": other.username},
        "/api/v1/me/tokens/{token_id}": {"token_id": str(token.pk)},
    }


def operations() -> list[tuple[str, str]]:
    doc = Client().get("/api/v1/openapi.json").json()
    return sorted((method, path) for path, item in doc["paths"].items() for method in item)


STAFF = [("a", role) for role in TOWNSHIP_ROLE_UNIT] + [("county", role) for role in COUNTY_ROLES]


@pytest.mark.parametrize(("where", "role"), STAFF)
def test_no_operation_reaches_a_record_outside_the_jurisdiction(
    org: Org, categories: Any, where: str, role: str
) -> None:
    token_for(org.user("b", "handler"))
    token_for(org.user("county_2", "handler"))
    params = outside_params(org, where)
    actor = org.user(where, role)
    client = Client(headers={"Authorization": f"Bearer {token_for(actor)}"})
    checked = 0
    for method, path in operations():
        if (method, path) in NOT_RECORD_SCOPED:
            continue
        assert path in params, f"{method.upper()} {path}: add it to the authorization matrix"
        if path.endswith("/actions/{action}"):
            # Every workflow action on an outside event: 404, as if it did not exist.
            for action in TRANSITIONS:
                url = path.format(**{**params[path], "action": action})
                response = client.post(url, {"comment": "x"}, content_type="application/json")
                assert response.status_code == 404, f"{role}: {action} → {response.status_code}"
            checked += 1
            continue
        url = path.format(**params[path])
        body = BODIES.get((method, path))
        response = (
            getattr(client, method)(url, body, content_type="application/json")
            if body is not None
            else getattr(client, method)(url)
        )
        assert response.status_code in (403, 404), f"{role}: {method.upper()} {url} → {response.status_code}"
        if response.status_code == 404:
            assert response.json()["code"] == "not_found"
        checked += 1
    assert checked >= 9


def test_residents_see_no_staff_data(org: Org) -> None:
    resident = org.user("none", Role.RESIDENT)
    client = Client(headers={"Authorization": f"Bearer {token_for(resident)}"})
    for path in ("/api/v1/regions", "/api/v1/units", "/api/v1/users"):
        response = client.get(path)
        assert response.status_code == 200 and response.json()["count"] == 0, path
    assert client.get("/api/v1/audit").status_code == 403
    assert client.get(f"/api/v1/regions/{org.regions['village_a'].code}").status_code == 404


def parameterized_page_routes() -> set[str]:
    """Every page route that takes a record key, as 'namespace:name'."""
    from django.urls import get_resolver
    from django.urls.resolvers import URLResolver

    found: set[str] = set()

    def walk(resolver: URLResolver, namespace: str) -> None:
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace != "api":
                    walk(pattern, pattern.namespace or namespace)
            elif pattern.pattern.converters and pattern.name:
                found.add(f"{namespace}:{pattern.name}")

    walk(get_resolver(), "")
    return found


# Keyed pages of global configuration (no jurisdiction); their permissions are tested with the module.
GLOBAL_PAGE_ROUTES = {"event_categories:detail", "event_categories:edit"}
PAGE_ROUTES = {
    "org:region_detail": ("get", "code"),
    "org:region_edit": ("get", "code"),
    "org:unit_detail": ("get", "code"),
    "org:unit_edit": ("get", "code"),
    "accounts:user_detail": ("get", "username"),
    "accounts:user_edit": ("get", "username"),
    "accounts:user_unlock": ("post", "username"),
    "accounts:revoke_token": ("post", "token_id"),
    "events:detail": ("get", "event_id"),
    "events:act": ("post", "event_id"),
    "events:reveal_reporter": ("post", "event_id"),
    "event_attachments:file": ("get", "attachment_id"),
    "event_attachments:thumbnail": ("get", "attachment_id"),
}


@pytest.mark.parametrize(("where", "role"), STAFF)
def test_no_page_reaches_a_record_outside_the_jurisdiction(
    org: Org, categories: Any, where: str, role: str
) -> None:
    from django.urls import reverse

    routes = parameterized_page_routes() - GLOBAL_PAGE_ROUTES
    assert routes and routes <= set(PAGE_ROUTES), (
        f"add new page routes to PAGE_ROUTES: {routes - set(PAGE_ROUTES)}"
    )
    token_for(org.user("b", "handler"))
    token_for(org.user("county_2", "handler"))
    api_params = outside_params(org, where)
    keys = {
        "org:region": api_params["/api/v1/regions/{code}"],
        "org:unit": api_params["/api/v1/units/{code}"],
        "accounts:user": api_params["/api/v1/users/{username}"],
        "accounts:revoke": api_params["/api/v1/me/tokens/{token_id}"],
        "event_attachments:": api_params["/api/v1/events/{event_id}/attachments/{attachment_id}/file"],
        "events:act": api_params["/api/v1/events/{event_id}/actions/{action}"],
        "events:": api_params["/api/v1/events/{event_id}"],
    }
    client = Client()
    client.force_login(org.user(where, role))
    for name, (method, _param) in PAGE_ROUTES.items():
        kwargs = next(v for k, v in keys.items() if name.startswith(k))
        url = reverse(name, kwargs=kwargs)
        response = getattr(client, method)(url)
        if name == "accounts:revoke_token":
            # Someone else's token is simply not found among one's own: nothing is revoked.
            assert not ApiToken.objects.filter(pk=int(kwargs["token_id"]), revoked_at__isnull=False).exists()
            continue
        assert response.status_code in (403, 404), f"{role}: {method.upper()} {url} → {response.status_code}"
