"""Money: Decimal only, one rounding rule (half-up to the currency's places), ISO 4217 codes."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import pycountry

# Stored amounts carry two places; currencies with fewer minor units are rounded to them.
STORED_PLACES = 2
ZERO = Decimal("0.00")
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


def parse_amount(text: str) -> Decimal:
    """Parse a decimal string with a dot ("1234.50"); raises ValueError with a plain reason."""
    cleaned = (text or "").strip()
    if not cleaned:
        raise ValueError("the amount is empty")
    if "," in cleaned:
        raise ValueError(f"'{cleaned}' is not an amount: write it with a dot and no thousands separators, like 1234.50")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"'{cleaned}' is not an amount: write it like 1234.50")
    if not value.is_finite():
        raise ValueError(f"'{cleaned}' is not an amount")
    if value.as_tuple().exponent < -2:
        raise ValueError(f"'{cleaned}' has more than two decimal places")
    if abs(value) >= Decimal("1e13"):
        raise ValueError(f"'{cleaned}' is too large for an amount")
    return value.quantize(Decimal("0.01"))
