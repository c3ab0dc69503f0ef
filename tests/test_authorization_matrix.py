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
from jiceng.applications.workflow import TRANSITIONS as APPLICATION_TRANSITIONS
from jiceng.core.validators import make_credit_code, make_id_number
from jiceng.events.actions import report_event
from jiceng.events.attachments import add_attachment
from jiceng.events.models import Event
from jiceng.events.workflow import TRANSITIONS
from jiceng.org.models import Region, RegionLevel
from jiceng.registry import actions as registry_actions
from jiceng.registry.api import SEGMENTS, key_of
from jiceng.registry.models import Person, Record
from tests.applications.conftest import make_application
from tests.conftest import COUNTY_ROLES, TOWNSHIP_ROLE_UNIT, Org, token_for
from tests.events.conftest import IN_GRID_B
from tests.portal.matrix import PORTAL_PAGE_ROUTES, outside_portal
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
    # Work tools: lists, creation and one's own records (conversations, one's log of a day); the address
    # book is county-wide on purpose. Jurisdiction of each is tested in tests/worktools.
    *(
        (method, f"/api/v1/worktools/{path}")
        for method, path in [
            ("get", "patrols"),
            ("post", "patrols"),
            ("get", "patrols/geojson"),
            ("get", "patrols/nearest"),
            ("get", "checkins"),
            ("post", "checkins"),
            ("post", "duties"),
            ("get", "duties/status"),
            ("post", "tasks"),
            ("get", "visits"),
            ("post", "visits"),
            ("get", "logs"),
            ("put", "logs/{day}"),
            ("get", "assignments"),
            ("post", "assignments"),
            ("get", "contacts"),
            ("get", "conversations"),
            ("post", "conversations"),
            ("get", "conversations/unread"),
            ("get", "folders"),
            ("post", "folders"),
            ("get", "documents"),
        ]
    ),
    # The service item catalog is global configuration; application lists, intake, statistics and counts
    # are of one's own jurisdiction, and the progress query needs number and phone: tests/applications.
    ("get", "/api/v1/service-items"),
    ("get", "/api/v1/service-items/{code}"),
    ("patch", "/api/v1/service-items/{code}"),
    ("get", "/api/v1/applications"),
    ("post", "/api/v1/applications"),
    ("get", "/api/v1/applications/progress"),
    ("get", "/api/v1/applications/rating-stats"),
    ("get", "/api/v1/applications/counts"),
    # Federation: the interface registry, dead letters and the reference department system's queue are
    # not regional records (operator and handler roles are tested in tests/federation/test_api.py); the
    # cross-county query is role-checked, masked and audited (tests/federation/test_county.py).
    ("get", "/api/v1/federation/systems"),
    ("post", "/api/v1/federation/systems"),
    ("post", "/api/v1/federation/systems/{code}/rotate-key"),
    ("post", "/api/v1/federation/systems/{code}/finish-rotation"),
    ("post", "/api/v1/federation/outbox/retry"),
    ("post", "/api/v1/federation/query"),
    ("post", "/api/v1/federation/tasks/{task_id}/{action}"),
    # IoT: lists and creation in one's own jurisdiction (tests/iot/test_scope.py), device types are global
    # configuration, and ingestion authenticates a device by its secret, not a user (tests/iot/test_http.py).
    ("get", "/api/v1/iot/device-types"),
    ("put", "/api/v1/iot/device-types/{code}"),
    ("get", "/api/v1/iot/devices"),
    ("post", "/api/v1/iot/devices"),
    ("get", "/api/v1/iot/device-counts"),
    ("get", "/api/v1/iot/alarms"),
    ("get", "/api/v1/iot/rules"),
    ("post", "/api/v1/iot/rules"),
    ("post", "/api/v1/iot/devices/{code}/telemetry"),
    ("post", "/api/v1/iot/devices/{code}/alarm"),
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
    ("post", "/api/v1/worktools/patrols/{patrol_id}/points"): {"points": []},
    ("post", "/api/v1/worktools/patrols/{patrol_id}/stop"): {},
    ("post", "/api/v1/worktools/patrols/{patrol_id}/events"): {"category": "0301", "title": "越权"},
    ("post", "/api/v1/worktools/conversations/{conversation_id}/messages"): {"body": "越权"},
    ("post", "/api/v1/worktools/conversations/{conversation_id}/read"): {},
    ("post", "/api/v1/federation/events/{event_id}/escalate"): {"comment": "越权"},
    ("post", "/api/v1/federation/routes/{routed_id}/assign"): {"department": "DEPT-A"},
    ("post", "/api/v1/federation/routes/{routed_id}/resolve"): {"result": "越权"},
    ("patch", "/api/v1/iot/devices/{code}"): {"name": "越权"},
    ("patch", "/api/v1/iot/rules/{rule_id}"): {"threshold": 1},
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
        "/api/v1/events/{event_id}/reporter": {"event_id": str(event.pk)},
        **outside_worktools(org, where),
        **outside_application(org, where),
        **outside_federation(org, where, event),
        **outside_iot(org, where),
        "/api/v1/events/{event_id}/actions/{action}": {"event_id": str(event.pk), "action": "accept"},
        "/api/v1/regions/{code}": {"code": org.regions["village_b" if where == "a" else "township_2"].code},
        "/api/v1/units/{code}": {"code": org.units["station_b" if where == "a" else "station_2"].code},
        "/api/v1/users/{username}": {"username": other.username},
        "/api/v1/users/{username}/personal-data": {"username": other.username},
        "/api/v1/users/{username}/password": {"username": other.username},
        "/api/v1/users/{username}/unlock": {"username": other.username},
        "/api/v1/me/tokens/{token_id}": {"token_id": str(token.pk)},
    }


def outside_federation(org: Org, where: str, event: Event) -> dict[str, dict[str, str]]:
    """The outside event to escalate, and an event routed at the hub from outside ``where``."""
    from django.utils import timezone

    from jiceng.federation.models import RoutedEvent, RouteState, System

    county = System.objects.create(
        code="330198", name="邻县", kind="county", inbox_url="http://x.test/", key="k" * 32
    )
    routed = RoutedEvent.objects.create(
        county=county,
        county_ref="330198/1",
        title="外部",
        category_code="0301",
        region_code=org.regions["township_b" if where == "a" else "township_2"].code,
        state=RouteState.AWAITING_OPERATOR,
        created_at=timezone.now(),
    )
    return {
        "/api/v1/federation/events/{event_id}/escalate": {"event_id": str(event.pk)},
        "/api/v1/federation/routes/{routed_id}/assign": {"routed_id": str(routed.pk)},
        "/api/v1/federation/routes/{routed_id}/resolve": {"routed_id": str(routed.pk)},
    }


def outside_iot_event(event_id: str) -> dict[str, str]:
    """The outside event, as opened by the outside device's alarm."""
    from jiceng.iot.models import Alarm

    Alarm.objects.filter(device__code="OUT-1").update(event_id=int(event_id))
    return {"event_id": event_id}


def outside_iot(org: Org, where: str) -> dict[str, dict[str, str]]:
    """A device in township B (or the neighbouring county), an alarm on it and a rule of it alone."""
    from django.utils import timezone

    from jiceng.iot import actions as iot_actions
    from jiceng.iot.models import Alarm

    root = org.user("root", "superuser")
    metrics = [{"key": "fill", "name": "满溢度", "unit": "%", "min": 0, "max": 100}]
    iot_actions.save_device_type(root, code="bin", name="垃圾桶", domain="garbage", metrics=metrics)
    place = IN_GRID_B if where == "a" else {"lng": 119.5, "lat": 29.5}
    device, _secret = iot_actions.create_device(
        root,
        code="OUT-1",
        name="外部设备",
        device_type="bin",
        region_code=org.regions["township_2"].code,
        **place,
    )
    rule = iot_actions.create_rule(
        root, device_type="bin", device="OUT-1", name="外部", category_code="0301", metric="fill", threshold=1
    )
    now = timezone.now()
    alarm = Alarm.objects.create(
        device=device, rule=rule, region_code=device.region_code, raised_at=now, last_at=now
    )
    key = {"code": device.code}
    return {
        "/api/v1/iot/devices/{code}": key,
        "/api/v1/iot/devices/{code}/secret": key,
        "/api/v1/iot/devices/{code}/readings": key,
        "/api/v1/iot/alarms/{alarm_id}": {"alarm_id": str(alarm.pk)},
        "/api/v1/iot/rules/{rule_id}": {"rule_id": str(rule.pk)},
    }


def outside_application(org: Org, where: str) -> dict[str, dict[str, str]]:
    """An application in township B's village (township users) or in the neighbouring county."""
    region = org.regions["village_b" if where == "a" else "township_2"].code
    key = {"application_id": str(make_application(org, region).pk)}
    return {
        "/api/v1/applications/{application_id}": key,
        "/api/v1/applications/{application_id}/applicant": key,
        "/api/v1/applications/{application_id}/actions/{action}": {**key, "action": "accept"},
    }


def outside_worktools(org: Org, where: str) -> dict[str, dict[str, str]]:
    """A patrol, check-in, conversation, folder and document of township B (or the other county)."""
    from django.utils import timezone

    from jiceng.worktools.models import CheckIn, Conversation, Document, Folder, Member, Patrol

    who = org.user("b", "grid_worker") if where == "a" else org.user("county_2", "handler")
    unit = org.units["village_committee_b" if where == "a" else "station_2"]
    region = unit.region.code
    patrol = Patrol.objects.create(worker=who, unit=unit, region_code=region, started_at=timezone.now())
    checkin = CheckIn.objects.create(worker=who, region_code=region, at=timezone.now(), lng=120.1, lat=30.0)
    conversation = Conversation.objects.create(kind="group", title="外部", created_by=who)
    Member.objects.create(conversation=conversation, user=who)
    folder = Folder.objects.create(
        unit=unit, region_code=region, scope_prefix=unit.region.scope_prefix, name="外部", created_by=who
    )
    document = Document.objects.create(folder=folder, name="外部.pdf", current_version=1, created_by=who)
    base = "/api/v1/worktools"
    return {
        **{
            f"{base}/patrols/{{patrol_id}}{suffix}": {"patrol_id": str(patrol.pk)}
            for suffix in ("", "/points", "/stop", "/events")
        },
        **{
            f"{base}/conversations/{{conversation_id}}/{suffix}": {"conversation_id": str(conversation.pk)}
            for suffix in ("messages", "read")
        },
        f"{base}/folders/{{folder_id}}/documents": {"folder_id": str(folder.pk)},
        f"{base}/documents/{{document_id}}/file": {"document_id": str(document.pk)},
        # The address book is the county: a colleague of the other county is outside for everyone.
        f"{base}/contacts/{{username}}/call": {"username": "other_county_handler"},
        "worktools:checkin": {"checkin_id": str(checkin.pk)},
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
            for action in APPLICATION_TRANSITIONS if path.startswith("/api/v1/applications") else TRANSITIONS:
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
    # Keyed by ledger name; the rows are scoped inside (tests/worktools/test_visits.py).
    "worktools:ledger",
    "worktools:ledger_export",
    # The service item catalog (tests/applications/test_pages.py).
    "applications:catalog_item",
    "applications:catalog_edit",
    # Blank templates and samples of materials: public forms (tests/applications/test_material_files.py).
    "applications:material_file",
    # The reference department system's shared queue, not regional (tests/federation/test_api.py).
    "federation:task_act",
    # Registered systems of the interface registry: keyed by system code, not regional; operators only
    # (tests/federation/test_pages.py), as their API twins above.
    "federation:rotate_key",
    "federation:finish_rotation",
    "federation:set_active",
    # Keyed by a signed rating link, open without login; it names one application and nothing else
    # (tests/applications/test_ratings.py, test_pages.py).
    "applications:rate",
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
    "worktools:patrol_detail": ("get", "patrol_id"),
    "worktools:checkin_photo": ("get", "checkin_id"),
    "worktools:call": ("post", "username"),
    "worktools:conversation": ("get", "conversation_id"),
    "worktools:conversation_poll": ("get", "conversation_id"),
    "worktools:document": ("get", "document_id"),
    "worktools:document_file": ("get", "document_id"),
    **PORTAL_PAGE_ROUTES,
    "applications:detail": ("get", "application_id"),
    "applications:receipt": ("get", "application_id"),
    "applications:act": ("post", "application_id"),
    "applications:reveal_applicant": ("post", "application_id"),
    "federation:route_detail": ("get", "routed_id"),
    "iot:device_detail": ("get", "code"),
    "iot:device_edit": ("get", "code"),
    "iot:device_secret": ("post", "code"),
    "iot:rule_edit": ("get", "rule_id"),
    "iot:event_device": ("get", "event_id"),
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
        "worktools:patrol": api_params["/api/v1/worktools/patrols/{patrol_id}"],
        "worktools:checkin": api_params["worktools:checkin"],
        "worktools:call": api_params["/api/v1/worktools/contacts/{username}/call"],
        "worktools:conversation": api_params["/api/v1/worktools/conversations/{conversation_id}/messages"],
        "worktools:document": api_params["/api/v1/worktools/documents/{document_id}/file"],
        **outside_portal(org, where, api_params["/api/v1/events/{event_id}"]["event_id"]),
        "applications:act": api_params["/api/v1/applications/{application_id}/actions/{action}"],
        "applications:": api_params["/api/v1/applications/{application_id}"],
        "federation:": api_params["/api/v1/federation/routes/{routed_id}/assign"],
        "iot:rule_edit": api_params["/api/v1/iot/rules/{rule_id}"],
        "iot:event_device": outside_iot_event(api_params["/api/v1/events/{event_id}"]["event_id"]),
        "iot:": api_params["/api/v1/iot/devices/{code}"],
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
