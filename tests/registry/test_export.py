"""Exports of the base data: masked by default, audited, full only for roles that may reveal; and every
kind's export imports back unchanged."""

from __future__ import annotations

import csv
import html
import io
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from openpyxl import load_workbook

from jiceng.audit.models import AuditEntry
from jiceng.core.errors import InvalidInput, PermissionDenied
from jiceng.registry import exports, imports, queries
from jiceng.registry.models import Person, Record
from tests.conftest import Org
from tests.registry.conftest import KINDS, SAMPLES

pytestmark = pytest.mark.django_db


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def csv_rows(response: Any) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body(response).decode("utf-8-sig"))))


def xlsx_rows(response: Any) -> list[list[str]]:
    workbook = load_workbook(io.BytesIO(body(response)), read_only=True)
    return [
        [c if c is not None else "" for c in row]
        for row in workbook.worksheets[0].iter_rows(values_only=True)
    ]


def test_export_is_masked_by_default_and_audited(
    org: Org, registry_records: dict[str, dict[str, Record]], page_as: Any
) -> None:
    sample = SAMPLES["a"]
    client = page_as(org.user("a", "dispatcher"))
    response = client.get("/registry/import/person/export?fmt=csv&q=张三")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    header, *rows = csv_rows(response)
    assert header == imports.headers("person") and header[0] == "姓名"  # a person's name, not 名称
    assert len(rows) == 1
    text = repr(rows)
    assert sample.id_number not in text and sample.phone not in text
    assert sample.id_number[:6] + "********" + sample.id_number[-4:] in text
    assert "138****5678" in text
    assert "李四" not in text  # township B's person is not in A's list
    entry = AuditEntry.objects.get(action="registry.person.export")
    assert entry.user_id == org.user("a", "dispatcher").pk
    assert entry.changes == {"rows": 1, "filters": {"q": "张三"}, "revealed": False, "format": "csv"}
    assert not AuditEntry.objects.filter(action="registry.person.reveal").exists()


def test_full_export_only_for_admins_with_a_purpose_and_recorded_as_a_sensitive_view(
    org: Org, registry_records: dict[str, dict[str, Record]], page_as: Any
) -> None:
    """Revealing one record is daily work of many roles; a bulk copy of everyone's ID numbers and phones
    is only for the jurisdiction's administrators, with a purpose, by POST, audited with the row count."""
    sample = SAMPLES["a"]
    url = "/registry/import/person/export"
    for role in ("handler", "grid_worker", "village_cadre", "dispatcher", "safety_officer"):
        user = org.user("a", role)
        assert page_as(user).get(f"{url}?fmt=csv&reveal=1&purpose=核查").status_code == 403, role
        assert page_as(user).post(url, {"fmt": "csv", "purpose": "核查"}).status_code == 403, role
        with pytest.raises(PermissionDenied):
            exports.export_rows(user, "person", queries.records(user, "person"), reveal=True, purpose="核查")
    assert not AuditEntry.objects.filter(
        action__in=["registry.person.export", "registry.person.reveal"]
    ).exists()

    admin = org.user("a", "admin")
    client = page_as(admin)
    # Asked for by a link: a form asking for the purpose, no file and no log yet.
    page = client.get(f"{url}?fmt=xlsx&reveal=1&purpose=核查")
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    assert 'name="purpose"' in page.content.decode() and 'method="post"' in page.content.decode()
    no_purpose = client.post(url, {"fmt": "xlsx", "purpose": "  "})
    assert no_purpose.status_code == 200 and no_purpose["Content-Type"].startswith("text/html")
    with pytest.raises(InvalidInput):
        exports.export_rows(admin, "person", queries.records(admin, "person"), reveal=True)
    assert (
        not AuditEntry.objects.filter(action__startswith="registry.person.")
        .exclude(action="registry.person.create")
        .exists()
    )

    response = client.post(url, {"fmt": "xlsx", "purpose": "核查"})
    assert response.status_code == 200
    header, *rows = xlsx_rows(response)
    assert header == imports.headers("person")
    assert rows[0][header.index(imports.label_of("person", "id_number"))] == sample.id_number
    assert rows[0][header.index(imports.label_of("person", "phone"))] == sample.phone
    export = AuditEntry.objects.get(action="registry.person.export")
    assert export.changes == {
        "rows": 1,
        "filters": {},
        "revealed": True,
        "format": "xlsx",
        "purpose": "核查",
    }
    view = AuditEntry.objects.get(action="registry.person.reveal")
    assert view.changes == {"fields": ["id_number", "phone"], "purpose": "核查"}
    assert view.object_type == "registry.person"


def test_export_of_another_township_is_empty_and_exports_need_a_login(
    org: Org, registry_records: dict[str, dict[str, Record]], page_as: Any
) -> None:
    _header, *rows = csv_rows(
        page_as(org.user("b", "dispatcher")).get("/registry/import/person/export?fmt=csv")
    )
    assert [r[0] for r in rows] == ["李四"]
    assert page_as(None).get("/registry/import/person/export?fmt=csv").status_code == 302
    assert (
        page_as(org.user("a", "dispatcher")).get("/registry/import/person/export?fmt=pdf").status_code == 422
    )


def test_formula_like_cells_are_defused(org: Org, page_as: Any) -> None:
    user = org.user("a", "grid_worker")
    imports.import_rows(user, "person", [{"name": "=HYPERLINK(1)", "region": org.regions["grid_a"].code}])
    response = page_as(user).get("/registry/import/person/export?fmt=csv")
    assert csv_rows(response)[1][0] == "'=HYPERLINK(1)"
    data = body(page_as(user).get("/registry/import/person/export?fmt=csv"))
    report = imports.import_file(user, "person", io.BytesIO(data), "p.csv")
    assert report.created == 1  # no ID number: a new person, named as before
    assert set(Person.objects.values_list("name", flat=True)) == {"=HYPERLINK(1)"}
    workbook = xlsx_rows(page_as(user).get("/registry/import/person/export?fmt=xlsx"))
    assert workbook[1][0] == "=HYPERLINK(1)"  # a text cell, not a formula


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_every_kind_round_trips_unchanged(
    org: Org, registry_records: dict[str, dict[str, Record]], page_as: Any, fmt: str
) -> None:
    user = org.user("a", "admin")
    client = page_as(user)
    for kind in KINDS:
        response = client.post(f"/registry/import/{kind}/export", {"fmt": fmt, "purpose": "往返"})
        assert response.status_code == 200, kind
        report = imports.import_file(user, kind, io.BytesIO(body(response)), f"{kind}.{fmt}")
        assert (report.created, report.updated, report.errors) == (0, 0, []), (kind, report)
        assert report.unchanged == 1, kind
    assert all(r.version == 1 for r in (type(x).objects.get(pk=x.pk) for x in registry_records["a"].values()))


def _people(org: Org) -> None:
    """Six people in township A: care groups, population types and names that filters tell apart."""
    grid = org.regions["grid_a"].code
    rows = [
        {"name": "陈一", "population_type": "registered", "care_groups": "低保对象", "region": grid},
        {"name": "陈二", "population_type": "registered", "region": grid},
        {"name": "陈三", "population_type": "floating", "care_groups": "低保对象", "region": grid},
        {"name": "王四", "population_type": "registered", "care_groups": "低保对象", "region": grid},
        {"name": "王五", "population_type": "floating", "region": grid},
        {"name": "王六", "population_type": "registered", "care_groups": "残疾人", "region": grid},
    ]
    report = imports.import_rows(org.user("a", "grid_worker"), "person", rows)
    assert report.created == 6, report.errors


@pytest.mark.parametrize(
    "query",
    [
        {"care_group": "dibao"},
        {"q": "chen", "population_type": "registered"},
        {"population_type": "floating"},
        {"q": "陈三", "care_group": "dibao", "population_type": "floating"},
    ],
)
def test_export_holds_exactly_what_the_filtered_list_shows(
    org: Org, page_as: Any, query: dict[str, str]
) -> None:
    _people(org)
    client = page_as(org.user("a", "admin"))
    page = client.get("/registry/person/", query)
    shown = sorted(re.findall(r'class="record-title"><a href="[^"]+">([^<]+)</a>', page.content.decode()))
    assert shown  # every query finds someone, and fewer than everyone
    assert len(shown) < 6
    links = {
        kind: html.unescape(href)
        for href, kind in re.findall(r'href="([^"]+)" data-export="(\w+)"', page.content.decode())
    }
    assert set(links) == {"xlsx", "csv", "full"}
    for kind, href in links.items():
        params = parse_qs(urlsplit(href).query)
        assert {k: v[0] for k, v in params.items() if k in query} == query, kind  # every active filter
    _header, *rows = csv_rows(client.get(links["csv"]))
    assert sorted(r[0] for r in rows) == shown
    _header, *rows = xlsx_rows(client.get(links["xlsx"]))
    assert sorted(r[0] for r in rows) == shown
    full = client.post("/registry/import/person/export", {**query, "fmt": "csv", "purpose": "入户走访"})
    _header, *rows = csv_rows(full)
    assert sorted(r[0] for r in rows) == shown
    entry = AuditEntry.objects.filter(action="registry.person.export").latest("id")
    assert entry.changes["rows"] == len(shown) and entry.changes["filters"] == query
    assert entry.changes["purpose"] == "入户走访"
