"""Payments posted at the same moment on one account (PostgreSQL row locks keep the caches right)."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.utils import timezone

from collections_app.models import Allocation, Invoice, LedgerEntry
from collections_app.services.ledger import invoice_create, payment_post
from tests.conftest import require

from .factories import AccountFactory

D = Decimal
pytestmark = pytest.mark.django_db(transaction=True)


def run_at_once(workers):
    """Start every worker at the same moment; return the exceptions they raised."""
    barrier = threading.Barrier(len(workers))
    errors: list[BaseException] = []

    def wrap(work):
        try:
            barrier.wait(timeout=30)
            work()
        except BaseException as exc:  # reported to the test thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=wrap, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a worker hung"
    return errors


def assert_ledger_consistent(account):
    account.refresh_from_db()
    entries = list(LedgerEntry.objects.filter(account=account).values_list("amount", flat=True))
    assert account.balance == sum(entries, D("0.00"))
    open_sum = D("0.00")
    for invoice in Invoice.objects.filter(account=account):
        allocated = sum(Allocation.objects.filter(invoice=invoice).values_list("amount", flat=True), D("0.00"))
        assert invoice.open_amount == invoice.amount - allocated
        assert D("0.00") <= invoice.open_amount <= invoice.amount
        open_sum += invoice.open_amount
    assert account.unapplied_credit == open_sum - account.balance >= 0
    for payment in LedgerEntry.objects.filter(account=account, kind="payment"):
        applied = sum(Allocation.objects.filter(entry=payment).values_list("amount", flat=True), D("0.00"))
        assert 0 <= applied <= -payment.amount
    return account, open_sum


@pytest.fixture
def postgres():
    require(connection.vendor == "postgresql", "PostgreSQL at DATABASE_URL")


def test_two_payments_at_once(postgres):
    account = AccountFactory()
    today = timezone.localdate()
    for n, amount in enumerate(("100.00", "80.00")):
        invoice_create(
            account=account, amount=D(amount), issued_on=today - datetime.timedelta(days=40 - n), due_on=today
        )
    errors = run_at_once(
        [
            lambda: payment_post(account=account, amount=D("70.00"), received_on=today),
            lambda: payment_post(account=account, amount=D("50.00"), received_on=today),
        ]
    )
    assert errors == []
    account, open_sum = assert_ledger_consistent(account)
    assert account.balance == D("60.00")
    assert open_sum == D("60.00")
    payments = LedgerEntry.objects.filter(account=account, kind="payment")
    assert payments.count() == 2
    # Both payments are fully allocated: 120 spread over the invoices, nothing over-allocated.
    assert sum(Allocation.objects.filter(entry__in=payments).values_list("amount", flat=True), D("0")) == D("120.00")


def test_eight_threads_five_payments_each(postgres):
    account = AccountFactory()
    today = timezone.localdate()
    for n in range(6):
        invoice_create(
            account=account,
            amount=D("50.00"),
            issued_on=today - datetime.timedelta(days=60 - n),
            due_on=today - datetime.timedelta(days=30 - n),
        )

    def worker(index):
        def work():
            for k in range(5):
                payment_post(
                    account=account,
                    amount=D("7.25") + D(index) / 100,
                    received_on=today,
                    external_id=f"T{index}-{k}",
                )

        return work

    errors = run_at_once([worker(i) for i in range(8)])
    assert errors == []
    account, open_sum = assert_ledger_consistent(account)
    paid = sum(5 * (D("7.25") + D(i) / 100) for i in range(8))
    assert paid == D("291.40")
    assert LedgerEntry.objects.filter(account=account, kind="payment").count() == 40
    assert account.balance == D("300.00") - paid
    assert account.unapplied_credit == D("0.00")
    allocated = sum(Allocation.objects.filter(entry__account=account).values_list("amount", flat=True), D("0"))
    assert allocated == paid
