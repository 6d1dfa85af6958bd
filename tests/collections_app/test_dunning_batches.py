"""Dunning sends in batches: every outcome of a mixed batch right, and a batch's queries independent of its size."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from collections_app.models import (
    Activity,
    ContactPoint,
    DunningReminder,
    DunningRun,
    Outcome,
    ReminderState,
)
from collections_app.services.activities import _activity_new, activities_write_many, contact_point_opt_out
from collections_app.services.dunning import dunning_select, reminders_send
from collections_app.services.ledger import payment_post
from compliance.models import AccountCompliance, AuditEvent

# The dunning tests' fixtures: on-commit hooks run at once, texts kept in memory, the default policy.
from .test_dunning import IN_HOURS, TODAY, at_local, commits_at_once, debt, policy, sms_outbox  # noqa: F401

pytestmark = pytest.mark.usefixtures("policy")


def select() -> list[int]:
    run = DunningRun.objects.create(run_on=TODAY, at=IN_HOURS)
    dunning_select(run=run, day=TODAY, at=IN_HOURS)
    return sorted(DunningReminder.objects.filter(run=run).values_list("pk", flat=True))


def test_a_mixed_batch_gives_each_reminder_its_own_outcome_and_one_contact_each():
    paid = debt(-3, email="paid@example.com")
    opted = debt(-3, email="out@example.com")
    asleep = debt(-3, email="hawaii@example.com", zone="Pacific/Honolulu", region="HI")  # 5:00 there
    normal = debt(-3, email="dana@example.com")
    ids = select()
    payment_post(account=paid, amount=Decimal("10.00"), received_on=TODAY)  # after selection
    contact_point_opt_out(contact_point=ContactPoint.objects.get(value="out@example.com"))

    counts = reminders_send(lo=ids[0], hi=ids[-1], now=IN_HOURS)

    assert counts == {"cancelled": 1, "skipped": 1, "rescheduled": 1, "claimed": 1, "sent": 1}
    reminder = {r.account_id: r for r in DunningReminder.objects.all()}
    assert (reminder[paid.pk].state, reminder[paid.pk].reasons) == (ReminderState.CANCELLED, ["payment_received"])
    assert (reminder[opted.pk].state, reminder[opted.pk].reasons) == (ReminderState.SKIPPED, ["opt_out"])
    assert reminder[asleep.pk].state == ReminderState.PENDING and reminder[asleep.pk].reasons == ["outside_hours"]
    assert reminder[asleep.pk].send_after == at_local("Pacific/Honolulu", 8)
    assert reminder[normal.pk].state == ReminderState.SENT and reminder[normal.pk].provider_id
    assert [m.to for m in mail.outbox] == [["dana@example.com"]]
    # One contact on the timeline for each reminder that reached the contact rules' verdict.
    assert Activity.objects.get(account=opted).outcome == Outcome.HELD
    assert Activity.objects.get(account=normal).outcome == Outcome.SENT
    assert reminder[opted.pk].activity.account_id == opted.pk
    assert reminder[normal.pk].activity.account_id == normal.pk
    assert not Activity.objects.filter(account__in=[paid, asleep]).exists()
    # And each change in the audit log, on its own account.
    audited = set(AuditEvent.objects.values_list("account_id", "action"))
    assert {
        (paid.pk, "dunning.cancelled"),
        (opted.pk, "contact.refused"),
        (asleep.pk, "dunning.rescheduled"),
        (normal.pk, "contact.logged"),
    } <= audited
    normal.refresh_from_db()
    assert normal.last_contact_at == IN_HOURS
    assert AccountCompliance.objects.get(account=normal).first_communication_at == IN_HOURS


def _send_costs(accounts: int) -> int:
    """Queries to send a batch of `accounts` new reminders (those chosen before are sent already)."""
    for i in range(accounts):
        debt(-3, email=f"d{accounts}-{i}@example.com")
    ids = select()
    with CaptureQueriesContext(connection) as queries:
        counts = reminders_send(lo=ids[0], hi=ids[-1], now=IN_HOURS)
    assert counts["sent"] == accounts
    return len(queries.captured_queries)


def test_a_batch_costs_the_same_queries_whatever_its_size():
    small, large = _send_costs(3), _send_costs(15)
    assert small == large
    assert large / 15 <= 3  # well under three queries per reminder, even in so small a batch


def test_the_batch_writer_records_each_contact_as_the_single_one_does():
    first, second = debt(-3, email="a@example.com"), debt(-3, email="b@example.com")
    earlier = IN_HOURS - datetime.timedelta(hours=2)
    AccountCompliance.objects.create(account=first, first_communication_at=earlier)
    activities = [
        _activity_new(
            account=account,
            channel="email",
            direction="outbound",
            contact_point=None,
            to="x@example.com",
            outcome=Outcome.SENT,
            note="batch",
            at=IN_HOURS,
            user=None,
            automated=True,
        )
        for account in (first, second)
    ]
    activities_write_many(activities, user=None)
    assert all(activity.pk for activity in activities)
    assert AccountCompliance.objects.get(account=first).first_communication_at == earlier  # never moved later
    assert AccountCompliance.objects.get(account=second).first_communication_at == IN_HOURS
    assert AuditEvent.objects.filter(action="contact.logged").count() == 2
    second.refresh_from_db()
    assert second.last_contact_at == IN_HOURS
