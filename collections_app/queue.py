"""The work queue's reads: which accounts a collector works, in what order, and which one is next.

A selector module of its own (selectors.py holds the account reads). Ordering is one SQL expression
over the account row and two EXISTS on promises, so the database sorts a collector's thousands of
accounts by the team's strategy; the contact gate then judges only the few at the top, in a fixed
number of queries (`compliance.gate.contact_decisions`).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Case, Count, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Greatest, Least
from django.utils import timezone

from accounts.models import Role
from compliance.gate import Decision, contact_decisions
from compliance.selectors import accounts_with_contactability

from .models import Account, AccountStatus, Activity, Channel, Direction, Outcome, Promise, PromiseStatus
from .models.queue import QueueStrategy

# Statuses a collector works. Disputed and held accounts stay in view (the gate says why not now).
QUEUE_STATUSES = (AccountStatus.ACTIVE, AccountStatus.DISPUTED, AccountStatus.HELD)
# How many of the best-scored accounts "Next account" puts before the exact gate at once, and how
# many such rounds before it gives up (every number refused: no phone, opted out, a far zone).
NEXT_CANDIDATES = 25
NEXT_ROUNDS = 8
# Balance bands (upper bound exclusive) and their score: larger debts first, whatever the spread.
BALANCE_BANDS = ((100, 10), (250, 25), (500, 40), (1000, 55), (2500, 70), (5000, 80), (10000, 90))
BROKEN_PROMISE_DAYS = 30


def strategy_for(user) -> QueueStrategy:
    """The strategy of the user's team, else the default one, else the built-in defaults (unsaved)."""
    strategies = {s.team_id: s for s in QueueStrategy.objects.filter(Q(team_id=user.team_id) | Q(team__isnull=True))}
    return strategies.get(user.team_id) or strategies.get(None) or QueueStrategy()


def local_day_start(now: datetime.datetime) -> datetime.datetime:
    """Midnight of the site's day containing `now`: collectors' days follow the office clock."""
    day = timezone.localtime(now).date()
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(0)))


def queue_accounts(*, user) -> QuerySet:
    """The accounts in a collector's queue: theirs, owing money, in a status a collector works."""
    return Account.objects.filter(assigned_to=user, status__in=QUEUE_STATUSES, balance__gt=0)


def _factors(today: datetime.date, now: datetime.datetime) -> dict:
    """Each factor of the strategy as a 0-100 SQL expression over the account row."""

    def days_ago(n: int) -> datetime.date:
        return today - datetime.timedelta(days=n)

    dpd = Case(
        When(oldest_open_due_on__isnull=True, then=Value(0)),
        When(oldest_open_due_on__gte=today, then=Value(0)),
        When(oldest_open_due_on__gte=days_ago(30), then=Value(20)),
        When(oldest_open_due_on__gte=days_ago(60), then=Value(40)),
        When(oldest_open_due_on__gte=days_ago(90), then=Value(60)),
        When(oldest_open_due_on__gte=days_ago(120), then=Value(80)),
        default=Value(100),
    )
    balance = Case(
        *(When(balance__lt=bound, then=Value(score)) for bound, score in BALANCE_BANDS),
        default=Value(100),
    )
    since = [(2, 0), (7, 25), (14, 50), (30, 75)]
    last_contact = Case(
        When(last_contact_at__isnull=True, then=Value(100)),
        *(When(last_contact_at__gt=now - datetime.timedelta(days=d), then=Value(score)) for d, score in since),
        default=Value(100),
    )
    promise_due = Exists(
        Promise.objects.filter(account_id=OuterRef("pk"), status=PromiseStatus.PENDING, due_on__lte=today)
    )
    broken = Exists(
        Promise.objects.filter(
            account_id=OuterRef("pk"), status=PromiseStatus.BROKEN, resolved_on__gte=days_ago(BROKEN_PROMISE_DAYS)
        )
    )
    return {
        "weight_days_past_due": dpd,
        "weight_balance": balance,
        "weight_promise_due": Case(When(promise_due, then=Value(100)), default=Value(0)),
        "weight_broken_promise": Case(When(broken, then=Value(100)), default=Value(0)),
        "weight_callback": Case(When(callback_at__lte=now, then=Value(100)), default=Value(0)),
        "weight_last_contact": last_contact,
        "weight_priority": Least(Greatest(F("priority_score"), Value(0)), Value(100)),
    }


def queue_scored(queryset: QuerySet, *, strategy: QueueStrategy, now: datetime.datetime | None = None) -> QuerySet:
    """Annotate `queue_score` (the weighted sum of the factors) and order best first."""
    now = now or timezone.now()
    factors = _factors(timezone.localtime(now).date(), now)
    weights = strategy.weights()
    terms = [factors[name] * Value(weights[name]) for name in factors if weights[name]]
    score = sum(terms[1:], terms[0]) if terms else Value(0)
    return queryset.annotate(queue_score=score).order_by("-queue_score", "-balance", "id")


def _waiting(today: datetime.date, now: datetime.datetime) -> Q:
    """Accounts not to call yet: a promise or plan date ahead, or a callback set for later."""
    return Q(next_action_on__gt=today) | Q(callback_at__gt=now)


def queue_ready(*, user, now: datetime.datetime | None = None, queryset: QuerySet | None = None) -> QuerySet:
    """The collector's accounts that are due to be worked and that the gate's set rules allow now, best first."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    base = queue_accounts(user=user) if queryset is None else queryset
    base = base.exclude(_waiting(today, now)).filter(status=AccountStatus.ACTIVE)
    ready = accounts_with_contactability(base, at=now).filter(gate_blocked=False, gate_in_hours=True)
    return queue_scored(ready, strategy=strategy_for(user), now=now)


def queue_not_now(*, user, now: datetime.datetime | None = None, queryset: QuerySet | None = None) -> QuerySet:
    """The collector's accounts that cannot be worked now (gate, hours, a date ahead), best first."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    base = queue_accounts(user=user) if queryset is None else queryset
    annotated = accounts_with_contactability(base, at=now)
    not_now = annotated.filter(
        _waiting(today, now) | ~Q(status=AccountStatus.ACTIVE) | Q(gate_blocked=True) | Q(gate_in_hours=False)
    )
    return queue_scored(not_now, strategy=strategy_for(user), now=now)


@dataclass(frozen=True)
class WhyNotNow:
    """What keeps an account out of the ready list, and when it may be called."""

    decision: Decision | None
    waiting_for: str  # "promise" / "callback" / "" when the gate alone holds it back
    until: datetime.datetime | datetime.date | None


def why_not_now(accounts: list[Account], *, now: datetime.datetime | None = None) -> dict[int, WhyNotNow]:
    """For a page of accounts held back: the gate's exact decision and the date or time they open."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    decisions = contact_decisions(accounts, channel=Channel.CALL, at=now)
    answers = {}
    for account in accounts:
        decision, _ = decisions[account.pk]
        if account.callback_at and account.callback_at > now:
            answers[account.pk] = WhyNotNow(decision, "callback", account.callback_at)
        elif account.next_action_on and account.next_action_on > today:
            answers[account.pk] = WhyNotNow(decision, "promise", account.next_action_on)
        else:
            until = decision.next_allowed_at if not decision.allowed else None
            answers[account.pk] = WhyNotNow(decision, "", until)
    return answers


def calls_today(*, user, now: datetime.datetime | None = None) -> int:
    """Outbound call attempts this user made today (refusals by the gate are not calls)."""
    now = now or timezone.now()
    return (
        Activity.objects.filter(
            user=user,
            channel=Channel.CALL,
            direction=Direction.OUTBOUND,
            occurred_at__gte=local_day_start(now),
            occurred_at__lte=now,
        )
        .exclude(outcome=Outcome.HELD)
        .count()
    )


def progress_today(*, users, now: datetime.datetime | None = None) -> dict[int, dict]:
    """Per user: calls made, accounts worked and right-party contacts today, in one query."""
    now = now or timezone.now()
    rows = (
        Activity.objects.filter(user__in=users, occurred_at__gte=local_day_start(now), occurred_at__lte=now)
        .exclude(outcome=Outcome.HELD)
        .values("user")
        .annotate(
            calls=Count("id", filter=Q(channel=Channel.CALL, direction=Direction.OUTBOUND)),
            worked=Count("account", distinct=True),
            conversations=Count("id", filter=Q(is_conversation=True)),
        )
    )
    empty = {"calls": 0, "worked": 0, "conversations": 0}
    found = {row["user"]: row for row in rows}
    return {user.pk: {k: found.get(user.pk, empty)[k] for k in empty} for user in users}


@dataclass(frozen=True)
class NextAccount:
    account: Account | None
    contact_point: object = None
    reason: str = ""  # why there is none: "limit" (daily call limit), "empty", "not_collector"


def next_account(
    *, user, now: datetime.datetime | None = None, skip: tuple[int, ...] = (), queryset: QuerySet | None = None
) -> NextAccount:
    """The best account the collector may call now, with the number to call, or why there is none.

    The set-based filter removes what the gate refuses for the account as a whole; the exact gate
    then judges the top candidates on each of their numbers (time zones of the number, opt-outs,
    state limits per kind of number) and the first one it allows wins.
    """
    now = now or timezone.now()
    if user.role != Role.COLLECTOR:
        return NextAccount(None, reason="not_collector")
    if calls_today(user=user, now=now) >= user.daily_call_limit:
        return NextAccount(None, reason="limit")
    ready = queue_ready(user=user, now=now, queryset=queryset).exclude(pk__in=skip).select_related("debtor")
    for offset in range(0, NEXT_CANDIDATES * NEXT_ROUNDS, NEXT_CANDIDATES):
        candidates = list(ready[offset : offset + NEXT_CANDIDATES])
        if not candidates:
            break
        decisions = contact_decisions(candidates, channel=Channel.CALL, at=now)
        for account in candidates:
            decision, point = decisions[account.pk]
            if decision.allowed:
                return NextAccount(account, point)
    return NextAccount(None, reason="empty")
