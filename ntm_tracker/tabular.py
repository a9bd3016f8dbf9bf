"""Reading the CSV and XLSX files that offices upload or hand to the command line."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.translation import gettext as _


class TableError(ValueError):
    """The file cannot be read as a table (wrong type, no header, missing columns)."""


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


def _cell(value) -> object:
    if isinstance(value, str):
        return value.strip()
    return value


def read_rows(source: str | Path | bytes, *, filename: str = "") -> tuple[list[str], list[tuple[int, dict]]]:
    """The header (lower-cased names) and the rows as (row number in the file, {column: value}).

    `source` is a path or the file's bytes; CSV is read as UTF-8 with or without BOM. Blank rows are skipped.
    XLSX cells keep their type (numbers stay numbers), so callers must accept both text and numbers.
    """
    name = str(filename or source if not isinstance(source, bytes) else filename).lower()
    data = Path(source).read_bytes() if not isinstance(source, bytes) else source
    if name.endswith(".xlsx") or data[:2] == b"PK":
        rows = _xlsx_rows(data)
    elif name.endswith((".csv", ".txt")) or not name:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise TableError(_("Tệp CSV phải được lưu với bảng mã UTF-8."))
        rows = ([_cell(c) for c in row] for row in csv.reader(io.StringIO(text), delimiter=_delimiter(text)))
    else:
        raise TableError(_("Chỉ nhận tệp .csv hoặc .xlsx."))
    header: list[str] | None = None
    out: list[tuple[int, dict]] = []
    for number, row in enumerate(rows, start=1):
        if header is None:
            if not any(c not in (None, "") for c in row):
                continue
            header = [str(c or "").strip().lower() for c in row]
            continue
        if not any(c not in (None, "") for c in row):
            continue
        out.append((number, {header[i]: row[i] if i < len(row) else None for i in range(len(header))}))
    if header is None:
        raise TableError(_("Tệp trống: không có dòng tiêu đề."))
    return header, out


def require_columns(header: list[str], required: list[str]) -> None:
    missing = [c for c in required if c not in header]
    if missing:
        raise TableError(
            _("Thiếu cột: %(missing)s. Cần các cột: %(required)s.")
            % {"missing": ", ".join(missing), "required": ", ".join(required)}
        )


def _delimiter(text: str) -> str:
    """Excel with Vietnamese regional settings saves CSV with semicolons (the comma is the decimal mark)."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    return max((";", ",", "\t"), key=first.count) if any(d in first for d in ";\t") else ","


def _xlsx_rows(data: bytes) -> Iterator[list]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types for a file that is not a workbook
        raise TableError(_("Không đọc được tệp Excel (.xlsx)."))
    sheet = workbook.worksheets[0]
    for row in sheet.iter_rows(values_only=True):
        yield [_cell(c) for c in row]
    workbook.close()
