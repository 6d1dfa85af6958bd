""" "Next account" serves what the ORM ranking and the single gate would pick, in a fixed number of queries."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import timezone

from collections_app import queue
from collections_app.models import Account, Activity
from compliance.gate import contact_decision
from compliance.models import HoldReason, StateRule
from compliance.services import hold_place

from .factories import CreditorFactory, late_account

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
NY = ZoneInfo("America/New_York")
MOMENTS = [datetime.datetime.combine(TODAY, datetime.time(h, m), tzinfo=NY) for h, m in ((11, 0), (7, 30), (15, 0))]


@pytest.fixture
def portfolio(collector, manager):
    """Accounts whose best number is refused in turn: a hold, the hours of the number's zone, a state limit."""
    creditor = CreditorFactory()
    StateRule.objects.update_or_create(region="MA", defaults={"name": "Massachusetts", "personal_cap": 1})
    now = MOMENTS[0]
    built = []

    def debt(*, phones=("+12125550100",), **fields):
        account, points = late_account(
            creditor=creditor, assigned_to=collector, phones=[(value, "mobile") for value in phones], **fields
        )
        built.append(account)
        return account, points

    held, _ = debt(balance="9000.00")
    hold_place(reason=HoldReason.ATTORNEY, account=held, user=manager, starts_at=now - datetime.timedelta(days=1))
    debt(balance="8000.00", phones=())  # no number: the set rules let it through, the exact gate does not
    debt(balance="7000.00", zone="", phones=("+18085550100", "+12125550101"))  # Honolulu primary, New York second
    capped, (point,) = debt(balance="6000.00", region="MA", phones=("+16175550100",))
    Activity.objects.create(
        account=capped,
        debtor=capped.debtor,
        channel="call",
        outcome="no_answer",
        contact_point=point,
        to=point.value,
        occurred_at=now - datetime.timedelta(days=1),
    )
    debt(balance="5000.00", zone="America/Los_Angeles", phones=("+13105550100",))
    for balance in ("400.00", "300.00", "200.00"):
        debt(balance=balance)
    return built


def _expected(collector, now, skip=()):
    """The first account of the ORM's ready list with a number the single gate allows, primary first."""
    for account in queue.queue_ready(user=collector, now=now).exclude(pk__in=skip).select_related("debtor"):
        points = sorted(
            account.debtor.contact_points.filter(kind="phone").order_by("id"), key=lambda p: not p.is_primary
        )
        for point in points:
            if contact_decision(account=account, channel="call", contact_point=point, at=now).allowed:
                return account.pk, point.pk
    return None


@pytest.mark.parametrize("now", MOMENTS)
def test_next_account_is_the_first_ready_account_the_single_gate_allows(portfolio, collector, now):
    served = []
    for _ in range(len(portfolio) + 1):
        result = queue.next_account(user=collector, now=now, skip=tuple(served))
        expected = _expected(collector, now, skip=served)
        found = (result.account.pk, result.contact_point.pk) if result.account is not None else None
        assert found == expected
        if found is None:
            assert result.reason == "empty"
            break
        served.append(found[0])


def test_next_account_reads_a_fixed_number_of_rows(portfolio, collector, django_assert_max_num_queries):
    # The limit, the policy, rules and weights, the ranking (twice when few pass its first window, as here)
    # with the accounts, and the gate's reads; the ORM path reads the weights again and ranks in one query.
    with django_assert_max_num_queries(13 if connection.vendor == "postgresql" else 15):
        assert queue.next_account(user=collector, now=MOMENTS[0]).account is not None


def _fields(obj) -> dict:
    return {f.attname: (getattr(obj, f.attname), type(getattr(obj, f.attname))) for f in obj._meta.concrete_fields}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the fast path is PostgreSQL's")
def test_the_ranked_accounts_load_as_the_orm_loads_them(portfolio, collector):
    found = queue._ready_candidates_sql(
        user=collector, now=MOMENTS[0], queryset=None, skip=(), offset=0, limit=50, related=("debtor", "creditor")
    )
    assert found
    orm = Account.objects.select_related("debtor", "creditor").in_bulk([a.pk for a in found])
    for account in found:
        assert not account._state.adding and account._state.db == orm[account.pk]._state.db
        assert _fields(account) == _fields(orm[account.pk])
        assert Account.debtor.is_cached(account) and Account.creditor.is_cached(account)
        for related in ("debtor", "creditor"):
            assert _fields(getattr(account, related)) == _fields(getattr(orm[account.pk], related))


def test_calls_today_counts_outbound_calls_since_the_offices_midnight(portfolio, collector):
    account = portfolio[-1]
    now = MOMENTS[0]
    day_start = queue.local_day_start(now)
    for occurred_at, direction, outcome in (
        (day_start, "outbound", "no_answer"),
        (now, "outbound", "no_answer"),
        (now, "outbound", "held"),  # refused by the gate: not a call
        (now, "inbound", "no_answer"),
        (day_start - datetime.timedelta(seconds=1), "outbound", "no_answer"),
        (now + datetime.timedelta(seconds=1), "outbound", "no_answer"),
    ):
        Activity.objects.create(
            account=account,
            debtor=account.debtor,
            user=collector,
            channel="call",
            direction=direction,
            outcome=outcome,
            occurred_at=occurred_at,
        )
    assert queue.calls_today(user=collector, now=now) == 2
