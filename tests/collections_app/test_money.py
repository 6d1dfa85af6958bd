"""Money: one rounding rule (half-up), strict parsing, ISO 4217 codes."""

from decimal import Decimal

import pytest

from collections_app.money import ZERO, currency_places, is_currency, money, parse_amount

D = Decimal


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1.005", "1.01"),
        ("1.004", "1.00"),
        ("2.675", "2.68"),
        ("0.125", "0.13"),
        ("-1.005", "-1.01"),
        ("-0.125", "-0.13"),
        ("10", "10.00"),
        (D("0.995"), "1.00"),
        (3, "3.00"),
    ],
)
def test_money_rounds_half_up_to_two_places(value, expected):
    result = money(value)
    assert result == D(expected)
    assert result.as_tuple().exponent == -2


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1.5", "2.00"), ("2.5", "3.00"), ("2.49", "2.00"), ("-2.5", "-3.00")],
)
def test_zero_place_currency_rounds_half_up_to_units(value, expected):
    assert currency_places("JPY") == 0
    assert money(value, "JPY") == D(expected)
    assert str(money(value, "JPY")) == expected


def test_zero_is_two_places():
    assert ZERO == 0 and str(ZERO) == "0.00"
    assert currency_places("USD") == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234.50", "1234.50"),
        ("  42 ", "42.00"),
        ("0.1", "0.10"),
        ("-12.30", "-12.30"),
        ("999999999999.99", "999999999999.99"),
        (".5", "0.50"),
    ],
)
def test_parse_amount_accepts(text, expected):
    result = parse_amount(text)
    assert result == D(expected)
    assert str(result) == expected


@pytest.mark.parametrize(
    "text",
    [
        "1,234.50",
        "1,5",
        "abc",
        "1.234",
        "0.001",
        "NaN",
        "nan",
        "sNaN",
        "inf",
        "-Infinity",
        "",
        "   ",
        None,
        "1e13",
        "1e2",
        "1_000",
        "1000000000000.00",
        "12 34",
        "$12",
    ],
)
def test_parse_amount_rejects(text):
    with pytest.raises(ValueError) as excinfo:
        parse_amount(text)
    assert str(excinfo.value)  # a plain reason for people


def test_parse_amount_reasons_are_specific():
    with pytest.raises(ValueError, match="thousands separators"):
        parse_amount("1,234.50")
    with pytest.raises(ValueError, match="more than two decimal places"):
        parse_amount("1.234")
    with pytest.raises(ValueError, match="empty"):
        parse_amount("")


@pytest.mark.parametrize(("code", "expected"), [("USD", True), ("EUR", True), ("JPY", True), ("GBP", True)])
def test_is_currency_accepts_iso_codes(code, expected):
    assert is_currency(code) is expected


@pytest.mark.parametrize("code", ["usd", "US", "USDD", "", "ABC", "ZZZ", "U$D", None])
def test_is_currency_rejects(code):
    assert not is_currency(code)
