"""A small portfolio built through the real services, with figures worked out by hand in the tests.

October 2026 is the period. USD accounts 1, 2 and 4, EUR account 3:

- 1 (USD, North, prime, collector A): I1 1000 issued 1 Aug due 31 Aug; I2 500 issued 1 Sep due 30 Sep;
  paid 300 on 15 Sep (to I1); I3 200 issued 5 Oct due 4 Nov; paid 700 on 20 Oct (I1 settled).
- 2 (USD, North, sub, collector B): 2000 issued 1 Jul due 15 Jul; 500 written off on 10 Oct; 100 paid
  on 12 Oct and returned (reversed) on 14 Oct.
- 3 (EUR, South, prime, collector A): 800 issued 1 Oct due 31 Oct; a credit of 50 on 2 Oct.
- 4 (USD, South, no segment, unassigned): 100 issued 10 Sep due 20 Sep; 150 paid on 3 Oct (50 unapplied).
"""

import datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest

from accounts.models import Role
from collections_app.models import Account, ContactPoint, Creditor, Debtor
from collections_app.services.activities import activity_log, dispute_open, dispute_resolve
from collections_app.services.assignments import account_assign
from collections_app.services.ledger import adjustment_post, entry_reverse, invoice_create, payment_post
from collections_app.services.plans import plans_evaluate_all, promise_create

OCT_START = datetime.date(2026, 10, 1)
OCT_END = datetime.date(2026, 10, 31)


def day(month, dom):
    return datetime.date(2026, month, dom)


def noon(month, dom, minute=0):
    return datetime.datetime(2026, month, dom, 12, minute, tzinfo=ZoneInfo("America/New_York"))


@pytest.fixture
def build_account(db):
    counter = {"n": 0}

    def build(*, creditor: str, currency="USD", segment="", collector=None):
        counter["n"] += 1
        n = counter["n"]
        debtor = Debtor.objects.create(
            external_id=f"KD{n}", name=f"Debtor {n}", timezone="America/New_York", region="NY", country="US"
        )
        ContactPoint.objects.create(debtor=debtor, kind="phone", value=f"+1212555{n:04d}", usage="mobile")
        account = Account.objects.create(
            external_id=f"KA{n}",
            debtor=debtor,
            creditor=Creditor.objects.get_or_create(name=creditor)[0],
            currency=currency,
            segment=segment,
            opened_on=datetime.date(2026, 1, 1),
        )
        if collector is not None:
            account_assign(account=account, collector=collector)
        return account

    return build


@pytest.fixture
def portfolio(build_account, team, other_team, make_user):
    collector_a = make_user(Role.COLLECTOR, team=team, username="col_a")
    collector_b = make_user(Role.COLLECTOR, team=other_team, username="col_b")
    a1 = build_account(creditor="North", segment="prime", collector=collector_a)
    a2 = build_account(creditor="North", segment="sub", collector=collector_b)
    a3 = build_account(creditor="South", currency="EUR", segment="prime", collector=collector_a)
    a4 = build_account(creditor="South")

    invoice_create(account=a1, amount=D("1000.00"), issued_on=day(8, 1), due_on=day(8, 31))
    invoice_create(account=a1, amount=D("500.00"), issued_on=day(9, 1), due_on=day(9, 30))
    payment_post(account=a1, amount=D("300.00"), received_on=day(9, 15))
    invoice_create(account=a1, amount=D("200.00"), issued_on=day(10, 5), due_on=day(11, 4))

    invoice_create(account=a2, amount=D("2000.00"), issued_on=day(7, 1), due_on=day(7, 15))
    adjustment_post(account=a2, kind="write_off", amount=D("-500.00"), posted_on=day(10, 10))
    promise_create(account=a2, amount=D("300.00"), due_on=day(10, 15), today=day(10, 1), created_by=collector_b)
    returned = payment_post(account=a2, amount=D("100.00"), received_on=day(10, 12))
    entry_reverse(entry=returned, reason="Returned by the bank", posted_on=day(10, 14))

    invoice_create(account=a3, amount=D("800.00"), issued_on=day(10, 1), due_on=day(10, 31))
    adjustment_post(account=a3, kind="credit", amount=D("-50.00"), posted_on=day(10, 2))

    invoice_create(account=a4, amount=D("100.00"), issued_on=day(9, 10), due_on=day(9, 20))
    payment_post(account=a4, amount=D("150.00"), received_on=day(10, 3))

    promise_create(account=a1, amount=D("500.00"), due_on=day(10, 20), today=day(10, 1), created_by=collector_a)
    payment_post(account=a1, amount=D("700.00"), received_on=day(10, 20))
    plans_evaluate_all(today=day(11, 1))

    phone = "+12125550001"
    for minute, outcome in ((0, "no_answer"), (5, "voicemail"), (10, "right_party_contact")):
        activity_log(account=a1, channel="call", outcome=outcome, to=phone, at=noon(10, 6, minute), user=collector_a)
    dispute = dispute_open(account=a2, reason="Not mine", at=noon(10, 2), user=collector_b)
    dispute_resolve(dispute=dispute, outcome="verified", at=noon(10, 9), user=collector_b)
    for account in (a1, a2, a3, a4):
        account.refresh_from_db()
    return {"a1": a1, "a2": a2, "a3": a3, "a4": a4, "collector_a": collector_a, "collector_b": collector_b}
