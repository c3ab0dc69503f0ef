"""The demo registry: residents in households and houses, organizations, places, components, credit records,
tenancies, special groups, and the links from demo events to the people and places they concern.

The demo county (core steps), a small registry and a short event history are loaded once for the module inside
a transaction rolled back at the end. The rows themselves are checked without the database first.
"""

from __future__ import annotations

import json
import random
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from io import StringIO
from typing import Any

import pytest
import shapely
from django.db import connection, transaction
from django.test import override_settings
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry

from jiceng.accounts.actions import create_superuser
from jiceng.audit.queries import verify_chain
from jiceng.core.validators import is_valid_mobile, parse_credit_code, parse_id_number
from jiceng.core.workdays import SHANGHAI
from jiceng.demo.county import DEMO_SEED, build_plan
from jiceng.demo.loader import SYSTEM_USERNAME, discover_steps
from jiceng.demo.steps import DEMO_STEPS, DemoContext
from jiceng.events import demo as events_demo
from jiceng.events.models import Event
from jiceng.events.seed import seed_categories
from jiceng.org.models import Region, RegionLevel
from jiceng.registry import codes, queries, schema
from jiceng.registry import demo as registry_demo
from jiceng.registry.models import (
    CityComponent,
    CreditRecord,
    EventParty,
    House,
    Household,
    KeyPlace,
    Organization,
    Person,
    Record,
    SpecialGroupRecord,
    Tenancy,
)

PEOPLE = 700
EVENTS = 90
NOW = datetime(2026, 11, 26, 15, 0, tzinfo=SHANGHAI)
TODAY = NOW.date()
CORE_STEPS = ("org.regions", "org.units", "accounts.users")
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
COUNTY = "331129"
# Checks of the generated data: the full demo test writes the same data on both databases.
pytestmark = pytest.mark.once


# --- without the database ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def plan() -> registry_demo.RegistryPlan:
    return registry_demo.build_registry(random.Random("test"), build_plan(DEMO_SEED), PEOPLE, TODAY)


def test_the_count_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(registry_demo.PEOPLE_ENV, "1234")
    assert registry_demo.people_to_load() == 1234
    monkeypatch.setenv(registry_demo.PEOPLE_ENV, "0")
    assert registry_demo.people_to_load() == 0
    monkeypatch.delenv(registry_demo.PEOPLE_ENV)
    assert registry_demo.people_to_load() == registry_demo.TEST_PEOPLE  # under pytest


def test_the_steps_are_registered_and_skip_when_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    discover_steps()
    base, links = DEMO_STEPS["registry.base"], DEMO_STEPS["registry.event_parties"]
    assert base.order < DEMO_STEPS["events.history"].order < links.order
    monkeypatch.setenv(registry_demo.PEOPLE_ENV, "0")
    out = StringIO()
    base.func(DemoContext(actor=None, plan=build_plan(), stdout=out))  # type: ignore[arg-type]
    assert "skipped" in out.getvalue()


def test_same_seed_same_rows(plan: registry_demo.RegistryPlan) -> None:
    again = registry_demo.build_registry(random.Random("test"), build_plan(DEMO_SEED), PEOPLE, TODAY)
    assert again.bulk() == plan.bulk()
    assert again.special_groups == plan.special_groups and again.tenancies == plan.tenancies
    other = registry_demo.build_registry(random.Random("other"), build_plan(DEMO_SEED), PEOPLE, TODAY)
    assert other.people != plan.people


def test_every_row_is_clean(plan: registry_demo.RegistryPlan) -> None:
    """Each row passes the schema, as an import file's would."""
    for kind, rows in plan.bulk():
        assert rows, kind
        for row in rows:
            cleaned = schema.clean(kind, row)
            assert cleaned.ok, (kind, row, cleaned.errors)


def test_the_people_look_like_a_county(plan: registry_demo.RegistryPlan) -> None:
    people = plan.people
    assert len(people) >= PEOPLE
    types = Counter(p["population_type"] for p in people)
    assert 0.78 < types["registered"] / len(people) < 0.92
    assert 0.06 < types["floating"] / len(people) < 0.2
    assert types["foreign"] >= 2
    ages = [parse_id_number(p["id_number"], today=TODAY).age_on(TODAY) for p in people]
    assert 0.12 < sum(a >= 60 for a in ages) / len(ages) < 0.35
    assert 0.05 < sum(a < 10 for a in ages) / len(ages) < 0.2
    assert max(ages) >= 85
    sexes = Counter(parse_id_number(p["id_number"]).sex for p in people)
    assert 0.45 < sexes["M"] / len(people) < 0.56
    ethnicities = Counter(p["ethnicity"] for p in people)
    assert ethnicities["01"] / len(people) > 0.9 and ethnicities["22"] > 0  # 畲族
    floating = [p for p in people if p["population_type"] == "floating"]
    assert all(p["inflow_reason"] for p in floating)
    assert {p["id_number"][:2] for p in floating} - {"33"}  # from other provinces
    registered = [p for p in people if p["population_type"] == "registered"]
    assert sum(p["id_number"].startswith(COUNTY) for p in registered) / len(registered) > 0.6
    assert all(2 <= len(p["name"]) <= 4 or p["population_type"] == "foreign" for p in people)
    assert all(is_valid_mobile(p["phone"]) for p in people if p["phone"])
    assert len({p["phone"] for p in people if p["phone"]}) == sum(1 for p in people if p["phone"])
    assert {g for p in people for g in p["care_groups"].split(",") if g} <= codes.CARE_GROUP_CODES


def test_houses_are_flats_in_town_and_houses_in_villages(plan: registry_demo.RegistryPlan) -> None:
    regions = {r.code: r for r in build_plan(DEMO_SEED).regions}
    flats = [h for h in plan.houses if h["room"]]
    detached = [h for h in plan.houses if not h["room"]]
    assert flats and detached
    assert all(regions[h["region"][:12]].kind == "community" for h in flats)
    assert all(h["building"] and h["unit_no"] and h["address"].endswith(f"{h['room']}室") for h in flats)
    rented = [h for h in plan.houses if h["rental_use"]]
    assert rented and all(h["rental_start"] <= TODAY.isoformat() <= h["rental_end"] for h in rented)
    assert all(h["owner_name"] for h in plan.houses)


# --- the loaded registry ----------------------------------------------------------------------------------


@dataclass
class Loaded:
    ctx: DemoContext
    plan: registry_demo.RegistryPlan
    links: int

    @property
    def output(self) -> str:
        out = self.ctx.stdout
        assert isinstance(out, StringIO)
        return out.getvalue()


@pytest.fixture(scope="module")
def loaded(django_db_setup: None, django_db_blocker: Any) -> Iterator[Loaded]:
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            from jiceng.org import locate

            locate.reset()
            discover_steps()
            ctx = DemoContext(
                actor=create_superuser(SYSTEM_USERNAME, None, full_name="演示数据", via="demo"),
                seed=DEMO_SEED,
                plan=build_plan(DEMO_SEED),
                stdout=StringIO(),
            )
            for name in CORE_STEPS:
                ctx.rng = random.Random(f"{DEMO_SEED}:{name}")
                DEMO_STEPS[name].func(ctx)
            seed_categories(ctx.actor)
            registry_demo.ensure_safety_officers(ctx)
            ctx.rng = random.Random(f"{DEMO_SEED}:registry.base")
            plan = registry_demo.load_registry(ctx, PEOPLE, TODAY)
            ctx.rng = random.Random(f"{DEMO_SEED}:events.history")
            events_demo.load_history(ctx, EVENTS, now=NOW)
            ctx.rng = random.Random(f"{DEMO_SEED}:registry.event_parties")
            links = registry_demo.link_events(ctx, TODAY)
            yield Loaded(ctx, plan, links)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            locate.reset()


def test_everything_was_written(loaded: Loaded, db: None) -> None:
    plan = loaded.plan
    assert Person.objects.count() == len(plan.people)
    assert Household.objects.count() == len(plan.households)
    assert House.objects.count() == len(plan.houses)
    assert Organization.objects.count() == len(plan.organizations)
    assert KeyPlace.objects.count() == len(plan.places)
    assert CityComponent.objects.count() == len(plan.components)
    assert CreditRecord.objects.count() == len(plan.credit) > 0
    assert Tenancy.objects.count() == len(plan.tenancies) > 0
    assert SpecialGroupRecord.objects.count() == len(plan.special_groups) > 0
    for label in ("实有人口", "房屋", "户", "组织机构", "重点场所", "城市部件", "信用记录", "特殊人群"):
        assert label in loaded.output
    assert verify_chain().ok


def test_id_numbers_are_valid_unique_and_give_birth_and_sex(loaded: Loaded, db: None) -> None:
    people = list(Person.objects.all())
    numbers = [p.id_number for p in people]
    assert all(numbers) and len(set(numbers)) == len(numbers)
    for p in people:
        parsed = parse_id_number(p.id_number, today=TODAY)
        assert p.birth_date == parsed.birth_date
        assert p.sex == ("1" if parsed.sex == "M" else "2")
    assert len({p.id_number_index for p in people}) == len(people)


def _shapes() -> dict[int, BaseGeometry]:
    found = {}
    for region in Region.objects.filter(level__in=[RegionLevel.GRID, RegionLevel.MICROGRID]):
        geom = shape(region.boundary)
        shapely.prepare(geom)
        found[region.pk] = geom
    return found


@pytest.mark.parametrize("model", [Person, Household, House, Organization, KeyPlace, CityComponent])
def test_every_point_lies_inside_its_grid(loaded: Loaded, db: None, model: type[Record]) -> None:
    shapes = _shapes()
    rows = list(model.objects.values_list("region_id", "region_code", "lng", "lat"))
    assert rows
    for region_id, region_code, lng, lat in rows:
        assert len(region_code) == 15 and region_code.startswith(COUNTY)
        assert shapes[region_id].contains(Point(lng, lat)), (model.kind, region_code, lng, lat)


def test_people_live_where_their_house_and_household_are(loaded: Loaded, db: None) -> None:
    for person in Person.objects.select_related("house", "household"):
        assert person.house is not None and person.household is not None
        assert (person.lng, person.lat, person.address) == (
            person.house.lng,
            person.house.lat,
            person.house.address,
        )
        assert person.household.house_id == person.house_id
        assert person.region_code == person.house.region_code


def test_every_household_has_exactly_one_head(loaded: Loaded, db: None) -> None:
    heads: dict[int, list[int]] = defaultdict(list)
    relations: Counter[str] = Counter()
    for pk, household, relation in Person.objects.values_list("id", "household_id", "relation_to_head"):
        relations[relation] += 1
        if relation == "02":
            heads[household].append(pk)
    households = list(Household.objects.values_list("id", "head_id"))
    assert households
    for pk, head in households:
        assert heads[pk] == [head], pk
    assert set(relations) <= {code for code, _name in codes.RELATIONS}
    assert {"02", "10", "20", "30", "40", "50"} <= set(relations)


def test_tenants_are_floating_people_in_rented_houses(loaded: Loaded, db: None) -> None:
    tenancies = list(Tenancy.objects.select_related("house", "person"))
    assert tenancies
    for t in tenancies:
        assert t.house.rental_use and t.person.house_id == t.house_id
        assert t.person.population_type in ("floating", "foreign")
        assert t.person.inflow_reason
        assert t.start_date is not None and t.end_date is not None and t.start_date <= TODAY <= t.end_date


def test_care_groups_and_special_groups(loaded: Loaded, db: None) -> None:
    groups = Counter(g for gs in Person.objects.values_list("care_groups", flat=True) for g in gs)
    assert set(groups) <= codes.CARE_GROUP_CODES
    assert {"elderly_alone", "empty_nest", "disabled"} <= set(groups)
    records = list(SpecialGroupRecord.objects.select_related("person"))
    assert records and len(records) <= 0.03 * Person.objects.count()
    for entry in records:
        assert entry.region_code == entry.person.region_code
        fields = {**codes.SPECIAL_GROUP_FIELDS[entry.group], **codes.COMMON_SPECIAL_GROUP_FIELDS}
        details = json.loads(entry.details)
        assert details and set(details) <= set(fields)
        for name, code in details.items():
            assert code in codes.table(fields[name]), (entry.group, name, code)


def test_safety_officers_see_the_special_groups_of_their_township(loaded: Loaded, db: None) -> None:
    officers = {
        u.unit.region.code: u
        for u in loaded.ctx.users.values()
        if u.username.endswith("_safety") and u.unit is not None
    }
    assert len(officers) == Region.objects.filter(level=RegionLevel.TOWNSHIP).count()
    for entry in SpecialGroupRecord.objects.select_related("person")[:50]:
        for township, officer in officers.items():
            sees = queries.may_see_special_groups(officer, entry.person)
            assert sees == entry.region_code.startswith(township[:9])


def test_organizations_have_valid_credit_codes(loaded: Loaded, db: None) -> None:
    orgs = list(Organization.objects.all())
    assert len({o.credit_code for o in orgs}) == len(orgs)
    kinds = Counter(o.org_kind for o in orgs)
    assert {"enterprise", "individual", "social", "institution"} <= set(kinds)
    for org in orgs:
        assert parse_credit_code(org.credit_code) == org.credit_code
        assert org.credit_code[2:8] == COUNTY
        expected = {"enterprise": ("91", "93"), "individual": ("92",), "social": ("51", "52", "53")}
        assert org.credit_code[:2] in expected.get(org.org_kind, (org.credit_code[:2],)), org.name


def test_places_belong_to_organizations_and_some_are_overdue(loaded: Loaded, db: None) -> None:
    places = list(KeyPlace.objects.select_related("organization"))
    assert {"nine_small", "school", "hospital", "gas_station", "market"} <= {p.place_type for p in places}
    assert sum(p.organization_id is not None for p in places) >= 0.8 * len(places)
    for p in places:
        if p.organization is not None:
            assert (p.lng, p.lat) == (p.organization.lng, p.organization.lat)
    overdue = [
        p
        for p in places
        if p.last_inspected_on and (TODAY - p.last_inspected_on).days > p.inspection_cycle_days
    ]
    assert 0 < len(overdue) < len(places) / 2


def test_component_codes_are_valid_and_of_the_county(loaded: Loaded, db: None) -> None:
    components = list(CityComponent.objects.all())
    assert components
    for c in components:
        assert schema.component_code(c.code) == c.code
        assert c.code.startswith(COUNTY) and c.minor == c.code[6:10] and c.major == c.code[6:8]
        assert c.name == codes.COMPONENT_CLASSES[c.minor]
    states = Counter(c.state for c in components)
    assert states["intact"] > 0.8 * len(components) and states["damaged"] > 0


def test_credit_records_live_with_their_subjects(loaded: Loaded, db: None) -> None:
    records = list(CreditRecord.objects.select_related("subject_person", "subject_organization"))
    assert {r.subject_person_id is not None for r in records} == {True, False}
    for r in records:
        subject = r.subject_person or r.subject_organization
        assert subject is not None and r.region_code == subject.region_code


def test_events_name_their_parties(loaded: Loaded, db: None) -> None:
    assert loaded.links > 0
    parties = list(EventParty.objects.select_related("event", "person", "organization", "place", "house"))
    assert len(parties) == loaded.links
    assert any(p.person_id for p in parties) and any(p.place_id or p.organization_id for p in parties)
    for party in parties:
        record = party.person or party.house or party.organization or party.place
        assert record is not None
        if party.person is not None:
            # the people of "王某与李某…" live in the event's village and carry the surname the title gives
            assert record.region_code[:12] == party.event.region_code[:12]
            assert f"{party.person.name[0]}某" in party.event.title or party.person.care_groups
    assert Event.objects.filter(parties__isnull=False).distinct().count() < Event.objects.count()


def test_no_personal_data_in_plain_text(loaded: Loaded, db: None) -> None:
    """ID numbers and phones are stored encrypted: neither appears in any registry, audit or group row."""
    numbers = set(Person.objects.values_list("id_number", flat=True))
    phones = {p for p in Person.objects.values_list("phone", flat=True) if p}
    assert numbers and phones
    dump = []
    with connection.cursor() as cursor:
        for table in (
            "registry_person",
            "registry_household",
            "registry_creditrecord",
            "registry_specialgrouprecord",
            "audit_auditentry",
        ):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - fixed table names
            dump.append(repr(cursor.fetchall()))
    text = "".join(dump)
    assert not [n for n in numbers if n in text or n[-12:] in text]
    assert not [p for p in phones if p in text]
    assert Person.objects.first().name in text  # type: ignore[union-attr]  # the rows are really there
    # a special group is never stored in clear either
    assert "community_correction" not in text and '"mental"' not in text


def test_addresses_name_the_place(loaded: Loaded, db: None) -> None:
    regions = {r.code: r for r in Region.objects.all()}
    for house in House.objects.all()[:500]:
        village = regions[house.region_code[:12]]
        township = regions[house.region_code[:9] + "000"]
        assert house.address.startswith(f"青溪县{township.name}{village.name}"), house.address


def test_no_date_lies_in_the_future(loaded: Loaded, db: None) -> None:
    assert all(date.fromisoformat(r["decided_on"]) <= TODAY for r in loaded.plan.credit)
    assert not CreditRecord.objects.filter(decided_on__gt=TODAY).exists()
    assert not KeyPlace.objects.filter(last_inspected_on__gt=TODAY).exists()
    assert not Person.objects.filter(birth_date__gte=TODAY).exists()
