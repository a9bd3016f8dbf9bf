"""Importing indicator values from a CSV/XLSX file: every row checked first, then all written or none."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from communes.models import AdminUnit
from ntm_tracker.tabular import FileRejected, RowProblem, TableError, read_rows, require_columns

from .catalog import Catalog
from .models import Indicator, IndicatorValue, ReportingPeriod, ValueKind, is_locked_in, locked_province_codes
from .values import InvalidValue, parse_value

REQUIRED = ["unit_code", "indicator_code", "value"]


@dataclass
class ImportResult:
    period: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    units: list[AdminUnit] = field(default_factory=list)


def find_unit_code(code, units_by_code: dict[str, AdminUnit]) -> AdminUnit | None:
    """Spreadsheets drop the leading zero of a commune code (06844 → 6844): accept that one loss."""
    text = str(code).strip()
    if isinstance(code, float) and code.is_integer():
        text = str(int(code))
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
    return found[0], None


def values_import(
    *,
    source: str | Path | bytes,
    period: ReportingPeriod,
    filename: str = "",
    rule_set_code: str = "",
    user=None,
    catalog: Catalog | None = None,
) -> ImportResult:
    """Check every row, then write all values in one transaction; any bad row rejects the whole file."""
    if period.locked:
        raise FileRejected([RowProblem(0, "period", _("kỳ %(p)s đã khóa, không nhận sửa đổi") % {"p": period.code})])
    try:
        header, rows = read_rows(source, filename=filename)
        require_columns(header, REQUIRED)
    except TableError as exc:
        raise FileRejected([RowProblem(1, "header", str(exc))])
    catalog = catalog or Catalog()
    codes = set()
    for _n, row in rows:
        raw = row.get("unit_code")
        if raw not in (None, ""):
            text = str(int(raw)) if isinstance(raw, float) and raw.is_integer() else str(raw).strip()
            codes.update({text, "0" + text})
    units_by_code = {u.code: u for u in AdminUnit.objects.filter(code__in=codes)}
    locked_codes = locked_province_codes([period])

    errors: list[RowProblem] = []
    parsed: dict[tuple[int, int], tuple[Indicator, object, str, int]] = {}
    for number, row in rows:
        unit = find_unit_code(row.get("unit_code") or "", units_by_code)
        if unit is None:
            errors.append(
                RowProblem(number, "unit_code", _("không có đơn vị mã '%(c)s'") % {"c": row.get("unit_code")})
            )
            continue
        if is_locked_in(period, unit, locked_codes):
            errors.append(
                RowProblem(
                    number,
                    "unit_code",
                    _("kỳ %(p)s đã khóa ở tỉnh của %(unit)s, không nhận sửa đổi")
                    % {"p": period.code, "unit": unit.name},
                )
            )
            continue
        code = str(row.get("indicator_code") or "").strip()
        row_set = str(row.get("rule_set") or "").strip() or rule_set_code
        indicator, reason = resolve_indicator(unit, code, row_set, catalog, period)
        if indicator is None:
            errors.append(RowProblem(number, "indicator_code", reason))
            continue
        if indicator.derived:
            errors.append(
                RowProblem(
                    number, "indicator_code", _("chỉ tiêu '%(c)s' được tính tự động từ đơn vị cấp dưới") % {"c": code}
                )
            )
            continue
        try:
            value = parse_value(indicator.kind, row.get("value"))
        except InvalidValue as exc:
            errors.append(RowProblem(number, "value", str(exc)))
            continue
        key = (unit.id, indicator.id)
        if key in parsed:
            errors.append(RowProblem(number, "indicator_code", _("trùng với dòng %(r)s") % {"r": parsed[key][3]}))
            continue
        parsed[key] = (indicator, value, str(row.get("note") or "").strip(), number)
    if errors:
        raise FileRejected(errors)

    result = ImportResult(period=period.code)
    unit_by_id = {u.id: u for u in units_by_code.values()}
    with transaction.atomic():
        existing = {
            (v.unit_id, v.indicator_id): v
            for v in IndicatorValue.objects.select_for_update().filter(
                period=period, unit_id__in={k[0] for k in parsed}, indicator_id__in={k[1] for k in parsed}
            )
        }
        to_create, to_update = [], []
        now = timezone.now()
        for (unit_id, indicator_id), (indicator, value, note, _n) in parsed.items():
            number = None if indicator.kind == ValueKind.BOOL else value
            boolean = value if indicator.kind == ValueKind.BOOL else None
            current = existing.get((unit_id, indicator_id))
            if current is None:
                to_create.append(
                    IndicatorValue(
                        unit_id=unit_id,
                        indicator_id=indicator_id,
                        period=period,
                        number=number,
                        boolean=boolean,
                        note=note,
                        updated_by=user,
                    )
                )
            elif current.number != number or current.boolean != boolean or (note and note != current.note):
                current.number, current.boolean = number, boolean
                current.note = note or current.note
                current.version += 1
                current.updated_by = user
                current.updated_at = now
                to_update.append(current)
            else:
                result.unchanged += 1
        IndicatorValue.objects.bulk_create(to_create)
        IndicatorValue.objects.bulk_update(
            to_update, ["number", "boolean", "note", "version", "updated_by", "updated_at"]
        )
        result.created, result.updated = len(to_create), len(to_update)
        result.units = [unit_by_id[i] for i in sorted({k[0] for k in parsed})]
        if to_create or to_update:
            from .tasks import queue_recompute

            queue_recompute(period=period, units=result.units)
    return result
