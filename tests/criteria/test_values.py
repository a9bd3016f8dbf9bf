from decimal import Decimal

import pytest

from criteria.models import ValueKind
from criteria.values import InvalidValue, parse_number, parse_value


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12,5", Decimal("12.5")),
        ("12.5", Decimal("12.5")),
        ("76.611", Decimal("76611")),
        ("1.234.567", Decimal("1234567")),
        ("1.234,5", Decimal("1234.5")),
        ("1,234.5", Decimal("1234.5")),
        ("0.611", Decimal("0.611")),
        (" 95 % ", Decimal("95")),
        (42, Decimal("42")),
        (12.5, Decimal("12.5")),
    ],
)
def test_numbers_in_vietnamese_and_plain_notation(raw, expected):
    assert parse_number(raw) == expected


@pytest.mark.parametrize("raw", ["abc", "", "1,2,3.4.5,6", "12..5,3,1", True])
def test_what_is_not_a_number(raw):
    with pytest.raises(InvalidValue):
        parse_number(raw)


def test_kinds_check_their_ranges_with_messages_for_the_official():
    assert parse_value(ValueKind.PERCENT, "100") == 100
    with pytest.raises(InvalidValue, match="0 đến 100"):
        parse_value(ValueKind.PERCENT, "120")
    with pytest.raises(InvalidValue, match="số nguyên không âm"):
        parse_value(ValueKind.COUNT, "-3")
    with pytest.raises(InvalidValue, match="số nguyên không âm"):
        parse_value(ValueKind.COUNT, "2,5")
    with pytest.raises(InvalidValue, match="không phải là số"):
        parse_value(ValueKind.PERCENT, "abc")
    with pytest.raises(InvalidValue, match="âm"):
        parse_value(ValueKind.AMOUNT, "-1")
    with pytest.raises(InvalidValue, match="Chưa nhập"):
        parse_value(ValueKind.AMOUNT, "  ")
    assert parse_value(ValueKind.BOOL, "Có") is True
    assert parse_value(ValueKind.BOOL, "không đạt") is False
    with pytest.raises(InvalidValue, match="Có/Không"):
        parse_value(ValueKind.BOOL, "maybe")
