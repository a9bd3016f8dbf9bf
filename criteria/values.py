"""Reading indicator values as officials write them: "12,5" (decimal comma), "76.611" (thousands dots), "có"."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from .models import ValueKind

TRUE_WORDS = {"có", "co", "đạt", "dat", "x", "1", "yes", "true", "y", "c"}
FALSE_WORDS = {"không", "khong", "không đạt", "khong dat", "chưa đạt", "chua dat", "0", "no", "false", "n", "k"}
_NUMBER_RE = re.compile(r"^[+-]?[0-9.,]+$")


class InvalidValue(ValueError):
    """A value that cannot be read for its indicator; the message is for the official who typed it."""


def parse_number(raw: str | int | float | Decimal) -> Decimal:
    """Read a number in Vietnamese or plain notation.

    Comma is the decimal mark and dot the thousands mark ("1.234,5"); a lone dot followed by exactly three
    digits is read as thousands ("76.611" = 76611), any other lone dot as a decimal point ("12.5").
    """
    if isinstance(raw, bool):
        raise InvalidValue(_("'%(v)s' không phải là số.") % {"v": raw})
    if isinstance(raw, int | Decimal):
        return Decimal(raw)
    if isinstance(raw, float):
        return Decimal(str(raw))
    text = str(raw).strip().replace(" ", "").replace("\u00a0", "").rstrip("%")
    if not text or not _NUMBER_RE.match(text):
        raise InvalidValue(_("'%(v)s' không phải là số.") % {"v": raw})
    dots, commas = text.count("."), text.count(",")
    if dots and commas:
        decimal_mark = "," if text.rfind(",") > text.rfind(".") else "."
        thousands = "." if decimal_mark == "," else ","
        if text.count(decimal_mark) > 1:
            raise InvalidValue(_("'%(v)s' không phải là số.") % {"v": raw})
        text = text.replace(thousands, "").replace(decimal_mark, ".")
    elif commas:
        text = text.replace(",", "") if commas > 1 else text.replace(",", ".")
    elif dots > 1 or dots == 1 and re.search(r"\.\d{3}$", text) and not text.lstrip("+-").startswith("0."):
        text = text.replace(".", "")
    try:
        return Decimal(text)
    except InvalidOperation:
        raise InvalidValue(_("'%(v)s' không phải là số.") % {"v": raw})


def parse_bool(raw) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise InvalidValue(_("'%(v)s' không phải là Có/Không (ghi: có, không, đạt, không đạt).") % {"v": raw})


def parse_value(kind: str, raw) -> bool | Decimal:
    """The stored value for an indicator of this kind, or InvalidValue with a message in the user's language."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise InvalidValue(_("Chưa nhập giá trị."))
    if kind == ValueKind.BOOL:
        return parse_bool(raw)
    number = parse_number(raw)
    if kind == ValueKind.PERCENT and not (0 <= number <= 100):
        raise InvalidValue(_("Tỷ lệ phải từ 0 đến 100, nhận được %(v)s.") % {"v": raw})
    if kind == ValueKind.COUNT:
        if number < 0 or number != number.to_integral_value():
            raise InvalidValue(_("Số lượng phải là số nguyên không âm, nhận được %(v)s.") % {"v": raw})
        return number.to_integral_value()
    if kind == ValueKind.AMOUNT and number < 0:
        raise InvalidValue(_("Số tiền không được âm, nhận được %(v)s.") % {"v": raw})
    return number
