"""factory_boy factories for the collections domain: creditors, debtors and receivable accounts."""

import datetime

import factory

from collections_app.models import Account, Creditor, Debtor


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
