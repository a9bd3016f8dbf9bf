"""Table downloads (CSV, XLSX) of the dashboards: readable by Excel as offices open them, and safe.

- CSV starts with a UTF-8 byte-order mark, or Excel on Windows shows Vietnamese as mojibake.
- XLSX carries a title block (unit, period, date of export, filters) above the table, on a sheet named after
  the unit and period.
- Every text cell that a spreadsheet would run as a formula (=, +, -, @ …) is neutralised, as in the entry
  template: unit names and notes come from people and files.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from django.http import HttpResponse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from entry.excel import neutralise

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Excel refuses these in a sheet name and cuts names at 31 characters.
SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True)
class ExportTitle:
    unit: str
    period: str
    filters: list[tuple[str, str]]  # (label, chosen value) of each filter in use


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        return value
    return neutralise(str(value))


def sheet_name(text: str) -> str:
    cleaned = " ".join(SHEET_FORBIDDEN.sub(" ", text).split()).strip("'")
    return cleaned[:31] or "Sheet1"


def table_rows(table) -> list[list]:
    return [[_cell(value) for value in row] for row in table.as_values()]


def csv_response(*, table, filename: str) -> HttpResponse:
    out = io.StringIO()
    out.write("\ufeff")
    csv.writer(out).writerows(table_rows(table))
    response = HttpResponse(out.getvalue().encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def xlsx_response(*, table, title: ExportTitle, filename: str) -> HttpResponse:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_name(f"{title.unit} {title.period}")
    exported = date_format(timezone.localtime(), "d/m/Y H:i")
    filters = "; ".join(f"{label}: {value}" for label, value in title.filters) or _("không lọc (tất cả)")
    sheet.append([_cell(title.unit)])
    sheet["A1"].font = Font(bold=True, size=13)
    for label, value in (
        (_("Kỳ báo cáo"), title.period),
        (_("Ngày xuất"), exported),
        (_("Bộ lọc"), filters),
    ):
        sheet.append([_cell(f"{label}: {value}")])
    sheet.append([])
    rows = table_rows(table)
    header_row = sheet.max_row + 1
    for row in rows:
        sheet.append(row)
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    for index, column in enumerate(zip(*rows, strict=False), start=1):
        width = min(max(max(len(str(value)) for value in column), 6), 50) + 2
        sheet.column_dimensions[sheet.cell(row=header_row, column=index).column_letter].width = width
    out = io.BytesIO()
    workbook.save(out)
    response = HttpResponse(out.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def chosen_filters(filterset) -> list[tuple[str, str]]:
    """(label, display value) of the filters a bound, valid filterset has in use."""
    if filterset is None or not filterset.is_bound or not filterset.is_valid():
        return []
    chosen = []
    for name, value in filterset.form.cleaned_data.items():
        if value in (None, "", [], ()):
            continue
        field = filterset.form.fields[name]
        choices = dict(list(getattr(field, "choices", ())))  # list(): django-filter's iterator has no len()
        display = choices.get(value, value)
        chosen.append((str(field.label), str(display)))
    return chosen
