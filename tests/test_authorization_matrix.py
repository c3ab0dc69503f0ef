"""Every API operation × every staff role, against records outside the jurisdiction: no leak.

Township A's users try township B's records; county users try the neighbouring county's.

The matrix is built from the OpenAPI document, so a new endpoint fails here until someone says
how to address an outside record through it (OUTSIDE_PARAMS) and what a harmless body is (BODIES).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.test import Client

from jiceng.accounts.models import ApiToken
from jiceng.accounts.roles import Role
from jiceng.core.validators import make_credit_code, make_id_number
from jiceng.events.actions import report_event
from jiceng.events.attachments import add_attachment
from jiceng.events.models import Event
from jiceng.events.workflow import TRANSITIONS
from jiceng.org.models import Region, RegionLevel
from jiceng.registry import actions as registry_actions
from jiceng.registry.api import SEGMENTS, key_of
from jiceng.registry.models import Person, Record
from tests.conftest import COUNTY_ROLES, TOWNSHIP_ROLE_UNIT, Org, token_for
from tests.events.conftest import IN_GRID_B
from tests.registry.conftest import SAMPLES, Sample, make_records

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
    # Dashboards and scores of one's own jurisdiction (the keyed ones are below), and global rules.
    ("get", "/api/v1/analytics/dashboard"),
    ("get", "/api/v1/analytics/warnings"),
    ("get", "/api/v1/analytics/scorecards"),
    ("get", "/api/v1/analytics/scoring-rules"),
    # Map layers are lists in the caller's jurisdiction ({layer} names a layer, not a record): every role
    # against the outside is tested in tests/gis/test_api.py.
    ("get", "/api/v1/gis/boundaries"),
    ("get", "/api/v1/gis/layers/{layer}"),
    # Registry lists and creation: jurisdiction is tested per kind in tests/registry/test_api.py.
    *((method, f"/api/v1/registry/{segment}") for segment in SEGMENTS.values() for method in ("get", "post")),
}
REGISTRY = "/api/v1/registry/{segment}/{{key}}"
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("patch", "/api/v1/regions/{code}"): {"name": "越权"},
    ("patch", "/api/v1/units/{code}"): {"name": "越权"},
    ("patch", "/api/v1/users/{username}"): {"full_name": "越权"},
    ("post", "/api/v1/users/{username}/password"): {"password": "Cross#Scope99"},
    **{
        ("patch", REGISTRY.format(segment=segment)): {"title" if kind == "credit" else "address": "越权"}
        for kind, segment in SEGMENTS.items()
    },
    **{
        ("post", REGISTRY.format(segment=segment) + "/delete"): {"reason": "越权"}
        for segment in SEGMENTS.values()
    },
    **{
        ("post", REGISTRY.format(segment=segment) + "/reveal"): {"purpose": "越权"}
        for segment in SEGMENTS.values()
    },
    ("post", "/api/v1/registry/people/{key}/special-groups"): {"group": "drug"},
    ("post", "/api/v1/registry/people/{key}/special-groups/{entry_id}/end"): {},
    ("post", "/api/v1/registry/houses/{key}/tenants"): {"person": 1},
}
# Registry records in the neighbouring county, for county users' "outside".
SAMPLE_COUNTY_2 = Sample(
    person_name="王二",
    id_number=make_id_number("330198", date(1970, 1, 1), "001"),
    phone="13700001111",
    credit_code=make_credit_code("91330198MA2B3C4D5"),
    house_code="HN2-0001",
    household_number="HHN2-0001",
    place_code="PN2-0001",
    component_code="3301980101000001",
    org_name="邻县商店",
    place_name="邻县市场",
    address="邻县东路1号",
    lng=119.5,
    lat=29.5,
)


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


def outside_registry(org: Org, where: str) -> dict[str, dict[str, str]]:
    """Registry records (one per kind, and a special-group entry) outside ``where``, and how to address
    them through every registry route."""
    if where == "a":
        by, region, sample = org.user("b", "safety_officer"), org.regions["grid_b"].code, SAMPLES["b"]
    else:
        by, sample = org.user("root", "superuser"), SAMPLE_COUNTY_2
        region = Region.objects.create(
            code="330198001001", name="邻县一村", level=RegionLevel.VILLAGE, parent=org.regions["township_2"]
        ).code
    maker = org.user("b", "grid_worker") if where == "a" else by
    records: dict[str, Record] = make_records(maker, region, sample)
    person = records["person"]
    assert isinstance(person, Person)
    entry = registry_actions.add_special_group(by, person, "drug")
    params: dict[str, dict[str, str]] = {}
    for kind, segment in SEGMENTS.items():
        key = {"key": key_of(records[kind])}
        for suffix in ("", "/delete", "/reveal", "/history", "/overview", "/special-groups", "/tenants"):
            params[REGISTRY.format(segment=segment) + suffix] = key
    params["/api/v1/registry/people/{key}/special-groups/{entry_id}/end"] = {
        "key": key_of(person),
        "entry_id": str(entry.pk),
    }
    return params


def outside_analytics(org: Org, where: str) -> dict[str, dict[str, str]]:
    """A region outside ``where`` and the score of a station outside it (this month's scorecard)."""
    from django.utils import timezone

    from jiceng.analytics.models import PeriodKind, ScoreItem, ScoringRule
    from jiceng.analytics.scoring import compute_scorecard

    ScoringRule.objects.get_or_create(
        name="退回", subject_type="unit", metric="returns", defaults={"weight": 10, "deduction": 1}
    )
    compute_scorecard(None, PeriodKind.MONTH, timezone.localdate(), replace=True, system=True)
    unit = org.units["station_b" if where == "a" else "station_2"]
    item = ScoreItem.objects.get(row__subject_code=unit.code)
    region = org.regions["village_b" if where == "a" else "township_2"]
    return {
        "/api/v1/analytics/regions/{code}/dashboard": {"code": region.code},
        "/api/v1/analytics/score-items/{item_id}": {"item_id": str(item.pk)},
    }


def outside_params(org: Org, where: str) -> dict[str, dict[str, str]]:
    """How to address records outside ``where``: township B for township users, the other county else."""
    other = org.user("b", "handler") if where == "a" else org.user("county_2", "handler")
    token = ApiToken.objects.get(user=other, name="test")
    event = outside_event(org, where)
    attachment = {"event_id": str(event.pk), "attachment_id": str(outside_photo(org, where, event))}
    return {
        **outside_registry(org, where),
        **outside_analytics(org, where),
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
GLOBAL_PAGE_ROUTES = {
    "event_categories:detail",
    "event_categories:edit",
    "analytics:rule_edit",
    # Keyed by kind, not by record: what they read is scoped inside (tests/registry/test_export.py).
    "registry_import:upload",
    "registry_import:template",
    "registry_import:export",
}
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
    "analytics:region": ("get", "code"),
    "analytics:screen_region": ("get", "code"),
    "analytics:score_item": ("get", "item_id"),
    # Registry pages, tried on a person outside (every kind is tried in tests/registry/test_pages.py).
    "registry:detail": ("get", "key"),
    "registry:edit": ("get", "key"),
    "registry:delete": ("post", "key"),
    "registry:reveal": ("post", "key"),
    "registry:special_group_add": ("post", "key"),
    "registry:special_group_end": ("post", "entry_id"),
    "registry_import:job": ("get", "job_id"),
    "registry_import:job_progress": ("get", "job_id"),
    "registry_import:job_errors": ("get", "job_id"),
}


def outside_import_job(org: Org, where: str) -> dict[str, str]:
    """An import job of township B (for township users) or of the other county (for county users)."""
    from jiceng.registry.models import ImportJob

    other = org.user("b", "grid_worker") if where == "a" else org.user("county_2", "handler")
    job = ImportJob.objects.create(
        kind="person",
        filename="people.csv",
        file="registry/imports/outside.csv",
        error_report="registry/imports/outside-errors.csv",
        created_by=other,
        region_code=org.regions["village_b" if where == "a" else "township_2"].code,
    )
    return {"job_id": str(job.pk)}


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
        "analytics:score_item": api_params["/api/v1/analytics/score-items/{item_id}"],
        "analytics:": api_params["/api/v1/analytics/regions/{code}/dashboard"],
        "events:act": api_params["/api/v1/events/{event_id}/actions/{action}"],
        "events:": api_params["/api/v1/events/{event_id}"],
        "registry:special_group_end": api_params[
            "/api/v1/registry/people/{key}/special-groups/{entry_id}/end"
        ],
        "registry:": {"kind": "person", **api_params["/api/v1/registry/people/{key}"]},
        "registry_import:": outside_import_job(org, where),
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
