"""尾号: the last four of a person's ID number or phone find them, by a keyed hash, scoped and masked."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection

from jiceng.core.validators import make_id_number
from jiceng.registry import actions, queries, search
from jiceng.registry.models import Person
from tests.conftest import Org

pytestmark = pytest.mark.django_db

ID_A = make_id_number("330199", date(1980, 5, 17), "123")
ID_X = next(
    n for seq in range(100, 999) if (n := make_id_number("330199", date(1975, 1, 2), str(seq))).endswith("X")
)
PHONE_A = "13812345678"


@pytest.fixture
def people(org: Org) -> None:
    user = org.user("a", "grid_worker")
    grid = org.regions["grid_a"].code
    actions.create(user, "person", {"name": "张三", "id_number": ID_A, "phone": PHONE_A, "region": grid})
    actions.create(user, "person", {"name": "李四", "id_number": ID_X, "region": grid})
    actions.create(user, "person", {"name": "王五", "phone": "0571-87654321-12", "region": grid})
    actions.create(user, "person", {"name": "赵六", "address": "幸福路5678号", "region": grid})


def found(user: Any, q: str) -> set[str]:
    return set(queries.records(user, "person", q=q).values_list("name", flat=True))


def test_last_four_of_id_number_or_phone_find_the_person(org: Org, people: None) -> None:
    user = org.user("a", "dispatcher")
    assert found(user, ID_A[-4:]) == {"张三"}
    assert found(user, ID_X[-4:].lower()) == {"李四"}
    assert found(user, ID_X[-4:]) == {"李四"}
    assert found(user, "4321") == {"王五"}  # the landline's number, not its extension
    assert found(user, "5678") == {"张三", "赵六"}  # the phone's 尾号, and the house number of an address
    assert found(user, "0000") == set()


def test_other_townships_find_nobody_and_the_list_stays_masked(org: Org, people: None) -> None:
    assert found(org.user("b", "dispatcher"), "5678") == set()
    zhang = queries.records(org.user("a", "dispatcher"), "person", q=ID_A[-4:]).get()
    assert zhang.id_number_masked != ID_A and zhang.phone_masked != PHONE_A


def test_no_plaintext_tail_is_stored(people: None) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT search_text FROM registry_person")
        texts = " ".join(r[0] for r in cursor.fetchall())
    assert ID_A[-4:] not in texts and ID_X[-4:] not in texts.upper() and "4321" not in texts
    assert search.tail_token("5678") in texts


def test_tail() -> None:
    assert search.tail("13812345678") == "5678"
    assert search.tail("0571-87654321") == "4321"
    assert search.tail("0571-87654321-12") == "4321"
    assert search.tail("33019919750102123x") == "123X"
    assert search.tail("12") == ""


def test_rotating_the_data_key_keeps_tail_search(org: Org, people: None, settings: Any) -> None:
    old = settings.DATA_KEY or settings.SECRET_KEY
    settings.DATA_KEY, settings.DATA_KEY_PREVIOUS = "a new data key of at least thirty-two chars", [old]
    call_command("rotate_data_key", stdout=io.StringIO())
    user = org.user("a", "dispatcher")
    assert found(user, ID_A[-4:]) == {"张三"}
    assert found(user, ID_A) == {"张三"}
    assert Person.objects.get(name="张三").search_text.count("tail") == 2
