"""Two collectors acting on one account at the same moment, through the pages, on PostgreSQL.

Service-level races are covered elsewhere (two payments: tests/collections_app/test_ledger_concurrency.py;
the last call under the 7-in-7 cap: tests/compliance/test_activity_concurrency.py). Here: the page
path, and the rules that hold one thing per account (one pending promise, one open arrangement).
"""

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from collections_app.models import Arrangement, LedgerEntry, PlanStatus, Promise, PromiseStatus
from tests.collections_app.test_ledger_concurrency import assert_ledger_consistent, run_at_once
from tests.collections_app.workspace_data import make_debt

from .conftest import ledger_reconciles

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def two(postgres, transactional_db, collector, manager):
    """The account's collector and their manager, both on the account page."""
    account = make_debt(collector, balance="500.00", name="Bea Both")
    return account, [collector, manager]


def post_as(user, account, action, data, answers):
    def send():
        client = Client()
        client.force_login(user)
        response = client.post(f"/accounts/{account.pk}/act/{action}/", data, **HTMX)
        answers.append((response.status_code, response.content.decode()))

    return send


def in_days(n: int) -> str:
    return (timezone.localdate() + datetime.timedelta(days=n)).isoformat()


def test_two_payments_from_two_pages_both_post_and_the_ledger_adds_up(two):
    account, people = two
    answers = []
    today = timezone.localdate().isoformat()
    errors = run_at_once(
        [
            post_as(
                people[0], account, "payment", {"amount": "120.00", "received_on": today, "method": "card"}, answers
            ),
            post_as(people[1], account, "payment", {"amount": "80.00", "received_on": today, "method": "ach"}, answers),
        ]
    )
    assert errors == [] and [code for code, _ in answers] == [200, 200]
    assert LedgerEntry.objects.filter(account=account, kind="payment").count() == 2
    account, _ = assert_ledger_consistent(account)
    assert account.balance == Decimal("300.00")
    assert "every cache equals the ledger" in ledger_reconciles()


def test_two_promises_at_once_one_is_recorded_the_other_told_why(two):
    account, people = two
    answers = []
    errors = run_at_once(
        [post_as(p, account, "promise", {"amount": "50.00", "due_on": in_days(5)}, answers) for p in people]
    )
    assert errors == []
    assert sorted(code for code, _ in answers) == [200, 422]
    refused = next(html for code, html in answers if code == 422)
    assert "already has a pending promise" in refused
    assert Promise.objects.filter(account=account, status=PromiseStatus.PENDING).count() == 1


def test_two_arrangements_at_once_one_is_set_up(two):
    account, people = two
    answers = []
    data = {"total_amount": "300.00", "count": "3", "frequency": "monthly", "start_on": in_days(7)}
    errors = run_at_once([post_as(p, account, "arrangement", data, answers) for p in people])
    assert errors == []
    assert sorted(code for code, _ in answers) == [200, 422]
    assert Arrangement.objects.filter(account=account, status=PlanStatus.ACTIVE).count() == 1
