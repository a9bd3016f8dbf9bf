"""Importing capital planned and disbursed from the sheets finance offices keep (XLSX or CSV).

One row per unit, year and source. The header may use the Vietnamese names or the codes; sources may be written
as their names or codes. Every cell is checked first; one bad cell rejects the file and nothing is written.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter

from communes.models import AdminUnit
from ntm_tracker.tabular import FileRejected, RowProblem, TableError, read_rows

from .models import CapitalSource
from .services import PlanError, _amount, capital_set, may_enter_capital


def _key(text) -> str:
    return " ".join(unicodedata.normalize("NFC", str(text or "")).strip().lower().split())


COLUMNS = {
    "unit_code": ("unit_code", "mã đơn vị", "mã"),
    "year": ("year", "năm"),
    "source": ("source", "nguồn vốn", "nguồn"),
    "planned": ("planned", "kế hoạch (triệu đồng)", "kế hoạch", "vốn kế hoạch"),
    "disbursed": ("disbursed", "đã giải ngân (triệu đồng)", "đã giải ngân", "giải ngân"),
    "note": ("note", "ghi chú"),
}
REQUIRED = ("unit_code", "year", "source", "planned")
SOURCES = {_key(code): code for code in CapitalSource.values} | {
    _key(label): code for code, label in CapitalSource.choices
}


@dataclass
class ImportResult:
    saved: int


def _text(raw) -> str:
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw).strip()


def capital_import(*, user, unit: AdminUnit, data: bytes, filename: str) -> ImportResult:
    """Write every row of the file for units in `unit`'s subtree that the user may enter, or nothing."""
    try:
        header, rows = read_rows(data, filename=filename)
    except TableError as exc:
        raise FileRejected([RowProblem(1, _("tiêu đề"), str(exc))]) from exc
    names = {_key(h): i for i, h in enumerate(header)}
    where: dict[str, int] = {}
    for column, aliases in COLUMNS.items():
        for alias in aliases:
            if alias in names:
                where[column] = names[alias]
                break
    missing = [c for c in REQUIRED if c not in where]
    if missing:
        labels = ", ".join(COLUMNS[c][1] for c in missing)
        raise FileRejected([RowProblem(1, _("tiêu đề"), _("thiếu cột: %(cols)s") % {"cols": labels})])

    def cell(row: dict, column: str):
        return row.get(header[where[column]]) if column in where else None

    def label(column: str) -> str:
        return f"{get_column_letter(where[column] + 1)} ({header[where[column]]})"

    codes = {_text(cell(row, "unit_code")) for _n, row in rows}
    units: dict[str, list[AdminUnit]] = {}
    for u in AdminUnit.objects.filter(code__in=codes, path__startswith=unit.path):
        units.setdefault(u.code, []).append(u)
    problems: list[RowProblem] = []
    planned: list[dict] = []
    seen: dict[tuple, int] = {}
    for number, row in rows:
        code = _text(cell(row, "unit_code"))
        found = units.get(code, [])
        if not found:
            problems.append(
                RowProblem(
                    number,
                    label("unit_code"),
                    _("không có đơn vị mã '%(c)s' trong %(u)s") % {"c": code, "u": unit.name},
                )
            )
            continue
        target = found[-1]
        if not may_enter_capital(user, target):
            problems.append(
                RowProblem(number, label("unit_code"), _("bạn không được nhập số liệu của %(u)s") % {"u": target.name})
            )
            continue
        year_text = _text(cell(row, "year"))
        if not year_text.isdigit() or not 2000 <= int(year_text) <= 2100:
            problems.append(RowProblem(number, label("year"), _("năm '%(y)s' không hợp lệ") % {"y": year_text}))
            continue
        source = SOURCES.get(_key(cell(row, "source")))
        if source is None:
            problems.append(
                RowProblem(
                    number,
                    label("source"),
                    _("nguồn vốn '%(s)s' không có trong danh mục (%(list)s)")
                    % {
                        "s": _text(cell(row, "source")),
                        "list": "; ".join(str(lbl) for _c, lbl in CapitalSource.choices),
                    },
                )
            )
            continue
        key = (target.pk, int(year_text), source)
        if key in seen:
            problems.append(RowProblem(number, label("source"), _("trùng với dòng %(r)s") % {"r": seen[key]}))
            continue
        seen[key] = number
        amounts = {}
        for column in ("planned", "disbursed"):
            raw = cell(row, column)
            try:
                amounts[column] = _amount(raw, field=column)
            except PlanError as exc:
                problems.append(RowProblem(number, label(column) if column in where else column, exc.message))
        if len(amounts) < 2:
            continue
        planned.append(
            {"unit": target, "year": int(year_text), "source": source, **amounts, "note": _text(cell(row, "note"))}
        )
    if problems:
        raise FileRejected(problems)
    with transaction.atomic():
        for item in planned:
            capital_set(user=user, **item)
    return ImportResult(saved=len(planned))
