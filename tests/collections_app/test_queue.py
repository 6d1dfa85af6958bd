"""The work queue: ordering by the team's strategy, what the gate holds back, next account, daily limit."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from collections_app.errors import DomainError
from collections_app.models import Account, AccountStatus, Activity, ContactPoint, Debtor, QueueStrategy
from collections_app.queue import (
    calls_today,
    next_account,
    progress_today,
    queue_not_now,
    queue_ready,
    strategy_for,
    why_not_now,
)
from collections_app.services.activities import activity_log, dispute_open
from collections_app.services.ledger import invoice_create
from collections_app.services.plans import promise_create
from collections_app.services.queue import callback_schedule, queue_strategy_save
from compliance.models import HoldReason
from compliance.services import hold_place

from .factories import CreditorFactory

TODAY = timezone.localdate()
# 11:00 in New York on the site's today: inside calling hours on the East coast only until 21:00.
NOW = datetime.datetime.combine(TODAY, datetime.time(11), tzinfo=ZoneInfo("America/New_York"))
_n = iter(range(1, 10**6))


@pytest.fixture
def make_debt(db, collector):
    creditor = CreditorFactory()

    def build(*, balance="500.00", days_late=40, zone="America/New_York", phone="+12125550100", user=None, **fields):
        n = next(_n)
        debtor = Debtor.objects.create(external_id=f"QD{n}", name=f"Debtor {n}", timezone=zone, region="NY")
        if phone:
            ContactPoint.objects.create(debtor=debtor, kind="phone", value=phone, usage="mobile", is_primary=True)
        account = Account.objects.create(
            external_id=f"QA{n}",
            debtor=debtor,
            creditor=creditor,
            currency="USD",
            opened_on=datetime.date(2024, 1, 1),
            assigned_to=user or collector,
            **fields,
        )
        due = TODAY - datetime.timedelta(days=days_late)
        invoice_create(
            account=account, amount=Decimal(balance), issued_on=due - datetime.timedelta(days=30), due_on=due
        )
        account.refresh_from_db()
        return account

    return build


def ids(queryset):
    return [a.pk for a in queryset]


def test_default_strategy_orders_older_and_larger_debts_first(make_debt, collector):
    young_small = make_debt(balance="80.00", days_late=5)
    old_large = make_debt(balance="9000.00", days_late=150)
    old_small = make_debt(balance="80.00", days_late=150)
    assert ids(queue_ready(user=collector, now=NOW)) == [old_large.pk, old_small.pk, young_small.pk]


def test_team_strategy_changes_the_order(make_debt, collector, manager):
    young_large = make_debt(balance="9000.00", days_late=5)
    old_small = make_debt(balance="80.00", days_late=150)
    queue_strategy_save(team=collector.team, weights={"weight_days_past_due": 0, "weight_balance": 10}, user=manager)
    assert strategy_for(collector).team == collector.team
    assert ids(queue_ready(user=collector, now=NOW)) == [young_large.pk, old_small.pk]
    queue_strategy_save(team=collector.team, weights={"weight_days_past_due": 10, "weight_balance": 0}, user=manager)
    assert ids(queue_ready(user=collector, now=NOW)) == [old_small.pk, young_large.pk]


def test_a_manager_cannot_set_another_teams_or_the_default_strategy(collector, other_manager, manager):
    with pytest.raises(DomainError):
        queue_strategy_save(team=collector.team, weights={"weight_balance": 1}, user=other_manager)
    with pytest.raises(DomainError):
        queue_strategy_save(team=None, weights={"weight_balance": 1}, user=manager)
    with pytest.raises(DomainError):
        queue_strategy_save(team=collector.team, weights={"weight_balance": 1}, user=collector)
    assert not QueueStrategy.objects.exists()


def test_weights_above_ten_are_refused(collector, manager):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        queue_strategy_save(team=collector.team, weights={"weight_balance": 11}, user=manager)
    assert not QueueStrategy.objects.exists()


def test_a_promise_falling_due_and_a_due_callback_come_first(make_debt, collector):
    plain = make_debt(balance="9000.00", days_late=150)
    promised = make_debt(balance="80.00", days_late=5)
    promise_create(account=promised, amount=Decimal("50.00"), due_on=TODAY, created_by=collector)
    assert ids(queue_ready(user=collector, now=NOW))[0] == promised.pk
    called_back = make_debt(balance="80.00", days_late=5)
    callback_schedule(
        account=called_back,
        at=NOW - datetime.timedelta(minutes=5),
        user=collector,
        now=NOW - datetime.timedelta(hours=1),
    )
    assert ids(queue_ready(user=collector, now=NOW))[:2] == [called_back.pk, promised.pk]
    assert plain.pk in ids(queue_ready(user=collector, now=NOW))


def test_accounts_waiting_on_a_promise_or_a_later_callback_are_not_ready(make_debt, collector):
    waiting = make_debt()
    promise_create(
        account=waiting, amount=Decimal("50.00"), due_on=TODAY + datetime.timedelta(days=5), created_by=collector
    )
    later = make_debt()
    callback_schedule(account=later, at=NOW + datetime.timedelta(hours=3), user=collector, now=NOW)
    ready = make_debt()
    assert ids(queue_ready(user=collector, now=NOW)) == [ready.pk]
    held_back = list(queue_not_now(user=collector, now=NOW).select_related("debtor"))
    assert {a.pk for a in held_back} == {waiting.pk, later.pk}
    why = why_not_now(held_back, now=NOW)
    assert why[waiting.pk].waiting_for == "promise"
    assert why[waiting.pk].until == TODAY + datetime.timedelta(days=5)
    assert why[later.pk].waiting_for == "callback"


def test_gate_blocked_accounts_are_shown_apart_with_when_they_open(make_debt, collector):
    west = make_debt(zone="America/Los_Angeles", phone="+14155550100")  # 08:00 in California at NOW
    early = NOW.replace(hour=10)  # 07:00 in California: not yet
    disputed = make_debt()
    dispute_open(
        account=disputed, reason="Not mine", in_writing=True, user=collector, at=early - datetime.timedelta(hours=1)
    )
    ready = ids(queue_ready(user=collector, now=early))
    assert west.pk not in ready and disputed.pk not in ready
    held_back = list(queue_not_now(user=collector, now=early).select_related("debtor"))
    why = why_not_now(held_back, now=early)
    assert why[west.pk].decision.verdict == "not_now"
    assert why[west.pk].until == datetime.datetime.combine(
        TODAY, datetime.time(8), tzinfo=ZoneInfo("America/Los_Angeles")
    )
    assert why[disputed.pk].decision.verdict == "never"
    assert "dispute_pending" in why[disputed.pk].decision.codes


def test_other_collectors_accounts_never_enter_the_queue(make_debt, collector, other_collector):
    mine = make_debt()
    theirs = make_debt(user=other_collector)
    assert ids(queue_ready(user=collector, now=NOW)) == [mine.pk]
    assert next_account(user=collector, now=NOW).account.pk == mine.pk
    assert next_account(user=other_collector, now=NOW).account.pk == theirs.pk


def test_next_account_skips_what_the_exact_gate_refuses_on_every_number(make_debt, collector):
    best_no_phone = make_debt(balance="9000.00", days_late=150, phone="")
    second = make_debt(balance="500.00", days_late=40)
    result = next_account(user=collector, now=NOW)
    assert result.account.pk == second.pk
    assert result.contact_point.value == "+12125550100"
    assert best_no_phone.pk in ids(queue_ready(user=collector, now=NOW))


def test_next_account_honours_skip_and_says_when_the_queue_is_empty(make_debt, collector):
    only = make_debt()
    assert next_account(user=collector, now=NOW, skip=(only.pk,)).reason == "empty"
    assert next_account(user=collector, now=NOW).account.pk == only.pk


def test_next_account_is_for_collectors_only(manager):
    assert next_account(user=manager, now=NOW).reason == "not_collector"


def test_the_daily_call_limit_stops_calls_and_next_account(make_debt, collector):
    collector.daily_call_limit = 2
    collector.save()
    accounts = [make_debt() for _ in range(3)]
    for account in accounts[:2]:
        activity_log(account=account, channel="call", outcome="no_answer", user=collector, to="+12125550100", at=NOW)
    assert calls_today(user=collector, now=NOW) == 2
    assert next_account(user=collector, now=NOW).reason == "limit"
    with pytest.raises(DomainError) as refused:
        activity_log(
            account=accounts[2], channel="call", outcome="no_answer", user=collector, to="+12125550100", at=NOW
        )
    assert refused.value.code == "daily_call_limit"
    assert Activity.objects.filter(account=accounts[2]).count() == 0
    # Inbound calls and other channels are not limited.
    activity_log(account=accounts[2], channel="inbound_call", outcome="right_party_contact", user=collector, at=NOW)


def test_progress_today_counts_calls_accounts_and_conversations(make_debt, collector, other_collector):
    a, b = make_debt(), make_debt()
    activity_log(account=a, channel="call", outcome="no_answer", user=collector, to="+12125550100", at=NOW)
    activity_log(account=b, channel="call", outcome="right_party_contact", user=collector, to="+12125550100", at=NOW)
    progress = progress_today(users=[collector, other_collector], now=NOW + datetime.timedelta(minutes=1))
    assert progress[collector.pk] == {"calls": 2, "worked": 2, "conversations": 1}
    assert progress[other_collector.pk] == {"calls": 0, "worked": 0, "conversations": 0}


def test_callbacks_in_the_past_or_far_ahead_are_refused(make_debt, collector):
    account = make_debt()
    for at in (NOW - datetime.timedelta(minutes=1), NOW + datetime.timedelta(days=91)):
        with pytest.raises(DomainError):
            callback_schedule(account=account, at=at, user=collector, now=NOW)
    account.refresh_from_db()
    assert account.callback_at is None


def test_held_and_paid_accounts(make_debt, collector):
    held = make_debt()
    hold_place(reason=HoldReason.ATTORNEY, account=held, user=collector, starts_at=NOW - datetime.timedelta(days=1))
    paid = make_debt()
    Account.objects.filter(pk=paid.pk).update(balance=0, status=AccountStatus.PAID)
    assert ids(queue_ready(user=collector, now=NOW)) == []
    assert ids(queue_not_now(user=collector, now=NOW)) == [held.pk]


def test_queue_queries_are_bounded(make_debt, collector, django_assert_max_num_queries):
    for _ in range(30):
        make_debt()
    with django_assert_max_num_queries(16):  # constant: grows with no count of accounts
        result = next_account(user=collector, now=NOW)
    assert result.account is not None
    held_back = list(queue_not_now(user=collector, now=NOW.replace(hour=6)).select_related("debtor")[:50])
    with django_assert_max_num_queries(8):
        why_not_now(held_back, now=NOW.replace(hour=6))
