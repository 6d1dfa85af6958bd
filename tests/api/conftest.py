"""API fixtures: a small portfolio over two teams, and clients signed in by token or session per role."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.api.services import api_token_create
from accounts.models import Role
from collections_app.models import Account, ContactPoint
from collections_app.services.assignments import account_assign
from collections_app.services.ledger import invoice_create
from tests.collections_app.factories import AccountFactory, CreditorFactory

ISSUED = datetime.date(2025, 1, 1)
DUE = datetime.date(2025, 1, 31)


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Five users per test: a cheap hasher keeps the fixtures quick (sign-in itself is tested elsewhere)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_throttles():
    """Rate-limit counters live in the cache: each test starts with none."""
    cache.clear()
    yield
    cache.clear()


@dataclass
class Portfolio:
    mine: Account  # collector_a's (team A)
    theirs: Account  # collector_b's (team B)
    unassigned: Account
    users: dict


def make_account(*, collector=None, external_id=None, balance=Decimal("1000.00"), admin=None, **fields):
    extra = {"external_id": external_id} if external_id else {}
    account = AccountFactory(creditor=CreditorFactory(name="Acme Lending"), **extra, **fields)
    ContactPoint.objects.create(
        debtor=account.debtor, kind="phone", value=f"+1617555{account.pk % 10000:04d}", usage="mobile", is_primary=True
    )
    if balance:
        invoice_create(account=account, amount=balance, issued_on=ISSUED, due_on=DUE, external_id=f"INV-{account.pk}")
    if collector is not None:
        account_assign(account=account, collector=collector, assigned_by=admin)
    account.refresh_from_db()
    return account


@pytest.fixture
def portfolio(collector, other_collector, manager, other_manager, admin_user):
    return Portfolio(
        mine=make_account(collector=collector, external_id="A-MINE"),
        theirs=make_account(collector=other_collector, external_id="A-THEIRS"),
        unassigned=make_account(external_id="A-FREE"),
        users={
            "collector": collector,
            "other_collector": other_collector,
            "manager": manager,
            "other_manager": other_manager,
            "admin": admin_user,
        },
    )


@pytest.fixture
def token_for(admin_user):
    """A token of `user` (role: the user's own unless given) and its key."""

    def make(user, role=None, **extra):
        return api_token_create(
            name=f"{user.username} system", owner=user, role=role or user.role, created_by=admin_user, **extra
        )

    return make


@pytest.fixture
def api(token_for):
    """An APIClient authenticated by a token of `user`."""

    def make(user, role=None, **extra):
        _, key = token_for(user, role, **extra)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client

    return make


@pytest.fixture
def as_role(api, portfolio):
    """Clients by role name: collector (collector_a), manager (manager_a, leads team A), admin."""

    def make(role: str):
        return api(portfolio.users[role])

    return make


ROLES = (Role.COLLECTOR, Role.MANAGER, Role.ADMIN)


@pytest.fixture
def busy(portfolio):
    """On each of the three accounts: a payment, a promise, an activity, a dispute and a hold; an
    arrangement on two. Returns the portfolio."""
    from django.utils import timezone

    from collections_app.services.activities import activity_log, dispute_open
    from collections_app.services.ledger import payment_post
    from collections_app.services.plans import arrangement_create, promise_create
    from compliance.services import hold_place

    today = timezone.localdate()
    for account in (portfolio.mine, portfolio.theirs, portfolio.unassigned):
        payment_post(account=account, amount=Decimal("10.00"), received_on=today, external_id=f"P-{account.pk}")
        promise_create(account=account, amount=Decimal("50.00"), due_on=today + datetime.timedelta(days=5))
        activity_log(account=account, channel="inbound_call", outcome="right_party_contact")
        dispute_open(account=account, reason="Disputes the fee")
        hold_place(reason="attorney", account=account, note="Represented")
    for account in (portfolio.mine, portfolio.theirs):
        arrangement_create(
            account=account, total_amount=Decimal("300.00"), count=3, frequency="monthly", start_on=today
        )
    hold_place(reason="cease", debtor=portfolio.theirs.debtor, note="Letter")
    return portfolio
