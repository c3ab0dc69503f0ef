"""Imports of the base data: rows, CSV and xlsx files, upserts, jurisdiction, jobs and their pages."""

from __future__ import annotations

import csv
import io
import os
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from jiceng.audit.models import AuditEntry
from jiceng.core.errors import PermissionDenied
from jiceng.core.validators import make_id_number
from jiceng.registry import actions, imports, queries, search
from jiceng.registry.actions import RowError
from jiceng.registry.imports import ImportFileError, label_of
from jiceng.registry.models import House, Household, ImportJob, ImportStatus, Person
from tests.conftest import Org
from tests.registry.conftest import SAMPLES
from tests.registry.people_csv import write_people_csv

pytestmark = pytest.mark.django_db


def person(org: Org, n: int, **extra: str) -> dict[str, str]:
    return {
        "name": f"测试{n}",
        "id_number": make_id_number("330199", date(1985, 3, 1), n),
        "region": org.regions["grid_a"].code,
        **extra,
    }


def codes_of(report: imports.ImportReport) -> list[tuple[int, str, str]]:
    return [(e.row, e.column, e.code) for e in report.errors]


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8-sig") -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


# --- rows ---------------------------------------------------------------------------------------------------


def test_rows_are_created_with_derived_values_and_one_audit_entry_per_batch(org: Org) -> None:
    user = org.user("a", "grid_worker")
    rows = [person(org, i, phone="13812345678", address="解放路12号") for i in range(5)]
    report = imports.import_rows(user, "person", rows, batch_size=2)
    assert (report.created, report.updated, report.unchanged, report.errors) == (5, 0, 0, [])
    zhang = Person.objects.get(name="测试0")
    assert zhang.name_pinyin == "ceshi0" and zhang.name_initials == "cs0"
    assert "解放" in zhang.search_text
    assert zhang.birth_date == date(1985, 3, 1) and zhang.sex == "2"
    assert zhang.created_by == user and zhang.updated_by == user
    assert zhang.region_code == org.regions["grid_a"].code
    entries = list(AuditEntry.objects.filter(action="registry.person.import").order_by("id"))
    assert [e.changes.get("created") for e in entries] == [2, 2, 1, 5]  # three batches, then the summary
    assert "13812345678" not in repr([e.changes for e in entries])


def test_reimport_changes_nothing_and_an_edit_bumps_the_version_once(org: Org) -> None:
    user = org.user("a", "grid_worker")
    rows = [person(org, i, occupation="农民") for i in range(3)]
    imports.import_rows(user, "person", rows)
    audit_before = AuditEntry.objects.count()
    again = imports.import_rows(user, "person", rows)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert AuditEntry.objects.count() == audit_before + 1  # the summary only
    assert set(Person.objects.values_list("version", flat=True)) == {1}

    rows[1]["occupation"] = "教师"
    rows[1]["phone"] = "13900001111"
    changed = imports.import_rows(user, "person", rows)
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 2)
    edited = Person.objects.get(name="测试1")
    assert edited.occupation == "教师" and edited.version == 2
    assert edited.phone == "13900001111" and edited.updated_by == user
    assert "教师" in edited.search_text
    assert [p.pk for p in queries.records(user, "person", q="13900001111")] == [edited.pk]
    assert imports.import_rows(user, "person", rows).unchanged == 3
    assert Person.objects.get(pk=edited.pk).version == 2


def test_columns_a_row_lacks_are_left_alone(org: Org) -> None:
    user = org.user("a", "grid_worker")
    imports.import_rows(user, "person", [person(org, 1, phone="13812345678", occupation="农民")])
    report = imports.import_rows(
        user, "person", [{"name": "测试1", "id_number": person(org, 1)["id_number"]}]
    )
    assert report.unchanged == 1
    kept = Person.objects.get()
    assert kept.phone == "13812345678" and kept.occupation == "农民"


def test_bad_rows_are_reported_and_nothing_of_them_is_written(org: Org) -> None:
    user = org.user("a", "grid_worker")
    bad_id = person(org, 2)["id_number"][:17] + "0"
    if bad_id == person(org, 2)["id_number"]:
        bad_id = bad_id[:17] + "1"
    rows = [
        person(org, 1),
        {**person(org, 2), "id_number": bad_id},
        {**person(org, 3), "name": ""},
        {**person(org, 4), "ethnicity": "火星族"},
        {**person(org, 5), "region": org.regions["grid_b"].code},
        {**person(org, 1), "name": "重复"},
        {"name": "无处", "region": ""},
    ]
    report = imports.import_rows(user, "person", rows)
    assert report.created == 1 and report.error_rows == 6
    assert codes_of(report) == [
        (2, "id_number", "invalid_id_number"),
        (3, "name", "required"),
        (4, "ethnicity", "unknown_code"),
        (5, "region", "unknown_region"),
        (6, "id_number", "duplicate_in_file"),
        (7, "region", "region_required"),
    ]
    assert report.errors[0].label == label_of("person", "id_number")
    assert all(e.message for e in report.errors)
    assert list(Person.objects.values_list("name", flat=True)) == ["测试1"]


def test_outsiders_cannot_import_or_reach_records_of_other_townships(org: Org) -> None:
    a_worker, b_worker = org.user("a", "grid_worker"), org.user("b", "grid_worker")
    imports.import_rows(a_worker, "person", [person(org, 1, occupation="农民")])
    # B's grid worker sends the same person into B's grid: refused, A's record untouched.
    moved = imports.import_rows(
        b_worker, "person", [{**person(org, 1), "region": org.regions["grid_b"].code}]
    )
    assert codes_of(moved) == [(1, "id_number", "duplicate")]
    # ... and into A's grid: not their jurisdiction.
    into_a = imports.import_rows(b_worker, "person", [person(org, 2)])
    assert codes_of(into_a) == [(1, "region", "unknown_region")]
    assert Person.objects.get().region_code == org.regions["grid_a"].code
    for who in (org.user("a", "dispatcher"), org.user("a", "handler"), org.user("none", "resident")):
        with pytest.raises(PermissionDenied):
            imports.import_rows(who, "person", [person(org, 3)])
    assert Person.objects.count() == 1


def test_grid_comes_from_the_coordinates_or_the_house(org: Org) -> None:
    user = org.user("a", "grid_worker")
    houses = imports.import_rows(
        user, "house", [{"code": "HA-1", "region": org.regions["grid_a"].code, "address": "解放路1号"}]
    )
    assert houses.created == 1
    rows = [
        {"name": "坐标", "lng": "120.01", "lat": "30.01"},
        {"name": "房屋", "house": "ha-1"},
        {"name": "界外", "lng": "120.11", "lat": "30.01"},
    ]
    report = imports.import_rows(user, "person", rows)
    assert codes_of(report) == [(3, "lng", "outside_jurisdiction")]
    by_name = {p.name: p for p in Person.objects.all()}
    assert by_name["坐标"].region_code == org.regions["grid_a"].code
    assert by_name["房屋"].house == House.objects.get(code="HA-1")
    assert by_name["房屋"].region_code == org.regions["grid_a"].code


def test_other_kinds_upsert_by_their_natural_keys(org: Org) -> None:
    user = org.user("a", "grid_worker")
    sample = SAMPLES["a"]
    grid = org.regions["grid_a"].code
    org_row = {"credit_code": sample.credit_code, "name": "甲店", "org_kind": "enterprise", "region": grid}
    assert imports.import_rows(user, "organization", [org_row]).created == 1
    place = {
        "code": "pa-1",
        "name": "甲校",
        "place_type": "school",
        "organization": sample.credit_code,
        "region": grid,
    }
    assert imports.import_rows(user, "place", [place]).created == 1
    assert imports.import_rows(user, "place", [{**place, "code": "PA-1"}]).unchanged == 1
    assert imports.import_rows(user, "person", [person(org, 1)]).created == 1
    credit = {
        "subject_id_number": person(org, 1)["id_number"],
        "credit_kind": "red_list",
        "title": "表彰",
        "source": "县文明办",
        "decided_on": "2024-05-01",
    }
    first = imports.import_rows(user, "credit", [credit, {**credit, "subject_id_number": ""}])
    assert (first.created, codes_of(first)) == (1, [(2, "subject_id_number", "subject_required")])
    again = imports.import_rows(user, "credit", [credit, {**credit, "description": "补充"}])
    assert (again.unchanged, codes_of(again)) == (1, [(2, "title", "duplicate_in_file")])
    assert imports.import_rows(user, "credit", [{**credit, "description": "补充"}]).updated == 1


def test_the_head_of_a_household_is_linked(org: Org) -> None:
    user = org.user("a", "grid_worker")
    grid = org.regions["grid_a"].code
    imports.import_rows(user, "household", [{"number": "HH-1", "region": grid}])
    rows = [
        person(org, 1, household="HH-1", relation_to_head="02"),
        person(org, 2, household="HH-1", relation_to_head="10"),
    ]
    assert imports.import_rows(user, "person", rows).created == 2
    household = Household.objects.get()
    assert household.head == Person.objects.get(name="测试1")
    assert set(household.members.values_list("name", flat=True)) == {"测试1", "测试2"}


# --- files --------------------------------------------------------------------------------------------------


def test_csv_in_gb18030_with_chinese_headers(org: Org) -> None:
    header = [label_of("person", n) for n in ("name", "id_number", "ethnicity", "region")]
    rows = [header, ["张三", person(org, 1)["id_number"], "汉族", org.regions["grid_a"].code]]
    data = csv_bytes(rows, "gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    report = imports.import_file(org.user("a", "grid_worker"), "person", io.BytesIO(data), "人口.csv")
    assert (report.created, report.errors) == (1, [])
    assert Person.objects.get().name == "张三"


def test_a_persons_name_is_headed_xingming_and_the_former_header_still_imports(org: Org) -> None:
    assert label_of("person", "name") == "姓名"
    assert label_of("organization", "name") == "名称" and label_of("place", "name") == "名称"
    header = ["名称", label_of("person", "id_number"), label_of("person", "region")]
    rows = [header, ["王五", person(org, 3)["id_number"], org.regions["grid_a"].code]]
    report = imports.import_file(
        org.user("a", "grid_worker"), "person", io.BytesIO(csv_bytes(rows, "utf-8")), "旧模板.csv"
    )
    assert (report.created, report.errors) == (1, [])
    assert Person.objects.get().name == "王五"


def test_csv_with_field_names_and_english_headers_and_no_bom(org: Org) -> None:
    rows = [
        ["name", "ID number", "grid or village code"],
        ["李四", person(org, 2)["id_number"], org.regions["grid_a"].code],
    ]
    report = imports.import_file(
        org.user("a", "grid_worker"), "person", io.BytesIO(csv_bytes(rows, "utf-8")), "p.csv"
    )
    assert report.created == 1


def test_unknown_headers_are_reported_once_and_file_rows_are_numbered(org: Org) -> None:
    header = [label_of("person", "name"), "备注", label_of("person", "region")]
    rows = [
        header,
        ["甲", "x", org.regions["grid_a"].code],
        [],
        ["", "y", org.regions["grid_a"].code],
        ["乙", "z", org.regions["grid_a"].code],
    ]
    report = imports.import_file(org.user("a", "grid_worker"), "person", io.BytesIO(csv_bytes(rows)), "p.csv")
    assert codes_of(report) == [(1, "", "unknown_column"), (4, "name", "required")]
    assert report.errors[0].label == "备注"
    assert report.created == 2 and report.error_rows == 1


def test_files_missing_required_columns_or_of_other_types_are_refused(org: Org) -> None:
    user = org.user("a", "grid_worker")
    with pytest.raises(ImportFileError):
        imports.import_file(user, "person", io.BytesIO(csv_bytes([["地址"], ["x"]])), "p.csv")
    with pytest.raises(ImportFileError):
        imports.import_file(user, "person", io.BytesIO(b"not a workbook"), "p.xlsx")
    with pytest.raises(ImportFileError):
        imports.import_file(user, "person", io.BytesIO(b"x"), "p.txt")
    assert not Person.objects.exists()


def test_xlsx_with_numbers_and_dates_in_cells(org: Org) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(
        [label_of("house", n) for n in ("code", "floors", "area_m2", "rental_use", "rental_start", "region")]
    )
    sheet.append(["HA-9", 6, 88.5, "01", date(2024, 3, 1), int(org.regions["grid_a"].code)])
    data = io.BytesIO()
    workbook.save(data)
    data.seek(0)
    report = imports.import_file(org.user("a", "grid_worker"), "house", data, "房屋.xlsx")
    assert (report.created, report.errors) == (1, [])
    house = House.objects.get()
    assert (house.floors, str(house.area_m2), house.rental_start) == (6, "88.50", date(2024, 3, 1))


# --- jobs and pages -----------------------------------------------------------------------------------------


def upload_people(org: Org, page_as: Any, where: str = "a") -> ImportJob:
    header = [label_of("person", n) for n in ("name", "id_number", "region")]
    grid = org.regions[f"grid_{where}"].code
    rows = [header, ["甲", person(org, 1)["id_number"], grid], ["", "", grid], ["乙", "123", grid]]
    client = page_as(org.user(where, "grid_worker"))
    response = client.post(
        "/registry/import/person/", {"file": SimpleUploadedFile("人口.csv", csv_bytes(rows), "text/csv")}
    )
    assert response.status_code == 302, response.content.decode()[:500]
    job = ImportJob.objects.get()
    assert response["Location"] == f"/registry/import/jobs/{job.pk}/"
    return job


def test_upload_runs_the_job_and_the_error_report_names_rows(
    org: Org, page_as: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        job = upload_people(org, page_as)
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE, job.message
    assert (job.total_rows, job.processed_rows, job.created_count, job.error_count) == (3, 3, 1, 2)
    assert job.region_code == org.regions["village_a"].code
    client = page_as(org.user("a", "grid_worker"))
    page = client.get(f"/registry/import/jobs/{job.pk}/").content.decode()
    assert "every 1s" not in page  # finished: no more polling
    assert f"/registry/import/jobs/{job.pk}/errors.csv" in page
    report = client.get(f"/registry/import/jobs/{job.pk}/errors.csv")
    lines = list(csv.reader(io.StringIO(b"".join(report.streaming_content).decode("utf-8-sig"))))
    assert [line[:1] for line in lines[1:]] == [["3"], ["4"]]
    assert lines[1][1] == label_of("person", "name") and lines[2][1] == label_of("person", "id_number")
    # Another editor of the same village sees it too.
    assert page_as(org.user("a", "village_cadre")).get(f"/registry/import/jobs/{job.pk}/").status_code == 200


def test_a_file_without_the_required_columns_fails_the_job_with_the_reason(
    org: Org, page_as: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = page_as(org.user("a", "grid_worker"))
    upload = SimpleUploadedFile("p.csv", csv_bytes([["地址"], ["解放路1号"]]), "text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/registry/import/person/", {"file": upload})
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert job.status == ImportStatus.FAILED and label_of("person", "name") in job.message
    page = client.get(f"/registry/import/jobs/{job.pk}/").content.decode()
    assert job.message in page


def test_an_uploaded_workbook_is_imported(
    org: Org, page_as: Any, django_capture_on_commit_callbacks: Any
) -> None:
    workbook = Workbook()
    workbook.active.append([label_of("house", "code"), label_of("house", "region")])
    workbook.active.append(["HA-7", org.regions["grid_a"].code])
    data = io.BytesIO()
    workbook.save(data)
    upload = SimpleUploadedFile("房屋.xlsx", data.getvalue())
    with django_capture_on_commit_callbacks(execute=True):
        response = page_as(org.user("a", "grid_worker")).post("/registry/import/house/", {"file": upload})
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert (job.status, job.total_rows, job.created_count, job.error_report.name) == (
        ImportStatus.DONE,
        1,
        1,
        "",
    )
    assert House.objects.get().code == "HA-7"


def test_a_queued_job_polls_its_progress(org: Org, page_as: Any) -> None:
    job = upload_people(org, page_as)  # on_commit not run: still queued
    page = page_as(org.user("a", "grid_worker")).get(f"/registry/import/jobs/{job.pk}/").content.decode()
    assert f'hx-get="/registry/import/jobs/{job.pk}/progress"' in page and 'hx-trigger="every 1s"' in page
    assert "<progress" in page
    partial = page_as(org.user("a", "grid_worker")).get(f"/registry/import/jobs/{job.pk}/progress")
    assert partial.status_code == 200 and "<html" not in partial.content.decode()


def test_jobs_of_another_township_are_404(
    org: Org, page_as: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        job = upload_people(org, page_as)
    for who in (org.user("b", "grid_worker"), org.user("b", "admin"), org.user("none", "resident")):
        client = page_as(who)
        for path in ("", "progress", "errors.csv"):
            assert client.get(f"/registry/import/jobs/{job.pk}/{path}").status_code in (404, 302), (who, path)
    assert page_as(org.user("b", "grid_worker")).get(f"/registry/import/jobs/{job.pk}/").status_code == 404


def test_upload_page_needs_an_editor_and_templates_have_chinese_headers(org: Org, page_as: Any) -> None:
    assert page_as(org.user("a", "dispatcher")).get("/registry/import/person/").status_code == 403
    client = page_as(org.user("a", "grid_worker"))
    assert client.get("/registry/import/person/").status_code == 200
    assert client.get("/registry/import/nothing/").status_code == 404
    bad = client.post("/registry/import/person/", {"file": SimpleUploadedFile("p.txt", b"x")})
    # The form shown again with its error: 200, as every page answers a form with errors.
    assert bad.status_code == 200 and not ImportJob.objects.exists()
    assert 'name="file"' in bad.content.decode()
    template = client.get("/registry/import/person/template.csv")
    text = b"".join(template.streaming_content).decode("utf-8-sig")
    header, example = list(csv.reader(io.StringIO(text)))
    assert header == imports.headers("person") and header[0] == label_of("person", "name")
    assert example[0] == "张三"
    assert quote("-导入模板.csv") in template["Content-Disposition"]
    xlsx = client.get("/registry/import/house/template.xlsx")
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxmlformats")


# --- the acceptance test: 200,000 people, 1 % bad ----------------------------------------------------------


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


BIG = int(os.environ.get("JICENG_IMPORT_TEST_ROWS", "200000"))


@pytest.mark.long
def test_200000_people_with_one_percent_bad_rows(org: Org, tmp_path: Path) -> None:
    user = org.user("a", "grid_worker")
    path = tmp_path / "people.csv"
    expected = write_people_csv(path, BIG, org.regions["grid_a"].code, org.regions["grid_b"].code)
    assert len(expected.bad) == BIG // 100

    # jieba's and pypinyin's dictionaries load on first use (~130 MB, once per process): not the import's.
    search.words("青溪县城关镇")
    search.name_keys("张三")
    samples: list[tuple[int, float]] = []
    start_rss = _rss_mb()
    started = time.perf_counter()
    with path.open("rb") as handle:
        report = imports.import_file(
            user, "person", handle, path.name, progress=lambda rows: samples.append((rows, _rss_mb()))
        )
    seconds = time.perf_counter() - started
    print(
        f"\n{BIG} rows in {seconds:.1f} s: {BIG / seconds:,.0f} rows/s; "
        f"RSS {start_rss:.0f} → {max(r for _n, r in samples):.0f} MB"
    )

    assert report.rows == BIG
    assert report.created == BIG - len(expected.bad) and report.updated == report.unchanged == 0
    assert report.error_rows == len(expected.bad)
    got = {e.row: (e.column, e.code) for e in report.errors}
    assert got == expected.bad
    assert all(e.message and e.label for e in report.errors)
    assert Person.objects.count() == report.created

    # Memory stays flat: the second half of the file adds (almost) nothing to the first half's peak (what
    # grows at first is bounded: the LRU caches of pinyin and words, SQLite's page cache).
    half = max(r for n, r in samples if n <= BIG // 2)
    peak = max(r for _n, r in samples)
    assert peak - start_rss < 150, (start_rss, half, peak)
    assert peak - half < 25, (start_rss, half, peak)

    again_started = time.perf_counter()
    with path.open("rb") as handle:
        again = imports.import_file(user, "person", handle, path.name)
    print(f"again in {time.perf_counter() - again_started:.1f} s")
    assert (again.created, again.updated, again.unchanged) == (0, 0, report.created)
    assert {e.row: (e.column, e.code) for e in again.errors} == expected.bad
    assert Person.objects.filter(version__gt=1).count() == 0


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_a_thread_writes_each_batch_while_the_next_is_read(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("batches are written by a thread on PostgreSQL only")
    user = org.user("a", "grid_worker")
    writers: list[str] = []
    save = imports._Importer._save

    def spy(self: Any, *args: Any) -> None:
        writers.append(threading.current_thread().name)
        save(self, *args)

    monkeypatch.setattr(imports._Importer, "_save", spy)
    rows = [person(org, i, phone="13812345678") for i in range(5)]
    rows.insert(3, {**person(org, 1), "name": "重复"})
    report = imports.import_rows(user, "person", rows, batch_size=2)
    assert (report.created, report.error_rows) == (5, 1)
    assert codes_of(report) == [(4, "id_number", "duplicate_in_file")]
    assert len(writers) == 3 and all(name.startswith("registry-import") for name in writers)
    entries = list(AuditEntry.objects.filter(action="registry.person.import").order_by("id"))
    assert [(e.changes.get("batch"), e.changes.get("created")) for e in entries] == [
        (1, 2),
        (2, 1),
        (3, 2),
        (None, 5),
    ]
    assert Person.objects.filter(phone_index__gt="").count() == 5
    assert imports.import_rows(user, "person", rows, batch_size=2).unchanged == 5


def test_coordinates_outside_the_jurisdiction_are_refused_even_with_a_grid_code(org: Org) -> None:
    """A row naming a grid of the jurisdiction but with coordinates far away (Shanghai) is an error,
    as on the single-record form: the row is not saved, the others are."""
    user = org.user("a", "grid_worker")
    grid = org.regions["grid_a"].code
    rows = [
        {"name": "上海", "region": grid, "lng": "121.5", "lat": "31.2"},
        {"name": "乙镇", "region": grid, "lng": "120.11", "lat": "30.01"},  # township B's grid
        {"name": "本网格", "region": grid, "lng": "120.01", "lat": "30.01"},
    ]
    report = imports.import_rows(user, "person", rows)
    assert codes_of(report) == [(1, "lng", "outside_jurisdiction"), (2, "lng", "outside_jurisdiction")]
    assert list(Person.objects.values_list("name", flat=True)) == ["本网格"]
    with pytest.raises(RowError):
        actions.create(user, "person", {"name": "表单", "region": grid, "lng": 121.5, "lat": 31.2})


def test_import_pages_speak_chinese_and_the_template_shows_labels(org: Org, page_as: Any) -> None:
    """The job page's count of new rows is 新增 (not 创建时间, the date label), the region column's note
    is Chinese, coded columns list their values, and the template's example writes 户籍人口."""
    client = page_as(org.user("a", "grid_worker"))
    upload = client.get("/registry/import/person/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "15-digit grid" not in upload and "15位网格代码或12位村（社区）代码" in upload
    assert "户籍人口、流动人口" in upload
    grid = org.regions["grid_a"].code
    data = csv_bytes([["姓名", "网格或村（社区）代码"], ["陈一", grid]])
    posted = client.post(
        "/registry/import/person/",
        {"file": SimpleUploadedFile("p.csv", data, content_type="text/csv")},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    job = client.get(posted["Location"], HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "<th>新增</th>" in job
    assert "创建时间" not in job
    template = client.get("/registry/import/person/template.csv")
    header, example = list(csv.reader(io.StringIO(b"".join(template.streaming_content).decode("utf-8-sig"))))
    assert example[header.index(label_of("person", "population_type"))] == "户籍人口"
