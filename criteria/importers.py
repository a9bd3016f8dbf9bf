"""Importing indicator values from a CSV / XLSX / ODS file: the Excel upload and `import_values` alike.

Every row is checked first, then all values are written through `entry.services.values_save` (history
with its source, approved values back to review, the period's lock read inside the transaction) or none.
Columns are named in English (`unit_code`, `indicator_code`, `value`, …) or in Vietnamese ("Mã đơn vị",
"Mã chỉ tiêu", "Giá trị", "Ghi chú", …, with or without accents). Numbers are read in the convention the
file's own cells show (`criteria.values.number_convention`).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.translation import gettext as _

from communes.models import AdminUnit
from ntm_tracker.tabular import (
    COMMAND_LIMITS,
    FileRejected,
    Limits,
    RowProblem,
    TableError,
    normalise_header,
    read_table,
    require_columns,
)

from .catalog import Catalog
from .models import Indicator, ReportingPeriod, ValueChange, is_locked_in, locked_province_codes
from .values import InvalidValue, number_convention

# canonical name → the header the Excel template writes
VALUE_COLUMNS = {
    "unit_code": "Mã đơn vị",
    "rule_set": "Bộ tiêu chí",
    "indicator_code": "Mã chỉ tiêu",
    "criterion": "Tiêu chí",
    "indicator": "Nội dung chỉ tiêu",
    "kind": "Kiểu giá trị",
    "target": "Mức đạt",
    "previous": "Kỳ trước",
    "value": "Giá trị",
    "note": "Ghi chú",
    "reason": "Lý do sửa",
    "version": "Phiên bản",
    "status": "Trạng thái",
}
_MORE_NAMES = {
    "unit_code": ["mã xã", "mã đơn vị hành chính"],
    "rule_set": ["mã bộ tiêu chí"],
    "indicator": ["chỉ tiêu", "nội dung"],
    "reason": ["lý do", "lý do thay đổi"],
    "value": ["giá trị nhập", "số liệu"],
}


def _unaccented(text: str) -> str:
    text = text.replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def _aliases() -> dict[str, str]:
    out = {}
    for name, header in VALUE_COLUMNS.items():
        for alias in [header, *_MORE_NAMES.get(name, [])]:
            out[normalise_header(alias)] = name
            out[normalise_header(_unaccented(alias))] = name
    return out


VALUE_ALIASES = _aliases()


@dataclass
class ImportResult:
    period: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    units: list[AdminUnit] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)  # indicators whose value changed

    @property
    def saved(self) -> int:
        return self.created + self.updated


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _unneutralise(raw):
    """The template writes text that a spreadsheet would run as a formula with a leading apostrophe."""
    if isinstance(raw, str) and raw.startswith("'") and raw[1:].startswith(FORMULA_STARTS):
        return raw[1:]
    return raw


def _text(raw) -> str:
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(_unneutralise(raw)).strip()


def find_unit_code(code, units_by_code: dict[str, AdminUnit]) -> AdminUnit | None:
    """Spreadsheets drop the leading zero of a commune code (06844 → 6844): accept that one loss."""
    text = _text(code)
    unit = units_by_code.get(text)
    if unit is None and text.isdigit() and len(text) == 4:
        unit = units_by_code.get("0" + text)
    return unit


def resolve_indicator(
    unit: AdminUnit, code: str, rule_set_code: str, catalog: Catalog, period: ReportingPeriod
) -> tuple[Indicator | None, str | None]:
    """The indicator the row means, or the reason it cannot be told."""
    entries = catalog.applicable(unit, period)
    if rule_set_code:
        entries = [e for e in entries if e.code == rule_set_code]
        if not entries:
            return None, _("bộ tiêu chí '%(rs)s' không áp dụng cho %(unit)s") % {"rs": rule_set_code, "unit": unit.name}
    found = [e.indicator_by_code[code] for e in entries if code in e.indicator_by_code]
    if not found:
        return None, _("chỉ tiêu '%(code)s' không thuộc bộ tiêu chí nào áp dụng cho %(unit)s") % {
            "code": code,
            "unit": unit.name,
        }
    if len(found) > 1:
        sets = ", ".join(catalog.by_id[i.rule_set_id].code for i in found)
        return None, _(
            "mã '%(code)s' có trong nhiều bộ tiêu chí (%(sets)s): ghi rõ cột rule_set hoặc dùng --rule-set"
        ) % {
            "code": code,
            "sets": sets,
        }
    if found[0].derived:
        return None, _("chỉ tiêu '%(c)s' được tính tự động từ đơn vị cấp dưới, không nhập") % {"c": code}
    return found[0], None


def _version(raw) -> int | None:
    text = _text(raw)
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        return -1  # never a stored version: refused as changed since the template was made


def values_import(
    *,
    source: str | Path | bytes,
    period: ReportingPeriod,
    filename: str = "",
    rule_set_code: str = "",
    user=None,
    catalog: Catalog | None = None,
    unit: AdminUnit | None = None,
    reason: str = "",
    limits: Limits = COMMAND_LIMITS,
    origin: str = ValueChange.Source.COMMAND,
) -> ImportResult:
    """Check every row, then write all values through `values_save`; any bad row rejects the whole file.

    `unit` limits the file to one unit (the Excel upload of that unit's template: the unit code may be left
    out). `reason` is the reason given for every approved value the file changes, when its row gives none.
    """
    from entry.services import (
        NotEditable,
        PeriodClash,
        PeriodLocked,
        ReasonRequired,
        StaleValue,
        ValueInput,
        ValuesRefused,
        display_value,
        values_check,
        values_save,
    )

    try:
        table = read_table(source, filename=filename, limits=limits, aliases=VALUE_ALIASES)
        require_columns(table.header, ([] if unit else ["unit_code"]) + ["indicator_code", "value"])
    except TableError as exc:
        raise FileRejected([RowProblem(exc.row, _("tiêu đề") if exc.row == 1 else "—", str(exc))])
    if unit is not None and period.is_locked_for(unit, fresh=True):
        raise FileRejected(
            [RowProblem(0, _("kỳ báo cáo"), _("kỳ %(p)s đã khóa, không nhận sửa đổi") % {"p": period.code})]
        )
    catalog = catalog or Catalog()
    convention = number_convention([row.get("value") for _n, row in table.rows], delimiter=table.delimiter)

    codes = set()
    if unit is None:
        for _n, row in table.rows:
            text = _text(row.get("unit_code"))
            if text:
                codes.update({text, "0" + text})
        units_by_code = {u.code: u for u in AdminUnit.objects.filter(code__in=codes)}
    else:
        units_by_code = {unit.code: unit}

    locked = locked_province_codes([period])
    problems: list[RowProblem] = []
    items: list[ValueInput] = []
    rows_of: list[int] = []
    seen: dict[tuple[int, int], int] = {}
    has_note, has_reason = "note" in table.header, "reason" in table.header
    for number, row in table.rows:
        row_unit = find_unit_code(row.get("unit_code"), units_by_code) if _text(row.get("unit_code")) else unit
        if row_unit is None:
            problems.append(
                RowProblem(
                    number,
                    table.column("unit_code"),
                    _("không có đơn vị mã '%(c)s'") % {"c": _text(row.get("unit_code"))}
                    if unit is None
                    else _("mẫu này dành cho %(unit)s (mã %(code)s), không nhận mã '%(got)s'")
                    % {"unit": unit.name, "code": unit.code, "got": _text(row.get("unit_code"))},
                )
            )
            continue
        if is_locked_in(period, row_unit, locked):
            problems.append(
                RowProblem(
                    number,
                    table.column("unit_code"),
                    _("kỳ %(p)s đã khóa ở tỉnh của %(unit)s, không nhận sửa đổi")
                    % {"p": period.code, "unit": row_unit.name},
                )
            )
            continue
        code = _text(row.get("indicator_code"))
        raw = _unneutralise(row.get("value"))
        note = _text(row.get("note")) if has_note else None
        if raw in (None, "") and not note:
            continue  # left empty: nothing to say about this indicator
        row_set = _text(row.get("rule_set")) or rule_set_code
        indicator, why = resolve_indicator(row_unit, code, row_set, catalog, period)
        if indicator is None:
            problems.append(RowProblem(number, table.column("indicator_code"), why))
            continue
        key = (row_unit.pk, indicator.pk)
        if key in seen:
            problems.append(
                RowProblem(number, table.column("indicator_code"), _("trùng với dòng %(r)s") % {"r": seen[key]})
            )
            continue
        seen[key] = number
        items.append(
            ValueInput(
                unit=row_unit,
                indicator=indicator,
                raw=raw,
                note=note,
                expected_version=_version(row.get("version")) if "version" in table.header else None,
                reason=(_text(row.get("reason")) if has_reason else "") or reason,
            )
        )
        rows_of.append(number)

    def located(refused) -> RowProblem:
        error = refused.error
        if isinstance(error, InvalidValue):
            column = "value"
        elif isinstance(error, ReasonRequired):
            column = "reason"
            error = ReasonRequired(
                _("giá trị đã được duyệt: ghi lý do thay đổi ở cột «%(col)s»%(opt)s; giá trị sẽ được gửi duyệt lại")
                % {"col": VALUE_COLUMNS["reason"], "opt": "" if unit else _(" hoặc dùng --reason")}
            )
        elif isinstance(error, NotEditable):
            column = "indicator_code"
        elif isinstance(error, PeriodClash):
            column = "unit_code"
        elif isinstance(error, StaleValue):
            column = "value"
            stored = error.current
            if stored is not None:
                who = stored.updated_by.get_username() if stored.updated_by_id else _("người khác")
                error = StaleValue(
                    _("%(who)s đã sửa giá trị này sau khi tải mẫu (hiện là %(v)s): tải mẫu mới rồi điền lại")
                    % {"who": who, "v": display_value(stored.indicator.kind, stored.number, stored.boolean)},
                    stored,
                )
        else:
            column = "value"
        message = getattr(error, "message", None) or str(error)
        return RowProblem(rows_of[refused.index], table.column(column), message)

    if problems:
        late = values_check(period=period, items=items, catalog=catalog, convention=convention)
        problems += [located(r) for r in late]
        raise FileRejected(sorted(problems, key=lambda p: p.row))
    try:
        saved = values_save(
            user=user,
            period=period,
            items=items,
            source=origin,
            action=ValueChange.Action.IMPORT,
            catalog=catalog,
            convention=convention,
        )
    except ValuesRefused as exc:
        raise FileRejected(sorted((located(r) for r in exc.refused), key=lambda p: p.row))
    except PeriodLocked as exc:
        raise FileRejected([RowProblem(0, _("kỳ báo cáo"), exc.message)])
    result = ImportResult(period=period.code, unchanged=saved.unchanged, units=saved.units)
    for value in saved.saved:
        if value.version == 1:
            result.created += 1
        else:
            result.updated += 1
        result.codes.append(value.indicator.code)
    return result
