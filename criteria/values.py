"""Reading indicator values as officials write them, and refusing the ones that could be misread.

- **Numbers.** Vietnamese notation is the default: comma is the decimal mark, dot the thousands mark
  ("12,5", "1.234,5", "76.611" = 76611). A file is read with the convention its own cells show
  (`number_convention`): an English-settings CSV ("1,234.5", "12.5") reads "45,500" as 45500. A value that
  reads two ways in a file whose convention cannot be told ("45,500": 45,5 or 45500) is refused naming
  both readings, never guessed.
- **Percentages.** A cell the spreadsheet shows as "85%" (holding 0.85) is 85; "85%" typed is 85 too.
- **Yes/no.** "Có" / "Không" answer the indicator's question as written. "Đạt" / "Không đạt" say whether
  the indicator is met, for every yes/no indicator: on 9.1 "Trên địa bàn xã còn nhà tạm, dột nát" (met
  when the answer is Không) "Đạt" is stored as Không. The template's guide says so.
- **Plausible ranges.** Every numeric indicator has a range (declared in its rule set as `range`, else
  the default of its kind, `DEFAULT_RANGES`); a value outside is refused with the range, so "76.611"
  typed for an income of 76,611 thousand đồng is not stored as 76,611 million.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from .models import ValueKind

TRUE_WORDS = {"có", "co", "x", "1", "yes", "true", "y", "c"}
FALSE_WORDS = {"không", "khong", "0", "no", "false", "n", "k"}
MET_WORDS = {"đạt", "dat"}
NOT_MET_WORDS = {"không đạt", "khong dat", "chưa đạt", "chua dat"}
_NUMBER_RE = re.compile(r"^[+-]?[0-9.,]+$")
# One separator followed by exactly three digits: "45,500", "76.611" (thousands or decimals?).
_AMBIGUOUS_RE = re.compile(r"^[+-]?[1-9][0-9]*[.,][0-9]{3}$")

VI, EN = "vi", "en"

# What a value of each kind may be when the rule set declares no range for the indicator.
DEFAULT_RANGES: dict[str, tuple[Decimal | None, Decimal | None]] = {
    ValueKind.PERCENT: (Decimal(0), Decimal(100)),
    ValueKind.COUNT: (Decimal(0), Decimal(100_000_000)),
    # million đồng: income per person per year is tens of millions, so a value in the thousands is a misreading
    ValueKind.AMOUNT: (Decimal(0), Decimal(1_000)),
}
# What the database column holds (18 digits, 4 after the point): nothing larger is ever accepted.
COLUMN_LIMIT = Decimal(10) ** 14


class InvalidValue(ValueError):
    """A value that cannot be read for its indicator; the message is for the official who typed it."""


def format_number(number: Decimal | int | float | None) -> str:
    """Vietnamese notation: thousands dots, decimal comma ("76.611", "12,5")."""
    if number is None:
        return ""
    value = Decimal(str(number)) if not isinstance(number, Decimal) else number
    value = value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()
    sign = "-" if value < 0 else ""
    text = f"{abs(value):f}"
    whole, _dot, frac = text.partition(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return sign + ".".join(groups) + ("," + frac if frac else "")


_plain = format_number


def number_convention(texts, *, delimiter: str = "") -> str | None:
    """The number convention the file's own cells show: VI, EN, or None when nothing tells.

    Evidence is a cell that reads one way only: "12,5" or "1.234,5" (Vietnamese), "12.5" or "1,234.5"
    (English). A CSV saved with semicolons comes from Vietnamese regional settings. Mixed evidence: None.
    """
    seen = set()
    for raw in texts:
        if not isinstance(raw, str):
            continue
        text = raw.strip().replace(" ", "").replace("\u00a0", "").rstrip("%")
        if not _NUMBER_RE.match(text) or _AMBIGUOUS_RE.match(text):
            continue
        dots, commas = text.count("."), text.count(",")
        if dots and commas:
            seen.add(VI if text.rfind(",") > text.rfind(".") else EN)
        elif commas == 1:
            seen.add(VI)  # "12,5" or "1234,56": never thousands
        elif dots == 1:
            seen.add(EN)  # "12.5", "0.455"
        elif commas > 1:
            seen.add(EN)  # "1,234,567"
        elif dots > 1:
            seen.add(VI)  # "1.234.567"
    if len(seen) == 1:
        return seen.pop()
    if not seen and delimiter == ";":
        return VI
    return None


def parse_number(raw, *, convention: str | None = VI) -> Decimal:
    """Read a number in the given convention (VI: "1.234,5"; EN: "1,234.5"; None: refuse what reads two ways)."""
    if isinstance(raw, bool):
        raise InvalidValue(_("'%(v)s' không phải là số.") % {"v": raw})
    if isinstance(raw, int | Decimal):
        return Decimal(raw)
    if isinstance(raw, float):
        return Decimal(str(raw))
    text = str(raw).strip().replace(" ", "").replace("\u00a0", "").rstrip("%")
    if not text or not _NUMBER_RE.match(text):
        raise InvalidValue(_("'%(v)s' không phải là số.") % {"v": raw})
    if _AMBIGUOUS_RE.match(text):
        separator = "." if "." in text else ","
        as_thousands = Decimal(text.replace(separator, ""))
        as_decimal = Decimal(text.replace(separator, "."))
        if convention is None:
            raise InvalidValue(
                _(
                    "'%(v)s' đọc được hai cách: %(a)s (dấu '%(s)s' ngăn cách hàng nghìn) hoặc %(b)s (dấu '%(s)s' là "
                    "dấu thập phân). Tệp không cho biết cách ghi số: ghi rõ, ví dụ %(a_vi)s hay %(b_vi)s."
                )
                % {
                    "v": raw,
                    "a": _plain(as_thousands),
                    "b": _plain(as_decimal),
                    "s": separator,
                    "a_vi": str(as_thousands),
                    "b_vi": _plain(as_decimal),
                }
            )
        thousands = "." if convention == VI else ","
        return as_thousands if separator == thousands else as_decimal
    dots, commas = text.count("."), text.count(",")
    if dots and commas:
        decimal_mark = "," if text.rfind(",") > text.rfind(".") else "."
        thousands = "." if decimal_mark == "," else ","
        if text.count(decimal_mark) > 1:
            raise InvalidValue(_("'%(v)s' không phải là số.") % {"v": raw})
        text = text.replace(thousands, "").replace(decimal_mark, ".")
    elif commas:
        text = text.replace(",", "") if commas > 1 else text.replace(",", ".")
    elif dots > 1:
        text = text.replace(".", "")
    try:
        return Decimal(text)
    except InvalidOperation:
        raise InvalidValue(_("'%(v)s' không phải là số.") % {"v": raw})


def parse_bool(raw, *, met_means: bool | None = True) -> bool:
    """Có/Không as written; Đạt/Không đạt as met/not met, which is `met_means` (None: refused)."""
    if isinstance(raw, bool):
        return raw
    text = " ".join(str(raw).strip().lower().split())
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    if text in MET_WORDS | NOT_MET_WORDS:
        if met_means is None:
            raise InvalidValue(
                _("'%(v)s' không rõ nghĩa với chỉ tiêu này: ghi Có hoặc Không (trả lời đúng câu hỏi của chỉ tiêu).")
                % {"v": raw}
            )
        return met_means if text in MET_WORDS else not met_means
    raise InvalidValue(_("'%(v)s' không phải là Có/Không (ghi: có, không, đạt, không đạt).") % {"v": raw})


def parse_value(kind: str, raw, *, convention: str | None = VI, met_means: bool | None = True) -> bool | Decimal:
    """The stored value for an indicator of this kind, or InvalidValue with a message in the user's language."""
    from ntm_tracker.tabular import Percent

    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise InvalidValue(_("Chưa nhập giá trị."))
    if kind == ValueKind.BOOL:
        return parse_bool(raw, met_means=met_means)
    if isinstance(raw, Percent) and kind != ValueKind.PERCENT:
        raise InvalidValue(
            _("Ô định dạng phần trăm (%(v)s%%) nhưng chỉ tiêu không phải tỷ lệ: ghi số, bỏ định dạng phần trăm.")
            % {"v": _plain(Decimal(raw))}
        )
    number = parse_number(raw, convention=convention)
    if kind == ValueKind.PERCENT and not (0 <= number <= 100):
        raise InvalidValue(_("Tỷ lệ phải từ 0 đến 100, nhận được %(v)s.") % {"v": raw})
    if kind == ValueKind.COUNT:
        if number < 0 or number != number.to_integral_value():
            raise InvalidValue(_("Số lượng phải là số nguyên không âm, nhận được %(v)s.") % {"v": raw})
        return number.to_integral_value()
    if kind == ValueKind.AMOUNT and number < 0:
        raise InvalidValue(_("Số tiền không được âm, nhận được %(v)s.") % {"v": raw})
    return number


def plausible_range(indicator) -> tuple[Decimal | None, Decimal | None]:
    """The indicator's declared range (rule-set `range`), else the default of its kind."""
    declared = getattr(indicator, "plausible_range", None) or {}
    low, high = DEFAULT_RANGES.get(indicator.kind, (None, None))
    if declared.get("min") is not None:
        low = Decimal(str(declared["min"]))
    if declared.get("max") is not None:
        high = Decimal(str(declared["max"]))
    return low, high


def bool_met_means(indicator) -> bool | None:
    """What "Đạt" stores for a yes/no indicator: True when met by Có, False when met by Không, None if it varies."""
    target = indicator.target or {}
    ops = {target.get("op")} | {o.get("op") for o in target.get("overrides") or () if o.get("op")}
    ops.discard(None)
    if ops == {"yes"}:
        return True
    if ops == {"no"}:
        return False
    return None


def value_parse(indicator, raw, *, convention: str | None = VI) -> bool | Decimal:
    """`parse_value` for one indicator: its kind, its meaning of Đạt, and its plausible range."""
    value = parse_value(indicator.kind, raw, convention=convention, met_means=bool_met_means(indicator))
    if indicator.kind == ValueKind.BOOL:
        return value
    low, high = plausible_range(indicator)
    out_of_column = abs(value) >= COLUMN_LIMIT
    if (low is not None and value < low) or (high is not None and value > high) or out_of_column:
        unit = getattr(indicator, "unit_label", "") or ""
        raise InvalidValue(
            _("%(v)s nằm ngoài khoảng hợp lý của chỉ tiêu %(code)s: từ %(low)s đến %(high)s%(unit)s.")
            % {
                "v": _plain(value),
                "code": indicator.code,
                "low": _plain(low) if low is not None else "…",
                "high": _plain(high) if high is not None else "…",
                "unit": f" {unit}" if unit else "",
            }
        )
    return value
