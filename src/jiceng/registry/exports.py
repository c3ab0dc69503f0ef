"""Exports of registry lists (CSV streamed, xlsx written row by row) and the import templates.

The columns are the import's (``schema.FIELDS``, Chinese headers), so an export can be edited and imported
again. Personal data is masked unless the user asks for it in full and holds a reveal role; every export is
audited (and a full one as a sensitive view) before the first row leaves.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import models, transaction
from django.http import FileResponse, HttpResponseBase, StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from jiceng.accounts.permissions import require_role
from jiceng.audit.actions import record, record_sensitive_view
from jiceng.core.errors import InvalidInput, NotAuthenticated
from jiceng.core.validators import make_credit_code, make_id_number, mask_id_number, mask_phone
from jiceng.registry import codes, imports, queries, schema
from jiceng.registry.models import Record

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from jiceng.accounts.models import User

FORMATS = ("csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK = 2000
# Cells spreadsheets would run as formulas: written with a leading apostrophe in CSV (imports strip it).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
RELATED: dict[str, tuple[str, ...]] = {
    "person": ("house", "household"),
    "household": ("house",),
    "place": ("organization",),
    "credit": ("subject_person", "subject_organization"),
}
REFERENCES = {"house": "code", "household": "number", "organization": "credit_code"}
EXAMPLE_ID = make_id_number("330102", date(1990, 1, 1), "123")
EXAMPLE_CREDIT_CODE = make_credit_code("91330102MA2B3C4D5")
EXAMPLES: dict[str, dict[str, str]] = {
    "person": {
        "name": "张三",
        "id_number": EXAMPLE_ID,
        "ethnicity": "汉族",
        "phone": "13812345678",
        "population_type": "registered",
        "occupation": "个体经营",
        "region": "330102001001001",
        "address": "城关镇解放路12号",
    },
    "household": {"number": "HH-0001", "house": "H-0001", "region": "330102001001001"},
    "house": {"code": "H-0001", "building": "1", "room": "101", "use": "01", "region": "330102001001001"},
    "organization": {
        "credit_code": EXAMPLE_CREDIT_CODE,
        "name": "城关镇五金店",
        "org_kind": "enterprise",
        "region": "330102001001001",
    },
    "place": {
        "code": "P-0001",
        "name": "城关镇中心小学",
        "place_type": "school",
        "region": "330102001001001",
    },
    "component": {"code": "3301020101000001", "state": "intact", "region": "330102001001001"},
    "credit": {
        "subject_id_number": EXAMPLE_ID,
        "credit_kind": "red_list",
        "title": "见义勇为表彰",
        "source": "县文明办",
        "decided_on": "2024-05-01",
    },
}


def _model_field(model: type[Record], name: str) -> models.Field[Any, Any] | None:
    try:
        found = model._meta.get_field(name)
    except Exception:  # a pseudo field (region, subject_…)
        return None
    return found if isinstance(found, models.Field) else None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        return (
            timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if timezone.is_aware(value) else str(value)
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    return str(value)


class _Columns:
    """How each column of a kind is read from a record."""

    def __init__(self, kind: str, reveal: bool) -> None:
        self.kind = kind
        self.model = schema.MODELS[kind]
        self.reveal = reveal
        self.specs = schema.FIELDS[kind]
        self.labels: dict[str, dict[str, str]] = {}
        for spec in self.specs:
            field = _model_field(self.model, spec.name)
            if field is not None and field.choices and not field.is_relation:
                self.labels[spec.name] = {str(code): str(label) for code, label in field.flatchoices}
        self.care_groups = dict(codes.CARE_GROUPS)

    def _personal(self, name: str, value: str) -> str:
        if not value or self.reveal:
            return value or ""
        return mask_id_number(value) if "id_number" in name else mask_phone(value)

    def value(self, obj: Any, name: str) -> str:
        if name == "region":
            return str(obj.region_code)
        if name == "subject_id_number":
            person = obj.subject_person
            return self._personal(name, person.id_number) if person is not None else ""
        if name == "subject_credit_code":
            org = obj.subject_organization
            return org.credit_code if org is not None else ""
        if name in REFERENCES:
            target = getattr(obj, name)
            return str(getattr(target, REFERENCES[name])) if target is not None else ""
        value = getattr(obj, name)
        spec_personal = name in {"id_number", "phone", "contact_phone", "responsible_phone"}
        if spec_personal:
            return self._personal(name, value)
        if name == "care_groups":
            return "、".join(self.care_groups.get(c, c) for c in value or [])
        if name in self.labels and value not in (None, ""):
            return self.labels[name].get(str(value), str(value))
        return _text(value)

    def row(self, obj: Any) -> list[str]:
        return [self.value(obj, spec.name) for spec in self.specs]


def _csv_safe(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_START) else value


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_stream(header: list[str], rows: Iterable[list[str]]) -> Iterator[bytes]:
    writer = csv.writer(_Echo())
    yield "\ufeff".encode()  # Excel opens UTF-8 with a BOM as UTF-8
    yield writer.writerow(header).encode()
    chunk: list[str] = []
    for row in rows:
        chunk.append(writer.writerow([_csv_safe(v) for v in row]))
        if len(chunk) >= 500:
            yield "".join(chunk).encode()
            chunk = []
    if chunk:
        yield "".join(chunk).encode()


def _xlsx_file(title: str, header: list[str], rows: Iterable[list[str]]) -> Any:
    """A write-only workbook (rows go straight to a temporary file) saved to a spooled file."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    for index in range(len(header)):
        letter = _column_letter(index)
        sheet.column_dimensions[letter].width = 18
    bold = Font(bold=True)
    cells = []
    for title_text in header:
        cell = WriteOnlyCell(sheet, value=title_text)
        cell.font = bold
        cells.append(cell)
    sheet.append(cells)
    for row in rows:
        out: list[Any] = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"  # text, never a formula, and long digit strings stay exact
            out.append(cell)
        sheet.append(out)
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    workbook.save(spool)
    spool.seek(0)
    return spool


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def _records(kind: str, queryset: Any) -> Iterator[Record]:
    related = RELATED.get(kind, ())
    qs = queryset.select_related(*related) if related else queryset
    return qs.order_by("pk").iterator(chunk_size=CHUNK)


def export_rows(
    user: User | AnonymousUser | None,
    kind: str,
    queryset: Any,
    *,
    fmt: str = "xlsx",
    reveal: bool = False,
    filters: dict[str, Any] | None = None,
    purpose: str = "",
) -> HttpResponseBase:
    """The records of ``queryset`` (a list the user may see, e.g. ``queries.records``) as a download.

    ``reveal``: personal data in full, only for ``queries.FULL_EXPORT_ROLES`` (else PermissionDenied) and
    only with a ``purpose`` (else InvalidInput), which the audit entry keeps with the number of rows.
    """
    if user is None or not user.is_authenticated:
        raise NotAuthenticated()
    if kind not in schema.MODELS:
        raise InvalidInput(_("Unknown kind of record."), code="unknown_kind")
    if fmt not in FORMATS:
        raise InvalidInput(_("Choose CSV or Excel."), code="unknown_format")
    purpose = purpose.strip()[:200]
    if reveal:
        require_role(user, *queries.FULL_EXPORT_ROLES)
        if not purpose:
            raise InvalidInput(_("Say why you need the full values."), code="purpose_required")
    model = schema.MODELS[kind]
    qs = queryset.restrict(user)  # never more than the user may see, whatever the caller passed
    count = qs.count()
    changes: dict[str, Any] = {"rows": count, "filters": _logged(filters), "revealed": reveal, "format": fmt}
    if reveal:
        changes["purpose"] = purpose
    with transaction.atomic():
        record(f"registry.{kind}.export", actor=user, object_type=model._meta.label_lower, changes=changes)
        if reveal:
            personal = [s.name for s in schema.FIELDS[kind] if s.personal]
            record_sensitive_view(user, model(), personal, purpose=purpose, action=f"registry.{kind}.reveal")
    with translation.override(imports.FILE_LANGUAGE):
        columns = _Columns(kind, reveal)
        header = imports.headers(kind)
        name = f"{model._meta.verbose_name_plural}-{timezone.localdate():%Y%m%d}.{fmt}"
        title = str(model._meta.verbose_name_plural)
    rows = (columns.row(obj) for obj in _records(kind, qs))
    if fmt == "csv":
        response = StreamingHttpResponse(_csv_stream(header, rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = _disposition(name)
        return response
    with translation.override(imports.FILE_LANGUAGE):
        spool = _xlsx_file(title, header, rows)
    return FileResponse(spool, as_attachment=True, filename=name, content_type=XLSX_TYPE)


def _logged(filters: dict[str, Any] | None) -> dict[str, Any]:
    """The filters as the audit log keeps them: which special group was asked for is itself sensitive
    (as in the API's list), so the log says only that one was."""
    logged = dict(filters or {})
    if "group" in logged:
        logged["group"] = "*"
    return logged


def _disposition(filename: str) -> str:
    from django.utils.http import content_disposition_header

    return content_disposition_header(True, filename) or "attachment"


# --- templates ----------------------------------------------------------------------------------------------


def template_rows(kind: str) -> tuple[list[str], list[str]]:
    """The header and one example row of ``kind``'s import template; coded columns show the Chinese label
    people write (户籍人口, not ``registered``), which imports accept as well as the code."""
    example = EXAMPLES.get(kind, {})
    labels = _Columns(kind, reveal=False).labels
    return imports.headers(kind), [
        labels.get(spec.name, {}).get(example.get(spec.name, ""), example.get(spec.name, ""))
        for spec in schema.FIELDS[kind]
    ]


NOTE_VALUES = 12  # a coded column's note lists at most this many of its values


def column_notes(kind: str) -> dict[str, str]:
    """Per column, what the template's notes say: its help and, for a coded column, the values allowed."""
    columns = _Columns(kind, reveal=False)
    notes: dict[str, str] = {}
    for spec in schema.FIELDS[kind]:
        parts = [str(spec.help)] if spec.help else []
        values = list(columns.labels.get(spec.name, {}).values())
        if spec.name == "care_groups":
            values = list(columns.care_groups.values())
        if values:
            shown = "、".join(values[:NOTE_VALUES]) + ("…" if len(values) > NOTE_VALUES else "")
            parts.append(_("Allowed values: %(values)s") % {"values": shown})
        notes[spec.name] = "; ".join(parts)
    return notes


def template(kind: str, fmt: str) -> HttpResponseBase:
    """The import template of ``kind``: Chinese headers and one example row."""
    if kind not in schema.MODELS:
        raise InvalidInput(_("Unknown kind of record."), code="unknown_kind")
    if fmt not in FORMATS:
        raise InvalidInput(_("Choose CSV or Excel."), code="unknown_format")
    with translation.override(imports.FILE_LANGUAGE):
        header, example = template_rows(kind)
        model = schema.MODELS[kind]
        suffix = _("import template")
        name = f"{model._meta.verbose_name_plural}-{suffix}.{fmt}"
        title = str(model._meta.verbose_name_plural)
        if fmt == "csv":
            response = StreamingHttpResponse(
                _csv_stream(header, [example]), content_type="text/csv; charset=utf-8"
            )
            response["Content-Disposition"] = _disposition(name)
            return response
        spool = _xlsx_file(title, header, [example])
    return FileResponse(spool, as_attachment=True, filename=name, content_type=XLSX_TYPE)
