"""Open311 GeoReport v2: every method in JSON and XML, checked against the spec's shapes, its error
format and status codes, and the rules behind them (public requests only, masking, limits)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from jiceng.events import category_cache
from jiceng.events.actions import perform, report_event
from jiceng.events.models import Event, EventCategory, EventState, Source
from jiceng.portal.models import ServiceRequest
from jiceng.portal.open311 import queries
from tests.conftest import Org
from tests.events.conftest import IN_GRID_A, IN_GRID_B
from tests.portal.conftest import Open311Client

BASE = "/open311/v2"
REQUEST_FIELDS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}
SERVICE_FIELDS = {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
ATTRIBUTE_FIELDS = {
    "variable",
    "code",
    "datatype",
    "required",
    "datatype_description",
    "order",
    "description",
}
DATATYPES = {"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"}

pytestmark = pytest.mark.django_db


def xml_of(response: Any) -> ET.Element:
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(response.content)  # noqa: S314 - our own response


def json_of(response: Any) -> Any:
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(response.content)


def assert_error(response: Any, status: int, fmt: str = "json") -> str:
    """The spec's error shape: a list of {code, description} (XML: errors/error/code+description)."""
    assert response.status_code == status, response.content.decode()
    if fmt == "json":
        body = json_of(response)
        assert isinstance(body, list) and len(body) == 1 and set(body[0]) == {"code", "description"}
        assert body[0]["code"] == status and body[0]["description"]
        return str(body[0]["description"])
    root = xml_of(response)
    assert root.tag == "errors" and [e.tag for e in root] == ["error"]
    assert [c.tag for c in root[0]] == ["code", "description"] and root[0][0].text == str(status)
    return str(root[0][1].text)


def county(org: Org) -> dict[str, str]:
    return {"jurisdiction_id": org.regions["county"].code}


def post(org: Org, key: str, fmt: str = "json", **fields: Any) -> Any:
    data = {"api_key": key, **county(org), **fields}
    return Client().post(f"{BASE}/requests.{fmt}", data)


def pothole(org: Org, key: str, fmt: str = "json", **extra: Any) -> Any:
    return post(
        org,
        key,
        fmt,
        service_code="0201",
        lat=IN_GRID_A["lat"],
        long=IN_GRID_A["lng"],
        description="桥头路面有个大坑，联系人电话 13812345678",
        **{"attribute[size]": "大", "attribute[depth_cm]": "15", "attribute[lanes][]": ["左", "中"]},
        **extra,
    )


# --- discovery and services -------------------------------------------------------------------------


def test_discovery_in_both_formats(org: Org) -> None:
    body = json_of(Client().get(f"{BASE}/discovery.json"))
    assert set(body) == {"changeset", "contact", "key_service", "endpoints"}
    (endpoint,) = body["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2/") and endpoint["formats"] == [
        "text/xml",
        "application/json",
    ]
    root = xml_of(Client().get(f"{BASE}/discovery.xml"))
    assert root.tag == "discovery"
    assert [f.text for f in root.find("endpoints/endpoint/formats")] == ["text/xml", "application/json"]


def test_services_are_the_active_leaf_categories(org: Org, services: Any) -> None:
    rows = json_of(Client().get(f"{BASE}/services.json", county(org)))
    assert [r["service_code"] for r in rows] == ["0201", "0301", "D0101"]
    assert all(set(r) == SERVICE_FIELDS and r["type"] == "realtime" for r in rows)
    by_code = {r["service_code"]: r for r in rows}
    assert by_code["0201"]["metadata"] is True and by_code["0301"]["metadata"] is False
    assert by_code["0201"]["group"] == "道路交通"
    root = xml_of(Client().get(f"{BASE}/services.xml", county(org)))
    assert root.tag == "services" and {s.tag for s in root} == {"service"}
    assert [s.findtext("service_code") for s in root] == ["0201", "0301", "D0101"]
    assert root[0].findtext("metadata") == "true"


def test_jurisdiction_id_is_required_when_several_counties_are_served(org: Org, services: Any) -> None:
    assert "jurisdiction_id" in assert_error(Client().get(f"{BASE}/services.json"), 400)
    assert_error(Client().get(f"{BASE}/services.xml", {"jurisdiction_id": "999999"}), 404, "xml")


def test_service_definition_derives_attributes_from_the_form_fields(org: Org, services: Any) -> None:
    body = json_of(Client().get(f"{BASE}/services/0201.json", county(org)))
    assert body["service_code"] == "0201"
    attrs = {a["code"]: a for a in body["attributes"]}
    assert all(set(a) >= ATTRIBUTE_FIELDS and a["datatype"] in DATATYPES for a in attrs.values())
    assert {c: a["datatype"] for c, a in attrs.items()} == {
        "size": "singlevaluelist",
        "depth_cm": "number",
        "blocking": "singlevaluelist",
        "lanes": "multivaluelist",
        "noticed": "datetime",
        "note": "string",
    }
    assert attrs["size"]["required"] is True and attrs["note"]["required"] is False
    assert attrs["size"]["values"] == [{"key": v, "name": v} for v in ("小", "中", "大")]
    assert [a["order"] for a in body["attributes"]] == [1, 2, 3, 4, 5, 6]
    assert attrs["note"]["datatype_description"] == "补充说明"
    root = xml_of(Client().get(f"{BASE}/services/0201.xml", county(org)))
    assert root.tag == "service_definition" and root.findtext("service_code") == "0201"
    # (PostgreSQL's jsonb keeps the schema's properties in its own order: find by code.)
    first = next(a for a in root.iterfind("attributes/attribute") if a.findtext("code") == "size")
    assert first.findtext("variable") == "true" and first.findtext("datatype") == "singlevaluelist"
    assert [v.findtext("key") for v in first.find("values")] == ["小", "中", "大"]


def test_unknown_or_non_leaf_service_is_404(org: Org, services: Any) -> None:
    assert_error(Client().get(f"{BASE}/services/9999.json", county(org)), 404)
    assert_error(Client().get(f"{BASE}/services/02.xml", county(org)), 404, "xml")


# --- POST requests ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_post_a_request_with_attributes_makes_an_event(
    org: Org, services: Any, api_key: Open311Client, fmt: str
) -> None:
    response = pothole(org, api_key.key, fmt, media_url="https://example.org/p.jpg", first_name="明")
    assert response.status_code == 201, response.content.decode()
    if fmt == "json":
        (row,) = json_of(response)
        assert set(row) == {"service_request_id", "token", "service_notice", "account_id"}
        ref, token = row["service_request_id"], row["token"]
    else:
        root = xml_of(response)
        assert root.tag == "service_requests" and [r.tag for r in root] == ["request"]
        ref, token = root[0].findtext("service_request_id"), root[0].findtext("token")
    event = Event.objects.get(source_ref=f"open311:{token}")
    assert event.ref == ref and event.source == Source.RESIDENT and event.state == EventState.REPORTED
    assert event.region_code == org.regions["grid_a"].code
    assert event.form_data == {"size": "大", "depth_cm": 15, "lanes": ["左", "中"]}
    assert event.reporter == api_key.client.user
    assert ServiceRequest.objects.get(event=event).media_url == "https://example.org/p.jpg"


def test_post_with_an_address_only_lands_in_the_jurisdiction(
    org: Org, services: Any, api_key: Open311Client
) -> None:
    response = post(org, api_key.key, service_code="0301", address_string="测试县人民路 1 号")
    assert response.status_code == 201
    event = Event.objects.get()
    assert event.region_code == org.regions["county"].code and event.address == "测试县人民路 1 号"


@pytest.mark.parametrize(
    ("fields", "status", "needle"),
    [
        ({"api_key": ""}, 403, "api_key"),
        ({"api_key": "o311_wrong"}, 403, "api_key"),
        ({"service_code": ""}, 400, "service_code"),
        ({"service_code": "4040"}, 404, "4040"),
        ({"lat": "", "long": ""}, 400, "lat"),
        ({"lat": "north"}, 400, "lat"),
        ({"attribute[size]": ""}, 400, "size"),
        ({"attribute[depth_cm]": "deep"}, 400, "depth_cm"),
        ({"attribute[colour]": "red"}, 400, "colour"),
        ({"media_url": "not a url"}, 400, "media_url"),
        ({"phone": "12345"}, 400, ""),
        ({"lat": "31.5", "long": "121.5"}, 400, ""),  # outside every grid, no address
        ({"lat": IN_GRID_A["lat"] + 0.2, "long": IN_GRID_A["lng"] + 0.2, "address_string": "x"}, 400, ""),
    ],
)
def test_bad_posts_are_refused_and_change_nothing(
    org: Org, services: Any, api_key: Open311Client, fields: dict[str, Any], status: int, needle: str
) -> None:
    data = {
        "api_key": api_key.key,
        **county(org),
        "service_code": "0201",
        "lat": IN_GRID_A["lat"],
        "long": IN_GRID_A["lng"],
        "attribute[size]": "小",
        **fields,
    }
    for fmt in ("json", "xml"):
        description = assert_error(Client().post(f"{BASE}/requests.{fmt}", data), status, fmt)
        assert needle in description
    assert not Event.objects.exists() and not ServiceRequest.objects.exists()


def test_a_key_serves_only_its_own_jurisdiction(org: Org, services: Any, api_key: Open311Client) -> None:
    response = Client().post(
        f"{BASE}/requests.json",
        {
            "api_key": api_key.key,
            "jurisdiction_id": org.regions["county_2"].code,
            "service_code": "0301",
            "address_string": "邻县",
        },
    )
    assert_error(response, 403)


def test_a_revoked_key_is_refused(org: Org, services: Any, api_key: Open311Client) -> None:
    from jiceng.portal.open311.actions import revoke_client

    revoke_client(org.user("county", "admin"), api_key.client.pk)
    assert_error(pothole(org, api_key.key), 403)


def test_only_admins_of_the_jurisdiction_issue_keys(org: Org) -> None:
    from jiceng.core.errors import NotFound, PermissionDenied
    from jiceng.portal.open311.actions import issue_client

    with pytest.raises(PermissionDenied):
        issue_client(org.user("a", "dispatcher"), name="x", jurisdiction_code=org.regions["county"].code)
    with pytest.raises(NotFound):
        issue_client(org.user("a", "admin"), name="x", jurisdiction_code=org.regions["county"].code)


# --- GET requests -----------------------------------------------------------------------------------


def _ref(response: Any) -> tuple[str, str]:
    (row,) = json_of(response)
    return row["service_request_id"], row["token"]


def test_get_one_request_and_its_token(org: Org, services: Any, api_key: Open311Client) -> None:
    ref, token = _ref(pothole(org, api_key.key))
    (row,) = json_of(Client().get(f"{BASE}/requests/{ref}.json", county(org)))
    assert set(row) == REQUEST_FIELDS
    assert row["service_request_id"] == ref and row["status"] == "open" and row["service_code"] == "0201"
    assert "13812345678" not in row["description"] and "138****5678" in row["description"]
    assert row["lat"] == pytest.approx(IN_GRID_A["lat"]) and row["requested_datetime"].endswith("+08:00")
    root = xml_of(Client().get(f"{BASE}/requests/{ref}.xml", county(org)))
    assert root.tag == "service_requests" and {c.tag for c in root[0]} == REQUEST_FIELDS
    assert root[0].findtext("status") == "open"
    assert json_of(Client().get(f"{BASE}/tokens/{token}.json", county(org))) == [
        {"service_request_id": ref, "token": token}
    ]
    tok = xml_of(Client().get(f"{BASE}/tokens/{token}.xml", county(org)))
    assert tok.findtext("request/service_request_id") == ref
    assert_error(Client().get(f"{BASE}/tokens/nope.json", county(org)), 404)
    assert_error(Client().get(f"{BASE}/requests/SJ202601010000001.xml", county(org)), 404, "xml")


def test_private_reports_are_not_listed(org: Org, services: Any, api_key: Open311Client) -> None:
    """A resident's or grid worker's report is not public unless moderated into the community feed."""
    event, _ = report_event(org.user("a", "grid_worker"), category="0301", title="暴露垃圾", **IN_GRID_A)
    assert json_of(Client().get(f"{BASE}/requests.json", county(org))) == []
    assert_error(Client().get(f"{BASE}/requests/{event.ref}.json", county(org)), 404)


def test_list_filters_by_status_code_ids_and_dates(org: Org, services: Any, api_key: Open311Client) -> None:
    first, _ = _ref(pothole(org, api_key.key))
    second, _ = _ref(post(org, api_key.key, service_code="0301", lat=IN_GRID_B["lat"], long=IN_GRID_B["lng"]))
    closed = Event.objects.get(pk=Event.pk_in(second))
    perform(org.user("b", "dispatcher"), closed.pk, "reject", comment="重复")

    def refs(**params: str) -> list[str]:
        rows = json_of(Client().get(f"{BASE}/requests.json", {**county(org), **params}))
        assert all(set(r) == REQUEST_FIELDS for r in rows)
        return [r["service_request_id"] for r in rows]

    assert refs() == [second, first]
    assert refs(status="open") == [first] and refs(status="closed") == [second]
    assert refs(status="open,closed") == [second, first]
    assert refs(service_code="0301") == [second] and refs(service_code="0201,0301") == [second, first]
    assert refs(service_request_id=f"{first},SJ200001010000009") == [first]
    today = timezone.localdate()
    assert refs(start_date=(today - timedelta(days=1)).isoformat()) == [second, first]
    assert refs(end_date=(today - timedelta(days=2)).isoformat()) == []
    root = xml_of(Client().get(f"{BASE}/requests.xml", {**county(org), "status": "closed"}))
    assert [r.findtext("service_request_id") for r in root] == [second]
    assert root[0].findtext("status_notes") == str(EventState.REJECTED.label)
    assert_error(Client().get(f"{BASE}/requests.json", {**county(org), "status": "pending"}), 400)
    long_range = {"start_date": "2026-01-01T00:00:00+08:00", "end_date": "2026-06-01T00:00:00+08:00"}
    assert_error(Client().get(f"{BASE}/requests.xml", {**county(org), **long_range}), 400, "xml")
    assert_error(Client().get(f"{BASE}/requests.json", {**county(org), "start_date": "yesterday"}), 400)


def test_default_window_is_the_last_90_days(org: Org, services: Any, api_key: Open311Client) -> None:
    old, _ = _ref(pothole(org, api_key.key))
    Event.objects.filter(pk=Event.pk_in(old)).update(reported_at=timezone.now() - timedelta(days=91))
    new, _ = _ref(pothole(org, api_key.key))
    rows = json_of(Client().get(f"{BASE}/requests.json", county(org)))
    assert [r["service_request_id"] for r in rows] == [new]
    assert queries.MAX_ROWS == 1000


def test_another_county_sees_nothing_of_this_one(org: Org, services: Any, api_key: Open311Client) -> None:
    ref, _ = _ref(pothole(org, api_key.key))
    other = {"jurisdiction_id": org.regions["county_2"].code}
    assert json_of(Client().get(f"{BASE}/requests.json", other)) == []
    assert_error(Client().get(f"{BASE}/requests/{ref}.json", other), 404)


def test_posts_are_rate_limited_per_ip(
    org: Org, services: Any, api_key: Open311Client, monkeypatch: Any
) -> None:
    from jiceng.portal.open311 import views

    monkeypatch.setattr(views, "POSTS_PER_MINUTE", 2)
    assert pothole(org, api_key.key).status_code == 201
    assert pothole(org, api_key.key).status_code == 201
    assert pothole(org, api_key.key).status_code == 429
    assert Event.objects.count() == 2


def test_staff_only_categories_are_no_services(org: Org, services: Any, api_key: Open311Client) -> None:
    """重点人群 and the like are staff's own work: not listed, not described, not accepted."""
    EventCategory.objects.filter(code="D0101").update(staff_only=True)
    category_cache.reset()
    rows = json_of(Client().get(f"{BASE}/services.json", county(org)))
    assert [r["service_code"] for r in rows] == ["0201", "0301"]
    assert_error(Client().get(f"{BASE}/services/D0101.json", county(org)), 404)
    before = Event.objects.count()
    response = post(org, api_key.key, service_code="D0101", lat=IN_GRID_A["lat"], long=IN_GRID_A["lng"])
    assert_error(response, 404)
    assert Event.objects.count() == before


def test_request_ids_use_the_local_date_and_old_utc_dated_ids_still_work(
    org: Org, services: Any, api_key: Open311Client
) -> None:
    """A request made at 00:10 Beijing time is numbered with that day, not the UTC day before; an id handed
    out before (with the UTC date) keeps finding the request."""
    ref, _token = _ref(pothole(org, api_key.key))
    event = Event.objects.get(pk=Event.pk_in(ref))
    Event.objects.filter(pk=event.pk).update(reported_at="2026-11-27T16:10:00Z")  # 2026-11-28 00:10 +08:00
    local_ref, utc_ref = f"SJ20261128{event.pk:07d}", f"SJ20261127{event.pk:07d}"
    for asked in (local_ref, utc_ref):
        (row,) = json_of(Client().get(f"{BASE}/requests/{asked}.json", county(org)))
        assert row["service_request_id"] == local_ref
    listed = json_of(Client().get(f"{BASE}/requests.json", {**county(org), "service_request_id": utc_ref}))
    assert [r["service_request_id"] for r in listed] == [local_ref]
