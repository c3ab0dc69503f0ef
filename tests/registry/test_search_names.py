"""Search by surname, given name and any part of a name of two characters or more (QA: 曾 found nobody,
陈 only the names jieba happened to split, 林红 did not find 林红强)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation

from jiceng.registry import actions, queries, schema, search
from tests.conftest import Org

pytestmark = pytest.mark.django_db

NAMES = ["曾浩豪", "曾丽", "陈伟", "陈思远", "陈", "林红强", "欧阳娜娜", "欧文", "司马光", "王曾", "张三"]


@pytest.fixture
def people(org: Org) -> None:
    user = org.user("a", "grid_worker")
    for name in NAMES:
        actions.create(user, "person", {"name": name, "region": org.regions["grid_a"].code})


def found(user: Any, q: str) -> set[str]:
    return set(queries.records(user, "person", q=q).values_list("name", flat=True))


@pytest.mark.parametrize(
    ("q", "names"),
    [
        ("曾", {"曾浩豪", "曾丽"}),  # not 王曾: 曾 is his given name
        ("陈", {"陈伟", "陈思远", "陈"}),
        ("欧阳", {"欧阳娜娜"}),
        ("司马", {"司马光"}),
        ("林红", {"林红强"}),
        ("红强", {"林红强"}),
        ("浩豪", {"曾浩豪"}),
        ("娜娜", {"欧阳娜娜"}),
        ("阳娜娜", {"欧阳娜娜"}),
        ("思远", {"陈思远"}),
        ("曾浩豪", {"曾浩豪"}),
        ("林强", set()),  # not contiguous
        ("豪浩", set()),
    ],
)
def test_surname_given_name_and_parts_find_the_person(
    org: Org, people: None, q: str, names: set[str]
) -> None:
    assert found(org.user("a", "dispatcher"), q) == names


def test_a_compound_surname_is_not_its_first_character(org: Org, people: None) -> None:
    assert found(org.user("a", "dispatcher"), "欧") == {"欧文"}


def test_other_townships_still_find_nothing(org: Org, people: None) -> None:
    assert found(org.user("b", "dispatcher"), "陈") == set()
    assert found(org.user("b", "dispatcher"), "林红") == set()


def test_surname_and_pairs() -> None:
    assert search.surname("曾浩豪") == "曾"
    assert search.surname("欧阳娜娜") == "欧阳"
    assert search.surname("欧阳") == "欧"  # two characters: surname 欧, given name 阳
    assert search.surname("阿卜杜热合曼·买买提") == ""
    assert search.surname("Smith") == ""
    assert search.pairs("林红强") == ["林红", "红强"]
    tokens = search.search_text(names=["林红强"]).split()
    assert {"林", "林红", "红强", "linhongqiang", "lhq"} <= set(tokens)


def test_a_han_name_is_indexed_whole_by_surname_and_pairs_without_word_cutting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # jieba added only a stray given-name character for some names (罗平玉 → 玉, not 罗平丽 → 丽); the
    # pairs already hold every part of two characters, and cutting cost three quarters of search_text.
    search.words.cache_clear()
    monkeypatch.setattr(search.wordcut, "cut_for_search", lambda text: pytest.fail(f"cut {text}"))
    assert search.search_text(names=["罗平玉"]).split() == [
        "罗平玉",
        "luopingyu",
        "lpy",
        "罗",
        "罗平",
        "平玉",
    ]
    monkeypatch.undo()
    search.words.cache_clear()
    # Names that are not 2–4 Han characters (a minority name with its dot, a Latin one) are still cut.
    assert {"买买提"} <= set(search.search_text(names=["阿卜杜热合曼·买买提"]).split())
    assert {"john", "smith"} <= set(search.search_text(names=["John Smith"]).split())


def test_a_search_too_long_says_so_and_lists_nobody(org: Org, people: None, page_as: Any) -> None:
    client = page_as(org.user("a", "grid_worker"))
    everyone = client.get(reverse("registry:list", kwargs={"kind": "person"}))
    assert "欧阳娜娜" in everyone.content.decode()
    with translation.override("zh-hans"):
        response = client.get(
            reverse("registry:list", kwargs={"kind": "person"}),
            {"q": "欧阳娜娜" * 16},
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        )
    html = response.content.decode()
    assert response.status_code == 200
    assert "搜索内容过长" in html
    assert "欧阳娜娜</a>" not in html
    assert "q=" + "%E6%AC%A7" in html  # the export links keep the search: they export nobody either
    assert found(org.user("a", "dispatcher"), "欧阳娜娜" * 16) == set()


def test_rebuild_search_text_gives_old_rows_the_new_tokens(org: Org, people: None) -> None:
    from django.core.management import call_command

    from jiceng.registry.models import Person
    from jiceng.registry.rebuild import READS

    assert set(READS) == set(schema.KINDS)
    old = Person.objects.get(name="林红强")
    Person.objects.filter(pk=old.pk).update(search_text="林红强 linhongqiang lhq")  # as saved before
    user = org.user("a", "dispatcher")
    assert found(user, "林红") == set()
    call_command("rebuild_search_text", "person", "--batch", "3", stdout=io.StringIO())
    assert found(user, "林红") == {"林红强"}
    assert Person.objects.get(pk=old.pk).version == old.version
    out = io.StringIO()
    call_command("rebuild_search_text", stdout=out)  # again, every kind: nothing left to rewrite
    assert "person: 11 rows, 0 rewritten" in out.getvalue()


def test_on_postgresql_matches_are_checked_on_a_stored_indexed_vector(org: Org, people: None) -> None:
    """A broad query (a surname) rechecks every row it walks; parsing search_text for each cost ~15 µs a
    row (a 陈 search at 100,000 people: p95 17–25 ms). The vector is stored, indexed, and kept current."""
    from importlib import import_module

    from django.db import connection

    from jiceng.registry.models import Person

    migration = import_module("jiceng.registry.migrations.0004_stored_search_vector")

    if connection.vendor != "postgresql":
        pytest.skip("SQLite matches through its FTS5 table")
    with connection.cursor() as cursor:
        for table in migration.TABLES:
            cursor.execute(
                "SELECT is_generated FROM information_schema.columns WHERE table_name = %s"
                " AND column_name = 'search_vector'",
                [table],
            )
            assert cursor.fetchone() == ("ALWAYS",), table
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE tablename = %s AND indexdef ~ 'gin'", [table]
            )
            assert [row[0].split(" USING ")[1] for row in cursor.fetchall()] == ["gin (search_vector)"], table
    person = Person.objects.get(name="林红强")
    Person.objects.filter(pk=person.pk).update(search_text="林 林红 红强 新词")
    assert found(org.user("a", "dispatcher"), "新词") == {"林红强"}
    assert "search_vector @@" in str(queries.records(org.user("a", "dispatcher"), "person", q="陈").query)
