"""The same payment form sent twice (a double click, a resend after a timeout) posts one payment."""

import re
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import IdempotencyRecord
from collections_app.models import LedgerEntry
from tests.collections_app.test_ledger_concurrency import assert_ledger_consistent, run_at_once
from tests.collections_app.workspace_data import make_debt

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def account(collector):
    return make_debt(collector, balance="900.00", name="Dora Double")


def payment_form(client, account) -> dict:
    """Open the payment form as the page does and fill it in, keeping its one-time token."""
    html = client.get(f"/accounts/{account.pk}/act/payment/", **HTMX).content.decode()
    assert "hx-disabled-elt=\"find button[type='submit']\"" in html  # a UX guard; the token is the guarantee
    token = re.search(r'name="form_token" value="([0-9a-f]{32})"', html).group(1)
    return {"amount": "100.00", "received_on": timezone.localdate().isoformat(), "method": "card", "form_token": token}


def payments(account):
    return LedgerEntry.objects.filter(account=account, kind="payment")


@pytest.mark.django_db
def test_a_double_click_posts_one_payment_and_shows_the_first_answer_twice(client, collector, account):
    client.force_login(collector)
    data = payment_form(client, account)
    url = f"/accounts/{account.pk}/act/payment/"
    first = client.post(url, data, **HTMX)
    second = client.post(url, data, **HTMX)
    assert first.status_code == second.status_code == 200
    for response in (first, second):
        assert "Payment of 100.00 USD received" in response.content.decode()
    assert payments(account).count() == 1
    account.refresh_from_db()
    assert account.balance == Decimal("800.00")


@pytest.mark.django_db
def test_without_javascript_the_resent_form_redirects_with_the_same_confirmation(client, collector, account):
    client.force_login(collector)
    data = payment_form(client, account)
    url = f"/accounts/{account.pk}/act/payment/"
    for _ in range(2):
        response = client.post(url, data, follow=True)
        assert "Payment of 100.00 USD received" in response.content.decode()
    assert payments(account).count() == 1


@pytest.mark.django_db
def test_a_new_form_records_a_new_payment_and_a_reused_token_with_other_values_is_refused(client, collector, account):
    client.force_login(collector)
    url = f"/accounts/{account.pk}/act/payment/"
    first = payment_form(client, account)
    client.post(url, first, **HTMX)
    client.post(url, payment_form(client, account), **HTMX)
    assert payments(account).count() == 2
    changed = client.post(url, {**first, "amount": "5.00"}, **HTMX)
    assert changed.status_code == 422
    assert "already sent with other values" in changed.content.decode()
    assert payments(account).count() == 2


@pytest.mark.django_db
def test_a_refused_payment_keeps_the_token_free_for_the_corrected_form(client, collector, account):
    client.force_login(collector)
    url = f"/accounts/{account.pk}/act/payment/"
    data = payment_form(client, account)
    refused = client.post(url, {**data, "amount": "abc"}, **HTMX)
    assert refused.status_code == 422
    assert f'value="{data["form_token"]}"' in refused.content.decode()
    assert client.post(url, data, **HTMX).status_code == 200
    assert payments(account).count() == 1


def test_two_identical_submissions_at_the_same_moment_post_one_payment(postgres, transactional_db, collector):
    """Two requests on two connections: the second waits on the token's unique index, then replays."""
    account = make_debt(collector, balance="900.00", name="Rita Race")
    opener = Client()
    opener.force_login(collector)
    data = payment_form(opener, account)
    answers = []

    def submit():
        client = Client()
        client.force_login(collector)
        response = client.post(f"/accounts/{account.pk}/act/payment/", data, **HTMX)
        answers.append((response.status_code, "Payment of 100.00 USD received" in response.content.decode()))

    assert run_at_once([submit, submit, submit]) == []
    assert answers == [(200, True)] * 3
    assert payments(account).count() == 1
    assert IdempotencyRecord.objects.filter(key=f"form:{data['form_token']}").count() == 1
    account, _ = assert_ledger_consistent(account)
    assert account.balance == Decimal("800.00")
