"""Template filters for money and dates, written the way UI.md asks everywhere."""

import datetime
from decimal import Decimal

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from collections_app.aging import bucket_css, bucket_for_days

register = template.Library()


@register.filter
def money(value, currency=""):
    """1234.5 -> '1,234.50 USD' (thousands separators, two decimals, currency code)."""
    if value is None or value == "":
        return "—"
    amount = Decimal(value)
    text = f"{amount:,.2f}"
    return f"{text} {currency}".strip()


@register.filter
def day(value):
    """A date as '23 Nov 2026'."""
    if not value:
        return "—"
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value).date()
    return value.strftime("%d %b %Y").lstrip("0")


@register.filter
def relative(value):
    """'today', 'in 3 days', '12 days ago' for a date."""
    if not value:
        return ""
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value).date()
    delta = (value - timezone.localdate()).days
    if delta == 0:
        return "today"
    if delta == 1:
        return "tomorrow"
    if delta == -1:
        return "yesterday"
    return f"in {delta} days" if delta > 0 else f"{-delta} days ago"


@register.filter
def days_late(due_on):
    """'12 days late' for a past due date, '' otherwise."""
    if not due_on:
        return ""
    days = (timezone.localdate() - due_on).days
    return f"{days} day{'s' if days != 1 else ''} late" if days > 0 else ""


@register.simple_tag
def bucket_badge(account, on=None):
    """The account's aging bucket as a coloured badge."""
    if account.balance <= 0:
        return mark_safe('<span class="bucket bucket-paid">Paid</span>')  # noqa: S308 (constant markup)
    days = account.days_past_due(on or timezone.localdate())
    bucket = bucket_for_days(days)
    label = "Current" if bucket == "current" else f"{bucket} days"
    return format_html('<span class="bucket {}" title="{} days past due">{}</span>', bucket_css(bucket), days, label)


@register.filter
def bucket_class(bucket):
    return bucket_css(bucket)
