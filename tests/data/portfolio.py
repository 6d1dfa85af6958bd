"""A small portfolio built through the real services: a debtor whose file closed in 2019 and who may be erased."""

import datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

from collections_app.models import Address, DunningPolicy, DunningReminder, DunningStage, ReminderState
from collections_app.services.activities import (
    activity_log,
    contact_point_opt_out,
    dispute_open,
    dispute_resolve,
    hold_place,
    hold_release,
)
from collections_app.services.ledger import entry_reverse, invoice_create, payment_post
from collections_app.services.parties import contact_point_add, creditor_get_or_create, debtor_create
from collections_app.services.placements import account_place
from collections_app.services.plans import arrangement_create, promise_create

NY = ZoneInfo("America/New_York")
# Personal details the erasure must remove from every table but the audit log.
NAME = "Maria Lopez"
PHONE = "+12125550143"
EMAIL = "maria.lopez@example.com"
STREET = "12 Elm Street"
NOTES = [
    "Lost her job in March",
    "Says she never got the card",
    "Statement sent to her home",
    "Asked for letters only",
    "Will pay after payday",
    "Dear Maria Lopez",
]


def at(month: int, day: int, hour: int = 12) -> datetime.datetime:
    return datetime.datetime(2019, month, day, hour, tzinfo=NY)


def closed_file(*, n: int = 1, by=None, name: str = NAME):
    """A debtor with one account that ran its whole course in 2019 and is paid off; returns the account."""
    debtor = debtor_create(
        external_id=f"P-{n}", name=name, region="NY", country="US", timezone_name="America/New_York", created_by=by
    )
    phone = contact_point_add(
        debtor=debtor, kind="phone", value=PHONE, usage="mobile", consent_autodial=True, is_primary=True
    )
    email = contact_point_add(debtor=debtor, kind="email", value=EMAIL.replace("@", f"+{n}@"))
    Address.objects.create(debtor=debtor, line1=STREET, city="Albany", region="NY", postal_code="12207", country="US")
    account = account_place(
        external_id=f"PA-{n}",
        debtor=debtor,
        creditor=creditor_get_or_create(name="First Bank"),
        currency="USD",
        opened_on=datetime.date(2019, 1, 1),
        created_by=by,
    )
    invoice_create(
        account=account,
        amount=D("500.00"),
        issued_on=datetime.date(2019, 2, 1),
        due_on=datetime.date(2019, 3, 1),
        external_id=f"INV-{n}",
        created_by=by,
    )
    payment_post(account=account, amount=D("200.00"), received_on=datetime.date(2019, 3, 10), method="card")
    bounced = payment_post(account=account, amount=D("100.00"), received_on=datetime.date(2019, 4, 1), method="check")
    entry_reverse(entry=bounced, reason="Cheque bounced", posted_on=datetime.date(2019, 4, 5))
    promise_create(
        account=account,
        amount=D("300.00"),
        due_on=datetime.date(2019, 4, 20),
        note=NOTES[4],
        today=datetime.date(2019, 4, 10),
    )
    activity_log(
        account=account,
        channel="inbound_call",
        outcome="right_party_contact",
        to=PHONE,
        note=NOTES[0],
        at=at(4, 12),
    )
    dispute = dispute_open(account=account, reason=NOTES[1], at=at(4, 12, 13))
    dispute_resolve(dispute=dispute, outcome="verified", note=NOTES[2], at=at(4, 25))
    arrangement_create(
        account=account,
        total_amount=D("300.00"),
        count=2,
        frequency="monthly",
        start_on=datetime.date(2019, 5, 1),
        today=datetime.date(2019, 4, 26),
    )
    hold = hold_place(reason="other", debtor=debtor, starts_at=at(5, 1), note=NOTES[3])
    hold_release(hold=hold, at=at(5, 10))
    contact_point_opt_out(contact_point=email, at=at(5, 2))
    policy, _ = DunningPolicy.objects.get_or_create(name="Test letters")
    stage, _ = DunningStage.objects.get_or_create(
        policy=policy, position=1, defaults={"name": "First letter", "trigger_days": 10, "channel": "letter"}
    )
    DunningReminder.objects.create(
        account=account,
        stage=stage,
        policy=policy,
        cycle=datetime.date(2019, 3, 1),
        channel="letter",
        state=ReminderState.SENT,
        planned_on=datetime.date(2019, 3, 11),
        done_at=at(3, 11),
        to=f"{STREET}, Albany NY 12207",
        subject="Your account",
        body=f"{NOTES[5]}, your balance is 300.00 USD.",
    )
    payment_post(account=account, amount=D("300.00"), received_on=datetime.date(2019, 6, 1), method="card")
    account.refresh_from_db()
    assert (account.balance, account.unapplied_credit) == (D("0.00"), D("0.00"))
    assert phone.pk
    return account
