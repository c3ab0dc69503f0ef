"""The base-data pages: jurisdiction (404 outside, login first), masked personal data with an audited
"show in full", editors' create / edit / delete, a stale edit that keeps what was typed, the 360° pages and
special groups."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from jiceng.audit.models import AuditEntry
from jiceng.core.validators import mask_id_number, mask_phone
from jiceng.events.actions import report_event
from jiceng.registry import actions, queries
from jiceng.registry.models import Person, Record
from jiceng.registry.views import STALE_EDIT, record_key
from tests.conftest import Org
from tests.events.conftest import IN_GRID_A
from tests.registry.conftest import KINDS, SAMPLES

pytestmark = pytest.mark.django_db
Records = dict[str, dict[str, Any]]


def url(name: str, obj: Record | None = None, kind: str = "", **extra: Any) -> str:
    if obj is None:
        return reverse(f"registry:{name}", kwargs={"kind": kind} if kind else {})
    return reverse(f"registry:{name}", kwargs={"kind": obj.kind, "key": record_key(obj), **extra})


def text(response: Any) -> str:
    return response.content.decode()


def zh(msgid: str) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(msgid)


def form_data(client: Client, edit_url: str) -> dict[str, Any]:
    response = client.get(edit_url)
    assert response.status_code == 200
    form = response.context["form"]
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        value = form.initial.get(name, "")
        data[name] = value if isinstance(value, list) else ("" if value is None else str(value))
    return data


# --- every page, for insiders, outsiders and strangers ------------------------------------------------


def test_every_page_renders_for_someone_in_the_jurisdiction(
    org: Org, registry_records: Records, page_as: Any
) -> None:
    client = page_as(org.user("a", "grid_worker"))
    pages = [reverse("registry:overview"), reverse("registry:quality")]
    for kind in KINDS:
        obj = registry_records["a"][kind]
        pages += [url("list", kind=kind), url("new", kind=kind), url("detail", obj), url("edit", obj)]
    for address in pages:
        response = client.get(address)
        assert response.status_code == 200, address


@pytest.mark.parametrize("role", ["dispatcher", "safety_officer", "leader", "handler"])
def test_other_roles_read_the_pages(org: Org, registry_records: Records, page_as: Any, role: str) -> None:
    client = page_as(org.user("a", role))
    for kind in KINDS:
        assert client.get(url("list", kind=kind)).status_code == 200
        assert client.get(url("detail", registry_records["a"][kind])).status_code == 200


def test_county_sees_both_townships(org: Org, registry_records: Records, page_as: Any) -> None:
    client = page_as(org.user("county", "county_center"))
    html = text(client.get(url("list", kind="person")))
    assert SAMPLES["a"].person_name in html and SAMPLES["b"].person_name in html
    overview = client.get(reverse("registry:overview"))
    assert [k["count"] for k in overview.context["kinds"]] == [2] * len(KINDS)


@pytest.mark.parametrize("kind", KINDS)
def test_a_record_of_the_other_township_is_not_found(
    org: Org, registry_records: Records, page_as: Any, kind: str
) -> None:
    obj = registry_records["a"][kind]
    for role in ("grid_worker", "dispatcher", "admin", "safety_officer"):
        client = page_as(org.user("b", role))
        for name in ("detail", "edit"):
            response = client.get(url(name, obj))
            assert response.status_code in (403, 404) if name == "edit" else response.status_code == 404
        assert client.get(url("detail", obj)).status_code == 404
        assert client.post(url("reveal", obj), {"purpose": "x"}).status_code == 404
    editor = page_as(org.user("b", "grid_worker"))
    assert editor.get(url("edit", obj)).status_code == 404
    assert editor.post(url("delete", obj), {"reason": "x", "version": "1"}).status_code == 404
    assert not type(obj).objects.get(pk=obj.pk).is_deleted
    html = text(editor.get(url("list", kind=kind)))
    assert url("detail", obj) not in html


def test_special_group_pages_of_the_other_township_are_not_found(
    org: Org, registry_records: Records, page_as: Any
) -> None:
    person = registry_records["a"]["person"]
    client = page_as(org.user("b", "safety_officer"))
    add = reverse("registry:special_group_add", kwargs={"key": person.pk})
    assert client.post(add, {"group": "drug", "drug-group": "drug"}).status_code == 404
    end = reverse("registry:special_group_end", kwargs={"key": person.pk, "entry_id": 1})
    assert client.post(end, {}).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(registry_records: Records, client: Client) -> None:
    person = registry_records["a"]["person"]
    for address in (
        reverse("registry:overview"),
        reverse("registry:quality"),
        url("list", kind="person"),
        url("new", kind="person"),
        url("detail", person),
        url("edit", person),
    ):
        response = client.get(address)
        assert response.status_code == 302 and "/accounts/login" in response["Location"], address
    response = client.post(url("reveal", person), {"purpose": "x"})
    assert response.status_code == 302 and "/accounts/login" in response["Location"]


def test_the_navigation_leads_to_the_base_data(org: Org, page_as: Any) -> None:
    html = text(page_as(org.user("a", "grid_worker")).get(reverse("registry:overview")))
    assert f'href="{reverse("registry:overview")}"' in html and zh("Base data") in html


# --- lists -------------------------------------------------------------------------------------------------


def test_the_list_masks_id_numbers_and_phones(org: Org, registry_records: Records, page_as: Any) -> None:
    sample = SAMPLES["a"]
    html = text(page_as(org.user("a", "dispatcher")).get(url("list", kind="person")))
    assert sample.person_name in html
    assert mask_id_number(sample.id_number) in html and sample.id_number not in html
    assert sample.id_number[6:14] not in html  # not even the birth-date digits
    assert mask_phone(sample.phone) in html and sample.phone not in html


def test_search_and_filters(org: Org, registry_records: Records, page_as: Any) -> None:
    client = page_as(org.user("a", "dispatcher"))
    name = SAMPLES["a"].person_name
    for q in ("zs", name, SAMPLES["a"].id_number, "解放路"):
        assert name in text(client.get(url("list", kind="person"), {"q": q})), q
    assert name not in text(client.get(url("list", kind="person"), {"q": "ls"}))
    assert name not in text(client.get(url("list", kind="person"), {"population_type": "floating"}))
    assert name in text(client.get(url("list", kind="person"), {"population_type": "registered"}))
    assert name in text(client.get(url("list", kind="person"), {"care_group": "dibao"}))
    assert name not in text(client.get(url("list", kind="person"), {"care_group": "veteran"}))
    grid = org.regions["grid_a"].code
    assert name in text(client.get(url("list", kind="person"), {"region": grid}))
    # A region outside the jurisdiction is not offered, so the filter is dropped, not applied.
    outside = client.get(url("list", kind="person"), {"region": org.regions["grid_b"].code})
    assert outside.status_code == 200 and SAMPLES["b"].person_name not in text(outside)
    org_name = SAMPLES["a"].org_name
    assert org_name in text(client.get(url("list", kind="organization"), {"risk_level": "general"}))
    assert org_name not in text(client.get(url("list", kind="organization"), {"risk_level": "major"}))
    assert SAMPLES["a"].place_name not in text(
        client.get(url("list", kind="place"), {"place_type": "market"})
    )
    comp = SAMPLES["a"].component_code
    assert comp not in text(client.get(url("list", kind="component"), {"state": "damaged"}))
    assert "见义勇为表彰" in text(client.get(url("list", kind="credit"), {"credit_kind": "red_list"}))


def test_the_special_group_filter_is_offered_only_to_those_who_may_use_it(
    org: Org, registry_records: Records, page_as: Any
) -> None:
    person = registry_records["a"]["person"]
    officer = org.user("a", "safety_officer")
    actions.add_special_group(officer, person, "drug", {"control": ""})
    officer_page = page_as(officer).get(url("list", kind="person"), {"group": "drug"})
    assert "group" in officer_page.context["form"].fields
    assert SAMPLES["a"].person_name in text(officer_page)
    dispatcher_page = page_as(org.user("a", "dispatcher")).get(url("list", kind="person"), {"group": "drug"})
    assert "group" not in dispatcher_page.context["form"].fields
    assert 'name="group"' not in text(dispatcher_page)


def test_the_list_links_to_export_and_import(org: Org, registry_records: Records, page_as: Any) -> None:
    html = text(page_as(org.user("a", "grid_worker")).get(url("list", kind="house"), {"use": "01"}))
    assert "/registry/import/house/export?use=01&amp;fmt=xlsx" in html
    assert 'href="/registry/import/house/"' in html
    dispatcher = text(page_as(org.user("a", "dispatcher")).get(url("list", kind="house")))
    assert 'href="/registry/import/house/"' not in dispatcher  # import is for editors


def test_the_list_pages(org: Org, page_as: Any) -> None:
    user = org.user("a", "grid_worker")
    grid = org.regions["grid_a"].code
    for i in range(55):
        actions.create(user, "house", {"code": f"HQ-{i:04d}", "region": grid, "address": f"测试路{i}号"})
    client = page_as(user)
    first = client.get(url("list", kind="house"))
    assert len(first.context["rows"]) == 50
    second = client.get(url("list", kind="house"), {"page": 2})
    assert len(second.context["rows"]) == 5


# --- the record page ---------------------------------------------------------------------------------------


def test_the_record_page_masks_personal_data(org: Org, registry_records: Records, page_as: Any) -> None:
    sample = SAMPLES["a"]
    for kind in ("person", "organization", "place"):
        html = text(page_as(org.user("a", "dispatcher")).get(url("detail", registry_records["a"][kind])))
        assert sample.phone not in html and mask_phone(sample.phone) in html, kind
        assert sample.id_number not in html
        assert zh("Show in full") in html


def test_show_in_full_is_audited_and_shown_once(org: Org, registry_records: Records, page_as: Any) -> None:
    person = registry_records["a"]["person"]
    sample = SAMPLES["a"]
    dispatcher = org.user("a", "dispatcher")
    client = page_as(dispatcher)
    before = AuditEntry.objects.filter(action="registry.person.reveal").count()
    refused = client.post(url("reveal", person), {"purpose": ""})
    assert refused.status_code == 200 and sample.id_number not in text(refused)
    assert AuditEntry.objects.filter(action="registry.person.reveal").count() == before
    response = client.post(url("reveal", person), {"purpose": "入户走访核实"})
    assert response.status_code == 200
    html = text(response)
    assert sample.id_number in html and sample.phone in html
    entry = AuditEntry.objects.filter(action="registry.person.reveal").latest("id")
    assert entry.user_id == dispatcher.pk and entry.object_id == str(person.pk)
    assert entry.changes["purpose"] == "入户走访核实"
    assert set(entry.changes["fields"]) == {"id_number", "phone"}
    assert sample.id_number not in text(client.get(url("detail", person)))  # once only


def test_roles_that_may_not_ask_get_no_button_and_a_403(
    org: Org, registry_records: Records, page_as: Any
) -> None:
    person = registry_records["a"]["person"]
    client = page_as(org.user("a", "handler"))
    assert zh("Show in full") not in text(client.get(url("detail", person)))
    assert client.post(url("reveal", person), {"purpose": "看看"}).status_code == 403
    assert not AuditEntry.objects.filter(action="registry.person.reveal").exists()


def test_admins_see_who_viewed_the_personal_data(org: Org, registry_records: Records, page_as: Any) -> None:
    person = registry_records["a"]["person"]
    page_as(org.user("a", "dispatcher")).post(url("reveal", person), {"purpose": "核实来电"})
    admin_page = page_as(org.user("a", "admin")).get(url("detail", person))
    assert [v.username for v in admin_page.context["viewers"]] == [org.user("a", "dispatcher").username]
    assert "核实来电" in text(admin_page)
    other = page_as(org.user("a", "grid_worker")).get(url("detail", person))
    assert other.context["viewers"] is None and "核实来电" not in text(other)


def test_the_record_page_shows_code_names_and_history(
    org: Org, registry_records: Records, page_as: Any
) -> None:
    person = registry_records["a"]["person"]
    actions.update(org.user("a", "grid_worker"), person, {"education": "20"})
    html = text(page_as(org.user("a", "dispatcher")).get(url("detail", person)))
    assert "大学本科" in html and "户主" in html and "低保对象" in html and "汉族" in html
    assert zh("Record created") in html and zh("Record changed") in html
    assert re.search(r"<ins>大学本科</ins>", html)
    assert org.user("a", "grid_worker").username in html


def test_the_person_page_is_a_360_view(
    org: Org, registry_records: Records, page_as: Any, categories: Any
) -> None:
    a = registry_records["a"]
    user = org.user("a", "grid_worker")
    grid = org.regions["grid_a"].code
    spouse = actions.create(
        user,
        "person",
        {"name": "王芳", "region": grid, "household": a["household"].number, "relation_to_head": "10"},
    )
    event, _ = report_event(
        user,
        category="0301",
        title="楼道堆放杂物",
        reporter_phone=SAMPLES["a"].phone,
        lng=IN_GRID_A["lng"],
        lat=IN_GRID_A["lat"],
    )
    html = text(page_as(org.user("a", "dispatcher")).get(url("detail", a["person"])))
    assert url("detail", a["household"]) in html and url("detail", a["house"]) in html
    assert url("detail", spouse) in html and "配偶" in html
    assert url("detail", a["credit"]) in html and "见义勇为表彰" in html
    assert reverse("events:detail", args=[event.pk]) in html and "楼道堆放杂物" in html
    house_html = text(page_as(org.user("a", "dispatcher")).get(url("detail", a["house"])))
    assert url("detail", a["person"]) in house_html and url("detail", a["household"]) in house_html
    org_html = text(page_as(org.user("a", "dispatcher")).get(url("detail", a["organization"])))
    assert url("detail", a["place"]) in org_html
    household_html = text(page_as(org.user("a", "dispatcher")).get(url("detail", a["household"])))
    assert url("detail", spouse) in household_html and url("detail", a["person"]) in household_html


# --- special groups ----------------------------------------------------------------------------------------


def test_special_groups_only_for_public_safety_staff_and_audited(
    org: Org, registry_records: Records, page_as: Any
) -> None:
    person = registry_records["a"]["person"]
    officer = org.user("a", "safety_officer")
    client = page_as(officer)
    response = client.post(
        reverse("registry:special_group_add", kwargs={"key": person.pk}),
        {"group": "drug", "drug-group": "drug", "drug-concern_degree": "01", "drug-started_on": "2024-03-01"},
    )
    assert response.status_code == 302
    views = AuditEntry.objects.filter(action="registry.person.special_groups.view", object_id=str(person.pk))
    seen = views.count()
    html = text(client.get(url("detail", person)))
    assert zh("Drug user") in html and zh("Level of attention") in html
    assert views.count() == seen + 1
    for role in ("dispatcher", "admin", "grid_worker_b"):
        user = org.user("b", "grid_worker") if role == "grid_worker_b" else org.user("a", role)
        other = page_as(user).get(url("detail", person))
        if other.status_code == 200:
            assert zh("Drug user") not in text(other) and other.context.get("special_groups") is None
    assert views.count() == seen + 1
    refused = page_as(org.user("a", "dispatcher")).post(
        reverse("registry:special_group_add", kwargs={"key": person.pk}), {"group": "aids"}
    )
    assert refused.status_code == 403


def test_a_special_group_can_be_ended(org: Org, registry_records: Records, page_as: Any) -> None:
    person = registry_records["a"]["person"]
    officer = org.user("a", "safety_officer")
    entry = actions.add_special_group(officer, person, "released")
    client = page_as(officer)
    end = reverse("registry:special_group_end", kwargs={"key": person.pk, "entry_id": entry.pk})
    response = client.post(end, {f"end-{entry.pk}-version": "1", f"end-{entry.pk}-ended_on": "2025-01-31"})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert str(entry.ended_on) == "2025-01-31"


def test_adding_the_same_group_twice_shows_the_error(
    org: Org, registry_records: Records, page_as: Any
) -> None:
    person = registry_records["a"]["person"]
    officer = org.user("a", "safety_officer")
    actions.add_special_group(officer, person, "youth")
    response = page_as(officer).post(
        reverse("registry:special_group_add", kwargs={"key": person.pk}),
        {"group": "youth", "youth-group": "youth"},
    )
    assert response.status_code == 200
    assert zh("The person is in this group already.") in text(response)


# --- editing -----------------------------------------------------------------------------------------------


def test_an_editor_creates_edits_and_deletes(org: Org, page_as: Any) -> None:
    user = org.user("a", "grid_worker")
    client = page_as(user)
    grid = org.regions["grid_a"].code
    response = client.post(
        url("new", kind="person"),
        {"name": "赵六", "region": grid, "ethnicity": "01", "care_groups": ["elderly_alone", "dibao"]},
    )
    assert response.status_code == 302
    person = Person.objects.get(name="赵六")
    assert response["Location"] == url("detail", person)
    assert person.care_groups == ["dibao", "elderly_alone"] and person.created_by == user

    data = form_data(client, url("edit", person))
    data["occupation"] = "退休"
    response = client.post(url("edit", person), data)
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.occupation == "退休" and person.version == 2
    assert AuditEntry.objects.filter(action="registry.person.update", object_id=str(person.pk)).exists()

    no_reason = client.post(url("delete", person), {"version": "2", "reason": ""})
    assert no_reason.status_code == 200 and zh("Say why the record is deleted.") in text(no_reason)
    assert not Person.objects.get(pk=person.pk).is_deleted
    gone = client.post(url("delete", person), {"version": "2", "reason": "重复录入"})
    assert gone.status_code == 302 and gone["Location"] == url("list", kind="person")
    person.refresh_from_db()
    assert person.is_deleted and person.deleted_reason == "重复录入"
    assert client.get(url("detail", person)).status_code == 404


def test_form_errors_are_shown_per_field_and_nothing_is_lost(org: Org, page_as: Any) -> None:
    client = page_as(org.user("a", "grid_worker"))
    response = client.post(
        url("new", kind="person"),
        {
            "name": "钱七",
            "id_number": "330199198001011234",
            "phone": "12",
            "region": org.regions["grid_a"].code,
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) >= {"id_number", "phone"}
    assert 'value="钱七"' in text(response)
    assert not Person.objects.filter(name="钱七").exists()
    outside = client.post(url("new", kind="person"), {"name": "钱七", "region": org.regions["grid_b"].code})
    assert outside.status_code == 200 and "region" in outside.context["form"].errors


def test_editing_keeps_personal_data_out_of_the_form(
    org: Org, registry_records: Records, page_as: Any
) -> None:
    person = registry_records["a"]["person"]
    client = page_as(org.user("a", "grid_worker"))
    html = text(client.get(url("edit", person)))
    assert SAMPLES["a"].id_number not in html and SAMPLES["a"].phone not in html
    assert mask_phone(SAMPLES["a"].phone) in html  # as a hint: blank keeps it
    data = form_data(client, url("edit", person))
    data["address"] = "甲镇解放路14号"
    assert client.post(url("edit", person), data).status_code == 302
    person.refresh_from_db()
    assert person.phone == SAMPLES["a"].phone and person.id_number == SAMPLES["a"].id_number
    assert person.address == "甲镇解放路14号"


def test_the_code_of_a_record_cannot_be_changed(org: Org, registry_records: Records, page_as: Any) -> None:
    house = registry_records["a"]["house"]
    client = page_as(org.user("a", "grid_worker"))
    data = form_data(client, url("edit", house))
    data["code"] = "HX-9999"
    data["room"] = "102"
    assert client.post(url("edit", house), data).status_code == 302
    house.refresh_from_db()
    assert house.code == SAMPLES["a"].house_code and house.room == "102"


@pytest.mark.parametrize("role", ["dispatcher", "handler", "leader", "safety_officer"])
def test_non_editors_cannot_edit(org: Org, registry_records: Records, page_as: Any, role: str) -> None:
    person = registry_records["a"]["person"]
    client = page_as(org.user("a", role))
    assert client.get(url("new", kind="person")).status_code == 403
    assert (
        client.post(
            url("new", kind="person"), {"name": "x", "region": org.regions["grid_a"].code}
        ).status_code
        == 403
    )
    assert client.get(url("edit", person)).status_code == 403
    assert client.post(url("edit", person), {"occupation": "x", "version": "1"}).status_code == 403
    assert client.post(url("delete", person), {"reason": "x", "version": "1"}).status_code == 403
    html = text(client.get(url("detail", person)))
    assert url("edit", person) not in html and url("delete", person) not in html
    person.refresh_from_db()
    assert person.version == 1 and not person.is_deleted


def test_a_stale_edit_shows_a_conflict_and_keeps_what_was_typed(
    org: Org, registry_records: Records, page_as: Any
) -> None:
    person = registry_records["a"]["person"]
    client = page_as(org.user("a", "grid_worker"))
    data = form_data(client, url("edit", person))  # opened at version 1
    actions.update(org.user("a", "village_cadre"), person, {"occupation": "教师"})  # someone else saves
    data["occupation"] = "厨师"
    data["address"] = "甲镇解放路99号"
    response = client.post(url("edit", person), data)
    assert response.status_code == 200
    html = text(response)
    with translation.override("zh-hans"):
        assert str(STALE_EDIT) in html
    assert 'value="厨师"' in html and 'value="甲镇解放路99号"' in html  # nothing typed is lost
    assert "教师" in html  # what is saved now is shown
    person.refresh_from_db()
    assert person.occupation == "教师" and person.version == 2
    # Saving again (the form now carries the current version) applies the user's values.
    again = dict(data, version=str(response.context["form"]["version"].value()))
    assert client.post(url("edit", person), again).status_code == 302
    person.refresh_from_db()
    assert person.occupation == "厨师" and person.address == "甲镇解放路99号" and person.version == 3


def test_new_person_from_a_house_is_prefilled(org: Org, registry_records: Records, page_as: Any) -> None:
    house = registry_records["a"]["house"]
    client = page_as(org.user("a", "grid_worker"))
    response = client.get(url("new", kind="person"), {"house": house.code, "region": house.region_code})
    assert response.context["form"].initial["house"] == house.code


# --- phones ------------------------------------------------------------------------------------------------


def test_the_person_pages_fit_a_phone(org: Org, registry_records: Records, page_as: Any) -> None:
    client = page_as(org.user("a", "grid_worker"))
    html = text(client.get(url("list", kind="person")))
    assert 'name="viewport"' in html and "registry/registry.css" in html
    assert re.search(r'<td data-label="[^"]+"', html)  # cells carry their labels for the card layout
    assert 'class="hide-sm"' in html  # secondary columns fold away on a phone


def test_the_person_form_names_the_care_groups_with_a_legend(org: Org, page_as: Any) -> None:
    response = page_as(org.user("a", "grid_worker")).get("/registry/person/new/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="care_groups"' in html and 'for=""' not in html
    assert re.search(r'<fieldset class="field[^"]*" data-field="care_groups">\s*<legend class="label">', html)


def test_registry_styles_leave_the_top_menu_alone() -> None:
    """The registry's summary buttons are white boxes; the top menu's groups (日常工作, 系统管理) are
    ``details > summary`` too and must keep their own look, so every registry rule on them is scoped."""
    from pathlib import Path

    import jiceng.registry

    css = (Path(jiceng.registry.__file__).parent / "static/registry/registry.css").read_text()
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    selectors = [s.strip() for block in re.findall(r"([^{}]+)\{", css) for s in block.split(",")]
    loose = [s for s in selectors if re.match(r"details(\[[^\]]*\])?\s*>?\s*summary", s)]
    assert not loose, loose


def test_a_refused_form_names_every_problem_at_once(org: Org, page_as: Any) -> None:
    """QA: a wrong 统一社会信用代码 was only flagged after 类型 had been filled in."""
    client = page_as(org.user("a", "grid_worker"))
    with translation.override("zh-hans"):
        response = client.post(
            url("new", kind="organization"),
            {
                "credit_code": "123",
                "name": "青溪五金店",
                "org_kind": "",
                "region": org.regions["grid_a"].code,
            },
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        )
    html = text(response)
    assert response.status_code == 200
    assert "统一社会信用代码应为18位" in html
    assert zh("This field is required.") in html
    assert not queries.records(org.user("a", "dispatcher"), "organization", q="青溪五金店").exists()
