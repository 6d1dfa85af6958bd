"""A collector finds an account from the top bar and reads it on one screen."""

import datetime
from decimal import Decimal

import pytest

from collections_app.services.assignments import account_assign
from collections_app.services.ledger import invoice_create, payment_post
from tests.collections_app.factories import AccountFactory
from tests.e2e.conftest import screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_collector_searches_and_opens_an_account(make_user, sign_in):
    collector = make_user("collector", username="e2e_col")
    account = AccountFactory(debtor__name="Rosa Delgado", external_id="ACC-7781")
    account_assign(account=account, collector=collector)
    invoice_create(
        account=account,
        amount=Decimal("980.00"),
        issued_on=datetime.date(2026, 6, 1),
        due_on=datetime.date(2026, 7, 1),
        external_id="INV-1",
    )
    payment_post(account=account, amount=Decimal("80.00"), received_on=datetime.date(2026, 7, 20))

    page = sign_in("e2e_col", "pw-e2e_col")
    page.keyboard.press("/")
    page.keyboard.type("ACC-7781")
    page.keyboard.press("Enter")
    page.get_by_role("link", name="ACC-7781").click()
    assert page.locator("h1").inner_text() == "Rosa Delgado"
    assert "900.00 USD" in page.locator("aside").inner_text()
    screenshot(page, "account-page")
