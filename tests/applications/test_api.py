"""The JSON API: intake with Idempotency-Key, actions with versions, jurisdiction, the public progress
query, the catalog and statistics."""

from __future__ import annotations

from typing import Any

import pytest

from jiceng.applications.actions import perform
from jiceng.applications.models import Application
from jiceng.applications.ratelimit import PROGRESS_LIMIT
from tests.applications.conftest import Services, all_materials, dibao_form

pytestmark = pytest.mark.django_db
BASE = "/api/v1/applications"


def submit(api_as: Any, svc: Services, key: str = "k1") -> Any:
    return api_as(svc.user("a", "window")).post(
        BASE,
        {
            "item": "MZ-001",
            "person": svc.people["a"].pk,
            "form_data": dibao_form(),
            "provided": all_materials("MZ-001"),
        },
        content_type="application/json",
        headers={"Idempotency-Key": key},
    )


def test_window_intake_and_acceptance_through_the_api(api_as: Any, svc: Services) -> None:
    first = submit(api_as, svc)
    assert first.status_code == 201, first.json()
    body = first.json()
    assert body["channel"] == "window" and body["applicant_phone"] == "138****5678"
    assert body["applicant_id_number"].startswith("330199") and "*" in body["applicant_id_number"]
    assert [a["action"] for a in body["available_actions"]] == [
        "accept",
        "refuse",
        "request_supplement",
        "withdraw",
    ]
    again = submit(api_as, svc)
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    window = api_as(svc.user("a", "window"))
    url = f"{BASE}/{body['id']}/actions/accept"
    ok = window.post(url, {"version": body["version"]}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["state"] == "reviewing"
    assert ok.json()["current_unit"]["name"] == "A镇社会事务办"
    stale = window.post(
        f"{BASE}/{body['id']}/actions/refuse",
        {"version": body["version"], "comment": "x"},
        content_type="application/json",
    )
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"


def test_bad_input_gets_a_stable_code_and_changes_nothing(api_as: Any, svc: Services) -> None:
    response = api_as(svc.user("a", "window")).post(
        BASE,
        {"item": "MZ-001", "person": svc.people["a"].pk, "form_data": {"household_size": "三"}},
        content_type="application/json",
    )
    assert response.status_code == 422 and response.json()["code"] == "invalid_form_data"
    assert "form_data.household_size" in response.json()["details"]
    unknown = api_as(svc.user("a", "window")).post(BASE, {"item": "NOPE"}, content_type="application/json")
    assert unknown.json()["code"] == "invalid_item"
    assert not Application.objects.exists()


def test_the_other_township_neither_sees_nor_acts(api_as: Any, svc: Services) -> None:
    app_id = submit(api_as, svc).json()["id"]
    outsider = api_as(svc.user("b", "window"))
    assert outsider.get(f"{BASE}/{app_id}").status_code == 404
    for action in ("accept", "refuse", "nonsense"):
        response = outsider.post(
            f"{BASE}/{app_id}/actions/{action}", {"comment": "x"}, content_type="application/json"
        )
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert outsider.post(f"{BASE}/{app_id}/applicant").status_code == 404
    assert outsider.get(BASE).json()["items"] == []
    assert api_as(svc.user("a", "window")).get(BASE).json()["items"][0]["id"] == app_id


def test_a_resident_applies_online_and_follows_it(api_as: Any, svc: Services) -> None:
    resident = svc.org.user("none", "resident")
    client = api_as(resident)
    response = client.post(
        BASE,
        {
            "item": "GA-005",
            "applicant_name": "王五",
            "applicant_phone": "13700001111",
            "region_code": svc.org.regions["village_a"].code,
            "form_data": {"purpose": "出国留学"},
            "delivery": "electronic",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["channel"] == "online"
    assert [i["id"] for i in client.get(BASE).json()["items"]] == [response.json()["id"]]
    # The township window sees it in its queue to accept.
    queue = api_as(svc.user("a", "window")).get(BASE, {"worklist": "to_accept"}).json()["items"]
    assert [i["id"] for i in queue] == [response.json()["id"]]
    refused = client.post(
        BASE,
        {
            "item": "MZ-008",
            "applicant_phone": "13700001111",
            "region_code": svc.org.regions["village_a"].code,
        },
        content_type="application/json",
    )
    assert refused.json()["code"] == "not_online"


def test_progress_with_the_right_phone_and_nothing_with_a_wrong_one(api_as: Any, svc: Services) -> None:
    app_id = submit(api_as, svc).json()["id"]
    app = Application.objects.get(pk=app_id)
    perform(svc.user("a", "window"), app_id, "accept")
    perform(svc.user("a", "social"), app_id, "request_supplement", other=["收入证明"])
    anonymous = api_as(None)
    ok = anonymous.get(f"{BASE}/progress", {"number": app.ref, "phone": "138 1234 5678"})
    assert ok.status_code == 200
    body = ok.json()
    assert body["state"] == "supplement" and body["supplement_items"] == ["收入证明"]
    assert [s["action"] for s in body["steps"]] == ["submit", "accept", "request_supplement"]
    assert "applicant" not in str(body) and "张三" not in str(body)
    wrong_phone = anonymous.get(f"{BASE}/progress", {"number": app.ref, "phone": "13812345679"})
    no_such = anonymous.get(f"{BASE}/progress", {"number": "BJ202603090009999", "phone": "13812345678"})
    assert wrong_phone.status_code == no_such.status_code == 404
    assert wrong_phone.json() == no_such.json()


def test_progress_queries_are_rate_limited(api_as: Any, svc: Services) -> None:
    anonymous = api_as(None)
    codes = [
        anonymous.get(f"{BASE}/progress", {"number": "BJ202603090000001", "phone": "13812345678"}).status_code
        for _ in range(PROGRESS_LIMIT + 1)
    ]
    assert codes[:-1] == [404] * PROGRESS_LIMIT and codes[-1] == 429


def test_catalog_lists_about_thirty_items_with_materials_form_and_steps(api_as: Any, svc: Services) -> None:
    client = api_as(svc.user("a", "window"))
    items = client.get("/api/v1/service-items").json()
    assert len(items) >= 30
    names = {i["name"] for i in items}
    assert {
        "居住证办理",
        "最低生活保障申请",
        "临时救助申请",
        "残疾人两项补贴申请",
        "生育登记",
        "门牌号申请",
    } <= names
    detail = client.get("/api/v1/service-items/MZ-001").json()
    assert [s["name"] for s in detail["steps"]] == ["乡镇审核", "县民政局审批"]
    assert detail["form_schema"]["required"] == ["household_size", "monthly_income", "reason"]
    assert client.get("/api/v1/service-items/NOPE").status_code == 404


def test_county_administrators_change_the_catalog(api_as: Any, svc: Services) -> None:
    from jiceng.applications.models import ServiceItem

    url = "/api/v1/service-items/MZ-001"
    admin = api_as(svc.org.user("county", "admin"))
    changed = admin.patch(
        url, {"version": 1, "promised_days": 15, "fee_cents": 0}, content_type="application/json"
    )
    assert changed.status_code == 200 and changed.json()["promised_days"] == 15
    stale = admin.patch(url, {"version": 1, "promised_days": 10}, content_type="application/json")
    assert stale.status_code == 409
    bad = admin.patch(url, {"promised_days": 40}, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_time_limit"
    schema = admin.patch(url, {"form_schema": {"type": "array"}}, content_type="application/json")
    assert schema.status_code == 422
    township = api_as(svc.org.user("a", "admin")).patch(
        url, {"promised_days": 3}, content_type="application/json"
    )
    assert township.status_code == 403
    window = api_as(svc.user("a", "window")).patch(url, {"promised_days": 3}, content_type="application/json")
    assert window.status_code == 403
    item = ServiceItem.objects.get(code="MZ-001")
    assert item.promised_days == 15 and item.version == 2 and item.form_schema["type"] == "object"


def test_counts_and_rating_statistics_are_of_ones_jurisdiction(api_as: Any, svc: Services) -> None:
    submit(api_as, svc)
    mine = api_as(svc.user("a", "window")).get(f"{BASE}/counts").json()
    assert mine["total"] == 1 and mine["open"] == 1 and mine["satisfaction_rate"] is None
    assert api_as(svc.user("b", "window")).get(f"{BASE}/counts").json()["total"] == 0
    stats = api_as(svc.user("a", "window")).get(f"{BASE}/rating-stats", {"by": "window"})
    assert stats.status_code == 200 and stats.json() == []
    assert api_as(svc.user("a", "window")).get(f"{BASE}/rating-stats", {"by": "x"}).status_code == 422


def test_numbers_use_the_local_date_and_old_utc_dated_numbers_still_answer(
    api_as: Any, svc: Services
) -> None:
    """Submitted at 00:10 Beijing time: numbered with that day; an older receipt (UTC date) still works."""
    app_id = submit(api_as, svc).json()["id"]
    Application.objects.filter(pk=app_id).update(submitted_at="2026-11-27T16:10:00Z")
    app = Application.objects.get(pk=app_id)
    assert app.ref == f"BJ20261128{app_id:07d}"
    for number in (app.ref, f"BJ20261127{app_id:07d}"):
        found = api_as(None).get(f"{BASE}/progress", {"number": number, "phone": "13812345678"})
        assert found.status_code == 200, number
    wrong_day = api_as(None).get(
        f"{BASE}/progress", {"number": f"BJ20261126{app_id:07d}", "phone": "13812345678"}
    )
    assert wrong_day.status_code == 404
