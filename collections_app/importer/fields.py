"""Parsing one cell of a bundle: each parser returns the value or raises Invalid with a plain reason."""

import datetime
import re
from decimal import Decimal
from functools import lru_cache

import pycountry

from ..money import parse_amount
from ..services.ledger import latest_business_date

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class Invalid(ValueError):
    """A cell that cannot be imported; the message is the reason shown to people."""


class DateParser:
    """Parses YYYY-MM-DD into real calendar dates, not later than the services accept (a due date
    may be). Caches: a bundle repeats its dates."""

    def __init__(self, latest: datetime.date | None = None):
        self.latest = latest or latest_business_date()
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
        if not future_ok and value > self.latest:
            raise Invalid(f"{text} is in the future")
        return value


@lru_cache(maxsize=100_000)
def amount_parse(text: str) -> Decimal:
    """A signed amount with a dot, at most two places and below MAX_AMOUNT (the account's currency
    is checked once the row is matched to its account). Cached: a portfolio repeats its amounts
    (about half of a generated bundle's), and a Decimal is immutable; refusals are not cached."""
    try:
        return parse_amount(text)
    except ValueError as exc:
        raise Invalid(str(exc))


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
