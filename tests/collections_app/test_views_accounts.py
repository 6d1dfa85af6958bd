"""The account list and account page, per role: everyone sees only their own."""

import datetime
from decimal import Decimal

import pytest

from collections_app.services.assignments import account_assign
from collections_app.services.ledger import invoice_create, payment_post
from tests.collections_app.factories import AccountFactory


@pytest.fixture
def mine(collector):
    account = AccountFactory(debtor__name="Mina Mine", external_id="MINE-1")
    account_assign(account=account, collector=collector)
    invoice_create(
        account=account,
        amount=Decimal("1234.50"),
        issued_on=datetime.date(2026, 1, 1),
        due_on=datetime.date(2026, 1, 31),
        external_id="INV-1",
    )
    payment_post(account=account, amount=Decimal("200.00"), received_on=datetime.date(2026, 2, 3))
    return account


@pytest.fixture
def theirs(other_collector):
    account = AccountFactory(debtor__name="Theo Theirs", external_id="THEIRS-1")
    account_assign(account=account, collector=other_collector)
    return account


def test_collector_lists_only_their_accounts(client, collector, mine, theirs):
    client.force_login(collector)
    html = client.get("/accounts/").content.decode()
    assert "Mina Mine" in html
    assert "Theo Theirs" not in html


def test_collector_cannot_open_another_collectors_account(client, collector, mine, theirs):
    client.force_login(collector)
    assert client.get(f"/accounts/{mine.pk}/").status_code == 200
    assert client.get(f"/accounts/{theirs.pk}/").status_code == 404


def test_collector_cannot_find_another_collectors_account_by_search(client, collector, theirs):
    client.force_login(collector)
    html = client.get("/accounts/", {"q": "THEIRS-1"}).content.decode()
    assert "Theo Theirs" not in html
    assert "No accounts match" in html


def test_manager_sees_their_teams_accounts_not_another_teams(client, manager, other_manager, mine, theirs):
    client.force_login(manager)
    html = client.get("/accounts/").content.decode()
    assert "Mina Mine" in html and "Theo Theirs" not in html
    assert client.get(f"/accounts/{theirs.pk}/").status_code == 404
    client.force_login(other_manager)
    assert client.get(f"/accounts/{theirs.pk}/").status_code == 200
    assert client.get(f"/accounts/{mine.pk}/").status_code == 404


def test_admin_sees_everything(client, admin_user, mine, theirs):
    client.force_login(admin_user)
    html = client.get("/accounts/").content.decode()
    assert "Mina Mine" in html and "Theo Theirs" in html


def test_anonymous_is_sent_to_sign_in(client, mine):
    assert client.get("/accounts/").status_code == 302
    assert client.get(f"/accounts/{mine.pk}/").status_code == 302


def test_account_page_shows_balance_ledger_and_timeline(client, collector, mine):
    client.force_login(collector)
    html = client.get(f"/accounts/{mine.pk}/").content.decode()
    assert "1,034.50 USD" in html  # balance after the payment
    assert "-200.00 USD" in html  # the payment in the ledger
    assert "<h1>Mina Mine</h1>" in html
    assert html.count("<h1") == 1


def test_search_by_phone_in_any_format(client, collector, mine):
    from collections_app.services.parties import contact_point_add

    contact_point_add(debtor=mine.debtor, kind="phone", value="+1 617 555 0134", usage="mobile")
    client.force_login(collector)
    html = client.get("/accounts/", {"q": "(617) 555-0134"}).content.decode()
    assert "Mina Mine" in html


def test_filters_by_bucket_and_rejects_nonsense(client, collector, mine):
    client.force_login(collector)
    assert "Mina Mine" in client.get("/accounts/", {"bucket": "121+"}).content.decode()
    assert "Mina Mine" not in client.get("/accounts/", {"bucket": "current"}).content.decode()
    response = client.get("/accounts/", {"bucket": "nonsense", "page": "abc"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Select a valid choice" in html  # the refusal is shown, not swallowed
    assert "Mina Mine" in html  # and the list is not filtered by the nonsense


def test_account_list_costs_a_handful_of_queries(client, admin_user, django_assert_max_num_queries):
    for _ in range(60):
        AccountFactory()
    client.force_login(admin_user)
    with django_assert_max_num_queries(10):
        response = client.get("/accounts/")
    assert response.status_code == 200


def test_account_page_costs_a_bounded_number_of_queries(client, collector, mine, django_assert_max_num_queries):
    client.force_login(collector)
    with django_assert_max_num_queries(25):
        assert client.get(f"/accounts/{mine.pk}/").status_code == 200
