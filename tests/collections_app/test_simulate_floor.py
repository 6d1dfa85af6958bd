"""simulate_floor: a short simulated floor through the real services, then every logged call re-checked
against the contact rules, the ledger reconciled, and the run repeated with the same seed."""

import datetime
import io
from collections import defaultdict
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Role, User
from collections_app.models import Account, Activity, Channel, Direction, Outcome, Promise
from collections_app.services.activities import activity_log
from collections_app.services.ledger import invoice_create
from collections_app.services.parties import contact_point_add, debtor_create
from collections_app.simulation import FloorSimulation
from compliance.models import Hold, StateRule
from compliance.selectors import policy_current

from .factories import CreditorFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
# A Monday two to three weeks back: five working days and a weekend, all in the past.
START = TODAY - datetime.timedelta(days=TODAY.weekday() + 14)
PLACES = [
    ("America/New_York", "NY", "+1212555{:04d}"),
    ("America/Chicago", "IL", "+1312555{:04d}"),
    ("America/Denver", "CO", "+1303555{:04d}"),
    ("America/Los_Angeles", "CA", "+1213555{:04d}"),
    ("America/New_York", "MA", "+1617555{:04d}"),  # Massachusetts: two calls a week to a mobile
]


@pytest.fixture
def floor(team):
    """Two collectors (one with a low daily limit) and 30 debts placed long before the simulated days."""
    collectors = User.objects.bulk_create(
        [
            User(username="sim_a", first_name="Ana", role=Role.COLLECTOR, team=team, daily_call_limit=150),
            User(username="sim_b", first_name="Ben", role=Role.COLLECTOR, team=team, daily_call_limit=4),
        ]
    )
    creditor = CreditorFactory()
    for i in range(30):
        zone, region, phone = PLACES[i % len(PLACES)]
        debtor = debtor_create(external_id=f"SD{i}", name=f"Debtor {i}", timezone_name=zone, region=region)
        contact_point_add(debtor=debtor, kind="phone", value=phone.format(i), usage="mobile", is_primary=True)
        if i % 3 == 0:
            contact_point_add(debtor=debtor, kind="email", value=f"debtor{i}@example.com", usage="home")
        account = Account.objects.create(
            external_id=f"SA{i}",
            debtor=debtor,
            creditor=creditor,
            currency="USD",
            opened_on=datetime.date(2024, 1, 1),
            assigned_to=collectors[i % 2],
        )
        due = START - datetime.timedelta(days=20 + 9 * i)
        invoice_create(
            account=account,
            amount=Decimal(150 + 97 * i),
            issued_on=due - datetime.timedelta(days=30),
            due_on=due,
        )
    return collectors


def calls_logged():
    return (
        Activity.objects.filter(channel=Channel.CALL, direction=Direction.OUTBOUND)
        .exclude(outcome=Outcome.HELD)
        .select_related("account__debtor", "contact_point")
        .order_by("occurred_at", "id")
    )


def test_a_week_on_the_floor_keeps_every_rule_and_the_ledger(floor):
    summary = FloorSimulation(start=START, days=7, seed=11).run()
    assert summary.calls > 40 and summary.conversations > 5
    assert summary.promises > 0 and summary.payments > 0
    assert sum(summary.outcomes.values()) == summary.calls
    assert summary.at_limit >= 1  # Ben's four calls a day
    assert summary.refusals, "a hand-dialled call now and then meets the gate"

    policy = policy_current()
    state_caps = {r.region: r for r in StateRule.objects.filter(active=True)}
    calls = list(calls_logged())
    assert len(calls) == summary.calls
    by_account = defaultdict(list)
    per_collector_day = defaultdict(int)
    conversations = defaultdict(list)
    for call in calls:
        zone = ZoneInfo(call.account.debtor.timezone)
        local = call.occurred_at.astimezone(zone)
        # Calling hours in the debtor's zone, and in the zone of the number dialled.
        assert policy.call_window_start <= local.time() < policy.call_window_end, (call.pk, local)
        for number_zone in filter(None, call.contact_point.timezone.split(",")):
            at_number = call.occurred_at.astimezone(ZoneInfo(number_zone)).time()
            assert policy.call_window_start <= at_number < policy.call_window_end, (call.pk, number_zone)
        # Weekdays only, inside the simulated days.
        site_day = timezone.localtime(call.occurred_at).date()
        assert START <= site_day < START + datetime.timedelta(days=7) and site_day.weekday() < 5
        # No call within the quiet days after a conversation about that debt.
        for earlier in conversations[call.account_id]:
            assert (local.date() - earlier.astimezone(zone).date()).days >= policy.days_after_conversation, call.pk
        if call.is_conversation:
            conversations[call.account_id].append(call.occurred_at)
        # The weekly cap (and Massachusetts' two a week to a mobile), counted over local days.
        if call.is_attempt:
            by_account[call.account_id].append(local.date())
            cap = policy.weekly_call_cap
            rule = state_caps.get(call.account.debtor.region)
            if rule is not None and rule.personal_cap is not None:
                cap = min(cap, rule.personal_cap)
            window = [d for d in by_account[call.account_id] if (local.date() - d).days < policy.cap_period_days]
            assert len(window) <= cap, (call.account.external_id, window)
        # Never while a hold (cease, death, dispute) stood on the debt or the debtor (one the call itself
        # brought about starts at the moment of the call).
        holds = Hold.objects.filter(Q(account_id=call.account_id) | Q(debtor_id=call.account.debtor_id)).filter(
            starts_at__lt=call.occurred_at, channel__in=["", "call"]
        )
        for hold in holds:
            assert hold.released_at is not None and hold.released_at <= call.occurred_at, (call.pk, hold.reason)
        per_collector_day[(call.user_id, site_day)] += 1
    limits = {c.pk: c.daily_call_limit for c in floor}
    assert all(n <= limits[user] for (user, _), n in per_collector_day.items())
    assert max(n for (user, _), n in per_collector_day.items() if user == floor[1].pk) == 4

    out = io.StringIO()
    call_command("reconcile_ledger", stdout=out)
    assert "every cache equals the ledger" in out.getvalue()
    # Promises were made on the simulated days, and judged by the nightly run of those days.
    made = Promise.objects.all()
    assert made and all(START <= p.created_on < START + datetime.timedelta(days=7) for p in made)


def test_the_same_seed_repeats_the_same_floor(floor):
    def run(seed):
        with transaction.atomic():
            summary = FloorSimulation(start=START, days=2, seed=seed).run()
            log = list(calls_logged().values_list("account__external_id", "outcome", "occurred_at", "user__username"))
            transaction.set_rollback(True)
        summary.seconds = 0
        return summary, log

    first, first_log = run(5)
    again, again_log = run(5)
    other, other_log = run(6)
    assert first_log and first_log == again_log and first == again
    assert other_log != first_log


def test_contacts_already_logged_later_are_not_undercut(floor):
    """A call logged after the simulated days: the floor leaves that debt alone within the rules' window."""
    account = Account.objects.get(external_id="SA1")
    later = timezone.make_aware(datetime.datetime.combine(START + datetime.timedelta(days=8), datetime.time(16)))
    activity_log(account=account, channel="call", outcome=Outcome.NO_ANSWER, user=floor[1], at=later, to="+13125550001")
    summary = FloorSimulation(start=START, days=5, seed=3).run()
    assert summary.left_alone == 1
    assert not calls_logged().filter(account=account, occurred_at__lt=later).exists()


def test_the_command_prints_a_summary(floor):
    out = io.StringIO()
    call_command("simulate_floor", "--days", "1", "--start", START.isoformat(), "--seed", "2", stdout=out)
    text = out.getvalue()
    assert text.startswith(f"Simulated 1 day ({START} to {START}), seed 2, 2 collectors")
    for word in ("calls", "conversations", "promises", "payments", "refusals by reason"):
        assert word in text


@pytest.mark.parametrize(
    "args, message",
    [
        (["--days", "0"], "--days must be 1 or more"),
        (["--days", "3", "--start", TODAY.isoformat()], "must end by yesterday"),
        (["--days", "3", "--start", "23/11/2026"], "YYYY-MM-DD"),
    ],
)
def test_the_command_refuses_days_that_have_not_happened(args, message):
    with pytest.raises((CommandError, SystemExit)) as refused:
        call_command("simulate_floor", *args, stdout=io.StringIO(), stderr=io.StringIO())
    assert message in str(refused.value) or refused.type is SystemExit
