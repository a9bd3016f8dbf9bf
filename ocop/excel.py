"""The OCOP list as provinces keep it in Excel: one row per product (its producer, latest evaluation round and
certificate), with Vietnamese headers.

Import is all or nothing: every row is checked through the same services as the forms, every bad row is
reported by its number and column, and a file with any bad row writes nothing. A row that repeats what is
already stored (an exported file sent back) changes nothing. Export neutralises cells a spreadsheet would
run as formulas.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from communes.access import Rights
from communes.models import AdminUnit, Level
from entry.excel import _unneutralise, neutralise
from ntm_tracker.tabular import FileRejected, RowProblem, TableError, read_rows

from .models import Certificate, CertificateStatus, Evaluation, Producer, ProducerKind, Product, ProductGroup
from .scoring import ScoringError
from .selectors import latest_of, products_in
from .services import (
    OcopError,
    certificate_issue,
    evaluation_record,
    may_manage,
    name_key,
    producer_save,
    product_create,
)

# (header, width); the header is what the file carries, matched without regard to case.
UNIT = "Mã xã"
PRODUCER = "Tên chủ thể"
KIND = "Loại chủ thể"
CONTACT = "Người đại diện"
PHONE = "Điện thoại"
ADDRESS = "Địa chỉ"
PRODUCT = "Tên sản phẩm"
GROUP = "Nhóm sản phẩm"
EVALUATED = "Ngày đánh giá"
PART = "Điểm phần {}"
TOTAL = "Tổng điểm"
STARS = "Số sao"
DECISION = "Số quyết định"
DECISION_DATE = "Ngày quyết định"
EXPIRES = "Ngày hết hạn"
STATUS = "Trạng thái"
UNIT_NAME = "Tên xã"
PARTS = ("A", "B", "C")

COLUMNS: list[tuple[str, int]] = [
    (UNIT, 10),
    (UNIT_NAME, 22),
    (PRODUCER, 36),
    (KIND, 22),
    (CONTACT, 22),
    (PHONE, 14),
    (ADDRESS, 30),
    (PRODUCT, 36),
    (GROUP, 30),
    (EVALUATED, 14),
    *((PART.format(p), 12) for p in PARTS),
    (TOTAL, 10),
    (STARS, 8),
    (DECISION, 22),
    (DECISION_DATE, 14),
    (EXPIRES, 14),
    (STATUS, 18),
]
REQUIRED = [UNIT, PRODUCER, KIND, PRODUCT, GROUP, EVALUATED, *(PART.format(p) for p in PARTS)]
KNOWN = {name.lower() for name, _w in COLUMNS}

EXAMPLE_HINT = gettext_lazy("ngày ghi theo dạng ngày/tháng/năm, ví dụ 24/02/2023")


@dataclass
class ImportResult:
    products: int = 0
    evaluations: int = 0
    certificates: int = 0
    unchanged: int = 0
    producers: int = 0
    codes: list[str] = field(default_factory=list)


# --- reading cells ---------------------------------------------------------------------------------------------------


def _text(raw) -> str:
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return " ".join(str(_unneutralise(raw)).split())


class CellError(ValueError):
    def __init__(self, column: str, reason: str):
        super().__init__(reason)
        self.column, self.reason = column, reason


def _date(raw, column: str, *, required: bool = True) -> dt.date | None:
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    text = _text(raw)
    if not text:
        if required:
            raise CellError(column, _("chưa có ngày"))
        return None
    match = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", text) or None
    try:
        if match:
            day, month, year = (int(g) for g in match.groups())
            return dt.date(year, month, day)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return dt.date.fromisoformat(text)
    except ValueError:
        pass
    raise CellError(column, _("«%(v)s» không phải là ngày (%(hint)s)") % {"v": text, "hint": EXAMPLE_HINT})


def _points(raw, column: str, *, required: bool = True) -> int | None:
    if isinstance(raw, bool):
        raise CellError(column, _("điểm phải là số nguyên"))
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        if raw.is_integer():
            return int(raw)
        raise CellError(column, _("%(v)s: điểm phải là số nguyên") % {"v": raw})
    text = _text(raw)
    if not text:
        if required:
            raise CellError(column, _("chưa có điểm"))
        return None
    if re.fullmatch(r"\d{1,3}", text):
        return int(text)
    raise CellError(column, _("«%(v)s»: điểm phải là số nguyên") % {"v": text})


def _choice(raw, column: str, choices) -> str:
    text = _text(raw)
    wanted = name_key(text)
    for value, label in choices:
        if wanted in (name_key(value), name_key(str(label))):
            return value
    allowed = "; ".join(str(label) for _v, label in choices)
    raise CellError(column, _("«%(v)s» không có trong danh sách: %(allowed)s") % {"v": text, "allowed": allowed})


# --- import ----------------------------------------------------------------------------------------------------------


def _columns(header: list[str]) -> None:
    wanted = [c.lower() for c in REQUIRED]
    missing = [c for c, low in zip(REQUIRED, wanted, strict=True) if low not in header]
    unknown = [h for h in header if h and h not in KNOWN]
    if missing or unknown:
        parts = []
        if missing:
            parts.append(_("Thiếu cột: %(c)s.") % {"c": ", ".join(missing)})
        if unknown:
            parts.append(_("Cột không nhận ra: %(c)s.") % {"c": ", ".join(unknown)})
        parts.append(_("Các cột của danh sách OCOP: %(c)s.") % {"c": ", ".join(name for name, _w in COLUMNS)})
        raise TableError(" ".join(parts))


def products_import(
    *, rights: Rights, data: bytes, filename: str = "", user=None, is_demo: bool = False
) -> ImportResult:
    """Read an uploaded file (.xlsx or .csv) and import it whole, or raise FileRejected / TableError."""
    header, rows = read_rows(data, filename=filename)
    header = [name_key(h) for h in header]
    _columns(header)
    keyed = [(n, {name_key(k): v for k, v in row.items()}) for n, row in rows]
    return products_import_rows(rights=rights, rows=keyed, user=user, is_demo=is_demo)


def products_import_rows(
    *, rights: Rights, rows: list[tuple[int, dict]], user=None, is_demo: bool = False
) -> ImportResult:
    """Rows keyed by lower-cased header. Writes through the registry's services inside one transaction, which is
    rolled back whole when any row is refused."""
    if not rows:
        raise TableError(_("Tệp không có dòng sản phẩm nào."))
    units = {u.code: u for u in AdminUnit.objects.filter(code__in={_text(r.get(name_key(UNIT))) for _n, r in rows})}
    result = ImportResult()
    problems: list[RowProblem] = []
    seen: dict[tuple, int] = {}
    producers: dict[tuple[int, str], Producer] = {}

    def cell(row, name):
        return row.get(name_key(name))

    with transaction.atomic():
        for number, row in rows:
            before = (result.products, result.evaluations, result.certificates)
            try:
                code = _text(cell(row, UNIT))
                unit = units.get(code)
                if unit is None or not may_manage(rights, unit):
                    # Units outside the user's scope read as unknown, as on every page.
                    raise CellError(UNIT, _("không có xã mã «%(v)s» trong phạm vi bạn được cập nhật") % {"v": code})
                if unit.level != Level.COMMUNE:
                    raise CellError(UNIT, _("«%(v)s» không phải là mã xã") % {"v": code})
                producer_name = _text(cell(row, PRODUCER))
                if not producer_name:
                    raise CellError(PRODUCER, _("chưa có tên chủ thể"))
                kind = _choice(cell(row, KIND), KIND, ProducerKind.choices)
                product_name = _text(cell(row, PRODUCT))
                if not product_name:
                    raise CellError(PRODUCT, _("chưa có tên sản phẩm"))
                group = _choice(cell(row, GROUP), GROUP, ProductGroup.choices)
                evaluated_on = _date(cell(row, EVALUATED), EVALUATED)
                parts = {p: _points(cell(row, PART.format(p)), PART.format(p)) for p in PARTS}
                total = _points(cell(row, TOTAL), TOTAL, required=False)
                stars = _points(cell(row, STARS), STARS, required=False)
                decision = _text(cell(row, DECISION))
                decision_date = _date(cell(row, DECISION_DATE), DECISION_DATE, required=bool(decision))
                expires_on = _date(cell(row, EXPIRES), EXPIRES, required=False)
                if (decision_date or expires_on) and not decision:
                    raise CellError(DECISION, _("có ngày quyết định hoặc ngày hết hạn nhưng chưa có số quyết định"))
                if total is not None and total != sum(parts.values()):
                    raise CellError(
                        TOTAL,
                        _("ghi %(t)d nhưng các phần cộng lại %(s)d") % {"t": total, "s": sum(parts.values())},
                    )

                key = (unit.pk, name_key(producer_name), name_key(product_name))
                if key in seen:
                    raise CellError(
                        PRODUCT,
                        _("sản phẩm «%(p)s» của chủ thể «%(c)s» đã có ở dòng %(row)d")
                        % {"p": product_name, "c": producer_name, "row": seen[key]},
                    )
                seen[key] = number

                producer = producers.get(key[:2])
                if producer is None:
                    producer = Producer.objects.filter(unit=unit, name_key=key[1]).first()
                    if producer is None:
                        producer = producer_save(
                            rights=rights,
                            unit=unit,
                            name=producer_name,
                            kind=kind,
                            contact_person=_text(cell(row, CONTACT)),
                            phone=_text(cell(row, PHONE)),
                            address=_text(cell(row, ADDRESS)),
                            is_demo=is_demo,
                        )
                        result.producers += 1
                    producers[key[:2]] = producer
                if producer.kind != kind:
                    raise CellError(
                        KIND,
                        _("chủ thể «%(c)s» đã được ghi là %(k)s")
                        % {"c": producer.name, "k": producer.get_kind_display()},
                    )

                product = Product.objects.filter(producer=producer, name_key=key[2]).first()
                if product is None:
                    product = product_create(
                        rights=rights, producer=producer, name=product_name, group=group, is_demo=is_demo
                    )
                    result.products += 1
                elif product.group != group:
                    raise CellError(
                        GROUP, _("sản phẩm đã được ghi thuộc nhóm %(g)s") % {"g": product.get_group_display()}
                    )

                evaluation = Evaluation.objects.filter(product=product, evaluated_on=evaluated_on).first()
                if evaluation is None:
                    evaluation = evaluation_record(
                        rights=rights,
                        product=product,
                        evaluated_on=evaluated_on,
                        parts=parts,
                        typed_stars=stars,
                        user=user,
                        is_demo=is_demo,
                    )
                    result.evaluations += 1
                else:
                    stored = {ps.part.code: ps.points for ps in evaluation.part_scores.select_related("part")}
                    if stored != parts:
                        raise CellError(
                            EVALUATED,
                            _("sản phẩm đã có lần đánh giá ngày %(d)s với điểm khác (%(s)s)")
                            % {
                                "d": evaluated_on.strftime("%d/%m/%Y"),
                                "s": ", ".join(f"{k} {v}" for k, v in sorted(stored.items())),
                            },
                        )
                    if stars is not None and stars != evaluation.stars:
                        raise CellError(
                            STARS,
                            _("%(t)d điểm ứng với %(s)d sao") % {"t": evaluation.total_points, "s": evaluation.stars},
                        )

                if decision:
                    existing = Certificate.objects.filter(evaluation=evaluation).first()
                    if existing is None:
                        certificate_issue(
                            rights=rights,
                            evaluation=evaluation,
                            decision_number=decision,
                            decision_date=decision_date,
                            expires_on=expires_on,
                            is_demo=is_demo,
                        )
                        result.certificates += 1
                    elif (existing.decision_number, existing.decision_date) != (decision, decision_date) or (
                        expires_on and existing.expires_on != expires_on
                    ):
                        raise CellError(
                            DECISION,
                            _("lần đánh giá này đã có giấy chứng nhận %(n)s ngày %(d)s")
                            % {"n": existing.decision_number, "d": existing.decision_date.strftime("%d/%m/%Y")},
                        )
                if (result.products, result.evaluations, result.certificates) == before:
                    result.unchanged += 1
                result.codes.append(code)
            except CellError as exc:
                problems.append(RowProblem(number, exc.column, exc.reason))
            except ScoringError as exc:
                column = PART.format(exc.field) if exc.field in PARTS else STARS
                problems.append(RowProblem(number, column, str(exc)))
            except OcopError as exc:
                column = {
                    "decision_date": DECISION_DATE,
                    "expires_on": EXPIRES,
                    "evaluated_on": EVALUATED,
                    "evaluation": STARS,
                    "decision_number": DECISION,
                    "name": PRODUCT,
                }.get(exc.field, UNIT)
                problems.append(RowProblem(number, column, str(exc)))
            except PermissionDenied:
                problems.append(RowProblem(number, UNIT, _("ngoài phạm vi bạn được cập nhật")))
        if problems:
            transaction.set_rollback(True)
    if problems:
        raise FileRejected(problems)
    result.codes = sorted(set(result.codes))
    return result


# --- export ----------------------------------------------------------------------------------------------------------


def _status_label(certificate: Certificate | None, today: dt.date) -> str:
    if certificate is None:
        return str(_("Chưa được chứng nhận"))
    return str(CertificateStatus(certificate.status_on(today)).label)


def products_workbook(*, unit: AdminUnit, today: dt.date | None = None) -> bytes:
    """The subtree's products, one row each with the latest round and its certificate, in the import's columns."""
    today = today or timezone.localdate()
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "ocop"
    sheet.append([name for name, _w in COLUMNS])
    for index, (_name, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.cell(row=1, column=index).font = Font(bold=True)
    for product in products_in(unit=unit):
        evaluation, _latest_certificate = latest_of(product)
        producer = product.producer
        certificate = None
        if evaluation is not None:
            certificate = next((c for c in product.certificates.all() if c.evaluation_id == evaluation.pk), None)
        parts = {}
        if evaluation is not None:
            parts = {ps.part.code: ps.points for ps in evaluation.part_scores.all()}
        cells = [
            producer.unit.code,
            producer.unit.name,
            producer.name,
            producer.get_kind_display(),
            producer.contact_person,
            producer.phone,
            producer.address,
            product.name,
            product.get_group_display(),
            evaluation.evaluated_on if evaluation else None,
            *(parts.get(p) for p in PARTS),
            evaluation.total_points if evaluation else None,
            evaluation.stars if evaluation else None,
            certificate.decision_number if certificate else "",
            certificate.decision_date if certificate else None,
            certificate.expires_on if certificate else None,
            _status_label(certificate, today),
        ]
        sheet.append([neutralise(c) for c in cells])
        for column in (10, 17, 18):
            sheet.cell(row=sheet.max_row, column=column).number_format = "DD/MM/YYYY"
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
