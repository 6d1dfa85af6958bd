"""factory_boy factories for the collections domain: creditors, debtors and receivable accounts."""

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from collections_app.models import Account, ContactPoint, Creditor, Debtor
from collections_app.services.ledger import invoice_create


class CreditorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Creditor
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Creditor {n}")


class DebtorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Debtor

    external_id = factory.Sequence(lambda n: f"D-{n:06d}")
    name = factory.Sequence(lambda n: f"Debtor {n}")
    country = "US"
    region = "MA"
    timezone = "America/New_York"
    timezone_source = "address"


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    external_id = factory.Sequence(lambda n: f"A-{n:06d}")
    debtor = factory.SubFactory(DebtorFactory)
    creditor = factory.SubFactory(CreditorFactory)
    currency = "USD"
    opened_on = factory.LazyFunction(lambda: datetime.date(2020, 1, 1))


def late_account(
    *, creditor, assigned_to, zone="America/New_York", region="NY", phones=(("+12125550100", "mobile"),),
    balance="500.00", days_late=40, **fields,
):  # fmt: skip
    """A queue account: its own debtor in `zone` and `region` with phone numbers (value, usage), the first
    primary, and one invoice `days_late` past due for `balance`. Returns (account, its contact points)."""
    debtor = DebtorFactory(timezone=zone, region=region, country="", timezone_source="")
    points = [
        ContactPoint.objects.create(debtor=debtor, kind="phone", value=value, usage=usage, is_primary=i == 0)
        for i, (value, usage) in enumerate(phones)
    ]
    account = AccountFactory(debtor=debtor, creditor=creditor, assigned_to=assigned_to, **fields)
    due = timezone.localdate() - datetime.timedelta(days=days_late)
    invoice_create(account=account, amount=Decimal(balance), issued_on=due - datetime.timedelta(days=30), due_on=due)
    account.refresh_from_db()
    return account, points
