"""The queue's PostgreSQL statement answers exactly as the ORM querysets it stands in for (ranking, the
gate's set rules, pages and counts), over holds, disputes, caps, state limits, zones and promises."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.utils import timezone

from collections_app import queue
from collections_app.models import Account, AccountStatus, Activity, Promise
from collections_app.services.activities import dispute_open
from collections_app.services.queue import queue_strategy_save
from compliance.models import HoldReason, StateRule
from compliance.services import hold_place

from .factories import CreditorFactory, late_account

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the fast path is PostgreSQL's"),
]

TODAY = timezone.localdate()
NY = ZoneInfo("America/New_York")
MOMENTS = [datetime.datetime.combine(TODAY, datetime.time(h, m), tzinfo=NY) for h, m in ((11, 0), (7, 30), (20, 30))]


@pytest.fixture
def portfolio(db, collector, other_collector, manager):
    """About thirty accounts, each kept back (or not) by a different rule."""
    creditor = CreditorFactory()
    now = MOMENTS[0]
    built = []

    def debt(*, usage="mobile", user=None, **fields):
        n = len(built) + 1
        account, (point,) = late_account(
            creditor=creditor, assigned_to=user or collector, phones=[(f"+1212555{n:04d}", usage)], **fields
        )
        built.append(account)
        return account, point

    def calls(account, point, n, *, days_ago=1, conversation=False, channel="call"):
        for i in range(n):
            Activity.objects.create(
                account=account,
                debtor=account.debtor,
                channel=channel,
                outcome="no_answer",
                contact_point=point,
                to=point.value if point else "",
                occurred_at=now - datetime.timedelta(days=days_ago, minutes=i),
                is_conversation=conversation,
            )

    StateRule.objects.update_or_create(
        region="MA", defaults={"name": "Massachusetts", "personal_cap": 2, "other_cap": 2, "weekly_call_cap": 5}
    )
    for i, (balance, late) in enumerate([("80.00", 5), ("9000.00", 150), ("300.00", 70), ("1200.00", 95)]):
        debt(balance=balance, days_late=late, priority_score=i * 40)
    for zone in ("America/Los_Angeles", "Pacific/Honolulu", "Asia/Tokyo", "", "Mars/Base", "Europe/London"):
        debt(zone=zone)
    held, _ = debt()
    hold_place(reason=HoldReason.ATTORNEY, account=held, user=manager, starts_at=now - datetime.timedelta(days=1))
    debtor_held, _ = debt()
    hold_place(
        reason=HoldReason.CEASE, debtor=debtor_held.debtor, user=manager, starts_at=now - datetime.timedelta(days=1)
    )
    disputed, _ = debt()
    dispute_open(
        account=disputed, reason="Not mine", in_writing=True, user=collector, at=now - datetime.timedelta(days=2)
    )
    talked, point = debt()
    calls(talked, point, 1, conversation=True)
    capped, point = debt()
    calls(capped, point, 7)
    six, point = debt()
    calls(six, point, 6, days_ago=3)
    old, point = debt()
    calls(old, point, 9, days_ago=12)
    for usage, n in (("mobile", 2), ("work", 2), ("mobile", 1)):
        account, point = debt(region="ma", usage=usage)
        calls(account, point, n)
    account, point = debt(region="MA")
    calls(account, None, 5, channel="sms")
    promised, _ = debt(balance="50.00", days_late=3)
    Promise.objects.create(
        account=promised,
        amount=Decimal("10.00"),
        due_on=TODAY,
        created_on=TODAY,
        window_ends_on=TODAY,
        created_by=collector,
    )
    broken, _ = debt(balance="50.00", days_late=3)
    Promise.objects.create(
        account=broken,
        amount=Decimal("10.00"),
        due_on=TODAY - datetime.timedelta(days=10),
        created_on=TODAY - datetime.timedelta(days=20),
        window_ends_on=TODAY - datetime.timedelta(days=10),
        status="broken",
        resolved_on=TODAY - datetime.timedelta(days=5),
        created_by=collector,
    )
    debt(callback_at=now - datetime.timedelta(hours=1))
    debt(callback_at=now + datetime.timedelta(hours=2))
    debt(next_action_on=TODAY + datetime.timedelta(days=3))
    debt(status=AccountStatus.DISPUTED)
    debt(status=AccountStatus.HELD)
    paid, _ = debt()
    Account.objects.filter(pk=paid.pk).update(balance=0, status=AccountStatus.PAID)
    debt(user=other_collector)
    return built


def _orm_ready(collector, now, queryset=None, skip=()):
    ready = queue.queue_ready(user=collector, now=now, queryset=queryset).exclude(pk__in=skip)
    return [(a.pk, a.queue_score) for a in ready]


def _sql_ready(collector, now, queryset=None, skip=()):
    found = queue._ready_candidates_sql(user=collector, now=now, queryset=queryset, skip=skip, offset=0, limit=1000)
    return [(a.pk, a.queue_score) for a in found]


def _page(page):
    return page.number, page.paginator.count, page.paginator.num_pages, [(a.pk, a.queue_score) for a in page]


@pytest.mark.parametrize("now", MOMENTS, ids=["day", "early", "evening"])
def test_the_statement_ranks_and_filters_as_the_orm(portfolio, collector, manager, now):
    assert 0 < len(_orm_ready(collector, now)) < len(portfolio)
    assert _sql_ready(collector, now) == _orm_ready(collector, now)
    narrower = queue.queue_accounts(user=collector).filter(balance__gte=Decimal("400"))
    assert _sql_ready(collector, now, narrower) == _orm_ready(collector, now, narrower)
    skip = tuple(pk for pk, _ in _orm_ready(collector, now)[:2])
    assert _sql_ready(collector, now, skip=skip) == _orm_ready(collector, now, skip=skip)
    queue_strategy_save(team=collector.team, weights={"weight_balance": 0, "weight_promise_due": 10}, user=manager)
    assert _sql_ready(collector, now) == _orm_ready(collector, now)


@pytest.mark.parametrize("now", MOMENTS, ids=["day", "early", "evening"])
@pytest.mark.parametrize("number", [1, 2, "x", -1, 99])
def test_pages_and_counts_match_the_orm(portfolio, collector, now, number):
    ready, held = queue.queue_pages(user=collector, now=now, ready_page=number, held_page=number, size=4)
    orm_ready = Paginator(queue.queue_ready(user=collector, now=now), 4).get_page(number)
    orm_held = Paginator(queue.queue_not_now(user=collector, now=now), 4).get_page(number)
    assert _page(ready) == _page(orm_ready)
    assert _page(held) == _page(orm_held)
    assert ready.paginator.count + held.paginator.count == queue.queue_accounts(user=collector).count()
    assert all(a.creditor.name and a.debtor.name for a in [*ready, *held])


@pytest.mark.parametrize("now", MOMENTS, ids=["day", "early", "evening"])
def test_the_ready_page_found_in_score_order_matches_the_orm(portfolio, collector, now):
    """The queue page's first rows come from the early-stopping statement, not from the full count."""
    orm = Paginator(queue.queue_ready(user=collector, now=now), 4)
    for number in (1, 2, 3):
        page = queue.queue_ready_page(user=collector, now=now, number=number, size=4)
        expected = orm.page(number) if number <= orm.num_pages else []
        assert [(a.pk, a.queue_score) for a in page] == [(a.pk, a.queue_score) for a in expected]
        assert page.has_next == (number < orm.num_pages)
        assert all(a.creditor.name and a.debtor.name for a in page)


def test_an_empty_filter_gives_empty_pages(portfolio, collector):
    ready, held = queue.queue_pages(user=collector, now=MOMENTS[0], queryset=Account.objects.none())
    assert (ready.paginator.count, held.paginator.count, list(ready), list(held)) == (0, 0, [], [])
    assert queue.next_account(user=collector, now=MOMENTS[0], queryset=Account.objects.none()).reason == "empty"
    assert list(queue.queue_ready_page(user=collector, now=MOMENTS[0], queryset=Account.objects.none())) == []
