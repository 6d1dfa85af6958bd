"""Serializer fields that refuse what would only fail deep inside (dates past year 9999, NaN money)."""

import datetime
from decimal import Decimal

from rest_framework import serializers

# Business dates and moments the domain can compute with (schedules add months, the gate weeks).
MIN_DATE = datetime.date(1900, 1, 1)
MAX_DATE = datetime.date(2199, 12, 31)
MIN_DATETIME = datetime.datetime(1900, 1, 1, tzinfo=datetime.UTC)
MAX_DATETIME = datetime.datetime(2199, 12, 31, tzinfo=datetime.UTC)


class DateField(serializers.DateField):
    default_error_messages = {"out_of_range": "Enter a date between 1900-01-01 and 2199-12-31."}

    def to_internal_value(self, value):
        date = super().to_internal_value(value)
        if not MIN_DATE <= date <= MAX_DATE:
            self.fail("out_of_range")
        return date


class DateTimeField(serializers.DateTimeField):
    default_error_messages = {"out_of_range": "Enter a moment between 1900 and 2199, with its UTC offset."}

    def to_internal_value(self, value):
        moment = super().to_internal_value(value)
        if not MIN_DATETIME <= moment <= MAX_DATETIME:
            self.fail("out_of_range")
        return moment


class MoneyField(serializers.DecimalField):
    """A positive amount as a decimal string with up to two places, like "125.50"."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("min_value", Decimal("0.01"))
        kwargs.setdefault("max_value", Decimal("999999999999.99"))
        super().__init__(**kwargs)
