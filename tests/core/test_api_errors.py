"""Bad input gets a clear Chinese message and a stable code, and writes nothing."""

from __future__ import annotations

import json

from jiceng.audit.models import AuditEntry
from jiceng.core.validators import make_credit_code
from jiceng.org.models import Region, Unit
from tests.conftest import Org


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def unit_payload(org: Org, **extra: str) -> dict:
    return {
        "code": "NEW-1",
        "name": "新单位",
        "kind": "township_station",
        "region_code": org.regions["township_a"].code,
        **extra,
    }


def test_invalid_credit_code(org: Org, api_as) -> None:
    good = make_credit_code("11330199MB1234567")
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    client = api_as(org.user("a", "admin"))
    response = client.post_json("/api/v1/units", unit_payload(org, credit_code=bad))
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_credit_code"
    assert has_chinese(body["message"]) and has_chinese(body["details"]["credit_code"][0])
    assert not Unit.objects.filter(code="NEW-1").exists()
    ok = client.post_json("/api/v1/units", unit_payload(org, credit_code=good.lower()))
    assert ok.status_code == 201 and ok.json()["credit_code"] == good


def test_invalid_phone_and_region_code(org: Org, api_as) -> None:
    client = api_as(org.user("a", "admin"))
    phone = client.post_json("/api/v1/units", unit_payload(org, phone="12345"))
    assert phone.status_code == 422 and phone.json()["code"] == "invalid_phone"
    region = client.post_json(
        "/api/v1/regions",
        {
            "code": "33019900100",
            "name": "x",
            "level": "village",
            "parent_code": org.regions["township_a"].code,
        },
    )
    assert region.status_code == 422 and region.json()["code"] == "invalid_region_code"
    assert has_chinese(region.json()["message"])
    wrong_parent = client.post_json(
        "/api/v1/regions",
        {
            "code": "330199002009",
            "name": "x",
            "level": "village",
            "parent_code": org.regions["township_a"].code,
        },
    )
    assert wrong_parent.status_code == 422
    assert not Region.objects.filter(name="x").exists()


def test_invalid_geometry(org: Org, api_as) -> None:
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[120, 30], [120.01, 30.01], [120.01, 30], [120, 30.01], [120, 30]]],
    }
    response = api_as(org.user("a", "admin")).post_json(
        "/api/v1/regions",
        {
            "code": "330199001001009",
            "name": "坏网格",
            "level": "grid",
            "parent_code": org.regions["village_a"].code,
            "boundary": bowtie,
        },
    )
    assert response.status_code == 422 and response.json()["code"] == "invalid_geometry"
    assert not Region.objects.filter(code="330199001001009").exists()


def test_malformed_json(org: Org, api_as) -> None:
    before = AuditEntry.objects.count()
    response = api_as(org.user("a", "admin")).post(
        "/api/v1/units", '{"code": "X", ', content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_json"
    assert has_chinese(response.json()["message"])
    assert AuditEntry.objects.count() == before and not Unit.objects.filter(code="X").exists()


def test_schema_violations_list_every_field(org: Org, api_as) -> None:
    response = api_as(org.user("a", "admin")).post_json(
        "/api/v1/units", {"code": "X", "kind": "spaceship", "name": "n" * 500}
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_input"
    assert set(body["details"]) >= {"kind", "name", "region_code"}
    assert all(has_chinese(m) for messages in body["details"].values() for m in messages)


def test_oversize_body(org: Org, api_as, settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = json.dumps(unit_payload(org, name="大" * 2000))
    response = api_as(org.user("a", "admin")).post("/api/v1/units", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert not Unit.objects.filter(code="NEW-1").exists()


def test_unknown_api_path_is_json_404(org: Org, api_as) -> None:
    response = api_as(org.user("a", "admin")).get("/api/v1/no-such-thing")
    assert response.status_code == 404


def test_errors_and_answers_are_utf8_json(org: Org, api_as) -> None:
    client = api_as(org.user("a", "admin"))
    response = client.post("/api/v1/units", unit_payload(org, code=""), content_type="application/json")
    assert response.status_code == 422 and response["Content-Type"].startswith("application/json")
    body = response.content.decode("utf-8")
    assert has_chinese(body) and "\\u" not in body
    assert json.loads(body)["code"] == response.json()["code"]


def test_the_renderer_writes_what_ninjas_encoder_wrote() -> None:
    from datetime import UTC, date, datetime, timedelta, timezone
    from decimal import Decimal
    from uuid import UUID

    from django.utils.translation import gettext_lazy
    from ninja.responses import NinjaJSONEncoder

    from jiceng.core.api import ORJSONRenderer

    moment = datetime(2026, 11, 27, 13, 5, 9, 123456, tzinfo=UTC)
    data = {
        "at": moment,
        "local": moment.astimezone(timezone(timedelta(hours=8))),
        "day": date(2026, 11, 27),
        "amount": Decimal("12.50"),
        "id": UUID("12345678-1234-5678-1234-567812345678"),
        "label": gettext_lazy("state"),
        "by_level": {1: "省", 2: ["市", None, 3.5, True]},
    }
    mine = json.loads(ORJSONRenderer().render(None, data, response_status=200))  # type: ignore[arg-type]
    before = json.loads(json.dumps(data, cls=NinjaJSONEncoder))
    # Datetimes keep their microseconds now; the same instant either way.
    for key in ("at", "local"):
        assert datetime.fromisoformat(mine.pop(key)) == moment
        assert abs(datetime.fromisoformat(before.pop(key)) - moment) < timedelta(milliseconds=1)
    assert mine == before
