"""The manager's desk reads: queue sizes and progress per collector, broken promises, reassignment previews.

Each read costs a fixed number of queries whatever the number of collectors or accounts: counts are
grouped by collector in the database, never counted one collector at a time.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from accounts.models import Role, Team, User

from .models import Account, Promise, PromiseStatus
from .queue import BROKEN_PROMISE_DAYS, QUEUE_STATUSES, progress_today, queue_ready
from .selectors import accounts_visible_to

# Broken promises listed on the desk (the count covers them all).
BROKEN_PROMISES_SHOWN = 25
# Accounts listed in a reassignment preview.
PREVIEW_SAMPLE = 10


def desk_teams(*, user) -> QuerySet[Team]:
    """The teams whose desk the user may open: an admin every team, a manager the teams they lead."""
    if user.is_superuser or user.role == Role.ADMIN:
        return Team.objects.order_by("name")
    if user.role == Role.MANAGER:
        return Team.objects.filter(managers=user).order_by("name")
    return Team.objects.none()


def desk_collectors(*, teams) -> QuerySet[User]:
    """The active collectors of these teams, the ones a desk shows and may give accounts to."""
    return (
        User.objects.filter(team__in=teams, role=Role.COLLECTOR, is_active=True)
        .select_related("team")
        .order_by("team__name", "first_name", "last_name", "username")
    )


def queue_sizes(*, collectors: list[User], now: datetime.datetime) -> dict[int, dict]:
    """Per collector: accounts in the queue, ready to call now, and held back (by the gate or a date ahead).

    "Ready" is the queue's own set-based judgement (`queue_ready`), grouped by collector: two
    queries plus the gate's few, whatever the number of collectors.
    """
    sizes = {c.pk: {"accounts": 0, "ready": 0, "held": 0} for c in collectors}
    if not collectors:
        return sizes
    base = Account.objects.filter(assigned_to__in=collectors, status__in=QUEUE_STATUSES, balance__gt=0)
    totals = base.order_by().values_list("assigned_to").annotate(n=Count("id"))
    # Any collector's strategy will do: the order does not change how many are ready.
    ready = queue_ready(user=collectors[0], now=now, queryset=base).order_by().values_list("assigned_to")
    ready_counts = dict(ready.annotate(n=Count("id")))
    for collector_id, n in totals:
        ready_n = ready_counts.get(collector_id, 0)
        sizes[collector_id] = {"accounts": n, "ready": ready_n, "held": n - ready_n}
    return sizes


def _percent(part: int, whole: int) -> int:
    return min(100, round(100 * part / whole)) if whole else 0


@dataclass
class DeskRow:
    collector: User
    accounts: int = 0
    ready: int = 0
    held: int = 0
    calls: int = 0
    worked: int = 0
    conversations: int = 0

    @property
    def calls_percent(self) -> int:
        return _percent(self.calls, self.collector.daily_call_limit)

    @property
    def worked_percent(self) -> int:
        return _percent(self.worked, self.collector.daily_target)

    @property
    def at_limit(self) -> bool:
        return self.calls >= self.collector.daily_call_limit


@dataclass
class Desk:
    teams: list[Team]
    rows: list[DeskRow]
    totals: dict = field(default_factory=dict)
    unassigned: int = 0
    broken: list[Promise] = field(default_factory=list)
    broken_count: int = 0
    broken_amount: dict = field(default_factory=dict)


def desk_for(*, user, teams: list[Team], now: datetime.datetime | None = None) -> Desk:
    """Everything the desk page shows for these teams (already checked to be the user's), in a fixed
    number of queries."""
    now = now or timezone.now()
    collectors = list(desk_collectors(teams=teams))
    sizes = queue_sizes(collectors=collectors, now=now)
    progress = progress_today(users=collectors, now=now)
    rows = [DeskRow(collector=c, **sizes[c.pk], **progress[c.pk]) for c in collectors]
    totals = {
        name: sum(getattr(row, name) for row in rows)
        for name in ("accounts", "ready", "held", "calls", "worked", "conversations")
    }
    totals["call_limit"] = sum(c.daily_call_limit for c in collectors)
    totals["target"] = sum(c.daily_target for c in collectors)
    totals["calls_percent"] = _percent(totals["calls"], totals["call_limit"])
    totals["worked_percent"] = _percent(totals["worked"], totals["target"])
    broken, broken_count, broken_amount = broken_promises(teams=teams, today=timezone.localdate(now))
    return Desk(
        teams=teams,
        rows=rows,
        totals=totals,
        unassigned=unassigned_accounts(user=user).count(),
        broken=broken,
        broken_count=broken_count,
        broken_amount=broken_amount,
    )


def unassigned_accounts(*, user) -> QuerySet[Account]:
    """Accounts nobody works that the user may give out: open, owing money, in a status collectors work."""
    return accounts_visible_to(user).filter(assigned_to__isnull=True, status__in=QUEUE_STATUSES, balance__gt=0)


def broken_promises(
    *, teams: list[Team], today: datetime.date, days: int = BROKEN_PROMISE_DAYS
) -> tuple[list[Promise], int, dict[str, object]]:
    """Promises broken in the last `days` days on accounts the teams' collectors hold: the latest
    ones, how many in all, and the amount per currency."""
    promises = Promise.objects.filter(
        status=PromiseStatus.BROKEN,
        resolved_on__gte=today - datetime.timedelta(days=days),
        account__assigned_to__team__in=teams,
    )
    latest = list(
        promises.select_related("account", "account__debtor", "account__assigned_to").order_by(
            "-resolved_on", "-due_on", "-id"
        )[:BROKEN_PROMISES_SHOWN]
    )
    by_currency = promises.order_by().values("account__currency").annotate(n=Count("id"), amount=Sum("amount"))
    count = 0
    amounts = {}
    for row in by_currency:
        count += row["n"]
        amounts[row["account__currency"]] = row["amount"]
    return latest, count, amounts


@dataclass
class ReassignPreview:
    """What a reassignment would do: how many accounts move, from whom, to whom."""

    total: int
    from_counts: list[tuple[str, int]]  # (holder's name or "Unassigned", accounts)
    to_counts: list[tuple[User, int]]  # round-robin share per target collector
    staying: int  # matching accounts already held by one of the targets
    sample: list[Account]


def reassign_candidates(*, matching: QuerySet[Account], targets: list[User]) -> QuerySet[Account]:
    """The matching accounts that would move: those not already held by one of the targets."""
    return matching.exclude(assigned_to__in=targets)


def reassign_preview(*, matching: QuerySet[Account], targets: list[User]) -> ReassignPreview:
    """Counts of a reassignment by filter, in three queries (grouped counts and a short sample)."""
    moving = reassign_candidates(matching=matching, targets=targets)
    holders = (
        moving.order_by()
        .values("assigned_to", "assigned_to__first_name", "assigned_to__last_name", "assigned_to__username")
        .annotate(n=Count("id", distinct=True))
        .order_by("-n")
    )
    from_counts, total = [], 0
    for row in holders:
        total += row["n"]
        if row["assigned_to"] is None:
            name = "Unassigned"
        else:
            full = f"{row['assigned_to__first_name']} {row['assigned_to__last_name']}".strip()
            name = full or row["assigned_to__username"]
        from_counts.append((name, row["n"]))
    staying = matching.filter(assigned_to__in=targets).order_by().values("pk").distinct().count() if targets else 0
    # accounts_assign_bulk deals the accounts out in turn, so the first (total % n) targets get one more.
    n = len(targets)
    to_counts = [(t, total // n + (1 if i < total % n else 0)) for i, t in enumerate(targets)] if n else []
    sample = list(moving.select_related("debtor", "assigned_to").order_by("-balance", "id")[:PREVIEW_SAMPLE])
    return ReassignPreview(total=total, from_counts=from_counts, to_counts=to_counts, staying=staying, sample=sample)


def holder_filter(queryset: QuerySet[Account], holder: str) -> QuerySet[Account]:
    """Narrow to a current holder: a collector's id, "none" for unassigned, "" for anyone."""
    if holder == "none":
        return queryset.filter(assigned_to__isnull=True)
    if holder:
        return queryset.filter(assigned_to_id=int(holder))
    return queryset


def team_holders_q(teams: list[Team]) -> Q:
    """Accounts held by the teams' collectors, or by nobody."""
    return Q(assigned_to__team__in=teams) | Q(assigned_to__isnull=True)
