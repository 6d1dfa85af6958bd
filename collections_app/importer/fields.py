"""Parsing one cell of a bundle: each parser returns the value or raises Invalid with a plain reason."""

import datetime
import re
from decimal import Decimal

import pycountry
from django.utils import timezone

from ..money import currency_places, parse_amount

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Stored amounts have 14 digits with 2 places.
MAX_AMOUNT = Decimal("1e12")


class Invalid(ValueError):
    """A cell that cannot be imported; the message is the reason shown to people."""


class DateParser:
    """Parses YYYY-MM-DD into real calendar dates, not after today. Caches: a bundle repeats its dates."""

    def __init__(self, today: datetime.date | None = None):
        self.today = today or timezone.localdate()
        self._cache: dict[str, datetime.date] = {}

    def __call__(self, text: str, *, future_ok: bool = False) -> datetime.date:
        value = self._cache.get(text)
        if value is None:
            if not text:
                raise Invalid("a date is required (YYYY-MM-DD)")
            if not _DATE.match(text):
                raise Invalid(f"'{text}' is not a date; write it as YYYY-MM-DD")
            try:
                value = datetime.date.fromisoformat(text)
            except ValueError:
                raise Invalid(f"'{text}' is not a real calendar date")
            self._cache[text] = value
        if not future_ok and value > self.today:
            raise Invalid(f"{text} is in the future")
        return value


def amount_parse(text: str, currency: str) -> Decimal:
    """A signed amount with a dot and at most the currency's decimal places."""
    try:
        value = parse_amount(text)
    except ValueError as exc:
        raise Invalid(str(exc))
    if abs(value) >= MAX_AMOUNT:
        raise Invalid(f"'{text}' is too large for an amount")
    if currency_places(currency) == 0 and value != value.to_integral_value():
        raise Invalid(f"'{text}' has decimals, but {currency} has none")
    return value


def required(text: str, what: str) -> str:
    if not text:
        raise Invalid(f"{what} is required")
    return text


def max_length(text: str, limit: int) -> str:
    if len(text) > limit:
        raise Invalid(f"longer than {limit} characters")
    return text


def country_parse(text: str) -> str:
    code = text.upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise Invalid(f"'{text}' is not an ISO 3166 alpha-2 country code (like US)")
    return code
