"""The registry API: jurisdiction, masking, full views, special groups, search, versions, errors, history."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

import pytest
from django.conf import settings
from django.utils import translation

from jiceng.audit.models import AuditEntry
from jiceng.core.validators import make_credit_code, make_id_number
from jiceng.events.actions import report_event
from jiceng.registry import actions
from jiceng.registry.models import (
    CityComponent,
    CreditRecord,
    House,
    Household,
    KeyPlace,
    Organization,
    Person,
    Record,
    Sex,
    SpecialGroupRecord,
)
from tests.conftest import Org
from tests.events.conftest import IN_GRID_A
from tests.registry.conftest import SAMPLES
from tests.resources import ResourceTests

pytestmark = pytest.mark.django_db

API = "/api/v1/registry"
ID_A, PHONE_A = SAMPLES["a"].id_number, SAMPLES["a"].phone
NEW_ID = make_id_number("330199", date(1990, 1, 2), "357")


# --- the generic resource tests, kind by kind ---------------------------------------------------------------


class RegistryResourceTests(ResourceTests):
    """ResourceTests for one registry kind, on the records of ``tests/registry/conftest.py``.

    Creating in the other township answers 422 with a specific code rather than 404: the region (or the
    subject) named in the payload is "not in your jurisdiction", the same answer as for one that does not
    exist, so nothing leaks; and the record being created does not exist yet, so it cannot be "not found".
    """

    kind: ClassVar[str]
    reader_roles = ("dispatcher", "grid_worker", "handler", "leader")
    outside_create_code: ClassVar[str] = "unknown_region"
    records: dict[str, dict[str, Record]]

    @pytest.fixture(autouse=True)
    def _records(self, registry_records: dict[str, dict[str, Record]]) -> None:
        self.records = registry_records

    @property
    def audit_action_prefix(self) -> str:  # type: ignore[override]
        return f"registry.{self.kind}."

    def inside(self, org: Org) -> Record:
        return self.records["a"][self.kind]

    def outside(self, org: Org) -> Record:
        return self.records["b"][self.kind]

    def update_payload(self, obj: Any) -> dict[str, Any]:
        return {"address": "改后地址88号"}

    def nowhere(self, payload: dict[str, Any]) -> dict[str, Any]:
        """The payload pointed at a place that does not exist at all."""
        return {**payload, "region": "330199009001001"}

    def test_admin_cannot_create_in_other_township(self, org: Org, api_as: Any) -> None:
        before = self.model._default_manager.count()
        client = api_as(org.user("a", "admin"))
        outside = client.post_json(self.api_list, self.create_payload(org, "b"))
        assert outside.status_code == 422, outside.content
        assert outside.json()["code"] == self.outside_create_code
        missing = client.post_json(self.api_list, self.nowhere(self.create_payload(org, "b")))
        assert missing.json() == outside.json()  # outside answers exactly like nonexistent
        assert self.model._default_manager.count() == before


class TestPersonResource(RegistryResourceTests):
    kind = "person"
    api_list = f"{API}/people"
    model = Person
    key_field = "id"

    def create_payload(self, org: Org, where: str) -> dict[str, Any]:
        return {"name": "王五", "id_number": NEW_ID, "region": org.regions[f"grid_{where}"].code}


class TestHouseholdResource(RegistryResourceTests):
    kind = "household"
    api_list = f"{API}/households"
    model = Household
    key_field = "number"

    def create_payload(self, org: Org, where: str) -> dict[str, Any]:
        return {"number": "HHN-0099", "region": org.regions[f"village_{where}"].code}


class TestHouseResource(RegistryResourceTests):
    kind = "house"
    api_list = f"{API}/houses"
    model = House

    def create_payload(self, org: Org, where: str) -> dict[str, Any]:
        return {"code": "HN-0099", "floors": 6, "area_m2": 72.5, "region": org.regions[f"grid_{where}"].code}


class TestOrganizationResource(RegistryResourceTests):
    kind = "organization"
    api_list = f"{API}/organizations"
    model = Organization
    key_field = "credit_code"

    def create_payload(self, org: Org, where: str) -> dict[str, Any]:
        return {
            "credit_code": make_credit_code("91330199MA2B3C4D7"),
            "name": "新开超市",
            "org_kind": "individual",
            "region": org.regions[f"grid_{where}"].code,
        }


class TestPlaceResource(RegistryResourceTests):
    kind = "place"
    api_list = f"{API}/places"
    model = KeyPlace

    def create_payload(self, org: Org, where: str) -> dict[str, Any]:
        return {
            "code": "PN-0099",
            "name": "新开网吧",
            "place_type": "nine_small",
            "region": org.regions[f"grid_{where}"].code,
        }


class TestComponentResource(RegistryResourceTests):
    kind = "component"
    api_list = f"{API}/components"
    model = CityComponent

    def create_payload(self, org: Org, where: str) -> dict[str, Any]:
        return {"code": "3301990121000099", "region": org.regions[f"grid_{where}"].code}


class TestCreditResource(RegistryResourceTests):
    kind = "credit"
    api_list = f"{API}/credit-records"
    model = CreditRecord
    key_field = "id"
    outside_create_code = "unknown_subject"

    def create_payload(self, org: Org, where: str) -> dict[str, Any]:
        return {
            "subject_id_number": SAMPLES[where].id_number,
            "credit_kind": "commendation",
            "title": "优秀志愿者",
            "source": "县志愿者协会",
            "decided_on": "2025-03-05",
        }

    def update_payload(self, obj: Any) -> dict[str, Any]:
        return {"title": "优秀志愿者（更正）"}

    def nowhere(self, payload: dict[str, Any]) -> dict[str, Any]:
        return {**payload, "subject_id_number": NEW_ID}


# --- personal data: masked, full only on request ------------------------------------------------------------


PERSONAL = {
    "people": ["id_number_masked", "phone_masked"],
    "organizations": ["contact_phone_masked"],
    "places": ["responsible_phone_masked"],
    "credit-records": ["subject_id_number_masked"],
}


def _key(obj: Record) -> str:
    return str(obj.pk) if obj.kind in ("person", "credit") else str(getattr(obj, obj.natural_key))


def test_personal_data_is_masked_everywhere(
    org: Org, registry_records: dict[str, dict[str, Record]], api_as: Any
) -> None:
    a = registry_records["a"]
    client = api_as(org.user("a", "admin"))
    bodies = []
    for segment, fields in PERSONAL.items():
        listing = client.get(f"{API}/{segment}")
        assert listing.status_code == 200
        item = listing.json()["items"][0]
        for name in fields:
            assert "*" in item[name], (segment, name, item[name])
            assert name.removesuffix("_masked") not in item
        bodies.append(listing.content.decode())
    person = client.get(f"{API}/people/{a['person'].pk}").json()
    assert person["id_number_masked"] == ID_A[:6] + "********" + ID_A[-4:]
    assert person["phone_masked"] == "138****5678"
    for path in (
        f"people/{a['person'].pk}",
        f"people/{a['person'].pk}/overview",
        f"people/{a['person'].pk}/history",
        f"houses/{_key(a['house'])}/overview",
        f"organizations/{_key(a['organization'])}/overview",
        f"places/{_key(a['place'])}",
        f"credit-records/{a['credit'].pk}",
        f"credit-records/{a['credit'].pk}/history",
        f"people?q={ID_A}",
    ):
        response = client.get(f"{API}/{path}")
        assert response.status_code == 200, path
        bodies.append(response.content.decode())
    dump = "\n".join(bodies)
    assert ID_A not in dump and ID_A[-8:] not in dump
    assert PHONE_A not in dump and PHONE_A[:7] not in dump


def test_person_output_has_derived_fields_and_labels(
    org: Org, registry_records: dict[str, dict[str, Record]], api_as: Any
) -> None:
    a = registry_records["a"]
    body = api_as(org.user("a", "dispatcher")).get(f"{API}/people/{a['person'].pk}").json()
    assert body["birth_date"] == "1980-05-17" and body["sex"] == "1" and body["age"] >= 44
    with translation.override("zh-hans"):
        assert body["labels"]["sex"] == str(Sex.MALE.label)
    assert body["labels"]["care_groups"] == "低保对象"
    assert body["region_code"] == org.regions["grid_a"].code
    assert body["region_name"] == org.regions["grid_a"].name
    assert body["house"] == "HA-0001" and body["household"] == "HHA-0001"
    assert body["care_groups"] == ["dibao"]
    house = api_as(org.user("a", "dispatcher")).get(f"{API}/houses/HA-0001").json()
    assert house["area_m2"] == 86.5 and house["is_rental"] is True
    assert (house["lng"], house["lat"]) == (120.01, 30.01)
    credit = api_as(org.user("a", "dispatcher")).get(f"{API}/credit-records/{a['credit'].pk}").json()
    assert credit["subject_person"] == a["person"].pk and credit["subject_name"] == "张三"


def test_reveal_gives_full_values_and_is_audited(
    org: Org, registry_records: dict[str, dict[str, Record]], api_as: Any
) -> None:
    person = registry_records["a"]["person"]
    user = org.user("a", "dispatcher")
    response = api_as(user).post_json(f"{API}/people/{person.pk}/reveal", {"purpose": "核实身份"})
    assert response.status_code == 200
    assert response.json() == {"id_number": ID_A, "phone": PHONE_A}
    entry = AuditEntry.objects.get(action="registry.person.reveal")
    assert entry.user_id == user.pk and entry.object_id == str(person.pk)
    assert entry.changes == {"fields": ["id_number", "phone"], "purpose": "核实身份"}
    place = registry_records["a"]["place"]
    # Without a purpose, as on the page: refused, nothing shown, nothing recorded as seen.
    for body in ({}, {"purpose": "  "}):
        unsaid = api_as(user).post_json(f"{API}/places/{_key(place)}/reveal", body)
        assert unsaid.status_code == 422 and unsaid.json()["code"] == "purpose_required"
        assert PHONE_A not in unsaid.content.decode()
    assert not AuditEntry.objects.filter(action="registry.place.reveal").exists()
    shown = api_as(user).post_json(f"{API}/places/{_key(place)}/reveal", {"purpose": "消防检查"}).json()
    assert shown == {"responsible_phone": PHONE_A}
    assert AuditEntry.objects.filter(action="registry.place.reveal").count() == 1


def test_reveal_refused_to_roles_without_need_and_outsiders(
    org: Org, registry_records: dict[str, dict[str, Record]], api_as: Any
) -> None:
    person = registry_records["a"]["person"]
    refused = api_as(org.user("a", "handler")).post_json(f"{API}/people/{person.pk}/reveal", {"purpose": "x"})
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    outsider = api_as(org.user("b", "dispatcher")).post_json(f"{API}/people/{person.pk}/reveal", {})
    assert outsider.status_code == 404
    assert not AuditEntry.objects.filter(action="registry.person.reveal").exists()
    # Kinds without personal data have nothing to reveal.
    house = api_as(org.user("a", "dispatcher")).post_json(f"{API}/houses/HA-0001/reveal", {})
    assert house.status_code in (404, 405)


# --- special groups -----------------------------------------------------------------------------------------


@pytest.fixture
def in_group(org: Org, registry_records: dict[str, dict[str, Record]]) -> SpecialGroupRecord:
    person = registry_records["a"]["person"]
    return actions.add_special_group(
        org.user("a", "safety_officer"),
        person,  # type: ignore[arg-type]
        "community_correction",
        {"rectifying_category": "02", "concern_degree": "高"},
    )


def test_special_groups_for_the_roles_that_work_with_them(
    org: Org, registry_records: dict[str, dict[str, Record]], in_group: SpecialGroupRecord, api_as: Any
) -> None:
    person = registry_records["a"]["person"]
    for role in ("safety_officer", "grid_worker"):
        user = org.user("a", role)
        response = api_as(user).get(f"{API}/people/{person.pk}/special-groups")
        assert response.status_code == 200, role
        [entry] = response.json()
        assert entry["group"] == "community_correction"
        assert entry["details"]["rectifying_category"] == {"code": "02", "name": "缓刑"}
        assert entry["ended_on"] is None and entry["version"] == 1
        viewed = AuditEntry.objects.filter(action="registry.special_group.view", user_id=user.pk).get()
        assert viewed.object_id == str(person.pk) and "community_correction" not in str(viewed.changes)
    overview = api_as(org.user("a", "safety_officer")).get(f"{API}/people/{person.pk}/overview").json()
    assert [g["group"] for g in overview["special_groups"]] == ["community_correction"]
    found = api_as(org.user("a", "safety_officer")).get(f"{API}/people", {"group": "community_correction"})
    assert [p["id"] for p in found.json()["items"]] == [person.pk]
    listed = AuditEntry.objects.get(action="registry.special_group.list")
    assert listed.changes == {"people": [person.pk]}


def test_special_groups_do_not_exist_for_others(
    org: Org, registry_records: dict[str, dict[str, Record]], in_group: SpecialGroupRecord, api_as: Any
) -> None:
    person = registry_records["a"]["person"]
    other = actions.create(
        org.user("a", "grid_worker"), "person", {"name": "赵六", "region": person.region_code}
    )
    for role in ("dispatcher", "admin", "village_cadre", "leader"):
        client = api_as(org.user("a", role))
        tagged = client.get(f"{API}/people/{person.pk}/special-groups")
        untagged = client.get(f"{API}/people/{other.pk}/special-groups")
        assert tagged.status_code == untagged.status_code == 403, role
        assert tagged.json() == untagged.json()
        ended = client.post_json(f"{API}/people/{person.pk}/special-groups/{in_group.pk}/end", {})
        not_there = client.post_json(f"{API}/people/{other.pk}/special-groups/999999/end", {})
        assert ended.status_code == not_there.status_code == 403
        assert client.get(f"{API}/people/{person.pk}/overview").json()["special_groups"] is None
        assert client.get(f"{API}/people", {"group": "community_correction"}).json()["items"] == []
        history = client.get(f"{API}/people/{person.pk}/history").content.decode()
        assert "special_group" not in history
    for role in ("safety_officer", "grid_worker"):
        client = api_as(org.user("b", role))
        outside = client.get(f"{API}/people/{person.pk}/special-groups")
        missing = client.get(f"{API}/people/999999/special-groups")
        assert outside.status_code == missing.status_code == 404
        assert outside.json() == missing.json()
        assert client.get(f"{API}/people", {"group": "community_correction"}).json()["items"] == []
    assert not AuditEntry.objects.filter(action="registry.special_group.view").exists()


def test_add_and_end_special_group_through_the_api(
    org: Org, registry_records: dict[str, dict[str, Record]], api_as: Any
) -> None:
    person = registry_records["a"]["person"]
    officer = api_as(org.user("a", "safety_officer"))
    url = f"{API}/people/{person.pk}/special-groups"
    added = officer.post_json(
        url,
        {
            "group": "drug",
            "details": {"control": "01"},
            "started_on": "2025-01-01",
            "responsible": org.user("a", "grid_worker").username,
        },
    )
    assert added.status_code == 201, added.content
    entry = added.json()
    assert entry["group"] == "drug" and entry["responsible"] == "a_grid_worker"
    assert officer.post_json(url, {"group": "drug"}).json()["code"] == "duplicate"
    bad = officer.post_json(url, {"group": "drug", "details": {"nonsense": "1"}})
    assert bad.status_code == 422 and "nonsense" in bad.json()["details"]
    stranger = officer.post_json(url, {"group": "aids", "responsible": "b_grid_worker"})
    assert stranger.status_code == 422 and "responsible" in stranger.json()["details"]
    assert api_as(org.user("a", "dispatcher")).post_json(url, {"group": "aids"}).status_code == 403
    end = f"{url}/{entry['id']}/end"
    ended = officer.post_json(end, {"ended_on": "2025-06-30", "version": 1})
    assert ended.status_code == 200 and ended.json()["ended_on"] == "2025-06-30"
    assert ended.json()["version"] == 2
    assert officer.post_json(end, {"ended_on": "2025-07-01", "version": 1}).status_code == 409
    other = actions.create(
        org.user("a", "grid_worker"), "person", {"name": "赵六", "region": person.region_code}
    )
    wrong_person = officer.post_json(f"{API}/people/{other.pk}/special-groups/{entry['id']}/end", {})
    assert wrong_person.status_code == 404


# --- search and filters -------------------------------------------------------------------------------------


@pytest.mark.parametrize("q", ["zs", "zhangsan", "张三", ID_A, PHONE_A, "解放路"])
def test_search_finds_the_person(
    org: Org, registry_records: dict[str, dict[str, Record]], api_as: Any, q: str
) -> None:
    response = api_as(org.user("a", "dispatcher")).get(f"{API}/people", {"q": q})
    assert response.status_code == 200
    assert [p["name"] for p in response.json()["items"]] == ["张三"]


@pytest.mark.parametrize("q", ["zs", "张三", ID_A, PHONE_A, ""])
def test_user_from_another_township_finds_nothing(
    org: Org, registry_records: dict[str, dict[str, Record]], api_as: Any, q: str
) -> None:
    for role in ("dispatcher", "grid_worker", "admin"):
        names = [
            p["name"] for p in api_as(org.user("b", role)).get(f"{API}/people", {"q": q}).json()["items"]
        ]
        assert "张三" not in names


def test_search_other_kinds(org: Org, registry_records: dict[str, dict[str, Record]], api_as: Any) -> None:
    client = api_as(org.user("county", "admin"))

    def keys(segment: str, **params: Any) -> list[str]:
        response = client.get(f"{API}/{segment}", params)
        assert response.status_code == 200, response.content
        return [item["key"] for item in response.json()["items"]]

    assert keys("organizations", q=SAMPLES["a"].credit_code) == [SAMPLES["a"].credit_code]
    assert keys("organizations", q="五金店") == [SAMPLES["a"].credit_code]
    assert keys("places", q="小学") == ["PA-0001"]
    assert keys("components", q="3301990304") == ["3301990304000002"]
    assert keys("houses", q="HB-0001") == ["HB-0001"]
    assert keys("people", region=org.regions["township_b"].code[:9]) == [
        str(registry_records["b"]["person"].pk)
    ]


def test_kind_filters(org: Org, registry_records: dict[str, dict[str, Record]], api_as: Any) -> None:
    client = api_as(org.user("county", "admin"))
    a, b = registry_records["a"], registry_records["b"]

    def ids(segment: str, **params: Any) -> set[int]:
        response = client.get(f"{API}/{segment}", params)
        assert response.status_code == 200, response.content
        return {item["id"] for item in response.json()["items"]}

    assert ids("people", population_type="registered") == {a["person"].pk, b["person"].pk}
    assert ids("people", population_type="floating") == set()
    assert ids("people", care_group="dibao") == {a["person"].pk, b["person"].pk}
    assert ids("people", care_group="veteran") == set()
    assert ids("people", sex="2") == {b["person"].pk}
    assert ids("organizations", org_kind="enterprise", risk_level="general") == {
        a["organization"].pk,
        b["organization"].pk,
    }
    assert ids("places", place_type="hazmat") == set()
    assert ids("components", state="intact", major="03") == {b["component"].pk}
    assert ids("credit-records", credit_kind="red_list") == {a["credit"].pk, b["credit"].pk}
    assert ids("houses", rental=True) == {a["house"].pk, b["house"].pk}
    assert ids("houses", rental=False) == set()
    bad = client.get(f"{API}/people", {"population_type": "martian"})
    assert bad.status_code == 422 and "population_type" in bad.json()["details"]


def test_keyset_pagination(org: Org, registry_records: dict[str, dict[str, Record]], api_as: Any) -> None:
    user = org.user("a", "grid_worker")
    for n in range(5):
        actions.create(
            user, "component", {"code": f"33019901210001{n:02d}", "region": org.regions["grid_a"].code}
        )
    client = api_as(user)
    seen: list[int] = []
    after: int | None = None
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"after": after} if after else {})
        page = client.get(f"{API}/components", params).json()
        seen += [item["id"] for item in page["items"]]
        after = page["next_after"]
        if after is None:
            break
    assert len(seen) == 6 and seen == sorted(seen, reverse=True)


# --- writing: versions, errors, history, deletion -----------------------------------------------------------


def test_concurrent_edits_one_wins_one_conflicts(
    org: Org, registry_records: dict[str, dict[str, Record]], api_as: Any
) -> None:
    person = registry_records["a"]["person"]
    url = f"{API}/people/{person.pk}"
    first, second = api_as(org.user("a", "grid_worker")), api_as(org.user("a", "village_cadre"))
    version = first.get(url).json()["version"]
    assert second.get(url).json()["version"] == version
    ok = first.patch_json(url, {"occupation": "教师", "version": version})
    assert ok.status_code == 200 and ok.json()["version"] == version + 1
    lost = second.patch_json(url, {"occupation": "医生", "version": version})
    assert lost.status_code == 409 and lost.json()["code"] == "conflict"
    assert first.get(url).json()["occupation"] == "教师"


def test_bad_input_answers_422_per_field_in_chinese(org: Org, api_as: Any) -> None:
    client = api_as(org.user("a", "admin"))
    region = org.regions["grid_a"].code
    wrong_check = ID_A[:-1] + ("0" if ID_A[-1] != "0" else "1")
    one = client.post_json(f"{API}/people", {"name": "王五", "id_number": wrong_check, "region": region})
    assert one.status_code == 422
    body = one.json()
    assert body["code"] == "invalid_id_number"
    assert "校验" in body["message"] and "校验" in body["details"]["id_number"][0]
    several = client.post_json(
        f"{API}/houses", {"code": "H", "floors": "很多", "rental_start": "明天", "region": region}
    )
    assert several.status_code == 422
    assert several.json()["code"] == "invalid_input"
    assert {"code", "floors", "rental_start"} <= set(several.json()["details"])
    blank = client.post_json(f"{API}/people", {"name": " ", "region": region})
    assert blank.status_code == 422 and blank.json()["details"] == {"name": ["此项为必填项。"]}
    inspected = client.post_json(
        f"{API}/places",
        {
            "code": "P-FUTURE",
            "name": "测试场所",
            "place_type": "school",
            "last_inspected_on": "2099-01-01",
            "region": region,
        },
    )
    assert inspected.status_code == 422, inspected.json()
    assert inspected.json()["details"].get("last_inspected_on") == ["日期不能晚于今天。"], inspected.json()
    missing = client.post_json(f"{API}/people", {"region": region})
    assert missing.status_code == 422 and missing.json()["code"] == "invalid_input"
    assert missing.json()["details"]["name"] == ["此项为必填项。"]
    unknown = client.post_json(f"{API}/people", {"name": "王五", "region_code": region})
    assert unknown.status_code == 422 and "region_code" in unknown.json()["details"]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.post_json(f"{API}/people", {"name": "王五", "id_number": wrong_check, "region": region})
    assert english.json()["details"]["id_number"] == ["The check character of the ID number is wrong."]
    assert not Person.objects.exists() and not House.objects.exists()


def test_references_outside_the_jurisdiction_are_refused(
    org: Org, registry_records: dict[str, dict[str, Record]], api_as: Any
) -> None:
    client = api_as(org.user("a", "admin"))
    region = org.regions["grid_a"].code
    household = client.post_json(
        f"{API}/households", {"number": "HHA-0002", "house": "HB-0001", "region": region}
    )
    assert household.status_code == 422 and household.json()["code"] == "unknown_house"
    place = client.post_json(
        f"{API}/places",
        {"code": "PA-0002", "name": "x", "place_type": "market", "organization": SAMPLES["b"].credit_code},
    )
    assert place.status_code == 422 and place.json()["code"] == "unknown_organization"
    key = client.patch_json(f"{API}/houses/HA-0001", {"code": "HA-0002"})
    assert key.status_code == 422 and key.json()["code"] == "immutable"


def test_history_shows_changes_with_personal_data_masked(
    org: Org, registry_records: dict[str, dict[str, Record]], api_as: Any
) -> None:
    person = registry_records["a"]["person"]
    url = f"{API}/people/{person.pk}"
    editor = api_as(org.user("a", "grid_worker"))
    assert editor.patch_json(url, {"phone": "13900001111", "occupation": "教师"}).status_code == 200
    editor.post_json(f"{url}/reveal", {"purpose": "回访"})
    response = api_as(org.user("a", "dispatcher")).get(f"{url}/history")
    assert response.status_code == 200
    entries = response.json()["items"]
    assert [e["action"] for e in entries] == ["registry.person.update", "registry.person.create"]
    change = entries[0]["changes"]
    assert change["phone"] == {"before": "138****5678", "after": "139****1111"}
    assert change["occupation"] == {"before": "个体经营", "after": "教师"}
    assert entries[0]["username"] == "a_grid_worker"
    assert entries[1]["changes"]["id_number"]["after"] == ID_A[:6] + "********" + ID_A[-4:]
    text = response.content.decode()
    assert PHONE_A not in text and "13900001111" not in text and ID_A not in text
    # Who looked at the full values: admins only (as queries.viewers).
    admin_view = api_as(org.user("a", "admin")).get(f"{url}/history").json()["items"]
    assert admin_view[0]["action"] == "registry.person.reveal"
    assert api_as(org.user("b", "admin")).get(f"{url}/history").status_code == 404


def test_soft_delete_with_reason(
    org: Org, registry_records: dict[str, dict[str, Record]], api_as: Any
) -> None:
    house = registry_records["a"]["house"]
    url = f"{API}/houses/{_key(house)}"
    client = api_as(org.user("a", "village_cadre"))
    no_reason = client.post_json(f"{url}/delete", {"reason": "  "})
    assert no_reason.status_code == 422 and no_reason.json()["code"] == "reason_required"
    assert client.post_json(f"{url}/delete", {"reason": "x", "version": 7}).status_code == 409
    refused = api_as(org.user("a", "dispatcher")).post_json(f"{url}/delete", {"reason": "重复"})
    assert refused.status_code == 403
    outsider = api_as(org.user("b", "admin")).post_json(f"{url}/delete", {"reason": "重复"})
    assert outsider.status_code == 404
    deleted = client.post_json(f"{url}/delete", {"reason": "重复登记", "version": 1})
    assert deleted.status_code == 200 and deleted.json() == {"ok": True}
    assert client.get(url).status_code == 404
    assert "HA-0001" not in [h["key"] for h in client.get(f"{API}/houses").json()["items"]]
    house.refresh_from_db()
    assert house.deleted_reason == "重复登记"
    assert AuditEntry.objects.filter(action="registry.house.delete", object_id=str(house.pk)).exists()


# --- 360° views and tenants ---------------------------------------------------------------------------------


def test_person_overview(
    org: Org, categories: Any, registry_records: dict[str, dict[str, Record]], api_as: Any
) -> None:
    a = registry_records["a"]
    spouse = actions.create(
        org.user("a", "grid_worker"),
        "person",
        {
            "name": "王芳",
            "household": "HHA-0001",
            "relation_to_head": "10",
            "region": org.regions["grid_a"].code,
        },
    )
    client = api_as(org.user("a", "dispatcher"))
    body = client.get(f"{API}/people/{a['person'].pk}/overview").json()
    assert body["person"]["name"] == "张三"
    assert body["household"]["number"] == "HHA-0001" and body["household"]["head"] == a["person"].pk
    assert [m["id"] for m in body["household_members"]] == [spouse.pk]
    assert body["house"]["code"] == "HA-0001"
    assert [c["id"] for c in body["credit_records"]] == [a["credit"].pk]
    assert body["special_groups"] is None and body["events"] == []
    event, _ = report_event(
        org.user("a", "grid_worker"), category="0301", title="楼道堆物", reporter_phone=PHONE_A, **IN_GRID_A
    )
    events = client.get(f"{API}/people/{a['person'].pk}/overview").json()["events"]
    assert [(e["id"], e["title"]) for e in events] == [(event.pk, "楼道堆物")]
    assert (
        api_as(org.user("b", "dispatcher")).get(f"{API}/people/{a['person'].pk}/overview").status_code == 404
    )


def test_house_overview_and_tenants(
    org: Org, registry_records: dict[str, dict[str, Record]], api_as: Any
) -> None:
    a, b = registry_records["a"], registry_records["b"]
    url = f"{API}/houses/HA-0001"
    tenant = actions.create(
        org.user("a", "grid_worker"), "person", {"name": "租客", "region": a["house"].region_code}
    )
    editor = api_as(org.user("a", "grid_worker"))
    added = editor.post_json(f"{url}/tenants", {"person": tenant.pk, "start_date": "2025-01-01"})
    assert added.status_code == 201, added.content
    assert added.json()["house"] == "HA-0001" and added.json()["person_name"] == "租客"
    foreign = editor.post_json(f"{url}/tenants", {"person": b["person"].pk})
    assert foreign.status_code == 422 and foreign.json()["code"] == "unknown_person"
    backwards = editor.post_json(
        f"{url}/tenants", {"person": tenant.pk, "start_date": "2025-02-01", "end_date": "2025-01-01"}
    )
    assert backwards.status_code == 422
    assert (
        api_as(org.user("a", "dispatcher")).post_json(f"{url}/tenants", {"person": tenant.pk}).status_code
        == 403
    )
    body = api_as(org.user("a", "dispatcher")).get(f"{url}/overview").json()
    assert body["house"]["code"] == "HA-0001"
    assert [r["name"] for r in body["residents"]] == ["张三"]
    assert [t["person"] for t in body["tenancies"]] == [tenant.pk]
    assert [h["number"] for h in body["households"]] == ["HHA-0001"]
    assert api_as(org.user("b", "admin")).get(f"{url}/overview").status_code == 404


def test_organization_overview(org: Org, registry_records: dict[str, dict[str, Record]], api_as: Any) -> None:
    a = registry_records["a"]
    credit = actions.create(
        org.user("a", "grid_worker"),
        "credit",
        {
            "subject_credit_code": SAMPLES["a"].credit_code,
            "credit_kind": "penalty",
            "title": "消防通道堵塞",
            "source": "县消防救援大队",
            "decided_on": "2025-02-03",
        },
    )
    url = f"{API}/organizations/{SAMPLES['a'].credit_code}/overview"
    body = api_as(org.user("a", "dispatcher")).get(url).json()
    assert body["organization"]["name"] == SAMPLES["a"].org_name
    assert [p["code"] for p in body["places"]] == [a["place"].code]  # type: ignore[attr-defined]
    assert [c["id"] for c in body["credit_records"]] == [credit.pk]
    assert body["credit_records"][0]["subject_credit_code"] == SAMPLES["a"].credit_code
    assert api_as(org.user("b", "dispatcher")).get(url).status_code == 404
