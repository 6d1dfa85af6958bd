"""Builders for the workspace tests (views and browser): debtors whose clock is inside or outside
calling hours right now, whatever the hour the tests run at.

The pages ask the gate about the real clock, so instead of freezing time the tests choose the
debtor's zone: one where it is mid-day now, or one where it is the middle of the night.
"""

import datetime
import itertools
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

from collections_app.models import Account, ContactPoint, Debtor
from collections_app.services.assignments import account_assign
from collections_app.services.ledger import invoice_create
from tests.collections_app.factories import CreditorFactory

# Offsets spread round the clock, so every hour has a zone at mid-day and one at night.
ZONES = (
    "Pacific/Kiritimati",
    "Pacific/Auckland",
    "Australia/Sydney",
    "Asia/Tokyo",
    "Asia/Shanghai",
    "Asia/Kolkata",
    "Asia/Dubai",
    "Europe/Moscow",
    "Europe/Berlin",
    "Europe/London",
    "Atlantic/Azores",
    "America/Sao_Paulo",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "Pacific/Pago_Pago",
)
_seq = itertools.count(1)


def zone_at(hours: range, now: datetime.datetime | None = None) -> str:
    """A zone whose local hour is in `hours` now (with an hour's margin, so a test never crosses)."""
    now = now or timezone.now()
    for name in ZONES:
        local = now.astimezone(ZoneInfo(name))
        if local.hour in hours and (local + datetime.timedelta(hours=1)).hour in hours:
            return name
    raise AssertionError(f"no zone with the hour in {hours} at {now}")


def open_zone() -> str:
    """Mid-day there: inside calling hours (08:00-21:00) for the next hour at least."""
    return zone_at(range(10, 19))


def closed_zone() -> str:
    """The middle of the night there: calls refused, opening at 08:00 local."""
    return zone_at(range(1, 6))


def make_debt(
    collector,
    *,
    zone: str | None = None,
    balance: str = "500.00",
    days_late: int = 40,
    phone: str | None = "+12125550100",
    name: str | None = None,
    external_id: str | None = None,
    creditor=None,
    **account_fields,
) -> Account:
    """An account assigned to `collector`, owing `balance`, its debtor (and number) in `zone`."""
    n = next(_seq)
    zone = zone or open_zone()
    debtor = Debtor.objects.create(
        external_id=f"WD{n}", name=name or f"Debtor W{n}", timezone=zone, timezone_source="given", country="US"
    )
    if phone:
        ContactPoint.objects.create(
            debtor=debtor, kind="phone", value=phone, usage="mobile", is_primary=True, timezone=zone
        )
    account = Account.objects.create(
        external_id=external_id or f"WA{n}",
        debtor=debtor,
        creditor=creditor or CreditorFactory(),
        currency="USD",
        opened_on=datetime.date(2024, 1, 1),
        **account_fields,
    )
    if collector is not None:
        account_assign(account=account, collector=collector)
    today = timezone.localdate()
    due = today - datetime.timedelta(days=days_late)
    invoice_create(
        account=account,
        amount=Decimal(balance),
        issued_on=due - datetime.timedelta(days=30),
        due_on=due,
        external_id=f"WI{n}",
    )
    account.refresh_from_db()
    return account
