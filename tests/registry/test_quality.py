"""The data-quality page and its queries: missing facts, impossible values, probable duplicates, records
nobody updated, counts per grid — all within the user's jurisdiction and counted in the database."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from jiceng.core.validators import make_id_number
from jiceng.registry import actions, quality
from jiceng.registry.models import CityComponent, Household, Person, Record
from tests.conftest import Org
from tests.registry.conftest import KINDS

pytestmark = pytest.mark.django_db
Records = dict[str, dict[str, Record]]


def person(org: Org, name: str, where: str = "a", **values: Any) -> Person:
    user = org.user(where, "grid_worker")
    data = {"name": name, "region": org.regions[f"grid_{where}"].code, **values}
    return actions.create(user, "person", data)  # type: ignore[return-value]


def count(user: Any, check_id: str) -> int:
    return next(c.count for c in quality.summary(user).checks if c.check.id == check_id)


@pytest.fixture
def planted(org: Org) -> dict[str, Person]:
    """Two 王伟 born the same day (different ID numbers: a probable duplicate) and one 刘洋 with no ID."""
    born = date(1975, 3, 9)
    return {
        "first": person(org, "王伟", id_number=make_id_number("330199", born, "011"), phone="13800001111"),
        "second": person(org, "王伟", id_number=make_id_number("330199", born, "023")),
        "no_id": person(org, "刘洋", phone="13800002222"),
    }


def test_the_page_finds_a_planted_duplicate_and_a_person_without_an_id_number(
    org: Org, planted: dict[str, Person], page_as: Any
) -> None:
    client = page_as(org.user("a", "dispatcher"))
    response = client.get(reverse("registry:quality"))
    assert response.status_code == 200
    people = next(d for d in response.context["duplicates"] if d.kind == "person")
    assert people.total_groups == 1
    group = people.groups[0]
    assert group.key == ("王伟", "1975-03-09") and group.count == 2
    assert {r.pk for r in group.records} == {planted["first"].pk, planted["second"].pk}
    html = response.content.decode()
    assert reverse("registry:detail", kwargs={"kind": "person", "key": planted["second"].pk}) in html
    missing = {c.check.id: c.count for c in response.context["missing"]}
    assert missing["person_no_id"] == 1 and missing["person_no_phone"] == 1
    assert 'href="?months=12&amp;show=person_no_id"' in html

    listed = client.get(reverse("registry:quality"), {"show": "person_no_id"})
    assert [r["title"] for r in listed.context["listed"]["rows"]] == ["刘洋"]
    assert reverse("registry:detail", kwargs={"kind": "person", "key": planted["no_id"].pk}) in (
        listed.content.decode()
    )


def test_quality_stays_in_the_jurisdiction(org: Org, planted: dict[str, Person], page_as: Any) -> None:
    other = org.user("b", "dispatcher")
    summary = quality.summary(other)
    assert summary.totals["person"] == 0 and all(c.count == 0 for c in summary.checks)
    assert all(not d.groups for d in quality.duplicates(other))
    assert quality.failing(other, "person_no_id") == []
    assert quality.per_grid(other) == []
    response = page_as(other).get(reverse("registry:quality"), {"show": "person_no_id"})
    assert response.status_code == 200 and "刘洋" not in response.content.decode()
    county = org.user("county", "county_center")
    assert count(county, "person_no_id") == 1


def test_a_duplicate_needs_the_same_birth_date(org: Org) -> None:
    person(org, "陈静", id_number=make_id_number("330199", date(1990, 1, 1), "012"))
    person(org, "陈静", id_number=make_id_number("330199", date(1990, 1, 2), "012"))
    person(org, "陈静")  # no birth date: not comparable
    people = quality.duplicates(org.user("a", "dispatcher"))[0]
    assert people.kind == "person" and people.groups == []


def test_organizations_with_the_same_name_and_address(org: Org, registry_records: Records) -> None:
    from jiceng.core.validators import make_credit_code

    first = registry_records["a"]["organization"]
    copy = actions.create(
        org.user("a", "grid_worker"),
        "organization",
        {
            "credit_code": make_credit_code("91330199MA2B3C4D9"),
            "name": first.name,  # type: ignore[attr-defined]
            "org_kind": "enterprise",
            "region": first.region_code,
            "address": first.address,
        },
    )
    groups = next(d for d in quality.duplicates(org.user("a", "dispatcher")) if d.kind == "organization")
    assert len(groups.groups) == 1 and {r.pk for r in groups.groups[0].records} == {first.pk, copy.pk}


def test_values_that_cannot_be_right(org: Org, registry_records: Records) -> None:
    user = org.user("a", "grid_worker")
    dispatcher = org.user("a", "dispatcher")
    assert count(dispatcher, "component_division") == 0
    # A component whose code names another county's division, placed in township A's grid.
    wrong = actions.create(
        user, "component", {"code": "3302000101000009", "region": org.regions["grid_a"].code}
    )
    assert count(dispatcher, "component_division") == 1
    assert [c.pk for c in quality.failing(dispatcher, "component_division")] == [wrong.pk]
    assert CityComponent.objects.count() == 3

    # A birth date no ID number could give (written by a faulty old import, say).
    odd = person(org, "周敏")
    Person.objects.filter(pk=odd.pk).update(birth_date=timezone.localdate() + timedelta(days=3))
    assert count(dispatcher, "person_birth_date") == 1

    # A relation to the head without a household; a head who lives in another household.
    person(org, "吴刚", relation_to_head="20")
    assert count(dispatcher, "person_relation_without_household") == 1
    household = registry_records["a"]["household"]
    assert count(dispatcher, "household_head_elsewhere") == 0
    head = registry_records["a"]["person"]
    other = actions.create(user, "household", {"number": "HHA-0002", "region": org.regions["grid_a"].code})
    Household.objects.filter(pk=other.pk).update(head=head)
    assert count(dispatcher, "household_head_elsewhere") == 1
    assert [h.pk for h in quality.failing(dispatcher, "household_head_elsewhere")] == [other.pk]
    assert household.pk != other.pk


def test_records_not_updated_for_months(org: Org, registry_records: Records, page_as: Any) -> None:
    dispatcher = org.user("a", "dispatcher")
    old = registry_records["a"]["house"]
    type(old).objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(days=400))
    assert quality.summary(dispatcher, 12).stale["house"] == 1
    assert quality.summary(dispatcher, 24).stale["house"] == 0
    assert quality.summary(dispatcher, 12).stale["person"] == 0
    assert [h.pk for h in quality.not_updated(dispatcher, "house", 12)] == [old.pk]
    client = page_as(dispatcher)
    page = client.get(reverse("registry:quality"), {"months": "12", "show": "stale:house"})
    assert reverse("registry:detail", kwargs={"kind": "house", "key": old.code}) in page.content.decode()  # type: ignore[attr-defined]
    assert client.get(reverse("registry:quality"), {"months": "24"}).context["summary"].stale["house"] == 0
    assert client.get(reverse("registry:quality"), {"months": "7"}).context["months"] == 12  # not offered
    assert client.get(reverse("registry:quality"), {"months": "x"}).context["months"] == 12


def test_counts_per_grid(org: Org, registry_records: Records, page_as: Any) -> None:
    person(org, "郑爽")
    rows = quality.per_grid(org.user("county", "county_center"))
    by_code = {r.code: r for r in rows}
    grid_a, grid_b = org.regions["grid_a"].code, org.regions["grid_b"].code
    assert set(by_code) == {grid_a, grid_b}
    assert by_code[grid_a].count("person") == 2 and by_code[grid_b].count("person") == 1
    assert by_code[grid_a].count("house") == 1
    html = page_as(org.user("a", "dispatcher")).get(reverse("registry:quality")).content.decode()
    assert '<meter min="0" max="2" value="2"' in html  # CSS bars without inline styles


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2025, 3, 31), 1, date(2025, 2, 28)),
        (date(2024, 3, 31), 1, date(2024, 2, 29)),
        (date(2025, 1, 15), 12, date(2024, 1, 15)),
        (date(2025, 1, 15), 13, date(2023, 12, 15)),
    ],
)
def test_months_before(day: date, months: int, expected: date) -> None:
    assert quality.months_before(day, months) == expected


def test_the_counts_are_aggregate_queries(org: Org, registry_records: Records) -> None:
    for i in range(20):
        person(org, f"测试{i}")
    user = org.user("county", "county_center")
    user.jurisdiction_prefix  # noqa: B018 - load the user's unit before counting
    with CaptureQueriesContext(connection) as summary_queries:
        quality.summary(user)
    assert len(summary_queries) <= len(KINDS) + 1
    with CaptureQueriesContext(connection) as grid_queries:
        quality.per_grid(user)
    assert len(grid_queries) <= len(quality.GRID_KINDS) + 2
    with CaptureQueriesContext(connection) as duplicate_queries:
        quality.duplicates(user)
    assert len(duplicate_queries) <= 3 * len(quality.DUPLICATE_RULES)
