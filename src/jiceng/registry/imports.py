"""Streaming import of registry records: rows (dicts keyed by field name), CSV and xlsx files.

Every row is cleaned by ``schema.clean`` and resolved by ``actions.model_values`` in the importer's
jurisdiction, exactly like a record typed into a form. Valid rows are upserted by natural key (see
``Record.natural_key``; credit records by subject, kind, decision number or title and date), invalid rows are
reported with their row number, column and reason. Rows are processed in batches: one transaction, one query
for the existing records and one ``bulk_create``/``bulk_update`` per batch, one audit entry per batch that
wrote something and one for the whole import. Memory stays flat however long the file is: rows are read
lazily, the resolver forgets records after each batch, and the keys seen so far (to catch a record twice in
the same file) live in a temporary on-disk SQLite table, not in a Python set.
"""

from __future__ import annotations

import codecs
import contextlib
import contextvars
import csv
import io
import json
import sqlite3
import uuid
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from functools import cache, partial
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, models, transaction
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.db.models.base import ModelState
from django.db.models.expressions import RawSQL
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from jiceng.accounts.permissions import has_role, require_role
from jiceng.audit.actions import record
from jiceng.core.crypto import blind_index, encryptor
from jiceng.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from jiceng.core.fields import EncryptedTextField
from jiceng.core.scope import jurisdiction_prefix
from jiceng.registry import actions, schema
from jiceng.registry.actions import Resolver, RowError
from jiceng.registry.models import (
    CreditRecord,
    House,
    Household,
    ImportJob,
    Organization,
    Person,
    Record,
    SpecialGroupRecord,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from jiceng.accounts.models import User

BATCH_SIZE = 1000
# Issues kept in the report (all of them still reach ``on_issue``, e.g. the job's error file).
MAX_KEPT_ISSUES = 20_000
HEADER_LANGUAGES = ("zh-hans", "en")
FILE_LANGUAGE = "zh-hans"
CSV_SAMPLE_BYTES = 1 << 20
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
SUFFIXES = (".csv", ".xlsx")
# Where an ID number lives for each kind whose natural key is derived from it.
KEY_COLUMN = {"person": "id_number"}

Progress = Callable[[int], None]


@dataclass(frozen=True)
class RowIssue:
    row: int  # 1-based data row number; the file's row number (header = 1) for files
    column: str  # field name ("" for the whole row)
    label: str  # the column's header as in the files (Chinese)
    code: str
    message: str


@dataclass
class ImportReport:
    kind: str = ""
    rows: int = 0  # data rows read (blank rows skipped)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    error_rows: int = 0
    errors: list[RowIssue] = field(default_factory=list)
    issues: int = 0  # all issues, also those beyond MAX_KEPT_ISSUES
    batches: int = 0

    @property
    def written(self) -> int:
        return self.created + self.updated

    def counts(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "error_rows": self.error_rows,
        }


class ImportFileError(InvalidInput):
    """The file as a whole cannot be imported (format, encoding, missing columns)."""

    code = "invalid_file"


# --- labels and headers ------------------------------------------------------------------------------------


def label_of(kind: str, name: str) -> str:
    """A field's column header as the files have it (Chinese)."""
    return _labels(kind, FILE_LANGUAGE).get(name, name)


@cache
def _labels(kind: str, language: str) -> dict[str, str]:
    with translation.override(language):
        return {spec.name: str(spec.label) for spec in schema.FIELDS[kind]}


def headers(kind: str) -> list[str]:
    """The header row of the files (templates, exports): Chinese labels in schema order."""
    return [label_of(kind, spec.name) for spec in schema.FIELDS[kind]]


def _normalize_header(value: str) -> str:
    return "".join(value.split()).strip("*＊").lower()


# Headers of older templates, still accepted: a person's 姓名 was headed 名称 before 2026-11.
FORMER_HEADERS: dict[str, dict[str, str]] = {"person": {"名称": "name"}}


@cache
def _header_map(kind: str) -> dict[str, str]:
    """Accepted header → field name: the label in each language, former labels, and the field name."""
    accepted: dict[str, str] = {}
    for language in HEADER_LANGUAGES:
        for name, label in _labels(kind, language).items():
            accepted.setdefault(_normalize_header(label), name)
    for header, name in FORMER_HEADERS.get(kind, {}).items():
        accepted.setdefault(_normalize_header(header), name)
    for spec in schema.FIELDS[kind]:
        accepted[_normalize_header(spec.name)] = spec.name
    return accepted


# --- keys seen earlier in the same file --------------------------------------------------------------------


class _SeenKeys:
    """Natural keys met so far, in a private temporary SQLite database on disk (bounded page cache)."""

    CHUNK = 500

    def __init__(self) -> None:
        self.db = sqlite3.connect("", isolation_level=None)
        self.db.execute("PRAGMA journal_mode=OFF")
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.execute("CREATE TABLE seen (k TEXT PRIMARY KEY) WITHOUT ROWID")

    def seen_before(self, keys: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(keys), self.CHUNK):
            chunk = list(keys[start : start + self.CHUNK])
            marks = ",".join("?" * len(chunk))
            found.update(k for (k,) in self.db.execute(f"SELECT k FROM seen WHERE k IN ({marks})", chunk))  # noqa: S608
        return found

    def add(self, keys: Iterable[str]) -> None:
        self.db.execute("BEGIN")
        self.db.executemany("INSERT OR IGNORE INTO seen VALUES (?)", ((k,) for k in keys))
        self.db.execute("COMMIT")

    def close(self) -> None:
        self.db.close()


# --- inserting --------------------------------------------------------------------------------------------

_PLAIN_TEXT = (models.CharField, models.TextField, models.SlugField)
_PLAIN = (
    models.IntegerField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.SmallIntegerField,
    models.BigIntegerField,
    models.BooleanField,
    models.FloatField,
)


def _as_text(value: Any) -> Any:
    return value if value is None or value.__class__ is str else str(value)


def _same(value: Any) -> Any:
    return value


class _Inserter:
    """Builds and INSERTs a batch of new records. Does what ``Model(**values)`` and ``bulk_create`` do, with
    the per-value work done once per field (both spend most of an import's time finding out, value by value,
    that a string is a string): instances filled attribute by attribute (registry models have no init
    signals), values converted by field type, one executemany (COPY on PostgreSQL). No ids come back;
    nothing after the insert needs them."""

    def __init__(self, model: type[Record]) -> None:
        self.model = model
        self.fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        self.stamps = {
            f.attname
            for f in self.fields
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        }
        # (attribute, field name, is a relation, default factory) for every column, the primary key first.
        self.plan: list[tuple[str, str, bool, Callable[[], Any]]] = [
            (f.attname, f.name, f.is_relation, _default_factory(f)) for f in model._meta.concrete_fields
        ]
        quote = connection.ops.quote_name
        self.columns = ", ".join(quote(str(f.column)) for f in self.fields)
        self.table = quote(model._meta.db_table)

    def build(self, values: Mapping[str, Any], user_id: int) -> Record:
        obj = self.model.__new__(self.model)
        state = obj._state = ModelState()
        data = obj.__dict__
        for attname, name, relation, default in self.plan:
            if name in values:
                value = values[name]
                if relation and value is not None:
                    state.fields_cache[name] = value
                    value = value.pk
                data[attname] = value
            else:
                data[attname] = default()
        data["created_by_id"] = data["updated_by_id"] = user_id
        return obj

    def _converters(self, db: Any, now: datetime) -> list[Callable[[Any], Any]]:
        converters: list[Callable[[Any], Any]] = []
        seal = encryptor()
        for f in self.fields:
            kind = type(f)
            if f.attname in self.stamps:  # the same moment for the whole batch: converted once
                converters.append(partial(_constant, f.get_db_prep_save(now, connection=db)))
            elif f.is_relation or kind in _PLAIN:
                converters.append(_same)
            elif kind in _PLAIN_TEXT:
                converters.append(_as_text)
            elif isinstance(f, EncryptedTextField):
                converters.append(_sealer(seal))
            elif kind is models.DateField and db.vendor == "postgresql":  # psycopg takes dates as they are
                converters.append(_none_or(partial(_date, partial(f.get_db_prep_save, connection=db))))
            elif isinstance(f, models.JSONField) and db.vendor == "postgresql":
                # COPY takes JSON as text: what psycopg's Jsonb would send, without a Python dumper per row
                converters.append(_none_or(partial(_json_text, partial(json.dumps, cls=f.encoder))))
            elif isinstance(f, models.JSONField):  # mostly empty lists (care groups): adapted once
                converters.append(_json(partial(f.get_db_prep_save, connection=db)))
            else:  # None is NULL for every other field type here (dates, decimals)
                converters.append(_none_or(partial(f.get_db_prep_save, connection=db)))
        return converters

    def rows(self, objs: list[Record], now: datetime) -> list[list[Any]]:
        """The batch's column values as the database takes them (encrypted, serialized)."""
        db = connections[DEFAULT_DB_ALIAS]
        for obj in objs:
            for name in self.stamps:
                setattr(obj, name, now)
        attnames = [f.attname for f in self.fields]
        converters = self._converters(db, now)
        return [
            [convert(data[name]) for convert, name in zip(converters, attnames, strict=True)]
            for data in (obj.__dict__ for obj in objs)
        ]

    def insert(self, rows: list[list[Any]]) -> None:
        db = connections[DEFAULT_DB_ALIAS]
        with db.cursor() as cursor:
            if db.vendor == "postgresql":
                raw = cursor.cursor  # psycopg's own cursor: COPY
                with raw.copy(f"COPY {self.table} ({self.columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(self.fields))
                cursor.executemany(f"INSERT INTO {self.table} ({self.columns}) VALUES ({marks})", rows)  # noqa: S608


def _constant(value: Any, _ignored: Any = None) -> Any:
    return value


def _json_text(dumps: Callable[[Any], str], value: Any) -> str:
    return "[]" if value == [] and value.__class__ is list else dumps(value)


def _json(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    empty = convert([])

    def converted(value: Any) -> Any:
        if value is None:
            return None
        return empty if value == [] and value.__class__ is list else convert(value)

    return converted


def _date(convert: Callable[[Any], Any], value: Any) -> Any:
    return value if value.__class__ is date else convert(value)


def _none_or(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def converted(value: Any) -> Any:
        return None if value is None else convert(value)

    return converted


def _sealer(seal: Callable[[str], str]) -> Callable[[Any], Any]:
    """What ``EncryptedTextField.get_db_prep_save`` does, with the key bound once."""

    def convert(value: Any) -> Any:
        return value if value is None or value == "" else seal(str(value))

    return convert


MEMO_SIZE = 4096


def _memoized(parse: schema.Parser) -> schema.Parser:
    """``parse`` remembering its answers: columns such as ethnicity, occupation, grid or address repeat
    across a file's rows. Bounded (cleared when full); values that are lists are copied on the way out."""
    memo: dict[str, tuple[bool, Any]] = {}

    def parsed(value: str) -> Any:
        hit = memo.get(value)
        if hit is None:
            try:
                hit = (True, parse(value))
            except schema.FieldError as exc:
                hit = (False, (exc.message, exc.code))
            if len(memo) >= MEMO_SIZE:
                memo.clear()
            memo[value] = hit
        ok, result = hit
        if not ok:
            raise schema.FieldError(*result)
        return list(result) if result.__class__ is list else result

    return parsed


def _default_factory(f: models.Field[Any, Any]) -> Callable[[], Any]:
    if f.has_default() and callable(f.default):
        return f.default
    return partial(_constant, f.get_default())


# --- the importer ------------------------------------------------------------------------------------------


@dataclass
class _Row:
    number: int
    values: dict[str, Any]  # cleaned values of the columns the row has
    key: str = ""
    model_values: dict[str, Any] | None = None
    instance: Record | None = None


class _Importer:
    def __init__(
        self,
        user: User,
        kind: str,
        report: ImportReport,
        on_issue: Callable[[RowIssue], None] | None,
    ) -> None:
        self.user = user
        self.kind = kind
        self.model = schema.MODELS[kind]
        self.resolver = Resolver(user)
        self.blind_index = self.resolver.index
        self.indexes: dict[str, str] = {}
        self.resolver.index = self._index
        self.report = report
        self.on_issue = on_issue
        self.seen = _SeenKeys()
        self.inserter = _Inserter(self.model)
        self.writer = _Writer()
        self.pending_issues: list[RowIssue] = []
        self.fields = schema.field_map(kind)
        # Personal data is unique per record: nothing to remember (and better not kept).
        self.specs = [s if s.personal else replace(s, parse=_memoized(s.parse)) for s in schema.FIELDS[kind]]
        self.specs_by_columns: dict[tuple[str, ...], list[schema.Field]] = {}
        self.concrete = {f.name: f for f in self.model._meta.concrete_fields}

    # issues

    def issue(self, number: int, column: str, code: str, message: str) -> None:
        item = RowIssue(number, column, label_of(self.kind, column) if column else "", code, str(message))
        self.pending_issues.append(item)

    def flush_issues(self) -> None:
        """The batch's issues in row order (each phase of a batch finds its own)."""
        self.pending_issues.sort(key=lambda item: item.row)
        for item in self.pending_issues:
            self.emit(item)
        self.pending_issues = []

    def emit(self, item: RowIssue) -> None:
        self.report.issues += 1
        if len(self.report.errors) < MAX_KEPT_ISSUES:
            self.report.errors.append(item)
        if self.on_issue is not None:
            self.on_issue(item)

    def fail(self, number: int, errors: Mapping[str, list[tuple[str, str]]]) -> None:
        self.report.error_rows += 1
        for name, problems in errors.items():
            for code, message in problems:
                self.issue(number, name, code, message)

    # one batch

    def batch(self, raw_rows: list[tuple[int, Mapping[str, Any]]]) -> None:
        rows: list[_Row] = []
        for number, raw in raw_rows:
            self.report.rows += 1
            cleaned = schema.clean(self.kind, raw, specs=self._specs(raw))
            if not cleaned.ok:
                self.fail(number, cleaned.errors)
                continue
            values = {k: v for k, v in cleaned.values.items() if k in raw}
            rows.append(_Row(number, values))
        self._forget()
        self._prefetch_references(rows)
        rows = self._keys(rows)
        rows = self._not_twice(rows)
        rows = self._resolve(rows)
        self._write(rows)
        self.flush_issues()
        self.report.batches += 1

    def _specs(self, raw: Mapping[str, Any]) -> list[schema.Field]:
        """The fields to clean for a row with these columns: the row's and the required ones. The others
        would clean to None and be dropped (a row changes only the columns it has); the cross-checks see
        None for them either way. A file's rows all have the same columns."""
        columns = tuple(raw)
        specs = self.specs_by_columns.get(columns)
        if specs is None:
            specs = [s for s in self.specs if s.required or s.name in raw]
            if len(self.specs_by_columns) < 64:
                self.specs_by_columns[columns] = specs
        return specs

    def _forget(self) -> None:
        """Keep regions (few, reused by every batch), drop the records the last batch looked up."""
        self.resolver.cache = {k: v for k, v in self.resolver.cache.items() if k[0] == "region"}
        self.indexes.clear()

    def _index(self, value: str) -> str:
        """The blind index, remembered for the batch: a row's key and its model values both need it."""
        found = self.indexes.get(value)
        if found is None:
            found = self.indexes[value] = self.blind_index(value)
        return found

    def _prefetch_references(self, rows: list[_Row]) -> None:
        """Load every record the batch refers to in one query per model (the resolver then finds them)."""
        wanted: dict[type[Record], set[str]] = {}

        def want(model: type[Record], key: str | None) -> None:
            if key:
                wanted.setdefault(model, set()).add(key)

        for row in rows:
            v = row.values
            if self.kind in ("person", "household"):
                want(House, v.get("house"))
            if self.kind == "person":
                want(Household, v.get("household"))
            if self.kind == "place":
                want(Organization, v.get("organization"))
            if self.kind == "credit":
                subject = v.get("subject_id_number")
                want(Person, blind_index(subject.number) if subject else None)
                want(Organization, v.get("subject_credit_code"))
        for model, keys in wanted.items():
            qs = model.objects.alive().restrict(self.user).filter(**{f"{model.natural_key}__in": keys})
            if model is Person:
                qs = qs.exclude(id_number_index="")
            found = {str(getattr(obj, model.natural_key)): obj for obj in qs}
            for key in keys:
                self.resolver.cache[(model.kind, key)] = found.get(key)

    def _keys(self, rows: list[_Row]) -> list[_Row]:
        """Each row's natural key ("" for people without an ID number: always new)."""
        kept = []
        for row in rows:
            v = row.values
            if self.kind == "person":
                parsed = v.get("id_number")
                row.key = self.resolver.index(parsed.number) if parsed else ""
            elif self.kind == "credit":
                # Credit records live where their subject does: resolve now, the key needs the subject.
                try:
                    row.model_values = actions.model_values(self.kind, dict(v), self.resolver)
                except RowError as exc:
                    self.fail(row.number, exc.errors)
                    continue
                row.key = _credit_key(row.model_values)
            else:
                row.key = str(v.get(self.model.natural_key) or "")
            kept.append(row)
        return kept

    def _not_twice(self, rows: list[_Row]) -> list[_Row]:
        """A key met earlier in the same file makes the row an error: which one is right is unknown."""
        keys = [r.key for r in rows if r.key]
        earlier = self.seen.seen_before(keys) if keys else set()
        in_batch: set[str] = set()
        kept = []
        for row in rows:
            if row.key and (row.key in earlier or row.key in in_batch):
                column = self._key_column()
                self.fail(
                    row.number,
                    {column: [("duplicate_in_file", _("The same record appears earlier in the file."))]},
                )
                continue
            if row.key:
                in_batch.add(row.key)
            kept.append(row)
        if in_batch:
            self.seen.add(in_batch)
        return kept

    def _key_column(self) -> str:
        if self.kind == "credit":
            return "title"
        return KEY_COLUMN.get(self.kind, self.model.natural_key)

    def _resolve(self, rows: list[_Row]) -> list[_Row]:
        existing = self._existing([r.key for r in rows if r.key])
        kept = []
        for row in rows:
            found = existing.get(row.key) if row.key else None
            if found is not None and (
                found.is_deleted or not found.region_code.startswith(self.resolver.prefix)
            ):
                column = self._key_column()
                label = self.fields[column].label
                self.fail(
                    row.number,
                    {column: [("duplicate", _("A record with this %(f)s exists already.") % {"f": label})]},
                )
                continue
            row.instance = found
            if row.model_values is None:
                try:
                    row.model_values = actions.model_values(
                        self.kind, dict(row.values), self.resolver, instance=found
                    )
                except RowError as exc:
                    self.fail(row.number, exc.errors)
                    continue
            kept.append(row)
        return kept

    def _existing(self, keys: list[str]) -> dict[str, Record]:
        """The records already stored under the batch's keys, in one query (deleted and outside ones too:
        the unique keys hold across jurisdictions)."""
        if not keys:
            return {}
        if self.kind == "credit":
            return self._existing_credit()
        name = self.model.natural_key
        if connection.vendor == "postgresql":  # one array parameter, not 1,000 placeholders to compile
            column = f"{self.inserter.table}.{connection.ops.quote_name(str(self.concrete[name].column))}"
            any_of = RawSQL(f"{column} = ANY(%s)", [keys], output_field=models.BooleanField())  # noqa: S611
            qs = self.model.objects.filter(any_of)
        else:
            qs = self.model.objects.filter(**{f"{name}__in": keys})
        if self.kind == "person":
            qs = qs.exclude(id_number_index="")  # lets both databases use the partial unique index
        return {str(getattr(obj, name)): obj for obj in qs}

    def _existing_credit(self) -> dict[str, Record]:
        people = {k[1] for k, v in self.resolver.cache.items() if k[0] == "person" and v is not None}
        orgs = {k[1] for k, v in self.resolver.cache.items() if k[0] == "organization" and v is not None}
        person_ids = [self.resolver.cache[("person", k)].pk for k in people]
        org_ids = [self.resolver.cache[("organization", k)].pk for k in orgs]
        if not person_ids and not org_ids:
            return {}
        qs = CreditRecord.objects.alive().filter(
            Q(subject_person_id__in=person_ids) | Q(subject_organization_id__in=org_ids)
        )
        return {_credit_key_of(obj): obj for obj in qs}

    # writing

    def _changes(self, obj: Record, values: dict[str, Any]) -> set[str]:
        changed: set[str] = set()
        for name, value in values.items():
            model_field = self.concrete.get(name)
            if model_field is None:
                continue
            if model_field.is_relation:
                old = getattr(obj, model_field.attname)
                new = value.pk if value is not None else None
            else:
                old, new = getattr(obj, name), value
            if old != new:
                changed.add(name)
                setattr(obj, name, value)
        if changed:
            for name, value in actions.derived(obj).items():
                if getattr(obj, name) != value:
                    setattr(obj, name, value)
                    changed.add(name)
        return changed

    def _write(self, rows: list[_Row]) -> None:
        """Sort the batch's rows into new, changed and unchanged ones and hand the first two to the writer."""
        now = timezone.now()
        new: list[Record] = []
        changed: list[Record] = []
        changed_fields: set[str] = set()
        for row in rows:
            values = row.model_values or {}
            if row.instance is None:
                obj = self.inserter.build(values, self.user.pk)
                for name, value in actions.derived(obj).items():
                    setattr(obj, name, value)
                new.append(obj)
                continue
            obj = row.instance
            names = self._changes(obj, values)
            if not names:
                self.report.unchanged += 1
                continue
            obj.version += 1
            obj.updated_by = self.user
            obj.updated_at = now
            changed_fields |= names | {"version", "updated_by", "updated_at"}
            changed.append(obj)
        if not new and not changed:
            return
        prepared = self.inserter.rows(new, now) if new else []
        self.writer.submit(
            partial(
                self._save, new, prepared, changed, changed_fields, self.report.batches + 1, rows[0].number
            )
        )

    def _save(
        self,
        new: list[Record],
        values: list[list[Any]],
        changed: list[Record],
        changed_fields: set[str],
        batch: int,
        first: int,
    ) -> None:
        """One batch's transaction (on the writer's connection when it has one)."""
        try:
            with transaction.atomic():
                if self.writer.threaded:  # its own connection: the transaction is the batch's alone
                    _commit_without_waiting()
                if values:
                    self.inserter.insert(values)
                if changed:
                    fields = sorted(self.concrete[n].name for n in changed_fields)
                    self.model.objects.bulk_update(changed, fields)
                self._after_save(new, changed, changed_fields)
                record(
                    f"registry.{self.kind}.import",
                    actor=self.user,
                    object_type=self.model._meta.label_lower,
                    changes={"batch": batch, "created": len(new), "updated": len(changed)},
                )
        except IntegrityError as exc:  # someone saved one of the batch's keys meanwhile
            raise Conflict(
                _(
                    "Records of this file were saved elsewhere during the import: the rows from %(first)d on "
                    "were not imported. Import the file again."
                )
                % {"first": first}
            ) from exc
        self.report.created += len(new)
        self.report.updated += len(changed)

    def _after_save(self, new: list[Record], changed: list[Record], changed_fields: set[str]) -> None:
        """What ``actions`` does after saving a person: the household head, special groups' region."""
        if self.kind != "person":
            return
        households = {
            obj.household_id  # type: ignore[attr-defined]
            for obj in [*new, *changed]
            if obj.household_id and obj.relation_to_head == "02"  # type: ignore[attr-defined]
        }
        if households:  # new rows have no id here: the head is found by the household's "02" member
            heads = Person.objects.alive().filter(household_id=OuterRef("pk"), relation_to_head="02")
            Household.objects.filter(pk__in=households).update(
                head=Subquery(heads.order_by("-updated_at", "-id").values("pk")[:1])
            )
        if "region_code" in changed_fields:
            for obj in changed:
                SpecialGroupRecord.objects.filter(person_id=obj.pk).exclude(
                    region_code=obj.region_code
                ).update(region_code=obj.region_code)

    def close(self) -> None:
        try:
            self.writer.close()
        finally:
            self.seen.close()


class _Writer:
    """Runs each batch's transaction. On PostgreSQL, outside any transaction, it runs in a thread with its
    own connection while the next batch is read, cleaned and resolved (the thread mostly waits for the
    server, without the GIL): the database's work and the importer's overlap. One batch at a time, in
    order; an error of a batch is raised at the next ``submit`` or at ``close``. Inside a transaction (a
    caller's ``atomic``, tests) batches are written at once on the caller's connection.

    The next batch is looked up while the previous one commits: its keys cannot be among that batch's
    (a key twice in a file is refused before the lookup), so it finds the same records either way."""

    def __init__(self) -> None:
        self.threaded = connection.vendor == "postgresql" and not connection.in_atomic_block
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="registry-import") if self.threaded else None
        self.pending: Future[None] | None = None

    def submit(self, save: Callable[[], None]) -> None:
        self.wait()
        if self.pool is None:
            save()
        else:  # the audit entries keep the request's context (ip, request id)
            self.pending = self.pool.submit(contextvars.copy_context().run, save)

    def wait(self) -> None:
        pending, self.pending = self.pending, None
        if pending is not None:
            pending.result()

    def close(self) -> None:
        if self.pool is None:
            return
        try:
            self.wait()
        finally:
            self.pool.submit(connections.close_all).result()
            self.pool.shutdown()


def _commit_without_waiting() -> None:
    """The current transaction's COMMIT does not wait for its WAL flush (PostgreSQL). For a batch: a crash
    can lose the last batches of a running import, never part of one; the import's summary audit entry and
    the job's final save commit synchronously, which flushes every batch before them, so a job that says
    "done" is durable."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _credit_key(values: Mapping[str, Any]) -> str:
    person, org = values.get("subject_person"), values.get("subject_organization")
    subject = f"p{person.pk}" if person is not None else f"o{org.pk}" if org is not None else ""
    decided = values.get("decided_on")
    return "|".join(
        [
            subject,
            str(values.get("credit_kind") or ""),
            str(values.get("document_number") or values.get("title") or ""),
            decided.isoformat() if decided else "",
        ]
    )


def _credit_key_of(obj: CreditRecord) -> str:
    subject = f"p{obj.subject_person_id}" if obj.subject_person_id else f"o{obj.subject_organization_id}"
    return "|".join([subject, obj.credit_kind, obj.document_number or obj.title, obj.decided_on.isoformat()])


def _editor(actor: User | AnonymousUser | None, kind: str) -> User:
    if kind not in schema.MODELS:
        raise InvalidInput(_("Unknown kind of record."), code="unknown_kind")
    user = require_role(actor, *actions.EDITOR_ROLES)
    if jurisdiction_prefix(user) is None:
        raise PermissionDenied()
    return user


def _blank(raw: Mapping[str, Any]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in raw.values())


def import_numbered(
    actor: User | AnonymousUser | None,
    kind: str,
    rows: Iterable[tuple[int, Mapping[str, Any]]],
    *,
    progress: Progress | None = None,
    batch_size: int = BATCH_SIZE,
    report: ImportReport | None = None,
    on_issue: Callable[[RowIssue], None] | None = None,
) -> ImportReport:
    """``import_rows`` for rows that carry their own numbers (the file's row numbers)."""
    user = _editor(actor, kind)
    report = report if report is not None else ImportReport()
    report.kind = kind
    importer = _Importer(user, kind, report, on_issue)
    try:
        pending: list[tuple[int, Mapping[str, Any]]] = []
        for number, raw in rows:
            if _blank(raw):
                continue
            pending.append((number, raw))
            if len(pending) >= batch_size:
                importer.batch(pending)
                pending = []
                if progress is not None:
                    progress(report.rows)
        if pending:
            importer.batch(pending)
            if progress is not None:
                progress(report.rows)
    finally:
        importer.close()
    record(
        f"registry.{kind}.import",
        actor=user,
        object_type=schema.MODELS[kind]._meta.label_lower,
        changes={"summary": True, **report.counts()},
    )
    return report


def import_rows(
    actor: User | AnonymousUser | None,
    kind: str,
    rows: Iterable[Mapping[str, Any]],
    *,
    progress: Progress | None = None,
    batch_size: int = BATCH_SIZE,
    report: ImportReport | None = None,
    on_issue: Callable[[RowIssue], None] | None = None,
) -> ImportReport:
    """Import rows keyed by schema field names ({"name": "张三", "region": "330199001001001", …}).

    Valid rows are created or updated (only the fields a row has are changed; a row equal to the stored
    record leaves it alone and counts as unchanged); invalid rows are reported and nothing of them is written.
    """
    return import_numbered(
        actor,
        kind,
        enumerate(rows, start=1),
        progress=progress,
        batch_size=batch_size,
        report=report,
        on_issue=on_issue,
    )


# --- files -------------------------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _csv_encoding(sample: bytes) -> str:
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8-sig"


class _Binary(io.RawIOBase):
    """A binary file object as ``io`` wants it, without closing the wrapped one (Django's File, uploads)."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _csv_table(fileobj: IO[bytes]) -> Generator[list[str]]:
    sample = fileobj.read(CSV_SAMPLE_BYTES)
    fileobj.seek(0)
    encoding = _csv_encoding(sample)
    text = io.TextIOWrapper(io.BufferedReader(_Binary(fileobj), 1 << 16), encoding=encoding, newline="")
    try:
        head = sample[:65536].decode(encoding, errors="ignore")
        dialect: Any = csv.excel
        with contextlib.suppress(csv.Error):
            dialect = csv.Sniffer().sniff(head, delimiters=",\t;")
        for cells in csv.reader(text, dialect):
            # Exports write cells a spreadsheet would run as formulas with a leading apostrophe.
            yield [c[1:] if c[:1] == "'" and c[1:2] in FORMULA_START else c for c in cells]
    except UnicodeDecodeError as exc:
        raise ImportFileError(_("The file is neither UTF-8 nor GB18030 text.")) from exc
    except csv.Error as exc:
        raise ImportFileError(_("The file is not a valid CSV file.")) from exc
    finally:
        text.detach()


def _xlsx_table(fileobj: IO[bytes]) -> Generator[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(fileobj, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError, InvalidFileException …
        raise ImportFileError(_("The file is not a valid Excel (.xlsx) workbook.")) from exc
    try:
        sheet = workbook.worksheets[0]
        for values in sheet.iter_rows(values_only=True):
            yield [_cell(v) for v in values]
    finally:
        workbook.close()


def estimate_rows(fileobj: IO[bytes], filename: str) -> int | None:
    """About how many data rows the file has (for the progress bar), without reading it all."""
    suffix = Path(filename).suffix.lower()
    try:
        if suffix == ".csv":
            start = fileobj.tell()
            fileobj.seek(0, io.SEEK_END)
            size = fileobj.tell()
            fileobj.seek(start)
            sample = fileobj.read(CSV_SAMPLE_BYTES)
            fileobj.seek(start)
            lines = sample.count(b"\n")
            if not lines:
                return 0 if not sample.strip() else 1
            if len(sample) >= size:
                return max(0, lines - (0 if sample.endswith(b"\n") else -1) - 1)
            return max(0, round(size / (len(sample) / lines)) - 1)
        if suffix == ".xlsx":
            from openpyxl import load_workbook

            workbook = load_workbook(fileobj, read_only=True)
            try:
                max_row = workbook.worksheets[0].max_row
            finally:
                workbook.close()
                fileobj.seek(0)
            return max(0, max_row - 1) if max_row else None
    except Exception:  # only an estimate
        return None
    return None


def _file_rows(
    kind: str, table: Iterator[list[str]], report: ImportReport, on_issue: Callable[[RowIssue], None] | None
) -> Iterator[tuple[int, dict[str, str]]]:
    accepted = _header_map(kind)
    number = 0
    header: list[str] | None = None
    for cells in table:
        number += 1
        if any(c.strip() for c in cells):
            header = cells
            break
    if header is None:
        raise ImportFileError(_("The file is empty."))
    columns: list[str | None] = []
    for text in header:
        name = accepted.get(_normalize_header(text or ""))
        if name in columns:
            name = None
        if name is None and text.strip():
            item = RowIssue(number, "", text.strip()[:60], "unknown_column", _("Unknown column, ignored."))
            report.issues += 1
            report.errors.append(item)
            if on_issue is not None:
                on_issue(item)
        columns.append(name)
    missing = [s for s in schema.FIELDS[kind] if s.required and s.name not in columns]
    if missing:
        raise ImportFileError(
            _("Required columns are missing: %(columns)s")
            % {"columns": "、".join(label_of(kind, s.name) for s in missing)}
        )
    width = len(columns)
    for cells in table:
        number += 1
        if len(cells) < width:
            cells = [*cells, *([""] * (width - len(cells)))]
        yield number, {name: cells[i] for i, name in enumerate(columns) if name is not None}


def import_file(
    actor: User | AnonymousUser | None,
    kind: str,
    fileobj: IO[bytes],
    filename: str,
    *,
    progress: Progress | None = None,
    batch_size: int = BATCH_SIZE,
    report: ImportReport | None = None,
    on_issue: Callable[[RowIssue], None] | None = None,
) -> ImportReport:
    """Import a CSV (UTF-8 with or without BOM, or GB18030) or xlsx file whose first row holds the column
    headers: the Chinese labels of the templates (English labels and field names are accepted too).
    Issues carry the file's row numbers (the header is row 1)."""
    _editor(actor, kind)
    suffix = Path(filename).suffix.lower()
    if suffix == ".csv":
        table = _csv_table(fileobj)
    elif suffix == ".xlsx":
        table = _xlsx_table(fileobj)
    else:
        raise ImportFileError(_("Upload a .csv or .xlsx file."), code="unsupported_file")
    report = report if report is not None else ImportReport()
    try:
        return import_numbered(
            actor,
            kind,
            _file_rows(kind, table, report, on_issue),
            progress=progress,
            batch_size=batch_size,
            report=report,
            on_issue=on_issue,
        )
    finally:
        table.close()


# --- jobs --------------------------------------------------------------------------------------------------


def start_import(actor: User | AnonymousUser | None, kind: str, upload: Any) -> ImportJob:
    """Store an uploaded file as an import job and queue it (``tasks.run_import`` once committed)."""
    from jiceng.registry.tasks import run_import

    user = _editor(actor, kind)
    filename = Path(str(getattr(upload, "name", "") or "")).name
    if Path(filename).suffix.lower() not in SUFFIXES:
        raise ImportFileError(_("Upload a .csv or .xlsx file."), code="unsupported_file")
    job = ImportJob(
        kind=kind,
        filename=filename[:200],
        created_by=user,
        region_code=jurisdiction_prefix(user) or "",
        total_rows=estimate_rows(upload, filename),
    )
    upload.seek(0)
    job.file.save(f"{uuid.uuid4().hex}{Path(filename).suffix.lower()}", upload, save=False)
    job.save()
    transaction.on_commit(lambda: run_import.delay(job.pk))
    return job


def _visible_jobs(user: User | AnonymousUser | None) -> QuerySet[ImportJob]:
    """The jobs a user started, and those of their jurisdiction when they may import themselves."""
    prefix = jurisdiction_prefix(user)
    if prefix is None or user is None:
        return ImportJob.objects.none()
    mine = Q(created_by_id=user.pk)
    if has_role(user, *actions.EDITOR_ROLES):
        mine |= Q(region_code__startswith=prefix)
    return ImportJob.objects.filter(mine)


def job(user: User | AnonymousUser | None, job_id: int) -> ImportJob:
    """One import job the user may see; NotFound for missing and foreign ones alike."""
    found = _visible_jobs(user).filter(pk=job_id).first()
    if found is None:
        raise NotFound()
    return found


def jobs(user: User | AnonymousUser | None, kind: str = "") -> QuerySet[ImportJob]:
    qs = _visible_jobs(user).select_related("created_by")
    return qs.filter(kind=kind) if kind else qs
