"""Date arithmetic of the rules: business days, the validation period, the limitation date."""

import datetime
from functools import lru_cache

import holidays

from .models import (
    FEDERAL_RECEIPT_BUSINESS_DAYS,
    FEDERAL_VALIDATION_PERIOD_DAYS,
)


@lru_cache(maxsize=64)
def _federal_holidays(year: int) -> frozenset[datetime.date]:
    # Legal public holidays (5 USC 6103) as observed; no state holidays.
    return frozenset(holidays.US(years=year).keys())


def is_business_day(day: datetime.date) -> bool:
    return day.weekday() < 5 and day not in _federal_holidays(day.year)


def business_days_after(start: datetime.date, count: int) -> datetime.date:
    """The date `count` business days after `start` (start itself does not count)."""
    day = start
    remaining = count
    while remaining > 0:
        day += datetime.timedelta(days=1)
        if is_business_day(day):
            remaining -= 1
    return day


def validation_dates(
    sent_on: datetime.date,
    *,
    receipt_business_days: int = FEDERAL_RECEIPT_BUSINESS_DAYS,
    period_days: int = FEDERAL_VALIDATION_PERIOD_DAYS,
) -> tuple[datetime.date, datetime.date]:
    """(assumed receipt, last day of the validation period) for a notice sent on `sent_on`.

    12 CFR 1006.34(b)(5): the period ends 30 days after receipt, and 1006.34(b)(5) lets a
    collector assume receipt any date that is at least five days (excluding legal public holidays,
    Saturdays and Sundays) after sending.
    """
    received = business_days_after(sent_on, receipt_business_days)
    return received, received + datetime.timedelta(days=period_days)


def add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year + years, day=28)
