"""Excel files: a scorecard with the records behind each score, and the monthly statistical report."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import IO, TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from jiceng.analytics import metrics, queries, scoring
from jiceng.analytics.models import Scorecard, ScoreRow, Slice, SubjectType
from jiceng.audit.actions import record
from jiceng.events.models import Event, Platform, Source
from jiceng.org.models import Unit

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from jiceng.accounts.models import User

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _text(ws: WriteOnlyWorksheet, value: Any) -> WriteOnlyCell:
    """A text cell that spreadsheets never read as a formula."""
    cell = WriteOnlyCell(ws, value=str(value))
    cell.data_type = "s"
    return cell


def _sheet(
    book: Workbook, title: str, header: Sequence[Any], widths: Sequence[int] = ()
) -> WriteOnlyWorksheet:
    ws = book.create_sheet(title=title[:31])
    for index, width in enumerate(widths):
        ws.column_dimensions[chr(ord("A") + index)].width = width
    bold = Font(bold=True)
    cells = []
    for value in header:
        cell = WriteOnlyCell(ws, value=str(value))
        cell.font = bold
        cells.append(cell)
    ws.append(cells)
    return ws


def _pct(value: float | None) -> float | str:
    return "" if value is None else round(value * 100, 2)


def _save(book: Workbook) -> IO[bytes]:
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - the response closes it after streaming
    book.save(spool)
    spool.seek(0)
    return spool


# --- scorecards --------------------------------------------------------------------------------------------


def scorecard_file(user: User, card: Scorecard, subject_type: str | None = None) -> IO[bytes]:
    rows: list[ScoreRow] = list(scoring.visible_rows(user, card, subject_type))
    book = Workbook(write_only=True)
    labels = dict(SubjectType.choices)
    rule_names: list[str] = []
    for row in rows:
        for item in row.items.all():
            if item.rule_name not in rule_names:
                rule_names.append(item.rule_name)
    scores = _sheet(
        book,
        _("Scores"),
        [
            _("Assessed"),
            _("Code"),
            _("Name"),
            _("Region code"),
            _("Rank"),
            _("Score"),
            _("Full marks"),
            *rule_names,
        ],
        [16, 18, 24, 16, 6, 8, 10],
    )
    for row in rows:
        by_rule = {item.rule_name: float(item.points) for item in row.items.all()}
        scores.append(
            [
                str(labels.get(row.subject_type, row.subject_type)),
                _text(scores, row.subject_code),
                _text(scores, row.subject_name),
                row.region_code,
                row.rank,
                float(row.total),
                float(row.full_marks),
                *(by_rule.get(name, "") for name in rule_names),
            ]
        )
    details = _sheet(
        book,
        _("Records"),
        [
            _("Assessed"),
            _("Name"),
            _("Rule"),
            _("Metric"),
            _("Value"),
            _("Numerator"),
            _("Base"),
            _("Failures"),
            _("Points"),
            _("Events (numerator or failures)"),
            _("Events in the base"),
            _("Workflow steps"),
        ],
        [16, 24, 20, 16, 8, 8, 8, 8, 8, 40, 40, 30],
    )
    refs = _event_refs(
        {pk for row in rows for item in row.items.all() for pk in (*item.event_ids, *item.hit_event_ids)}
    )
    for row in rows:
        for item in row.items.all():
            metric = scoring.METRICS.get(item.metric)
            details.append(
                [
                    str(labels.get(row.subject_type, row.subject_type)),
                    _text(details, row.subject_name),
                    _text(details, item.rule_name),
                    str(metric.label) if metric else item.metric,
                    "" if item.value is None else round(item.value, 4),
                    item.numerator,
                    item.denominator,
                    item.failures,
                    float(item.points),
                    _text(details, ",".join(refs.get(pk, str(pk)) for pk in item.hit_event_ids)),
                    _text(details, ",".join(refs.get(pk, str(pk)) for pk in item.event_ids)),
                    _text(details, ",".join(map(str, item.flow_ids))),
                ]
            )
    record(
        "analytics.scorecard.export",
        actor=user,
        obj=card,
        changes={"period": scoring.period_label(card.period_kind, card.period_start), "rows": len(rows)},
    )
    return _save(book)


def _event_refs(ids: set[int], chunk: int = 500) -> dict[int, str]:
    """The numbers people quote (SJ…, as on the event page) of the events behind the scores."""
    wanted = sorted(ids)
    refs: dict[int, str] = {}
    for at in range(0, len(wanted), chunk):
        for pk, reported_at in Event.objects.filter(pk__in=wanted[at : at + chunk]).values_list(
            "pk", "reported_at"
        ):
            refs[pk] = Event.number(pk, reported_at)
    return refs


# --- the monthly statistical report ----------------------------------------------------------------------

RATE_COLUMNS = ("on_time_rate", "close_rate", "rework_rate", "extension_rate", "satisfaction")


def _rate_header() -> list[str]:
    return [
        _("Reported"),
        _("Accepted (due)"),
        _("Suspended"),
        _("Closed"),
        _("Closed on time"),
        _("Overdue"),
        _("Reworked"),
        _("Extended"),
        _("Evaluations"),
        *(f"{metrics.RATES[name].label} (%)" for name in RATE_COLUMNS),
        _("Average hours to close"),
    ]


def _rate_cells(c: Mapping[str, int]) -> list[Any]:
    values = metrics.indicators(c)
    return [
        c.get("reported", 0),
        c.get("accepted", 0),
        c.get("suspended", 0),
        c.get("closed", 0),
        c.get("closed_on_time", 0),
        c.get("overdue", 0),
        c.get("reworked", 0),
        c.get("extended", 0),
        metrics.evaluations(c),
        *(_pct(values[name]) for name in RATE_COLUMNS),
        "" if values["average_close_hours"] is None else values["average_close_hours"],
    ]


def _table(
    book: Workbook, title: str, first: Sequence[str], rows: Iterable[tuple[Sequence[Any], Mapping[str, int]]]
) -> None:
    ws = _sheet(book, title, [*first, *_rate_header()], [16] * len(first) + [9] * 15)
    for names, counts in rows:
        ws.append([*(_text(ws, n) for n in names), *_rate_cells(counts)])


def month_bounds(month: date) -> tuple[date, date]:
    first, end = scoring.period_bounds("month", month)
    return first, end - timedelta(days=1)


def monthly_report_file(user: User | AnonymousUser, code: str | None, month: date) -> IO[bytes]:
    """统计月报 of a node of the user's jurisdiction: totals, regions one level down, categories, sources,
    platforms and lead units, each with its counts and rates — all from the rollups."""
    node = queries.node_for(user, code)
    first, last = month_bounds(month)
    book = Workbook(write_only=True)
    per_day = queries.series(node.codes, first, last)
    total: dict[str, int] = {}
    for counts in per_day.values():
        metrics.add(total, counts)
    summary = _sheet(book, _("Summary"), [_("Item"), _("Value")], [30, 20])
    summary.append([_("Region"), _text(summary, node.place.name or _("All"))])
    summary.append([_("Month"), f"{first:%Y-%m}"])
    for label, value in zip(_rate_header(), _rate_cells(total), strict=True):
        summary.append([label, value])
    summary.append(
        [_("Closed in the month (by close day)"), sum(c.get("closed_on_day", 0) for c in per_day.values())]
    )

    children = queries.by_region([c.code for c in node.children], first, last)
    _table(
        book,
        _("By region"),
        [_("Code"), _("Name")],
        [((c.code, c.name), children.get(c.code, {})) for c in node.children],
    )
    cats = queries.categories()
    by_category = queries.by_key(node.codes, Slice.CATEGORY, first, last)
    cat_rows = []
    for key, counts in sorted(by_category.items(), key=lambda kv: -kv[1].get("reported", 0)):
        info = cats.get(int(key)) if key.isdigit() else None
        cat_rows.append(
            ((info.top_name if info else "", info.code if info else key, info.name if info else key), counts)
        )
    _table(book, _("By category"), [_("Category"), _("Code"), _("Subcategory")], cat_rows)
    platforms: dict[str, dict[str, int]] = {}
    for key, counts in by_category.items():
        info = cats.get(int(key)) if key.isdigit() else None
        metrics.add(platforms.setdefault(info.platform if info else "", {}), counts)
    platform_labels = dict(Platform.choices)
    _table(
        book,
        _("By platform"),
        [_("Platform")],
        [((str(platform_labels.get(k, k)),), v) for k, v in sorted(platforms.items())],
    )
    sources = dict(Source.choices)
    by_source = queries.by_key(node.codes, Slice.SOURCE, first, last)
    _table(
        book,
        _("By source"),
        [_("Source")],
        [((str(sources.get(k, k)),), v) for k, v in sorted(by_source.items())],
    )
    by_unit = queries.by_key(node.codes, Slice.UNIT, first, last)
    names = dict(
        Unit.objects.filter(pk__in=[int(k) for k in by_unit if k.isdigit()]).values_list("pk", "name")
    )
    _table(
        book,
        _("By lead unit"),
        [_("Unit")],
        [((names.get(int(k), k) if k.isdigit() else k,), v) for k, v in sorted(by_unit.items())],
    )
    record(
        "analytics.report.export",
        actor=user,
        object_type="org.region",
        object_id=node.place.code,
        changes={"month": f"{first:%Y-%m}"},
    )
    return _save(book)
