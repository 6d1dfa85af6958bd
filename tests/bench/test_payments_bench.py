"""bench.payments: its check of the acknowledged payments against the ledger, and its floor view."""

import datetime
from decimal import Decimal

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from accounts.api.services import api_token_create
from bench.payments import verify
from collections_app.models import Account, LedgerEntry
from collections_app.services.ledger import invoice_create, payment_post
from tests.collections_app.factories import AccountFactory

TODAY = datetime.date(2026, 11, 23)


@pytest.fixture
def account(db):
    account = AccountFactory()
    invoice_create(account=account, amount=Decimal("100.00"), issued_on=TODAY, due_on=TODAY)
    return account


def pay(account, key: str, amount: str = "5.00") -> int:
    return payment_post(account=account, amount=Decimal(amount), received_on=TODAY, note=f"bench {key}").pk


def test_every_acknowledged_payment_found_once_and_the_ledger_reconciled(account):
    first, second = pay(account, "k1"), pay(account, "k2")

    # k1 acknowledged twice (the first answer and a replay), with the same payment.
    figures = verify({"k1": [first, first], "k2": [second]})

    assert (figures["lost"], figures["doubled"], figures["mismatched"], figures["replayed"]) == (0, 0, 0, 1)
    assert figures["reconciled"] is True
    assert Account.objects.get(pk=account.pk).balance == Decimal("90.00")


def test_a_lost_a_doubled_and_a_mismatched_payment_are_each_counted(account):
    first = pay(account, "k1")
    pay(account, "k1")  # the same key posted twice: doubled
    second = pay(account, "k2")

    figures = verify({"k1": [first], "k2": [second, first], "k3": [999_999]})

    assert (figures["lost"], figures["doubled"], figures["mismatched"]) == (1, 1, 1)


def test_a_cached_balance_off_the_ledger_is_not_reconciled(account):
    entry = pay(account, "k1")
    Account.objects.filter(pk=account.pk).update(balance=Decimal("1.00"))

    figures = verify({"k1": [entry]})

    assert figures["reconciled"] is False
    assert "cached balance 1.00" in figures["reconcile_output"]


@override_settings(ROOT_URLCONF="bench.floor_urls")
def test_the_floor_answers_a_token_holder_without_writing(account, admin_user):
    _, key = api_token_create(name="bench", owner=admin_user, role="admin", created_by=admin_user)
    client = APIClient()
    before = LedgerEntry.objects.count()

    refused = client.post("/bench/payment-floor/", {"account": account.pk}, format="json")
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    answered = client.post("/bench/payment-floor/", {"account": account.pk}, format="json")

    assert refused.status_code == 401
    assert (answered.status_code, answered.json()) == (201, {"id": 0, "account": account.pk})
    assert LedgerEntry.objects.count() == before
