"""The Excel round trip: a unit's template for a period, filled offline and uploaded back.

The template is pre-filled with the indicators, the targets that apply to the unit and the current values; its first
sheet has the Vietnamese column names `import_values` also reads, so the same file feeds the command line. Yes/no
cells have a drop-down (Có / Không). An upload is read by `criteria.importers.values_import` (the command's reader)
within the upload limits and checked cell by cell first; a file with any bad cell changes nothing.
"""

from __future__ import annotations

import io

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from communes.models import AdminUnit
from criteria.catalog import Catalog
from criteria.importers import VALUE_COLUMNS, ImportResult, values_import
from criteria.importers import _unneutralise as _unneutralise  # noqa: F401 - the OCOP import reads it from here
from criteria.models import ReportingPeriod, ValueChange, ValueKind
from criteria.values import DEFAULT_RANGES, format_number
from ntm_tracker.tabular import UPLOAD_LIMITS

from .selectors import EntryPage
from .services import display_value

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


def template_workbook(page: EntryPage) -> bytes:
    """The unit's indicators for the period, one row each (derived indicators are computed, so left out)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "nhap-lieu"
    sheet.append([VALUE_COLUMNS[name] for name, _w in COLUMNS])
    value_column = get_column_letter([name for name, _w in COLUMNS].index("value") + 1)
    yes_no = DataValidation(
        type="list",
        formula1='"Có,Không"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=_("Chỉ tiêu Có/Không"),
        error=_("Chọn Có hoặc Không trong danh sách."),
    )
    sheet.add_data_validation(yes_no)
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
                    current = display_value(indicator.kind, None, value.boolean).capitalize()
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
                if indicator.kind == ValueKind.BOOL:
                    yes_no.add(f"{value_column}{sheet.max_row}")
    sheet.freeze_panes = "A2"
    help_sheet = workbook.create_sheet("huong-dan")
    low, high = DEFAULT_RANGES[ValueKind.AMOUNT]
    for line in (
        _("Mẫu nhập liệu: %(unit)s (%(code)s), kỳ %(period)s.")
        % {"unit": page.unit.name, "code": page.unit.code, "period": page.period.code},
        _("Chỉ điền các cột «Giá trị», «Ghi chú» và «Lý do sửa» (tô vàng). Không sửa các cột còn lại."),
        _("Tỷ lệ: số từ 0 đến 100, ví dụ 12,5 (ô định dạng phần trăm 85%% cũng được đọc là 85)."),
        _("Số lượng: số nguyên không âm, ví dụ 1.250."),
        _(
            "Số tiền: triệu đồng, ví dụ thu nhập 76,6 (triệu đồng/người/năm); khoảng hợp lý mặc định %(low)s đến "
            "%(high)s triệu đồng. Không ghi 76.611 (là 76 nghìn triệu đồng)."
        )
        % {"low": format_number(low), "high": format_number(high)},
        _("Dấu phẩy là dấu thập phân, dấu chấm ngăn cách hàng nghìn (12,5; 1.250)."),
        _(
            "Chỉ tiêu Có/Không: chọn Có hoặc Không trong danh sách, trả lời đúng câu hỏi của chỉ tiêu. Có thể ghi "
            "«Đạt» / «Không đạt»: nghĩa là chỉ tiêu đạt / không đạt. Ví dụ chỉ tiêu «còn nhà tạm, dột nát» đạt "
            "khi trả lời Không, nên «Đạt» được lưu là Không."
        ),
        _("Lý do sửa: bắt buộc khi sửa một giá trị đã được duyệt; giá trị đó sẽ được gửi duyệt lại."),
        _("Tệp có bất kỳ ô sai nào sẽ không được nhận: sửa các ô được báo lỗi rồi tải lên lại."),
        _("Nhận tệp .xlsx, .ods (LibreOffice) hoặc .csv UTF-8; %(limits)s.") % {"limits": UPLOAD_LIMITS.describe()},
    ):
        help_sheet.append([neutralise(line)])
    help_sheet.column_dimensions["A"].width = 110
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


UploadResult = ImportResult


def excel_upload(
    *, user, unit: AdminUnit, period: ReportingPeriod, data: bytes, filename: str, catalog: Catalog | None = None
) -> ImportResult:
    """The unit's filled template (.xlsx, .ods or .csv): every cell checked, then all saved or none."""
    return values_import(
        source=data,
        filename=filename,
        period=period,
        user=user,
        catalog=catalog,
        unit=unit,
        limits=UPLOAD_LIMITS,
        origin=ValueChange.Source.EXCEL,
    )
