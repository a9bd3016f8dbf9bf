"""The progress report as an Excel workbook in the layout offices print: the national heading, the title, then
one titled table after another, A4 portrait, fitted to the page width."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from entry.excel import neutralise

from .data import ProgressReport

NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
WIDTH = 8  # columns the heading spans
FONT = "Times New Roman"
THIN = Side(style="thin", color="000000")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEAD_FILL = PatternFill("solid", fgColor="DDE7F3")


def _merged(ws, row: int, first: int, last: int, value: str, *, bold=False, italic=False, size=12, align="center"):
    ws.merge_cells(start_row=row, start_column=first, end_row=row, end_column=last)
    cell = ws.cell(row=row, column=first, value=neutralise(value))
    cell.font = Font(name=FONT, bold=bold, italic=italic, size=size)
    cell.alignment = Alignment(horizontal=align, vertical="center", wrap_text=True)
    return cell


def _value(value):
    return neutralise(value) if isinstance(value, str) else value


def progress_report_xlsx(report: ProgressReport) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = _("Báo cáo")[:31]
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_PORTRAIT
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.6
    widths = [34, 14, 14, 14, 14, 14, 14, 14]
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width

    half = WIDTH // 2
    _merged(ws, 1, 1, half - 1, report.authority, bold=True)
    _merged(ws, 1, half, WIDTH, NATION, bold=True)
    _merged(ws, 2, half, WIDTH, MOTTO, bold=True)
    _merged(ws, 3, half, WIDTH, report.place_date, italic=True)
    _merged(ws, 5, 1, WIDTH, report.title, bold=True, size=13)
    _merged(ws, 6, 1, WIDTH, report.subtitle, bold=True)
    _merged(ws, 7, 1, WIDTH, report.unit.name, italic=True)
    ws.row_dimensions[5].height = 34
    row = 8
    if report.is_demo:
        _merged(ws, row, 1, WIDTH, _("DỮ LIỆU MẪU: số liệu minh họa, không phải số liệu chính thức."), bold=True)
        row += 1
    row += 1
    for line in report.headlines:
        _merged(ws, row, 1, WIDTH, "• " + line, align="left")
        row += 1
    for number, table in enumerate(report.tables, start=1):
        row += 1
        _merged(ws, row, 1, WIDTH, f"{number}. {table.title}", bold=True, align="left")
        row += 1
        for col, name in enumerate(table.columns, start=1):
            cell = ws.cell(row=row, column=col, value=_value(name))
            cell.font = Font(name=FONT, bold=True, size=11)
            cell.fill = HEAD_FILL
            cell.border = BOX
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        row += 1
        body = [*table.rows, *([table.footer] if table.footer else [])]
        for index, values in enumerate(body):
            is_footer = table.footer is not None and index == len(body) - 1
            for col, value in enumerate(values, start=1):
                cell = ws.cell(row=row, column=col, value=_value(value))
                cell.font = Font(name=FONT, size=11, bold=is_footer)
                cell.border = BOX
                numeric = (col - 1) not in table.text_columns
                cell.alignment = Alignment(
                    horizontal="right" if numeric else "left", vertical="top", wrap_text=not numeric
                )
                if isinstance(value, float):
                    cell.number_format = "0.0"
            row += 1
        if table.note:
            _merged(ws, row, 1, WIDTH, table.note, italic=True, size=10, align="left")
            ws.row_dimensions[row].height = 28
            row += 1
    if report.left_out:
        row += 1
        _merged(ws, row, 1, WIDTH, _("Chưa có trong báo cáo này"), bold=True, align="left")
        row += 1
        for line in report.left_out:
            _merged(ws, row, 1, WIDTH, "• " + line, italic=True, size=10, align="left")
            row += 1
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
