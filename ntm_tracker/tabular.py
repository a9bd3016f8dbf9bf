"""Reading the CSV, XLSX and ODS files that offices upload or hand to the command line: one reader for all.

A spreadsheet is read as a stream, never as a grid: the dimension a sheet declares is ignored (a forged
`<dimension ref="A1:XFD1048576"/>` costs nothing), empty rows and cells are skipped, and reading stops at
the first thing past the limits (`Limits`): the size of the file, what it unzips to, the number of rows,
columns and cells. The limits are checked before the rest of the file is parsed, so a hostile file is
refused in a fraction of a second with a message saying which limit it broke.

Cells keep what the file means: numbers stay numbers; a number the sheet shows as a percentage (0.85
formatted "85%") is read as `Percent("85")`, the figure the official sees; text stays text (and so does
a CSV, whose number convention is the caller's to decide from all of its cells).
"""

from __future__ import annotations

import csv
import io
import unicodedata
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse
from django.utils.translation import gettext as _


class TableError(ValueError):
    """The file cannot be read as a table (wrong type, no header, missing columns, past a limit)."""

    def __init__(self, message: str, row: int = 1):
        super().__init__(message)
        self.row = row


@dataclass(frozen=True)
class RowProblem:
    """One bad cell of an imported file, said so the official can find and fix it."""

    row: int
    field: str
    reason: str

    def __str__(self) -> str:
        return _("Dòng %(row)d, cột «%(field)s»: %(reason)s") % {
            "row": self.row,
            "field": self.field,
            "reason": self.reason,
        }


@dataclass
class FileRejected(Exception):
    """A file with at least one bad row: nothing was written."""

    problems: list[RowProblem] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


class Percent(Decimal):
    """A number shown as a percentage in the file: the cell holding 0.85 formatted as "85%" is Percent("85")."""


@dataclass(frozen=True)
class Limits:
    """What a file may hold. Past any of them the file is refused before the rest is read."""

    max_bytes: int  # the file as sent
    max_unzipped: int  # what an XLSX / ODS unzips to (a zip bomb is small as sent)
    max_rows: int  # rows after the header, counting the empty ones in between
    max_columns: int
    max_cells: int  # non-empty cells

    def describe(self) -> str:
        return _(
            "tệp tối đa %(mb)s MB (giải nén tối đa %(unzipped)s MB), %(rows)s dòng, %(cols)s cột, "
            "%(cells)s ô có dữ liệu"
        ) % {
            "mb": _mb(self.max_bytes),
            "unzipped": _mb(self.max_unzipped),
            "rows": f"{self.max_rows:,}".replace(",", "."),
            "cols": self.max_columns,
            "cells": f"{self.max_cells:,}".replace(",", "."),
        }


def _mb(n: int) -> str:
    return f"{n / 1_000_000:g}"


# An upload is one unit's template for one period (a few hundred rows at most, villages included).
UPLOAD_LIMITS = Limits(max_bytes=5_000_000, max_unzipped=20_000_000, max_rows=5_000, max_columns=40, max_cells=100_000)
# The command line loads a province or the country at once (one row per unit and indicator).
COMMAND_LIMITS = Limits(
    max_bytes=500_000_000, max_unzipped=2_000_000_000, max_rows=2_000_000, max_columns=40, max_cells=30_000_000
)


@dataclass
class Table:
    """A file read as a table: its header (canonical names) and its non-empty rows with their row numbers."""

    header: list[str]
    rows: list[tuple[int, dict]]
    format: str  # "csv" | "xlsx" | "ods"
    delimiter: str = ""  # CSV only
    labels: dict[str, str] = field(default_factory=dict)  # canonical name → the header as written in the file

    def column(self, name: str) -> str:
        """How to name a column to the person who wrote the file: its letter and its header as written."""
        if name not in self.header:
            return name
        return f"{_letter(self.header.index(name) + 1)} ({self.labels.get(name, name)})"


def _letter(index: int) -> str:
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def normalise_header(text) -> str:
    """Header names compare without case, extra spaces or the Unicode form the keyboard produced."""
    return " ".join(unicodedata.normalize("NFC", str(text or "")).strip().lower().split())


def read_table(
    source: str | Path | bytes,
    *,
    filename: str = "",
    limits: Limits = UPLOAD_LIMITS,
    aliases: Mapping[str, str] | None = None,
) -> Table:
    """Read a CSV / XLSX / ODS file (a path or its bytes) within `limits`.

    `aliases` maps other names of a column (normalised, e.g. "mã chỉ tiêu") to the canonical one
    ("indicator_code"). Blank rows are skipped; row numbers are those a spreadsheet program shows.
    """
    if isinstance(source, bytes):
        data, name = source, (filename or "").lower()
    else:
        path = Path(source)
        size = path.stat().st_size
        if size > limits.max_bytes:
            raise TableError(_too_big(limits))
        data, name = path.read_bytes(), (filename or str(source)).lower()
    if len(data) > limits.max_bytes:
        raise TableError(_too_big(limits))
    if name.endswith(".xls") and not data.startswith(b"PK"):
        raise TableError(_("Tệp .xls (Excel 97-2003) không được nhận: lưu lại thành .xlsx hoặc .ods rồi gửi lại."))
    if name.endswith(".xlsx") and not data.startswith(b"PK"):
        raise TableError(_("Không đọc được tệp Excel (.xlsx)."))
    if name.endswith(".ods") and not data.startswith(b"PK"):
        raise TableError(_("Không đọc được tệp bảng tính OpenDocument (.ods)."))
    if data.startswith(b"PK"):
        fmt, cells = _zip_rows(data, name, limits)
        delimiter = ""
    elif name.endswith((".csv", ".txt")) or not name or "." not in Path(name).name:
        fmt = "csv"
        text = _decode_csv(data)
        delimiter = _delimiter(text)
        cells = _csv_rows(text, delimiter)
    else:
        raise TableError(_("Chỉ nhận tệp .xlsx, .ods hoặc .csv."))
    return _tabulate(cells, fmt, delimiter, limits, aliases or {})


def read_rows(
    source: str | Path | bytes, *, filename: str = "", limits: Limits = UPLOAD_LIMITS
) -> tuple[list[str], list[tuple[int, dict]]]:
    """The header (lower-cased names) and the rows as (row number in the file, {column: value}).

    The upload limits unless told otherwise: a command reading a national file passes COMMAND_LIMITS."""
    table = read_table(source, filename=filename, limits=limits)
    return table.header, table.rows


def require_columns(header: list[str], required: list[str], table: Table | None = None) -> None:
    missing = [c for c in required if c not in header]
    if missing:
        raise TableError(
            _("Thiếu cột: %(missing)s. Cần các cột: %(required)s.")
            % {"missing": ", ".join(missing), "required": ", ".join(required)}
        )


def _too_big(limits: Limits) -> str:
    return _("Tệp quá lớn: %(limits)s. Chia tệp thành nhiều phần rồi gửi lại.") % {"limits": limits.describe()}


def _tabulate(
    rows: Iterator[tuple[int, list]], fmt: str, delimiter: str, limits: Limits, aliases: Mapping[str, str]
) -> Table:
    header: list[str] | None = None
    labels: dict[str, str] = {}
    header_row = 0
    out: list[tuple[int, dict]] = []
    cells = 0
    for number, row in rows:
        filled = [i for i, c in enumerate(row) if c not in (None, "")]
        if not filled:
            continue
        if filled[-1] >= limits.max_columns:
            raise TableError(
                _("Dòng %(row)d có dữ liệu ở cột %(col)s: tệp chỉ được có tối đa %(max)d cột.")
                % {"row": number, "col": _letter(filled[-1] + 1), "max": limits.max_columns},
                row=number,
            )
        if header is None:
            header = []
            for c in row[: filled[-1] + 1]:
                written = str(c or "").strip()
                name = normalise_header(written)
                name = aliases.get(name, name)
                header.append(name)
                labels.setdefault(name, written)
            header_row = number
            continue
        if number - header_row > limits.max_rows:
            raise TableError(
                _("Dòng %(row)d có dữ liệu: tệp chỉ được có tối đa %(max)s dòng dưới dòng tiêu đề.")
                % {"row": number, "max": f"{limits.max_rows:,}".replace(",", ".")},
                row=number,
            )
        cells += len(filled)
        if cells > limits.max_cells:
            raise TableError(
                _("Tệp có quá %(max)s ô có dữ liệu (đến dòng %(row)d): chia tệp thành nhiều phần.")
                % {"max": f"{limits.max_cells:,}".replace(",", "."), "row": number},
                row=number,
            )
        out.append((number, {name: row[i] if i < len(row) else None for i, name in enumerate(header) if name}))
    if header is None:
        raise TableError(_("Tệp trống: không có dòng tiêu đề."))
    return Table(header=header, rows=out, format=fmt, delimiter=delimiter, labels=labels)


def _cell(value) -> object:
    if isinstance(value, str):
        return value.strip()
    return value


# ------------------------------------------------------------------------------------------------ CSV


def _decode_csv(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text"
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        row = data[: exc.start].count(b"\n") + 1
        raise TableError(
            _(
                "Dòng %(row)d: không đọc được chữ ở byte %(byte)s, tệp CSV phải lưu với bảng mã UTF-8 "
                "(trong Excel: Lưu thành → CSV UTF-8; trong LibreOffice: Bộ ký tự Unicode (UTF-8))."
            )
            % {"row": row, "byte": f"0x{data[exc.start]:02X}"},
            row=row,
        )


def _delimiter(text: str) -> str:
    """Excel with Vietnamese regional settings saves CSV with semicolons (the comma is the decimal mark)."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    return max((";", ",", "\t"), key=first.count) if any(d in first for d in ";\t") else ","


def _csv_rows(text: str, delimiter: str) -> Iterator[tuple[int, list]]:
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        for row in reader:
            yield reader.line_num, [_cell(c) for c in row]
    except csv.Error as exc:
        raise TableError(_("Dòng %(row)d: không đọc được CSV (%(e)s).") % {"row": reader.line_num, "e": exc})


# ------------------------------------------------------------------------------------------ XLSX, ODS


def _zip_rows(data: bytes, name: str, limits: Limits) -> tuple[str, Iterator[tuple[int, list]]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise TableError(_("Không đọc được tệp: không phải .xlsx hay .ods hợp lệ."))
    if sum(i.file_size for i in infos) > limits.max_unzipped:
        raise TableError(_too_big(limits))
    names = {i.filename for i in infos}
    if "content.xml" in names and (name.endswith(".ods") or "xl/workbook.xml" not in names):
        mimetype = archive.read("mimetype").decode("ascii", "replace").strip() if "mimetype" in names else ""
        if mimetype and "spreadsheet" not in mimetype:
            raise TableError(_("Tệp OpenDocument này không phải bảng tính (.ods)."))
        return "ods", _ods_rows(archive)
    if "xl/workbook.xml" in names:
        return "xlsx", _xlsx_rows(data)
    raise TableError(_("Không đọc được tệp: không phải .xlsx hay .ods hợp lệ."))


def _number(value, number_format: str):
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    if "%" in (number_format or ""):
        return Percent((Decimal(str(value)) * 100).normalize())
    return value


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list]]:
    """The first sheet's rows as the sheet's XML lists them, with their own row numbers.

    openpyxl's row iterator yields one (empty) row for every row missing between two present ones, so a
    sheet with one cell in row 1,048,576 would cost a million steps; its sheet parser yields only the rows
    present, each with its number, and is what the iterator itself runs on.
    """
    from openpyxl import load_workbook
    from openpyxl.cell.read_only import ReadOnlyCell
    from openpyxl.worksheet._reader import WorkSheetParser

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
    except Exception:  # openpyxl raises many types for a file that is not a workbook
        raise TableError(_("Không đọc được tệp Excel (.xlsx)."))
    try:
        # The declared dimension (possibly A1:XFD1048576) is never used: rows are only as wide as their cells.
        with sheet._get_source() as source:
            parser = WorkSheetParser(
                source,
                sheet._shared_strings,
                data_only=True,
                epoch=workbook.epoch,
                date_formats=workbook._date_formats,
                timedelta_formats=workbook._timedelta_formats,
            )
            for number, cells in parser.parse():
                row: list = []
                for cell in cells:
                    if cell["value"] is None:
                        continue
                    column = cell["column"]
                    if column > 16_384:
                        break
                    row.extend([None] * (column - 1 - len(row)))
                    value = cell["value"]
                    if isinstance(value, int | float) and not isinstance(value, bool):
                        value = _number(value, ReadOnlyCell(sheet, **cell).number_format)
                    row.append(_cell(value))
                yield number, row
    except TableError:
        raise
    except Exception:
        raise TableError(_("Không đọc được tệp Excel (.xlsx)."))
    finally:
        workbook.close()


_ODS = {
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
}
_T = "{" + _ODS["table"] + "}"
_O = "{" + _ODS["office"] + "}"
_X = "{" + _ODS["text"] + "}"


def _ods_value(cell: Element):
    kind = cell.get(_O + "value-type")
    if kind in ("float", "currency", "percentage"):
        try:
            number = Decimal(cell.get(_O + "value") or "")
        except InvalidOperation:
            number = None
        if number is not None:
            if kind == "percentage":
                return Percent((number * 100).normalize())
            written = (cell.get(_O + "value") or "").lower()
            return int(number) if "." not in written and "e" not in written else float(number)
    if kind == "boolean":
        return cell.get(_O + "boolean-value") == "true"
    paragraphs = ["".join(p.itertext()) for p in cell.iter(_X + "p")]
    text = "\n".join(paragraphs).strip()
    return text or None


def _ods_rows(archive: zipfile.ZipFile) -> Iterator[tuple[int, list]]:
    """The first sheet of content.xml, streamed: repeated empty rows and cells are counted, never expanded."""
    number = 0
    depth = 0  # nesting of tables: only the first top-level table is read
    try:
        with archive.open("content.xml") as stream:
            for event, element in iterparse(stream, events=("start", "end")):
                tag = element.tag
                if tag == _T + "table":
                    if event == "start":
                        depth += 1
                    else:
                        return  # the first sheet only
                    continue
                if event != "end" or depth != 1 or tag != _T + "table-row":
                    continue
                repeat = int(element.get(_T + "number-rows-repeated") or 1)
                row: list = []
                for cell in element:
                    if cell.tag not in (_T + "table-cell", _T + "covered-table-cell"):
                        continue
                    value = _cell(_ods_value(cell))
                    times = int(cell.get(_T + "number-columns-repeated") or 1)
                    if value in (None, ""):
                        row.append((times, None))
                    else:
                        row.extend((1, value) for _ in range(min(times, 1_000)))
                element.clear()
                while row and row[-1][1] is None:
                    row.pop()  # trailing empty cells (often "repeated 1,000 times")
                values: list = []
                for times, value in row:
                    if value is None:
                        if len(values) + times > 100_000:
                            values.append("…")  # far past any column limit: reported as too wide
                            break
                        values.extend([None] * times)
                    else:
                        values.append(value)
                if not values:
                    number += repeat  # empty rows, however many, cost one step
                    continue
                for _ in range(repeat):
                    number += 1
                    yield number, values
    except (ParseError, DefusedXmlException):
        raise TableError(_("Không đọc được tệp bảng tính OpenDocument (.ods)."))
