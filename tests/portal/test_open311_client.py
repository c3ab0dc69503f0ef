"""Open311 against a live server, driven by clients we did not write: the `georeport` package (list
services, definitions, requests by id and by status) and plain `requests` for the form-encoded POST."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from georeport import GeoReport

from jiceng.events.actions import perform
from jiceng.events.models import Event
from tests.conftest import Org
from tests.events.conftest import IN_GRID_A
from tests.portal.conftest import Open311Client


@pytest.mark.django_db(transaction=True)
def test_third_party_client_round_trip(
    live_server: Any, org: Org, services: Any, api_key: Open311Client
) -> None:
    root = f"{live_server.url}/open311/v2"
    county = org.regions["county"].code
    refs = {}
    for fmt in ("json", "xml"):
        client = GeoReport(root, jurisdiction=county, output_format=fmt)
        codes = [s["service_code"] for s in client.get_service_list()]
        assert codes == ["0201", "0301", "D0101"]
        definition = client.get_service_definition("0201")
        attributes = definition["attributes"] if fmt == "json" else definition["attributes"]["attribute"]
        assert {a["code"] for a in attributes} >= {"size", "depth_cm"}

        created = requests.post(
            f"{root}/requests.{fmt}",
            data={
                "api_key": api_key.key,
                "jurisdiction_id": county,
                "service_code": "0201",
                "lat": IN_GRID_A["lat"],
                "long": IN_GRID_A["lng"],
                "description": f"路面坑洼（{fmt}）",
                "attribute[size]": "中",
                "attribute[depth_cm]": "8",
            },
            timeout=10,
        )
        assert created.status_code == 201, created.text
        ref = (
            created.json()[0]["service_request_id"]
            if fmt == "json"
            else created.text.split("<service_request_id>")[1].split("<")[0]
        )
        refs[fmt] = ref
        fetched = client.get_service_request(ref)
        assert fetched["service_request_id"] == ref and fetched["status"] == "open"
        assert fetched["description"] == f"路面坑洼（{fmt}）"

    perform(org.user("a", "dispatcher"), Event.pk_in(refs["json"]), "reject", comment="不属实")
    for fmt in ("json", "xml"):
        client = GeoReport(root, jurisdiction=county, output_format=fmt)
        closed = client.get_service_requests(status="closed")
        opened = client.get_service_requests(status="open")
        # xmltodict gives one request as a dict, several as a list.
        closed = closed if isinstance(closed, list) else [closed]
        opened = opened if isinstance(opened, list) else [opened]
        assert [r["service_request_id"] for r in closed] == [refs["json"]]
        assert [r["service_request_id"] for r in opened] == [refs["xml"]]
