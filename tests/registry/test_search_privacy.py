"""Search that fits Chinese, jurisdiction, and personal data protection on the person registry."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.db import connection

from jiceng.audit.models import AuditEntry
from jiceng.core.validators import make_id_number
from jiceng.registry import actions, queries
from jiceng.registry.models import Person
from tests.conftest import Org

pytestmark = pytest.mark.django_db

ID_A = make_id_number("330199", date(1980, 5, 17), "123")  # odd sequence: male
PHONE_A = "13812345678"


@pytest.fixture
def zhang(org: Org) -> Person:
    return actions.create(  # type: ignore[return-value]
        org.user("a", "grid_worker"),
        "person",
        {
            "name": "张三",
            "id_number": ID_A,
            "phone": PHONE_A,
            "region": org.regions["grid_a"].code,
            "address": "青溪县城关镇解放路12号",
            "occupation": "个体经营",
        },
    )


def found(user: Any, q: str) -> list[str]:
    return list(queries.records(user, "person", q=q).values_list("name", flat=True))


def test_id_number_gives_birth_date_and_sex(zhang: Person) -> None:
    assert zhang.birth_date == date(1980, 5, 17)
    assert zhang.sex == "1"
    assert zhang.region_code.endswith("001001")


@pytest.mark.parametrize(
    "q", ["zs", "ZS", "zhangsan", "zhang", "张三", ID_A, ID_A.lower(), PHONE_A, "解放路", "城关镇"]
)
def test_search_finds_the_person(org: Org, zhang: Person, q: str) -> None:
    assert found(org.user("a", "dispatcher"), q) == ["张三"]


def test_search_does_not_find_others(org: Org, zhang: Person) -> None:
    user = org.user("a", "dispatcher")
    assert found(user, "ls") == []
    assert found(user, "李四") == []
    assert found(user, make_id_number("330199", date(1980, 5, 17), "125")) == []


@pytest.mark.parametrize("q", ["zs", "张三", ID_A, PHONE_A, ""])
def test_user_from_another_township_finds_nothing(org: Org, zhang: Person, q: str) -> None:
    assert found(org.user("b", "dispatcher"), q) == []
    assert found(org.user("b", "grid_worker"), q) == []


def test_no_plaintext_personal_data_in_the_database(zhang: Person) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM registry_person")
        rows = cursor.fetchall()
        cursor.execute("SELECT changes FROM audit_auditentry")
        audit = cursor.fetchall()
    dump = repr(rows) + repr(audit)
    assert ID_A not in dump and ID_A[-8:] not in dump
    assert PHONE_A not in dump
    assert "张三" in dump  # the row is really there


def test_masked_by_default_full_view_is_audited(org: Org, zhang: Person) -> None:
    person = Person.objects.get(pk=zhang.pk)
    assert person.id_number_masked == ID_A[:6] + "********" + ID_A[-4:]
    assert person.phone_masked == "138****5678"
    user = org.user("a", "dispatcher")
    full = actions.reveal(user, person, purpose="核实身份")
    assert full == {"id_number": ID_A, "phone": PHONE_A}
    entry = AuditEntry.objects.filter(action="registry.person.reveal").get()
    assert entry.user_id == user.pk and entry.object_id == str(person.pk)
    assert entry.changes["purpose"] == "核实身份"
    assert list(queries.viewers(org.user("a", "admin"), person)) == [entry]


def test_reveal_refused_to_roles_without_need_and_outsiders(org: Org, zhang: Person) -> None:
    from jiceng.core.errors import NotFound, PermissionDenied

    with pytest.raises(PermissionDenied):
        actions.reveal(org.user("a", "handler"), zhang)
    with pytest.raises(NotFound):
        actions.reveal(org.user("b", "dispatcher"), zhang)
    assert not AuditEntry.objects.filter(action="registry.person.reveal").exists()


def test_special_groups_only_for_roles_that_need_them(org: Org, zhang: Person) -> None:
    officer = org.user("a", "safety_officer")
    actions.add_special_group(
        officer, zhang, "community_correction", {"rectifying_category": "02", "concern_degree": "高"}
    )
    shown = queries.special_groups(officer, zhang)
    assert shown is not None and shown[0].group == "community_correction"
    assert shown[0].details["rectifying_category"] == ("02", "缓刑")
    assert queries.special_groups(org.user("a", "grid_worker"), zhang) is not None
    for who in (org.user("a", "dispatcher"), org.user("a", "admin"), org.user("b", "safety_officer")):
        assert queries.special_groups(who, zhang) is None
    assert queries.records(org.user("a", "dispatcher"), "person", group="community_correction").count() == 0
    assert queries.records(officer, "person", group="community_correction").count() == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM registry_specialgrouprecord")
        assert "community_correction" not in repr(cursor.fetchall())


def test_bad_input_changes_nothing_and_says_why_in_chinese(org: Org) -> None:
    from django.utils import translation

    from jiceng.registry.actions import RowError

    with translation.override("zh-hans"), pytest.raises(RowError) as caught:
        actions.create(
            org.user("a", "grid_worker"),
            "person",
            {"name": "王五", "id_number": "330199198005171234", "region": org.regions["grid_a"].code},
        )
    assert "id_number" in caught.value.details
    assert "校验" in caught.value.details["id_number"][0]
    assert not Person.objects.exists()
