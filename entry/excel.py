"""The Excel round trip: a unit's template for a period, filled offline and uploaded back.

The template is pre-filled with the indicators, the targets that apply to the unit and the current values; its first
sheet keeps the column names of `import_values`, so the same file also feeds the command line. An upload is checked
cell by cell first; a file with any bad cell changes nothing.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from communes.models import AdminUnit
from criteria.catalog import Catalog
from criteria.models import IndicatorValue, ReportingPeriod, ValueChange, ValueKind, ValueStatus
from criteria.values import InvalidValue, parse_value
from ntm_tracker.tabular import FileRejected, RowProblem, TableError, read_rows, require_columns

from .selectors import EntryPage
from .services import EntryError, display_value, value_save

COLUMNS = [
    ("unit_code", 10),
    ("rule_set", 30),
    ("indicator_code", 12),
    ("criterion", 28),
    ("indicator", 60),
    ("kind", 14),
    ("target", 22),
    ("previous", 12),
    ("value", 14),
    ("note", 40),
    ("reason", 30),
    ("version", 8),
    ("status", 12),
]
EDITABLE = {"value", "note", "reason"}
REQUIRED = ["indicator_code", "value"]
# A cell starting with one of these is run as a formula by spreadsheet programs (CSV/formula injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text):
    """Text that a spreadsheet would read as a formula is prefixed with an apostrophe, as Excel itself does."""
    if isinstance(text, Promise):
        text = str(text)
    if isinstance(text, str) and text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def _unneutralise(text):
    if isinstance(text, str) and text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


def template_workbook(page: EntryPage) -> bytes:
    """The unit's indicators for the period, one row each (derived indicators are computed, so left out)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "nhap-lieu"
    sheet.append([name for name, _w in COLUMNS])
    for index, (name, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True)
        if name in EDITABLE:
            cell.fill = PatternFill("solid", fgColor="FFF4CC")
    for block in page.blocks:
        for group in block.groups:
            criterion = f"{group.criterion.code}. {group.criterion.name}" if group.criterion else _("Điều kiện chung")
            for row in group.rows:
                if row.derived:
                    continue
                indicator = row.indicator
                value = row.value
                if value is None:
                    current = None
                elif indicator.kind == ValueKind.BOOL:
                    current = display_value(indicator.kind, None, value.boolean)
                else:
                    current = value.number.normalize() if value.number is not None else None
                    if current is not None and current == current.to_integral_value():
                        current = int(current)
                cells = [
                    page.unit.code,
                    block.entry.code,
                    indicator.code,
                    criterion,
                    indicator.text,
                    indicator.get_kind_display(),
                    row.target_text,
                    row.previous,
                    current,
                    row.note,
                    "",
                    row.version,
                    row.status_label,
                ]
                sheet.append([neutralise(c) for c in cells])
    sheet.freeze_panes = "A2"
    help_sheet = workbook.create_sheet("huong-dan")
    for line in (
        _("Mẫu nhập liệu: %(unit)s (%(code)s), kỳ %(period)s.")
        % {"unit": page.unit.name, "code": page.unit.code, "period": page.period.code},
        _("Chỉ điền các cột value, note và reason (tô vàng). Không sửa các cột còn lại."),
        _("value: tỷ lệ 0-100 (ví dụ 12,5), số lượng là số nguyên, số tiền tính bằng triệu đồng (ví dụ 76.611);"),
        _("chỉ tiêu Có/Không: ghi có hoặc không."),
        _("reason: bắt buộc khi sửa một giá trị đã được duyệt; giá trị đó sẽ được gửi duyệt lại."),
        _("Tệp có bất kỳ ô sai nào sẽ không được nhận: sửa các ô được báo lỗi rồi tải lên lại."),
    ):
        help_sheet.append([neutralise(line)])
    help_sheet.column_dimensions["A"].width = 110
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@dataclass
class UploadResult:
    saved: int = 0
    unchanged: int = 0
    codes: list[str] = field(default_factory=list)


def _text(raw) -> str:
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(_unneutralise(raw)).strip()


def excel_upload(
    *, user, unit: AdminUnit, period: ReportingPeriod, data: bytes, filename: str, catalog: Catalog | None = None
) -> UploadResult:
    """Check every cell, then save every changed value in one transaction; any bad cell rejects the whole file."""
    catalog = catalog or Catalog()
    if period.is_locked_for(unit, fresh=True):
        raise FileRejected([RowProblem(0, "period", _("kỳ %(p)s đã khóa, không nhận sửa đổi") % {"p": period.code})])
    try:
        header, rows = read_rows(data, filename=filename)
        require_columns(header, REQUIRED)
    except TableError as exc:
        raise FileRejected([RowProblem(1, "header", str(exc))])

    def column(name: str) -> str:
        return f"{get_column_letter(header.index(name) + 1)} ({name})" if name in header else name

    entries = catalog.applicable(unit, period)
    current = {v.indicator_id: v for v in IndicatorValue.objects.filter(unit=unit, period=period)} if period.pk else {}
    problems: list[RowProblem] = []
    planned: list[tuple] = []
    seen: dict[int, int] = {}
    for number, row in rows:
        code = _text(row.get("indicator_code"))
        unit_code = _text(row.get("unit_code"))
        if unit_code and unit_code.zfill(len(unit.code)) != unit.code:
            problems.append(
                RowProblem(
                    number,
                    column("unit_code"),
                    _("mẫu này dành cho %(unit)s (mã %(code)s), không nhận mã '%(got)s'")
                    % {"unit": unit.name, "code": unit.code, "got": unit_code},
                )
            )
            continue
        rule_set = _text(row.get("rule_set"))
        candidates = [e for e in entries if not rule_set or e.code == rule_set]
        found = [e.indicator_by_code[code] for e in candidates if code in e.indicator_by_code]
        if len(found) != 1:
            reason = (
                _("chỉ tiêu '%(code)s' không thuộc bộ tiêu chí nào áp dụng cho %(unit)s")
                if not found
                else _("mã '%(code)s' có trong nhiều bộ tiêu chí: ghi rõ cột rule_set")
            )
            problems.append(RowProblem(number, column("indicator_code"), reason % {"code": code, "unit": unit.name}))
            continue
        indicator = found[0]
        if indicator.derived:
            problems.append(
                RowProblem(
                    number, column("indicator_code"), _("chỉ tiêu '%(c)s' được tính tự động, không nhập") % {"c": code}
                )
            )
            continue
        if indicator.pk in seen:
            problems.append(
                RowProblem(number, column("indicator_code"), _("trùng với dòng %(r)s") % {"r": seen[indicator.pk]})
            )
            continue
        seen[indicator.pk] = number
        raw = _unneutralise(row.get("value"))
        note = _text(row.get("note"))
        stored = current.get(indicator.pk)
        if raw in (None, "") and stored is None and not note:
            continue  # left empty: nothing to say about this indicator
        try:
            value = parse_value(indicator.kind, raw)
        except InvalidValue as exc:
            problems.append(RowProblem(number, column("value"), str(exc)))
            continue
        number_value = None if indicator.kind == ValueKind.BOOL else value
        boolean = value if indicator.kind == ValueKind.BOOL else None
        if stored is not None and (stored.number, stored.boolean, stored.note) == (number_value, boolean, note):
            planned.append((number, indicator, None, None, None, None))
            continue
        version = stored.version if stored else 0
        file_version = row.get("version")
        if stored is not None and file_version not in (None, "") and _text(file_version) != str(stored.version):
            who = stored.updated_by.get_username() if stored.updated_by_id and stored.updated_by else _("người khác")
            problems.append(
                RowProblem(
                    number,
                    column("value"),
                    _("%(who)s đã sửa giá trị này sau khi tải mẫu (hiện là %(v)s): tải mẫu mới rồi điền lại")
                    % {"who": who, "v": display_value(indicator.kind, stored.number, stored.boolean)},
                )
            )
            continue
        reason = _text(row.get("reason"))
        if stored is not None and stored.status == ValueStatus.APPROVED and not reason:
            problems.append(
                RowProblem(number, column("reason"), _("giá trị đã được duyệt: ghi lý do thay đổi ở cột reason"))
            )
            continue
        planned.append((number, indicator, raw, note, version, reason))
    if problems:
        raise FileRejected(problems)
    if not period.pk:
        period = ReportingPeriod.objects.for_code(period.code)
    result = UploadResult()
    with transaction.atomic():
        for number, indicator, raw, note, version, reason in planned:
            if raw is None and note is None:
                result.unchanged += 1
                continue
            try:
                saved = value_save(
                    user=user,
                    unit=unit,
                    indicator=indicator,
                    period=period,
                    raw=raw,
                    note=note,
                    expected_version=version,
                    reason=reason,
                    catalog=catalog,
                    action=ValueChange.Action.IMPORT,
                )
            except (EntryError, InvalidValue) as exc:  # changed by someone while the file was checked
                transaction.set_rollback(True)
                raise FileRejected([RowProblem(number, column("value"), str(getattr(exc, "message", exc)))])
            if saved is None:
                result.unchanged += 1
            else:
                result.saved += 1
                result.codes.append(indicator.code)
    return result
