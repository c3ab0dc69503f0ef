"""The event category tree: the seeded content, the schema → form helper, the API and the admin pages."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from django.core.management import call_command
from django.urls import Resolver404, include, path, resolve

import jiceng.urls as root_urls
from jiceng.audit.models import AuditEntry
from jiceng.events.category_actions import check_form_schema, create_category, update_category
from jiceng.events.models import EventCategory, Platform, Urgency
from jiceng.events.schema_form import UnsupportedSchema, form_from_schema
from jiceng.events.seed import apply_seed, seed_categories, seed_rows
from jiceng.org.models import UnitKind
from tests.conftest import Org

# --- URLs -------------------------------------------------------------------------------------------
# Until the category API router and pages are registered in jiceng/api.py and jiceng/urls.py, these tests
# mount them on a test URLconf (this module); once registered, the real URLconf is used as it is.


def _resolves(url: str) -> bool:
    try:
        resolve(url, urlconf=root_urls)
    except Resolver404:
        return False
    return True


def _test_urlpatterns() -> list[Any]:
    patterns: list[Any] = []
    if not _resolves("/api/v1/event-categories/X1"):
        from ninja import NinjaAPI

        from jiceng.core.api import api as main_api
        from jiceng.events.category_api import router

        test_api = NinjaAPI(
            title="categories (test)",
            version="test",
            urls_namespace="categories_test_api",
            auth=main_api.auth,
        )
        for exc_class, handler in main_api._exception_handlers.items():
            test_api.add_exception_handler(exc_class, handler)
        test_api.add_router("", router)
        patterns.append(path("api/v1/", test_api.urls))
    if not _resolves("/events/categories/"):
        patterns.append(path("events/categories/", include("jiceng.events.category_urls")))
    return patterns + list(root_urls.urlpatterns)


urlpatterns = _test_urlpatterns()
pytestmark = pytest.mark.urls(__name__)

REFERENCE = Path("/work/shared/reference/gbt31000-code-tables.txt")
# Obvious OCR slips in the reference text, corrected in the seed to the standard's wording.
OCR_FIXES = {"1002": "其他民商事纠纷-公司企业设立解散"}
API = "/api/v1/event-categories"
PAGES = "/events/categories/"

SIMPLE_SCHEMA = {
    "type": "object",
    "properties": {
        "parties": {"type": "integer", "title": "涉及人数", "minimum": 2},
        "amount": {"type": "number", "title": "涉及金额（元）", "minimum": 0},
        "scale": {
            "type": "string",
            "title": "事件规模",
            "oneOf": [{"const": "01", "title": "个体性事件"}, {"const": "02", "title": "一般群体性事件"}],
        },
        "kind": {"type": "string", "enum": ["a", "b"]},
        "urgent": {"type": "boolean", "title": "是否可能激化"},
        "credit_code": {"type": "string", "maxLength": 18, "pattern": "^[0-9A-HJ-NPQRTUWXY]{18}$"},
        "day": {"type": "string", "format": "date"},
        "means": {"type": "array", "items": {"type": "string", "enum": ["01", "02", "03"]}, "maxItems": 2},
    },
    "required": ["parties", "scale"],
}


def new_payload(**overrides: Any) -> dict[str, Any]:
    return {
        "code": "T01",
        "name": "测试大类",
        "platform": "law_enforcement",
        "handler_kind": "dispatched_agency",
        "handler_hint": "综合执法中队",
        "urgencies": ["normal", "urgent"],
        "accept_hours": 2,
        "dispatch_hours": 2,
        "sign_hours": 2,
        "handle_days": 3,
        "verify_days": 1,
        "form_schema": {
            "type": "object",
            "properties": {"area": {"type": "number", "title": "面积", "minimum": 0}},
        },
        **overrides,
    }


def reference_event_types() -> dict[str, str]:
    lines = REFERENCE.read_text(encoding="utf-8").splitlines()
    start = lines.index("## 事件类型 (EventType)")
    table: dict[str, str] = {}
    for line in lines[start + 1 :]:
        if not line.strip():
            break
        code, name = line.split("\t")
        table[code] = OCR_FIXES.get(code, name)
    return table


# --- seeding ----------------------------------------------------------------------------------------


def test_seed_creates_the_whole_tree_once(db: None) -> None:
    created = seed_categories()
    total = EventCategory.objects.count()
    assert created == total == len(seed_rows()) >= 300
    codes = list(EventCategory.objects.values_list("code", flat=True))
    assert len(codes) == len(set(codes))
    # GB/T 31000-2015 事件类型: 16 classes 01–16 and 99 其他, 78 four-digit subclasses.
    md_top = EventCategory.objects.filter(code__startswith="MD", parent__isnull=True)
    assert sorted(c.code for c in md_top if c.code != "MD99") == [f"MD{n:02d}" for n in range(1, 17)]
    assert EventCategory.objects.get(code="MD99").name == "其他"
    assert EventCategory.objects.filter(code__startswith="MD", parent__isnull=False).count() == 78
    expected = {
        "MD01": "婚恋家庭纠纷",
        "MD0101": "婚恋家庭纠纷-恋爱及婚姻",
        "MD0507": "侵权相关纠纷-劳务损害",
        "MD0701": "劳动人事争议-劳动合同、劳务派遣",
        "MD1002": "其他民商事纠纷-公司企业设立解散",
        "MD1404": "涉法涉诉纠纷-涉司法行政机关",
        "MD1602": "涉民族宗教纠纷-涉宗教问题",
    }
    for code, name in expected.items():
        category = EventCategory.objects.get(code=code)
        assert category.name == name
        assert category.standard == "GB/T 31000-2015"
        assert category.platform == Platform.SOCIAL_GOVERNANCE
    assert EventCategory.objects.get(code="MD0507").parent.code == "MD05"  # type: ignore[union-attr]
    if REFERENCE.is_file():
        seeded = {c.code[2:]: c.name for c in EventCategory.objects.filter(code__startswith="MD")}
        assert seeded == reference_event_types()
    # 城市管理事件 (GB/T 30428.2): six classes with their sub-classes.
    assert [c.name for c in EventCategory.objects.filter(code__startswith="CG", parent__isnull=True)] == [
        "市容环境",
        "宣传广告",
        "施工管理",
        "突发事件",
        "街面秩序",
        "其他事件",
    ]
    assert EventCategory.objects.get(code="CG0102").name == "暴露垃圾"
    # Every platform has content.
    for platform in Platform.values:
        assert EventCategory.objects.filter(platform=platform, parent__isnull=False).count() >= 30
    assert AuditEntry.objects.filter(action="event_category.seed").count() == 1
    assert AuditEntry.objects.filter(action="event_category.create").count() == total


def test_seeding_again_changes_nothing_and_restores_edits(db: None) -> None:
    seed_categories()
    total = EventCategory.objects.count()
    versions = dict(EventCategory.objects.values_list("code", "version"))
    assert seed_categories() == 0
    assert EventCategory.objects.count() == total
    assert dict(EventCategory.objects.values_list("code", "version")) == versions
    # An administrator's change survives --only-missing and is undone by a full seed; deactivation stays.
    EventCategory.objects.filter(code="CG0102").update(handle_days=9, is_active=False)
    assert seed_categories(overwrite=False) == 0
    assert EventCategory.objects.get(code="CG0102").handle_days == 9
    result = apply_seed()
    assert result.updated == ["CG0102"] and not result.created
    restored = EventCategory.objects.get(code="CG0102")
    assert restored.handle_days == 1 and not restored.is_active and restored.version == 2


def test_management_command(db: None, capsys: pytest.CaptureFixture[str]) -> None:
    call_command("seed_categories")
    call_command("seed_categories", "--only-missing")
    out = capsys.readouterr().out
    assert f"{EventCategory.objects.count()} created" in out
    assert "0 created, 0 updated" in out


def test_every_seeded_category_is_sane(db: None) -> None:
    seed_categories()
    parents = set(EventCategory.objects.filter(parent__isnull=False).values_list("parent_id", flat=True))
    leaves = 0
    for c in EventCategory.objects.select_related("parent"):
        where = f"{c.code} {c.name}"
        assert c.name and len(c.name) <= 60, where
        assert c.parent is None or c.parent.parent is None, f"{where}: two levels only"
        assert c.platform in Platform.values, where
        assert c.handler_kind in UnitKind.values, where
        assert c.handler_hint, where
        assert c.urgencies and set(c.urgencies) <= set(Urgency.values) and Urgency.NORMAL in c.urgencies, (
            where
        )
        for hours in (c.accept_hours, c.dispatch_hours, c.sign_hours):
            assert 1 <= hours <= 72, where
        assert 1 <= c.handle_days <= 90 and 1 <= c.verify_days <= 90, where
        if c.form_schema:
            jsonschema.Draft202012Validator.check_schema(c.form_schema)
            assert check_form_schema(c.form_schema) == c.form_schema
            form_from_schema(c.form_schema)
        if c.pk not in parents:
            leaves += 1
    assert leaves >= 250
    emergency = EventCategory.objects.filter(parent__code="CG04")
    assert all(set(c.urgencies) == set(Urgency.values) and c.accept_hours == 1 for c in emergency)
    assert EventCategory.objects.get(code="CG0102").on_spot_needs_confirmation is False
    assert EventCategory.objects.get(code="CG0101").on_spot_needs_confirmation is True
    dispute = EventCategory.objects.get(code="MD0201").form_schema
    assert dispute["required"] == ["parties"] and dispute["properties"]["parties"]["minimum"] == 2
    assert 10 <= EventCategory.objects.get(code="MD0201").handle_days <= 15
    # A leaf adds its own fields to the ones it inherits.
    labour = EventCategory.objects.get(code="MD0701").form_schema["properties"]
    assert {"parties", "employer", "employer_credit_code"} <= set(labour)
    water = EventCategory.objects.get(code="CG0406").form_schema
    assert water["properties"]["depth_cm"]["title"] == "积水深度（厘米）" and water["required"] == [
        "depth_cm"
    ]


def test_seeded_schemas_accept_their_own_forms(db: None) -> None:
    """What a filled-in report form gives is valid for the schema that report_event checks."""
    seed_categories()
    food = EventCategory.objects.get(code="SC0101")
    form = form_from_schema(food.form_schema)(
        {"entity_name": "某某餐馆", "credit_code": "91330106MA2H0X0X1X"}
    )
    assert form.is_valid(), form.errors
    jsonschema.validate(form.json_data(), food.form_schema)
    bad = form_from_schema(food.form_schema)({"entity_name": "某某餐馆", "credit_code": "123"})
    assert not bad.is_valid() and "credit_code" in bad.errors


# --- schema_form ------------------------------------------------------------------------------------


def test_form_from_schema_fields_and_validation() -> None:
    form_class = form_from_schema(SIMPLE_SCHEMA)
    form = form_class()
    assert list(form.fields) == list(SIMPLE_SCHEMA["properties"])
    assert form.fields["parties"].label == "涉及人数" and form.fields["parties"].required
    assert not form.fields["amount"].required and not form.fields["urgent"].required
    assert ("02", "一般群体性事件") in form.fields["scale"].choices  # type: ignore[attr-defined]
    html = form.as_div()
    assert "涉及金额（元）" in html and 'type="date"' in html and 'type="checkbox"' in html

    missing = form_class({"amount": "5"})
    assert not missing.is_valid()
    assert set(missing.errors) == {"parties", "scale"}

    too_small = form_class(
        {"parties": "1", "scale": "01", "amount": "-1", "kind": "c", "means": ["01", "02", "03"]}
    )
    assert not too_small.is_valid()
    assert set(too_small.errors) == {"parties", "amount", "kind", "means"}

    good = form_class(
        {
            "parties": "3",
            "scale": "02",
            "amount": "12.50",
            "kind": "b",
            "urgent": "on",
            "day": "2026-03-02",
            "means": ["01", "03"],
        }
    )
    assert good.is_valid(), good.errors
    data = good.json_data()
    assert data == {
        "parties": 3,
        "amount": 12.5,
        "scale": "02",
        "kind": "b",
        "urgent": True,
        "day": "2026-03-02",
        "means": ["01", "03"],
    }
    jsonschema.validate(data, SIMPLE_SCHEMA)
    minimal = form_class({"parties": "2", "scale": "01"})
    assert minimal.is_valid()
    assert minimal.json_data() == {"parties": 2, "scale": "01", "urgent": False}
    assert isinstance(
        form_class({"parties": "2", "scale": "01", "amount": "3"}).fields["amount"].clean("3"), Decimal
    )


def test_form_from_schema_refuses_what_it_cannot_show() -> None:
    assert list(form_from_schema({})().fields) == []
    for schema in (
        {"type": "array"},
        {"type": "object", "properties": {"nested": {"type": "object"}}},
        {"type": "object", "properties": {"涉及人数": {"type": "integer"}}},
        {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["b"]},
        {"type": "object", "properties": {"tags": {"type": "array", "items": {"type": "string"}}}},
    ):
        with pytest.raises(UnsupportedSchema):
            form_from_schema(schema)


# --- actions ----------------------------------------------------------------------------------------


def test_who_may_change_categories(org: Org) -> None:
    from jiceng.core.errors import PermissionDenied

    county_admin, root = org.user("county", "admin"), org.user("root", "superuser")
    category = create_category(county_admin, **new_payload())
    assert category.version == 1
    create_category(root, **new_payload(code="T02"))
    for where, role in (("a", "admin"), ("a", "dispatcher"), ("county", "county_center")):
        with pytest.raises(PermissionDenied):
            update_category(org.user(where, role), category, name="改名")
    child = create_category(county_admin, **new_payload(code="T0101", name="测试小类", parent_code="T01"))
    assert child.parent == category
    entry = AuditEntry.objects.filter(action="event_category.create", object_id="T0101").get()
    assert entry.changes["parent"] == {"before": None, "after": "T01"}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"code": "CG-01"}, "code"),
        ({"code": "A" * 21}, "code"),
        ({"name": "  "}, "name"),
        ({"parent_code": "NOPE"}, "parent_code"),
        ({"platform": "space"}, "platform"),
        ({"handler_kind": "bank"}, "handler_kind"),
        ({"urgencies": ["normal", "soon"]}, "urgencies"),
        ({"accept_hours": 0}, "accept_hours"),
        ({"sign_hours": 73}, "sign_hours"),
        ({"handle_days": 91}, "handle_days"),
        ({"verify_days": 0}, "verify_days"),
        ({"form_schema": {"type": "object", "properties": {"a": {"type": "nonsense"}}}}, "form_schema"),
        ({"form_schema": {"type": "string"}}, "form_schema"),
        ({"form_schema": {"type": "object", "properties": {"a": {"type": "object"}}}}, "form_schema"),
        (
            {
                "form_schema": {
                    "type": "object",
                    "properties": {"a": {"type": "number", "maximum": float("inf")}},
                }
            },
            "form_schema",
        ),
        (
            {"form_schema": {"type": "object", "properties": {"a": {"type": "string", "pattern": "("}}}},
            "form_schema",
        ),
        ({"form_schema": {"type": "object", "$defs": {"x": [[[[[[[[[[[[[[1]]]]]]]]]]]]]]}}}, "form_schema"),
    ],
)
def test_invalid_values_are_refused_per_field(org: Org, overrides: dict[str, Any], field: str) -> None:
    from jiceng.core.errors import InvalidInput

    with pytest.raises(InvalidInput) as info:
        create_category(org.user("county", "admin"), **new_payload(**overrides))
    assert field in info.value.details
    assert not EventCategory.objects.exists()


def test_tree_stays_two_levels(org: Org) -> None:
    from jiceng.core.errors import InvalidInput

    admin = org.user("county", "admin")
    top = create_category(admin, **new_payload())
    child = create_category(admin, **new_payload(code="T0101", parent_code="T01"))
    with pytest.raises(InvalidInput):
        create_category(admin, **new_payload(code="T010101", parent_code="T0101"))
    other = create_category(admin, **new_payload(code="T02"))
    with pytest.raises(InvalidInput):
        update_category(admin, top, parent_code="T02")
    with pytest.raises(InvalidInput):
        update_category(admin, other, parent_code="T02")
    moved = update_category(admin, child, parent_code="T02")
    assert moved.parent == other and moved.version == 2
    assert update_category(admin, moved, parent_code="").parent is None


# --- API --------------------------------------------------------------------------------------------


def test_api_create_read_update_and_conflict(org: Org, api_as: Any) -> None:
    admin = api_as(org.user("county", "admin"))
    response = admin.post_json(API, new_payload())
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["code"] == "T01" and body["version"] == 1 and body["is_leaf"] and body["children"] == []
    assert body["form_schema"]["properties"]["area"]["title"] == "面积"
    assert AuditEntry.objects.filter(action="event_category.create", object_id="T01", result="ok").exists()
    child = admin.post_json(API, new_payload(code="T0101", name="测试小类", parent_code="T01"))
    assert child.status_code == 201 and child.json()["parent_code"] == "T01"

    # Anyone logged in may read; a parent lists its children.
    for user in (org.user("a", "dispatcher"), org.user("none", "resident")):
        detail = api_as(user).get(f"{API}/T01")
        assert detail.status_code == 200
        assert detail.json()["children"] == [{"code": "T0101", "name": "测试小类", "is_active": True}]
        assert detail.json()["is_leaf"] is False
    assert api_as(None).get(f"{API}/T01").status_code == 401
    missing = admin.get(f"{API}/NOPE")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"

    first = admin.patch_json(f"{API}/T01", {"version": 1, "handle_days": 5, "urgencies": ["normal"]})
    assert first.status_code == 200, first.content
    assert (
        first.json()["version"] == 2
        and first.json()["handle_days"] == 5
        and first.json()["urgencies"] == ["normal"]
    )
    stale = admin.patch_json(f"{API}/T01", {"version": 1, "handle_days": 6})
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"
    assert EventCategory.objects.get(code="T01").handle_days == 5
    update = AuditEntry.objects.filter(action="event_category.update", object_id="T01").get()
    assert update.changes["handle_days"] == {"before": 3, "after": 5}


@pytest.mark.parametrize(
    ("where", "role"), [("a", "admin"), ("a", "dispatcher"), ("county", "county_center")]
)
def test_api_refuses_writes_by_others(org: Org, api_as: Any, where: str, role: str) -> None:
    EventCategory.objects.create(code="T01", name="测试", platform=Platform.LAW_ENFORCEMENT)
    client = api_as(org.user(where, role))
    created = client.post_json(API, new_payload(code="T02"))
    assert created.status_code == 403 and created.json()["code"] == "permission_denied"
    changed = client.patch_json(f"{API}/T01", {"name": "越权"})
    assert changed.status_code == 403
    assert EventCategory.objects.get(code="T01").name == "测试"
    assert not EventCategory.objects.filter(code="T02").exists()
    assert AuditEntry.objects.filter(action="permission.denied", result="denied").count() == 2


def test_api_invalid_input_has_details(org: Org, api_as: Any) -> None:
    admin = api_as(org.user("county", "admin"))
    bad_schema = admin.post_json(
        API, new_payload(form_schema={"type": "object", "properties": {"a": {"type": 5}}})
    )
    assert bad_schema.status_code == 422
    assert bad_schema.json()["code"] == "invalid_schema" and "form_schema" in bad_schema.json()["details"]
    bad_code = admin.post_json(API, new_payload(code="城管01"))
    assert bad_code.status_code == 422 and "code" in bad_code.json()["details"]
    bad_hours = admin.post_json(API, new_payload(accept_hours=100))
    assert bad_hours.status_code == 422 and "accept_hours" in bad_hours.json()["details"]
    bad_enum = admin.post_json(API, new_payload(platform="space"))
    assert bad_enum.status_code == 422 and "platform" in bad_enum.json()["details"]
    assert admin.post_json(API, new_payload()).status_code == 201
    duplicate = admin.post_json(API, new_payload())
    assert duplicate.status_code == 422 and duplicate.json()["code"] == "duplicate_code"
    not_object = admin.patch_json(f"{API}/T01", {"form_schema": {"type": "string"}})
    assert not_object.status_code == 422 and "form_schema" in not_object.json()["details"]


# --- pages ------------------------------------------------------------------------------------------


def test_pages_show_the_tree(org: Org, page_as: Any) -> None:
    seed_categories()
    admin = page_as(org.user("county", "admin"))
    listing = admin.get(PAGES).content.decode()
    for name in ("市容环境", "暴露垃圾", "婚恋家庭纠纷-恋爱及婚姻", "重点人群", "食品安全", "低保慰问"):
        assert name in listing
    assert f'href="{PAGES}new/"' in listing
    filtered = admin.get(PAGES, {"platform": "market_supervision"}).content.decode()
    assert "食品安全" in filtered and "暴露垃圾" not in filtered
    found = admin.get(PAGES, {"q": "积水"}).content.decode()
    assert "道路积水" in found and "突发事件" in found and "暴露垃圾" not in found
    detail = admin.get(f"{PAGES}CG0406/").content.decode()
    assert "积水深度（厘米）" in detail and f"{PAGES}CG0406/edit/" in detail
    # Others read without edit buttons; a township administrator cannot open the editor.
    dispatcher = page_as(org.user("a", "dispatcher"))
    assert "暴露垃圾" in dispatcher.get(PAGES).content.decode()
    assert "/edit/" not in dispatcher.get(f"{PAGES}CG0406/").content.decode()
    township_admin = page_as(org.user("a", "admin"))
    assert township_admin.get(f"{PAGES}CG0406/edit/").status_code == 403
    assert township_admin.get(f"{PAGES}new/").status_code == 403
    assert admin.get(f"{PAGES}NOPE/").status_code == 404
    anonymous = page_as(None).get(PAGES)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


def form_post(category: EventCategory, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": category.name,
        "parent_code": category.parent.code if category.parent else "",
        "platform": category.platform,
        "standard": category.standard,
        "handler_kind": category.handler_kind,
        "handler_hint": category.handler_hint,
        "urgencies": category.urgencies,
        "accept_hours": category.accept_hours,
        "dispatch_hours": category.dispatch_hours,
        "sign_hours": category.sign_hours,
        "handle_days": category.handle_days,
        "verify_days": category.verify_days,
        "form_schema": json.dumps(category.form_schema, ensure_ascii=False),
        "sort": category.sort,
        "version": category.version,
        "is_active": "on",
    }
    if category.on_spot_needs_confirmation:
        data["on_spot_needs_confirmation"] = "on"
    data.update(overrides)
    return data


def test_admin_creates_and_edits_through_pages(org: Org, page_as: Any) -> None:
    admin = page_as(org.user("county", "admin"))
    top = create_category(org.user("county", "admin"), **new_payload())
    form_page = admin.get(f"{PAGES}new/?parent=T01").content.decode()
    assert "hx-post" in form_page and "面积" in form_page  # the parent's schema, previewed
    response = admin.post(
        f"{PAGES}new/",
        {
            "code": "T0101",
            "name": "测试小类",
            "parent_code": "T01",
            "platform": "law_enforcement",
            "urgencies": ["normal", "urgent", "critical"],
            "accept_hours": 1,
            "dispatch_hours": 1,
            "sign_hours": 1,
            "handle_days": 1,
            "verify_days": 1,
            "form_schema": json.dumps(SIMPLE_SCHEMA, ensure_ascii=False),
        },
    )
    assert response.status_code == 302, response.content.decode()
    child = EventCategory.objects.get(code="T0101")
    assert child.parent == top and child.urgencies == ["normal", "urgent", "critical"]
    assert child.form_schema == SIMPLE_SCHEMA and child.on_spot_needs_confirmation is False

    edit = admin.get(f"{PAGES}T0101/edit/").content.decode()
    assert "涉及人数" in edit  # the live preview of the saved schema
    saved = admin.post(f"{PAGES}T0101/edit/", form_post(child, name="改过的小类", handle_days=4))
    assert saved.status_code == 302
    child.refresh_from_db()
    assert child.name == "改过的小类" and child.handle_days == 4 and child.version == 2

    # Bad JSON and a bad schema stay on the form with the message on the field; nothing is saved.
    bad_json = admin.post(f"{PAGES}T0101/edit/", form_post(child, form_schema="{not json"))
    assert bad_json.status_code == 200 and 'class="error"' in bad_json.content.decode()
    bad_schema = admin.post(f"{PAGES}T0101/edit/", form_post(child, form_schema='{"type": "string"}'))
    assert bad_schema.status_code == 200 and 'class="error"' in bad_schema.content.decode()
    # "Preview" re-renders without saving; a stale version shows the conflict and keeps the input.
    preview = admin.post(f"{PAGES}T0101/edit/", form_post(child, name="只是预览", preview="1"))
    assert preview.status_code == 200 and "只是预览" in preview.content.decode()
    stale = admin.post(f"{PAGES}T0101/edit/", form_post(child, name="过期的修改", version=1))
    assert stale.status_code == 200 and "过期的修改" in stale.content.decode()
    child.refresh_from_db()
    assert child.name == "改过的小类" and child.version == 2


def test_live_schema_preview(org: Org, page_as: Any) -> None:
    client = page_as(org.user("county", "admin"))
    url = f"{PAGES}schema-preview/"
    ok = client.post(url, {"form_schema": json.dumps(SIMPLE_SCHEMA, ensure_ascii=False)}).content.decode()
    assert "涉及人数" in ok and "一般群体性事件" in ok
    assert 'class="error"' in client.post(url, {"form_schema": "{"}).content.decode()
    unsupported = client.post(
        url, {"form_schema": '{"type": "object", "properties": {"x": {"type": "object"}}}'}
    )
    assert 'class="error"' in unsupported.content.decode()
    assert client.get(url).status_code == 405


def test_staff_only_comes_from_the_seed_and_is_edited_like_the_rest(org: Org, api_as: Any) -> None:
    seed_categories()
    staff_only = set(EventCategory.objects.filter(staff_only=True).values_list("code", flat=True))
    assert {"ZZ01", "ZZ0101", "ZZ0102", "ZZ07", "ZZ1001", "SC0501", "ZF0502", "BM0404"} <= staff_only
    assert not staff_only & {"ZZ02", "ZZ0201", "CG0101", "MD0201", "ZF0501", "SC0406", "BM0505"}
    assert not any(code.startswith(("CG", "MD")) for code in staff_only)  # city management, disputes
    admin = api_as(org.user("county", "admin"))
    version = EventCategory.objects.get(code="ZZ0201").version
    changed = admin.patch_json(f"{API}/ZZ0201", {"version": version, "staff_only": True})
    assert changed.status_code == 200 and changed.json()["staff_only"] is True
    entry = AuditEntry.objects.filter(action="event_category.update", object_id="ZZ0201").get()
    assert entry.changes["staff_only"] == {"before": False, "after": True}
    refused = admin.patch_json(f"{API}/ZZ0201", {"version": version + 1, "staff_only": "maybe"})
    assert refused.status_code == 422
