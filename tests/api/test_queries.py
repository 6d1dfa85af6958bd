"""A page of 50 costs a handful of queries on every list endpoint, whatever the role."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from collections_app.services.activities import activity_log, dispute_open
from collections_app.services.ledger import payment_post
from collections_app.services.plans import arrangement_create, promise_create
from compliance.services import hold_place
from tests.api.conftest import make_account

pytestmark = pytest.mark.django_db

LISTS = [
    "accounts",
    "debtors",
    "contact-points",
    "creditors",
    "invoices",
    "payments",
    "promises",
    "arrangements",
    "activities",
    "disputes",
    "assignments",
    "holds",
]
# Authentication (1), the page (1), a prefetch where rows carry a list (1), and room for one more.
MAX_QUERIES = 4


@pytest.fixture
def fifty(portfolio):
    today = timezone.localdate()
    collector, admin = portfolio.users["collector"], portfolio.users["admin"]
    for n in range(50):
        account = make_account(collector=collector, external_id=f"Q-{n}", admin=admin)
        payment_post(account=account, amount=Decimal("1.00"), received_on=today)
        promise_create(account=account, amount=Decimal("5.00"), due_on=today + datetime.timedelta(days=3))
        arrangement_create(account=account, total_amount=Decimal("90.00"), count=3, frequency="weekly", start_on=today)
        activity_log(account=account, channel="inbound_call", outcome="right_party_contact", user=collector)
        dispute_open(account=account, reason="x")
        hold_place(reason="attorney", debtor=account.debtor)
    return portfolio


@pytest.mark.parametrize("role", ["collector", "manager", "admin"])
def test_a_page_of_fifty_costs_a_handful_of_queries(fifty, as_role, role, django_assert_max_num_queries):
    client = as_role(role)
    client.get("/api/creditors/")  # the token's last use is written once a minute: not in the counts below
    for endpoint in LISTS:
        with django_assert_max_num_queries(MAX_QUERIES, info=endpoint):
            response = client.get(f"/api/{endpoint}/?page_size=50")
        assert response.status_code == 200
        if endpoint != "creditors":
            assert len(response.json()["results"]) == 50, endpoint
