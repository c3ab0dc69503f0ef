"""Ledgers (台账) as Excel workbooks laid out like the paper forms counties file today: a title, the unit
and period, numbered rows with borders, and the signature line, printable on A4 landscape."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from jiceng.worktools.models import CheckIn, Visit, WorkLog

THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="center")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _when(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def _visitor(v: Visit) -> str:
    return v.visitor.full_name or v.visitor.username


@dataclass(frozen=True)
class Column:
    label: Any
    width: int
    value: Callable[[Any], Any]


LEDGER_TITLES = {
    "visits": gettext_lazy("Visit ledger"),
    "logs": gettext_lazy("Work log ledger"),
    "checkins": gettext_lazy("Check-in ledger"),
}

COLUMNS: dict[str, list[Column]] = {
    "visits": [
        Column(gettext_lazy("Visited at"), 17, lambda v: _when(v.visited_at)),
        Column(gettext_lazy("Visited"), 22, lambda v: v.subject_name),
        Column(gettext_lazy("Purpose"), 16, lambda v: v.purpose),
        Column(gettext_lazy("What was found"), 40, lambda v: v.findings),
        Column(gettext_lazy("Follow-up"), 24, lambda v: v.follow_up),
        Column(
            gettext_lazy("Follow-up due"),
            12,
            lambda v: v.follow_up_due.isoformat() if v.follow_up_due else "",
        ),
        Column(gettext_lazy("Visitor"), 10, _visitor),
    ],
    "logs": [
        Column(gettext_lazy("Date"), 12, lambda w: w.day.isoformat()),
        Column(gettext_lazy("Worker"), 10, lambda w: w.author.full_name or w.author.username),
        Column(gettext_lazy("Work done"), 50, lambda w: w.content),
        Column(gettext_lazy("Residents' concerns"), 36, lambda w: w.issues),
    ],
    "checkins": [
        Column(gettext_lazy("Time"), 17, lambda c: _when(c.at)),
        Column(gettext_lazy("Worker"), 10, lambda c: c.worker.full_name or c.worker.username),
        Column(gettext_lazy("Place"), 30, lambda c: c.target_name),
        Column(gettext_lazy("Distance (m)"), 10, lambda c: c.distance_m if c.distance_m is not None else ""),
        Column(gettext_lazy("Far from the place"), 10, lambda c: _("Yes") if c.far else ""),
        Column(gettext_lazy("Note"), 30, lambda c: c.note),
    ],
}


def rows(name: str, records: Iterable[Visit | WorkLog | CheckIn]) -> list[list[Any]]:
    """The ledger's data rows (numbered), as the workbook shows them."""
    return [[i, *(c.value(r) for c in COLUMNS[name])] for i, r in enumerate(records, start=1)]


def workbook(
    name: str, records: Iterable[Any], *, unit: str, since: date | None, until: date | None
) -> Workbook:
    columns = COLUMNS[name]
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = str(LEDGER_TITLES[name])[:31]
    width = len(columns) + 1
    last = get_column_letter(width)
    ws.merge_cells(f"A1:{last}1")
    ws["A1"] = str(LEDGER_TITLES[name])
    ws["A1"].font = Font(name="SimSun", size=16, bold=True)
    ws["A1"].alignment = CENTER
    ws.row_dimensions[1].height = 30
    ws.merge_cells(f"A2:{last}2")
    period = f"{since.isoformat() if since else '…'} — {until.isoformat() if until else '…'}"
    ws["A2"] = _("Unit: %(unit)s    Period: %(period)s") % {"unit": unit, "period": period}
    ws["A2"].alignment = Alignment(horizontal="left", vertical="center")
    headers = [_("No."), *(str(c.label) for c in columns)]
    for col, text in enumerate(headers, start=1):
        cell = ws.cell(row=3, column=col, value=text)
        cell.font = Font(bold=True)
        cell.alignment = CENTER
        cell.border = BOX
    ws.column_dimensions["A"].width = 6
    for col, column in enumerate(columns, start=2):
        ws.column_dimensions[get_column_letter(col)].width = column.width
    data = rows(name, records)
    for r, values in enumerate(data, start=4):
        for col, value in enumerate(values, start=1):
            cell = ws.cell(row=r, column=col, value=value)
            cell.border = BOX
            cell.alignment = CENTER if col == 1 else WRAP
    foot = len(data) + 5
    ws.merge_cells(f"A{foot}:{last}{foot}")
    ws[f"A{foot}"] = _("Filled in by: ________    Reviewed by: ________    Date: ________")
    ws.print_title_rows = "3:3"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.freeze_panes = "A4"
    return wb
