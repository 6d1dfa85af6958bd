"""Builders for the compliance tests: real rows made with the ORM."""

import datetime
import itertools
from zoneinfo import ZoneInfo

import pytest

from collections_app.models import Account, Activity, ContactPoint, Creditor, Debtor

_seq = itertools.count(1)

UTC = datetime.UTC


def local(zone: str, *args) -> datetime.datetime:
    """An aware moment given in a zone's wall-clock time."""
    return datetime.datetime(*args, tzinfo=ZoneInfo(zone))


def attempt(account, at, *, to, conversation=False, channel="call"):
    """A call (or other contact) already made to `to`, as the caps and the seven-day rule count it."""
    point = account.debtor.contact_points.filter(value=to).first()
    Activity.objects.create(
        account=account,
        debtor=account.debtor,
        channel=channel,
        to=to,
        contact_point=point,
        outcome="right_party_contact" if conversation else "no_answer",
        occurred_at=at,
        is_conversation=conversation,
    )


@pytest.fixture
def creditor(db):
    return Creditor.objects.create(name="Acme Lending")


@pytest.fixture
def make_account(creditor):
    def build(*, timezone="America/Denver", region="CO", country="US", phones=(), emails=(), **account_fields):
        n = next(_seq)
        debtor = Debtor.objects.create(
            external_id=f"D{n}", name=f"Debtor {n}", timezone=timezone, region=region, country=country
        )
        for spec in phones:
            spec = {"usage": "mobile", "consent_autodial": False, **spec}
            ContactPoint.objects.create(debtor=debtor, kind="phone", **spec)
        for spec in emails:
            ContactPoint.objects.create(debtor=debtor, kind="email", **spec)
        fields = {"currency": "USD", "opened_on": datetime.date(2024, 1, 15), **account_fields}
        return Account.objects.create(external_id=f"A{n}", debtor=debtor, creditor=creditor, **fields)

    return build


@pytest.fixture
def denver_account(make_account):
    """A Colorado debtor with a Denver mobile (+1 303) and a personal email."""
    return make_account(
        phones=[{"value": "+13035550100", "usage": "mobile", "is_primary": True}],
        emails=[{"value": "dee@example.com", "usage": "home", "source": "debtor"}],
    )
