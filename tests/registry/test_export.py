"""Exports of the base data: masked by default, audited, full only for roles that may reveal; and every
kind's export imports back unchanged."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from openpyxl import load_workbook

from jiceng.audit.models import AuditEntry
from jiceng.core.errors import PermissionDenied
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


def test_full_export_only_for_reveal_roles_and_recorded_as_a_sensitive_view(
    org: Org, registry_records: dict[str, dict[str, Record]], page_as: Any
) -> None:
    sample = SAMPLES["a"]
    handler = org.user("a", "handler")
    assert page_as(handler).get("/registry/import/person/export?fmt=csv&reveal=1").status_code == 403
    with pytest.raises(PermissionDenied):
        exports.export_rows(handler, "person", queries.records(handler, "person"), reveal=True)
    assert not AuditEntry.objects.filter(
        action__in=["registry.person.export", "registry.person.reveal"]
    ).exists()

    dispatcher = org.user("a", "dispatcher")
    response = page_as(dispatcher).get("/registry/import/person/export?fmt=xlsx&reveal=1&purpose=核查")
    assert response.status_code == 200
    header, *rows = xlsx_rows(response)
    assert header == imports.headers("person")
    assert rows[0][header.index(imports.label_of("person", "id_number"))] == sample.id_number
    assert rows[0][header.index(imports.label_of("person", "phone"))] == sample.phone
    export = AuditEntry.objects.get(action="registry.person.export")
    assert export.changes["revealed"] is True and export.changes["rows"] == 1
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
    user = org.user("a", "grid_worker")
    client = page_as(user)
    for kind in KINDS:
        response = client.get(f"/registry/import/{kind}/export?fmt={fmt}&reveal=1")
        assert response.status_code == 200, kind
        report = imports.import_file(user, kind, io.BytesIO(body(response)), f"{kind}.{fmt}")
        assert (report.created, report.updated, report.errors) == (0, 0, []), (kind, report)
        assert report.unchanged == 1, kind
    assert all(r.version == 1 for r in (type(x).objects.get(pk=x.pk) for x in registry_records["a"].values()))
