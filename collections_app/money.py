"""Money: Decimal only, one rounding rule (half-up to the currency's places), ISO 4217 codes."""

import re
from decimal import ROUND_HALF_UP, Decimal

import pycountry

# Stored amounts carry two places; currencies with fewer minor units are rounded to them.
STORED_PLACES = 2
ZERO = Decimal("0.00")
# Amount columns hold 14 digits with 2 decimal places.
MAX_AMOUNT = Decimal("1e12")
AMOUNT_PATTERN = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_ZERO_PLACE_CURRENCIES = {"JPY", "KRW", "VND", "CLP", "ISK", "UGX", "XAF", "XOF", "PYG", "RWF", "KMF", "GNF", "VUV"}


def currency_places(currency: str) -> int:
    return 0 if currency in _ZERO_PLACE_CURRENCIES else STORED_PLACES


def is_currency(code: str) -> bool:
    return bool(code) and len(code) == 3 and code.isupper() and pycountry.currencies.get(alpha_3=code) is not None


def money(value, currency: str = "USD") -> Decimal:
    """Round half-up to the currency's minor unit, returned with two stored places."""
    places = currency_places(currency)
    quantum = Decimal(1).scaleb(-places)
    return Decimal(value).quantize(quantum, rounding=ROUND_HALF_UP).quantize(Decimal("0.01"))


def fits_currency(amount: Decimal, currency: str) -> bool:
    """True when the amount has no more decimal places than the currency's minor unit."""
    return money(amount, currency) == amount


def parse_amount(text: str) -> Decimal:
    """Parse a decimal string with a dot ("1234.50"); raises ValueError with a plain reason.

    Only digits, an optional sign and one dot: "1e2", "1_000" and "NaN" are not amounts in a file.
    """
    cleaned = (text or "").strip()
    if not cleaned:
        raise ValueError("the amount is empty")
    if "," in cleaned:
        raise ValueError(f"'{cleaned}' is not an amount: write it with a dot and no thousands separators, like 1234.50")
    if not AMOUNT_PATTERN.match(cleaned):
        raise ValueError(f"'{cleaned}' is not an amount: write it like 1234.50")
    value = Decimal(cleaned)
    if value.as_tuple().exponent < -2:
        raise ValueError(f"'{cleaned}' has more than two decimal places")
    if abs(value) >= MAX_AMOUNT:
        raise ValueError(f"'{cleaned}' is too large for an amount")
    return value.quantize(Decimal("0.01"))
